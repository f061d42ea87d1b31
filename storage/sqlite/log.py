"""The message log: every message in and out, for statistics and for finding what the bot cannot answer.

Text is masked (storage.masking) inside `add`, so no caller can forget to: national codes, mobile numbers
and other long numbers never reach the table, while tracking codes stay readable. The `normalized` text
(the query after the search's normalization) is masked too, and is what unanswered questions are grouped
by, so "ساعت کاری" and "ساعت‌کاری؟" count as one question if the search treats them as one. The contract
is storage.api.LogRepo.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from storage.masking import mask_personal_data
from storage.records import TEHRAN_OFFSET, ConversationSummary, DayStats, Direction, LogEntry, UnansweredQuestion
from storage.rowbuffer import RowBuffer
from storage.sqlite import retention
from storage.sqlite._common import dumps, from_iso, to_iso

if TYPE_CHECKING:
    from storage.sqlite.db import SqliteStore


def _entry(row: Any) -> LogEntry:
    return LogEntry(
        id=row["id"],
        created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
        platform=row["platform"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        direction=row["direction"],
        text=row["text"],
        intent=row["intent"],
        service_id=row["service_id"],
        score=row["score"],
        answered=None if row["answered"] is None else bool(row["answered"]),
        normalized=row["normalized"],
        handling_ms=row["handling_ms"],
    )


_INSERT = (
    "INSERT INTO message_log (created_at, platform, user_id, chat_id, direction, text, intent,"
    " service_id, score, answered, normalized, handling_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_IN_SERVICES = "service_id IN (SELECT value FROM json_each(?))"
_ACCOUNT = "COALESCE(platform, '') || ':' || user_id"


def _like(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, its own % and _ taken literally (ESCAPE '\\')."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _range(where: list[str], params: list[Any], since: _dt.datetime | None, until: _dt.datetime | None) -> None:
    if since is not None:
        where.append("created_at >= ?")
        params.append(to_iso(since))
    if until is not None:
        where.append("created_at < ?")
        params.append(to_iso(until))


class SqliteLog:
    """The message log. Get it as ``db.log``."""

    def __init__(self, db: SqliteStore) -> None:
        self._db = db
        self._buffer = RowBuffer(self._write_many)

    async def add(
        self,
        platform: str | None,
        user_id: int | None,
        chat_id: int | None,
        direction: Direction,
        text: str | None,
        *,
        intent: str | None = None,
        service_id: str | None = None,
        score: float | None = None,
        answered: bool | None = None,
        normalized: str | None = None,
        handling_ms: float | None = None,
    ) -> int:
        """Stores one message with its personal numbers masked; returns its id.

        `answered` is True when the bot gave a confident answer, False when it could not (those are the
        questions admins review), None when the message was not a question.
        """
        if direction not in ("in", "out"):
            raise ValueError(f"direction must be 'in' or 'out', not {direction!r}")
        row = (
            to_iso(self._db.now()),
            platform,
            user_id,
            chat_id,
            direction,
            mask_personal_data(text) if text else text,
            intent,
            service_id,
            score,
            None if answered is None else int(answered),
            mask_personal_data(normalized) if normalized else normalized,
            handling_ms,
        )
        if self._buffer.on:  # written by the flusher, many rows per transaction
            await self._buffer.add(row)
            return 0
        async with self._db.write() as conn:
            cursor = await conn.execute(_INSERT, row)
            return int(cursor.lastrowid or 0)

    def buffer(self, interval: float) -> None:
        """From now on, rows are kept in memory and written every `interval` seconds in one transaction
        (storage/rowbuffer.py)."""
        self._buffer.start(interval)

    async def flush(self) -> int:
        """Writes the rows kept in memory; returns how many."""
        return await self._buffer.flush()

    async def stop_buffering(self) -> None:
        """Writes what is kept and goes back to writing each row at once."""
        await self._buffer.stop()

    async def _write_many(self, rows: list[tuple]) -> None:
        async with self._db.write() as conn:
            await conn.executemany(_INSERT, rows)

    async def query(
        self,
        user_id: int | None = None,
        since: _dt.datetime | None = None,
        until: _dt.datetime | None = None,
        service_id: str | None = None,
        unanswered_only: bool = False,
        limit: int = 100,
        *,
        platform: str | None = None,
    ) -> list[LogEntry]:
        """Log entries, newest first, filtered by any combination of user, time range and service.

        `since` is inclusive and `until` exclusive (aware datetimes); `unanswered_only` keeps the incoming
        questions the bot could not answer.
        """
        where: list[str] = []
        params: list[Any] = []
        if user_id is not None:
            where.append("user_id = ?")
            params.append(user_id)
        if platform is not None:
            where.append("platform = ?")
            params.append(platform)
        if since is not None:
            where.append("created_at >= ?")
            params.append(to_iso(since))
        if until is not None:
            where.append("created_at < ?")
            params.append(to_iso(until))
        if service_id is not None:
            where.append("service_id = ?")
            params.append(service_id)
        if unanswered_only:
            where.append("direction = 'in' AND answered = 0")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._db.fetchall(
            f"SELECT * FROM message_log {clause} ORDER BY created_at DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [_entry(row) for row in rows]

    async def page(self, after_id: int = 0, limit: int = 500) -> list[LogEntry]:
        """Entries in id order (the order they were written) after `after_id`, for a complete export."""
        rows = await self._db.fetchall(
            "SELECT * FROM message_log WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        )
        return [_entry(row) for row in rows]

    async def count(self) -> int:
        """How many entries are stored."""
        row = await self._db.fetchone("SELECT COUNT(*) FROM message_log")
        return int(row[0]) if row else 0

    async def unanswered(
        self, limit: int = 20, since: _dt.datetime | None = None
    ) -> list[UnansweredQuestion]:
        """The questions the bot could not answer, grouped by normalized text, most frequent first.

        This is the admins' to-do list for the knowledge base. Messages logged without a normalized text
        are grouped by their text.
        """
        # SQLite takes the bare column `text` from the row that holds MAX(created_at): the latest wording.
        rows = await self._db.fetchall(
            "SELECT COALESCE(normalized, text, '') AS question, COUNT(*) AS n,"
            " MAX(created_at) AS last_seen, text"
            " FROM message_log WHERE direction = 'in' AND answered = 0 AND created_at >= ?"
            " GROUP BY question ORDER BY n DESC, last_seen DESC LIMIT ?",
            (to_iso(since) if since else "", limit),
        )
        return [
            UnansweredQuestion(row["question"], row["n"], from_iso(row["last_seen"]), row["text"])  # type: ignore[arg-type]
            for row in rows
        ]

    async def top_services(self, days: int = 7, limit: int = 5) -> list[tuple[str, int]]:
        """The services citizens asked about most in the last `days` days: (service id, questions)."""
        since = self._db.now() - _dt.timedelta(days=days)
        rows = await self._db.fetchall(
            "SELECT service_id, COUNT(*) AS n FROM message_log WHERE direction = 'in' AND service_id IS NOT NULL"
            " AND created_at >= ? GROUP BY service_id ORDER BY n DESC LIMIT ?",
            (to_iso(since), limit),
        )
        return [(row["service_id"], row["n"]) for row in rows]

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        """Deletes entries older than the retention promised to citizens; returns how many were deleted.
        Raises RetentionRefused when the clock looks wrong (storage/retention.py), unless `force`."""
        async with self._db.write() as conn:
            cutoff = await retention.cutoff(self._db, conn, older_than_days, force=force)
            await retention.check_share(conn, "message_log", "created_at < ?", (cutoff,), force=force)
            cursor = await conn.execute("DELETE FROM message_log WHERE created_at < ?", (cutoff,))
            return cursor.rowcount

    async def stats_per_day(
        self, days: int = 30, utc_offset: _dt.timedelta = TEHRAN_OFFSET
    ) -> list[DayStats]:
        """Traffic of the last `days` local days (today included), oldest first, days without traffic as 0."""
        offset_minutes = int(utc_offset.total_seconds() // 60)
        local_now = self._db.now() + utc_offset
        first_day = local_now.date() - _dt.timedelta(days=days - 1)
        start_utc = _dt.datetime.combine(first_day, _dt.time(), _dt.UTC) - utc_offset
        rows = await self._db.fetchall(
            f"SELECT date(created_at, '{offset_minutes:+d} minutes') AS day,"
            " SUM(direction = 'in') AS incoming,"
            " SUM(direction = 'out') AS outgoing,"
            " SUM(direction = 'in' AND answered = 1) AS answered,"
            " SUM(direction = 'in' AND answered = 0) AS unanswered,"
            " COUNT(DISTINCT CASE WHEN direction = 'in'"
            "   THEN COALESCE(platform, '') || ':' || user_id END) AS users,"
            " AVG(handling_ms) AS avg_ms"
            " FROM message_log WHERE created_at >= ? GROUP BY day",
            (to_iso(start_utc),),
        )
        by_day = {row["day"]: row for row in rows}
        result = []
        for i in range(days):
            day = first_day + _dt.timedelta(days=i)
            row = by_day.get(day.isoformat())
            if row is None:
                result.append(DayStats(day, 0, 0, 0, 0, 0, None))
            else:
                result.append(
                    DayStats(
                        day=day,
                        incoming=row["incoming"] or 0,
                        outgoing=row["outgoing"] or 0,
                        answered=row["answered"] or 0,
                        unanswered=row["unanswered"] or 0,
                        users=row["users"],
                        avg_handling_ms=row["avg_ms"],
                    )
                )
        return result

    # -- for the web console ------------------------------------------------------------------------------

    async def conversations(
        self,
        *,
        since: _dt.datetime | None = None,
        until: _dt.datetime | None = None,
        service_ids: Collection[str] | None = None,
        scope: Collection[str] | None = None,
        found: bool | None = None,
        text: str | Collection[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ConversationSummary]:
        """Chat accounts with messages matching every filter, the latest first (see LogRepo.conversations);
        `text` may be several spellings of the same words, any of which matches."""
        where: list[str] = []
        params: list[Any] = []
        _range(where, params, since, until)
        if service_ids is not None:
            where.append(_IN_SERVICES)
            params.append(dumps(sorted(service_ids)))
        if found is not None:
            where.append("direction = 'in' AND answered = ?")
            params.append(int(found))
        if text:
            variants = [text] if isinstance(text, str) else [t for t in text if t]
            likes = []
            for variant in variants:
                likes.append("text LIKE ? ESCAPE '\\' OR normalized LIKE ? ESCAPE '\\'")
                params += [_like(variant)] * 2
            where.append("(" + " OR ".join(likes) + ")")
        if scope is not None:
            where.append(f"{_ACCOUNT} IN (SELECT {_ACCOUNT} FROM message_log WHERE {_IN_SERVICES})")
            params.append(dumps(sorted(scope)))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._db.fetchall(
            "SELECT platform, user_id, COUNT(*) AS n, SUM(direction = 'in' AND answered = 0) AS unanswered,"
            " MIN(created_at) AS first_at, MAX(created_at) AS last_at, MAX(id) AS last_id,"
            " GROUP_CONCAT(DISTINCT service_id) AS services"
            f" FROM message_log {clause} GROUP BY platform, user_id ORDER BY last_id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [
            ConversationSummary(
                platform=row["platform"], user_id=row["user_id"], messages=row["n"], unanswered=row["unanswered"] or 0,
                first_at=from_iso(row["first_at"]), last_at=from_iso(row["last_at"]),  # type: ignore[arg-type]
                last_id=row["last_id"], service_ids=tuple(sorted(filter(None, (row["services"] or "").split(",")))),
            )
            for row in rows
            if row["user_id"] is not None
        ]

    async def account_of(self, entry_id: int) -> tuple[str | None, int] | None:
        """The chat account (platform, user id) of a log row, None if there is no such row."""
        row = await self._db.fetchone("SELECT platform, user_id FROM message_log WHERE id = ?", (entry_id,))
        if row is None or row["user_id"] is None:
            return None
        return row["platform"], row["user_id"]

    async def asked_about(self, platform: str | None, user_id: int, service_ids: Collection[str]) -> bool:
        """Whether this account ever asked about one of `service_ids`."""
        row = await self._db.fetchone(
            f"SELECT 1 FROM message_log WHERE platform IS ? AND user_id = ? AND {_IN_SERVICES} LIMIT 1",
            (platform, user_id, dumps(sorted(service_ids))),
        )
        return row is not None

    async def accounts_asking_about(self, service_ids: Collection[str]) -> set[tuple[str | None, int]]:
        """The chat accounts that ever asked about one of `service_ids`."""
        rows = await self._db.fetchall(
            f"SELECT DISTINCT platform, user_id FROM message_log WHERE {_IN_SERVICES} AND user_id IS NOT NULL",
            (dumps(sorted(service_ids)),),
        )
        return {(row["platform"], row["user_id"]) for row in rows}

    async def activity(
        self, since: _dt.datetime, until: _dt.datetime, *, service_ids: Collection[str] | None = None,
        utc_offset: _dt.timedelta = TEHRAN_OFFSET,
    ) -> list[DayStats]:
        """Traffic per local day of the range, oldest first, days without traffic as 0; with `service_ids`,
        only incoming messages about those services."""
        offset_minutes = int(utc_offset.total_seconds() // 60)
        where: list[str] = []
        params: list[Any] = []
        _range(where, params, since, until)
        if service_ids is not None:
            where.append(f"direction = 'in' AND {_IN_SERVICES}")
            params.append(dumps(sorted(service_ids)))
        rows = await self._db.fetchall(
            f"SELECT date(created_at, '{offset_minutes:+d} minutes') AS day,"
            " SUM(direction = 'in') AS incoming, SUM(direction = 'out') AS outgoing,"
            " SUM(direction = 'in' AND answered = 1) AS answered, SUM(direction = 'in' AND answered = 0) AS unanswered,"
            f" COUNT(DISTINCT CASE WHEN direction = 'in' THEN {_ACCOUNT} END) AS users, AVG(handling_ms) AS avg_ms"
            f" FROM message_log WHERE {' AND '.join(where)} GROUP BY day",
            params,
        )
        by_day = {row["day"]: row for row in rows}
        first = (since.astimezone(_dt.UTC) + utc_offset).date()
        last = (until.astimezone(_dt.UTC) - _dt.timedelta(milliseconds=1) + utc_offset).date()
        result = []
        day = first
        while day <= last:
            row = by_day.get(day.isoformat())
            if row is None:
                result.append(DayStats(day, 0, 0, 0, 0, 0, None))
            else:
                result.append(DayStats(day, row["incoming"] or 0, row["outgoing"] or 0, row["answered"] or 0,
                                       row["unanswered"] or 0, row["users"] or 0, row["avg_ms"]))
            day += _dt.timedelta(days=1)
        return result

    async def intent_counts(
        self, since: _dt.datetime, until: _dt.datetime, *, service_ids: Collection[str] | None = None
    ) -> list[tuple[str, int]]:
        """Incoming questions per question type (intent) in the range, most frequent first."""
        where = ["direction = 'in'", "intent IS NOT NULL"]
        params: list[Any] = []
        _range(where, params, since, until)
        if service_ids is not None:
            where.append(_IN_SERVICES)
            params.append(dumps(sorted(service_ids)))
        rows = await self._db.fetchall(
            f"SELECT intent, COUNT(*) AS n FROM message_log WHERE {' AND '.join(where)}"
            " GROUP BY intent ORDER BY n DESC, intent",
            params,
        )
        return [(row["intent"], row["n"]) for row in rows]

    async def service_counts(
        self, since: _dt.datetime, until: _dt.datetime, *, service_ids: Collection[str] | None = None,
        limit: int = 10,
    ) -> list[tuple[str, int]]:
        """Incoming messages per service in the range, most frequent first: (service id, messages)."""
        where = ["direction = 'in'", "service_id IS NOT NULL"]
        params: list[Any] = []
        _range(where, params, since, until)
        if service_ids is not None:
            where.append(_IN_SERVICES)
            params.append(dumps(sorted(service_ids)))
        rows = await self._db.fetchall(
            f"SELECT service_id, COUNT(*) AS n FROM message_log WHERE {' AND '.join(where)}"
            " GROUP BY service_id ORDER BY n DESC, service_id LIMIT ?",
            (*params, limit),
        )
        return [(row["service_id"], row["n"]) for row in rows]

    async def unanswered_messages(self, question: str, limit: int = 50) -> list[LogEntry]:
        """The unanswered messages of one group of `unanswered` (its key), newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM message_log WHERE direction = 'in' AND answered = 0"
            " AND COALESCE(normalized, text, '') = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (question, limit),
        )
        return [_entry(row) for row in rows]
