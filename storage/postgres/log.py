"""The message log on PostgreSQL: masking, buffering and the questions admins review as on SQLite (see
storage/sqlite/log.py); days of the statistics are local days, as there. The contract is
storage.api.LogRepo."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from storage.masking import mask_personal_data
from storage.postgres import retention
from storage.records import TEHRAN_OFFSET, DayStats, Direction, LogEntry, UnansweredQuestion
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
        see storage/sqlite/retention.py)."""
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
            "SELECT ((created_at AT TIME ZONE 'UTC') + $2::interval)::date AS day,"
            " COUNT(*) FILTER (WHERE direction = 'in') AS incoming,"
            " COUNT(*) FILTER (WHERE direction = 'out') AS outgoing,"
            " COUNT(*) FILTER (WHERE direction = 'in' AND answered = TRUE) AS answered,"
            " COUNT(*) FILTER (WHERE direction = 'in' AND answered = FALSE) AS unanswered,"
            " COUNT(DISTINCT CASE WHEN direction = 'in' THEN COALESCE(platform, '') || ':' || user_id END) AS users,"
            " AVG(handling_ms) AS avg_ms"
            " FROM message_log WHERE created_at >= $1 GROUP BY day",
            (start_utc, utc_offset),
        )
        by_day = {row["day"]: row for row in rows}
        result = []
        for i in range(days):
            day = first_day + _dt.timedelta(days=i)
            row = by_day.get(day)
            if row is None:
                result.append(DayStats(day, 0, 0, 0, 0, 0, None))
            else:
                result.append(DayStats(day, row["incoming"], row["outgoing"], row["answered"], row["unanswered"],
                                       row["users"], row["avg_ms"]))
        return result
