"""The message log on PostgreSQL: masking, buffering, the questions admins review and the web console's
searches and counts as on SQLite (see storage/sqlite/log.py); days of the statistics are local days, as
there. The contract is storage.api.LogRepo.

Text searched with LIKE on SQLite is searched with ILIKE here: SQLite's LIKE ignores the case of ASCII
letters, PostgreSQL's does not. Ties in "most frequent first" are broken in code-point order (COLLATE "C"),
as SQLite sorts text, whatever the database's collation.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from storage.masking import mask_personal_data
from storage.postgres import retention
from storage.postgres._common import Params
from storage.records import TEHRAN_OFFSET, ConversationSummary, DayStats, Direction, LogEntry, UnansweredQuestion
from storage.rowbuffer import RowBuffer

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore


def _entry(row: Any) -> LogEntry:
    return LogEntry(
        id=row["id"],
        created_at=row["created_at"],
        platform=row["platform"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        direction=row["direction"],
        text=row["text"],
        intent=row["intent"],
        service_id=row["service_id"],
        score=row["score"],
        answered=row["answered"],
        normalized=row["normalized"],
        handling_ms=row["handling_ms"],
    )


_INSERT = (
    "INSERT INTO message_log (created_at, platform, user_id, chat_id, direction, text, intent,"
    " service_id, score, answered, normalized, handling_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
)

_ACCOUNT = "COALESCE(platform, ''), user_id"  # a chat account, NULL platform included
# The local calendar day of a row at the offset given as an interval parameter: UTC wall time plus the
# offset, exactly as SQLite's date(created_at, '+210 minutes'), no zone database involved.
_LOCAL_DAY = "((created_at AT TIME ZONE 'UTC') + {offset}::interval)::date"
_DAY_COUNTS = (
    "COUNT(*) FILTER (WHERE direction = 'in') AS incoming,"
    " COUNT(*) FILTER (WHERE direction = 'out') AS outgoing,"
    " COUNT(*) FILTER (WHERE direction = 'in' AND answered = TRUE) AS answered,"
    " COUNT(*) FILTER (WHERE direction = 'in' AND answered = FALSE) AS unanswered,"
    " COUNT(DISTINCT CASE WHEN direction = 'in' THEN COALESCE(platform, '') || ':' || user_id END) AS users,"
    " AVG(handling_ms) AS avg_ms"
)


def _like(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, its own % and _ taken literally (ESCAPE '\\')."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _range(p: Params, where: list[str], since: _dt.datetime | None, until: _dt.datetime | None) -> None:
    if since is not None:
        where.append(f"created_at >= {p(since)}")
    if until is not None:
        where.append(f"created_at < {p(until)}")


def _in(p: Params, service_ids: Collection[str]) -> str:
    return f"service_id = ANY({p(sorted(service_ids))}::text[])"


def _day_stats(day: _dt.date, row: Any) -> DayStats:
    if row is None:
        return DayStats(day, 0, 0, 0, 0, 0, None)
    return DayStats(day, row["incoming"], row["outgoing"], row["answered"], row["unanswered"], row["users"],
                    row["avg_ms"])


class PostgresLog:
    """The message log. Get it as ``db.log``."""

    def __init__(self, db: PostgresStore) -> None:
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
        """Stores one message with its personal numbers masked; returns its id (0 while buffering)."""
        if direction not in ("in", "out"):
            raise ValueError(f"direction must be 'in' or 'out', not {direction!r}")
        row = (
            self._db.now(),
            platform,
            user_id,
            chat_id,
            direction,
            mask_personal_data(text) if text else text,
            intent,
            service_id,
            None if score is None else float(score),
            answered,
            mask_personal_data(normalized) if normalized else normalized,
            None if handling_ms is None else float(handling_ms),
        )
        if self._buffer.on:  # written by the flusher, many rows per transaction
            await self._buffer.add(row)
            return 0
        async with self._db.write() as conn:
            return int(await conn.fetchval(f"{_INSERT} RETURNING id", *row))

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
        """Log entries, newest first, filtered by user, time range (`since` inclusive, `until` exclusive),
        service; `unanswered_only` keeps the incoming questions the bot could not answer."""
        where: list[str] = []
        params: list[Any] = []

        def add(condition: str, value: Any) -> None:
            params.append(value)
            where.append(condition.replace("?", f"${len(params)}"))

        if user_id is not None:
            add("user_id = ?", user_id)
        if platform is not None:
            add("platform = ?", platform)
        if since is not None:
            add("created_at >= ?", since)
        if until is not None:
            add("created_at < ?", until)
        if service_id is not None:
            add("service_id = ?", service_id)
        if unanswered_only:
            where.append("direction = 'in' AND answered = FALSE")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        params.append(limit)
        rows = await self._db.fetchall(
            f"SELECT * FROM message_log {clause} ORDER BY created_at DESC, id DESC LIMIT ${len(params)}", params
        )
        return [_entry(row) for row in rows]

    async def page(self, after_id: int = 0, limit: int = 500) -> list[LogEntry]:
        """Entries in id order after `after_id`, for a complete export."""
        rows = await self._db.fetchall("SELECT * FROM message_log WHERE id > $1 ORDER BY id LIMIT $2", (after_id, limit))
        return [_entry(row) for row in rows]

    async def count(self) -> int:
        """How many entries are stored."""
        return int(await self._db.fetchval("SELECT COUNT(*) FROM message_log"))

    async def unanswered(self, limit: int = 20, since: _dt.datetime | None = None) -> list[UnansweredQuestion]:
        """The questions the bot could not answer, grouped by normalized text (else text), most frequent
        first, each with its latest wording."""
        rows = await self._db.fetchall(
            "SELECT COALESCE(normalized, text, '') AS question, COUNT(*) AS n, MAX(created_at) AS last_seen,"
            " (array_agg(text ORDER BY created_at DESC, id DESC))[1] AS example"
            " FROM message_log WHERE direction = 'in' AND answered = FALSE"
            " AND ($1::timestamptz IS NULL OR created_at >= $1)"
            " GROUP BY question ORDER BY n DESC, last_seen DESC LIMIT $2",
            (since, limit),
        )
        return [UnansweredQuestion(r["question"], r["n"], r["last_seen"], r["example"]) for r in rows]

    async def top_services(self, days: int = 7, limit: int = 5) -> list[tuple[str, int]]:
        """The services citizens asked about most in the last `days` days: (service id, questions)."""
        rows = await self._db.fetchall(
            "SELECT service_id, COUNT(*) AS n FROM message_log WHERE direction = 'in' AND service_id IS NOT NULL"
            " AND created_at >= $1 GROUP BY service_id ORDER BY n DESC, service_id LIMIT $2",
            (self._db.now() - _dt.timedelta(days=days), limit),
        )
        return [(r["service_id"], r["n"]) for r in rows]

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        """Deletes entries older than the retention promised to citizens; returns how many (RetentionRefused:
        see storage/retention.py)."""
        async with self._db.write() as conn:
            cutoff = await retention.cutoff(self._db, conn, older_than_days, force=force)
            await retention.check_share(conn, "message_log", "created_at < $1", (cutoff,), force=force)
            status = await conn.execute("DELETE FROM message_log WHERE created_at < $1", cutoff)
        return int(status.split()[-1])

    async def stats_per_day(self, days: int = 30, utc_offset: _dt.timedelta = TEHRAN_OFFSET) -> list[DayStats]:
        """Traffic of the last `days` local days (today included), oldest first, days without traffic as 0.

        A day is the local calendar day at `utc_offset` (Tehran's by default), computed as UTC wall time
        plus the offset, exactly as SQLite's date(created_at, '+210 minutes'): no zone database involved."""
        local_now = self._db.now() + utc_offset
        first_day = local_now.date() - _dt.timedelta(days=days - 1)
        start_utc = _dt.datetime.combine(first_day, _dt.time(), _dt.UTC) - utc_offset
        rows = await self._db.fetchall(
            f"SELECT {_LOCAL_DAY.format(offset='$2')} AS day, {_DAY_COUNTS}"
            " FROM message_log WHERE created_at >= $1 GROUP BY day",
            (start_utc, utc_offset),
        )
        by_day = {row["day"]: row for row in rows}
        days_asked = (first_day + _dt.timedelta(days=i) for i in range(days))
        return [_day_stats(day, by_day.get(day)) for day in days_asked]

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
        p = Params()
        where: list[str] = []
        _range(p, where, since, until)
        if service_ids is not None:
            where.append(_in(p, service_ids))
        if found is not None:
            where.append(f"direction = 'in' AND answered = {p(found)}")
        if text:
            variants = [text] if isinstance(text, str) else [t for t in text if t]
            likes = []
            for variant in variants:
                pattern = p(_like(variant))
                likes.append(f"text ILIKE {pattern} ESCAPE '\\' OR normalized ILIKE {pattern} ESCAPE '\\'")
            where.append("(" + " OR ".join(likes) + ")")
        if scope is not None:
            where.append(f"({_ACCOUNT}) IN (SELECT {_ACCOUNT} FROM message_log WHERE {_in(p, scope)})")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._db.fetchall(
            "SELECT platform, user_id, COUNT(*) AS n,"
            " COUNT(*) FILTER (WHERE direction = 'in' AND answered = FALSE) AS unanswered,"
            " MIN(created_at) AS first_at, MAX(created_at) AS last_at, MAX(id) AS last_id,"
            " array_agg(DISTINCT service_id) FILTER (WHERE service_id IS NOT NULL) AS services"
            f" FROM message_log {clause} GROUP BY platform, user_id ORDER BY last_id DESC"
            f" LIMIT {p(limit)} OFFSET {p(offset)}",
            p.values,
        )
        return [
            ConversationSummary(
                platform=row["platform"], user_id=row["user_id"], messages=row["n"], unanswered=row["unanswered"],
                first_at=row["first_at"], last_at=row["last_at"], last_id=row["last_id"],
                service_ids=tuple(sorted(filter(None, row["services"] or ()))),
            )
            for row in rows
            if row["user_id"] is not None
        ]

    async def account_of(self, entry_id: int) -> tuple[str | None, int] | None:
        """The chat account (platform, user id) of a log row, None if there is no such row."""
        row = await self._db.fetchone("SELECT platform, user_id FROM message_log WHERE id = $1", (entry_id,))
        if row is None or row["user_id"] is None:
            return None
        return row["platform"], row["user_id"]

    async def asked_about(self, platform: str | None, user_id: int, service_ids: Collection[str]) -> bool:
        """Whether this account ever asked about one of `service_ids`."""
        row = await self._db.fetchone(
            "SELECT 1 FROM message_log WHERE platform IS NOT DISTINCT FROM $1 AND user_id = $2"
            " AND service_id = ANY($3::text[]) LIMIT 1",
            (platform, user_id, sorted(service_ids)),
        )
        return row is not None

    async def accounts_asking_about(self, service_ids: Collection[str]) -> set[tuple[str | None, int]]:
        """The chat accounts that ever asked about one of `service_ids`."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT platform, user_id FROM message_log WHERE service_id = ANY($1::text[])"
            " AND user_id IS NOT NULL",
            (sorted(service_ids),),
        )
        return {(row["platform"], row["user_id"]) for row in rows}

    async def activity(
        self, since: _dt.datetime, until: _dt.datetime, *, service_ids: Collection[str] | None = None,
        utc_offset: _dt.timedelta = TEHRAN_OFFSET,
    ) -> list[DayStats]:
        """Traffic per local day of the range, oldest first, days without traffic as 0; with `service_ids`,
        only incoming messages about those services."""
        p = Params()
        day = _LOCAL_DAY.format(offset=p(utc_offset))
        where: list[str] = []
        _range(p, where, since, until)
        if service_ids is not None:
            where.append(f"direction = 'in' AND {_in(p, service_ids)}")
        rows = await self._db.fetchall(
            f"SELECT {day} AS day, {_DAY_COUNTS} FROM message_log WHERE {' AND '.join(where)} GROUP BY day", p.values
        )
        by_day = {row["day"]: row for row in rows}
        first = (since.astimezone(_dt.UTC) + utc_offset).date()
        last = (until.astimezone(_dt.UTC) - _dt.timedelta(milliseconds=1) + utc_offset).date()
        local_days = [first + _dt.timedelta(days=i) for i in range((last - first).days + 1)]
        return [_day_stats(local_day, by_day.get(local_day)) for local_day in local_days]

    async def intent_counts(
        self, since: _dt.datetime, until: _dt.datetime, *, service_ids: Collection[str] | None = None
    ) -> list[tuple[str, int]]:
        """Incoming questions per question type (intent) in the range, most frequent first."""
        p = Params()
        where = ["direction = 'in'", "intent IS NOT NULL"]
        _range(p, where, since, until)
        if service_ids is not None:
            where.append(_in(p, service_ids))
        rows = await self._db.fetchall(
            f"SELECT intent, COUNT(*) AS n FROM message_log WHERE {' AND '.join(where)}"
            ' GROUP BY intent ORDER BY n DESC, intent COLLATE "C"',
            p.values,
        )
        return [(row["intent"], row["n"]) for row in rows]

    async def service_counts(
        self, since: _dt.datetime, until: _dt.datetime, *, service_ids: Collection[str] | None = None,
        limit: int = 10,
    ) -> list[tuple[str, int]]:
        """Incoming messages per service in the range, most frequent first: (service id, messages)."""
        p = Params()
        where = ["direction = 'in'", "service_id IS NOT NULL"]
        _range(p, where, since, until)
        if service_ids is not None:
            where.append(_in(p, service_ids))
        rows = await self._db.fetchall(
            f"SELECT service_id, COUNT(*) AS n FROM message_log WHERE {' AND '.join(where)}"
            f' GROUP BY service_id ORDER BY n DESC, service_id COLLATE "C" LIMIT {p(limit)}',
            p.values,
        )
        return [(row["service_id"], row["n"]) for row in rows]

    async def unanswered_messages(self, question: str, limit: int = 50) -> list[LogEntry]:
        """The unanswered messages of one group of `unanswered` (its key), newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM message_log WHERE direction = 'in' AND answered = FALSE"
            " AND COALESCE(normalized, text, '') = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            (question, limit),
        )
        return [_entry(row) for row in rows]
