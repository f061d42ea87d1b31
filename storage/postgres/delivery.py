"""The inbox of received updates and the outbox of replies waiting to be sent, on PostgreSQL.

The contracts are storage.api.InboxRepo and storage.api.OutboxRepo.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from storage.records import InboxUpdate, OutgoingReply

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore


class PostgresInbox:
    """Updates stored before they are acknowledged. Get it as ``db.inbox``."""

    def __init__(self, db: PostgresStore) -> None:
        self._db = db

    async def add(self, platform: str, updates: list[tuple[int, str]]) -> list[int]:
        if not updates:
            return []
        now = self._db.now()
        new: list[int] = []
        async with self._db.write() as conn:
            for update_id, payload in updates:
                inserted = await conn.fetchval(
                    "INSERT INTO inbox (platform, update_id, payload, received_at) VALUES ($1, $2, $3, $4)"
                    " ON CONFLICT (platform, update_id) DO NOTHING RETURNING update_id",
                    platform, update_id, payload, now,
                )
                if inserted is not None:
                    new.append(update_id)
        return new

    async def pending(self, platform: str) -> list[InboxUpdate]:
        rows = await self._db.fetchall(
            "SELECT update_id, payload FROM inbox WHERE platform = $1 AND done_at IS NULL ORDER BY update_id",
            (platform,),
        )
        return [InboxUpdate(r["update_id"], r["payload"]) for r in rows]

    async def mark_done(self, platform: str, update_ids: list[int]) -> None:
        if not update_ids:
            return
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE inbox SET done_at = $1 WHERE platform = $2 AND update_id = ANY($3::bigint[])",
                self._db.now(), platform, list(update_ids),
            )

    async def last_update_id(self, platform: str) -> int | None:
        return await self._db.fetchval("SELECT MAX(update_id) FROM inbox WHERE platform = $1", (platform,))

    async def prune(self, days: int) -> int:
        cutoff = self._db.now() - _dt.timedelta(days=days)
        async with self._db.write() as conn:
            # The newest row of each platform stays: the sandbox's simulated platform numbers new updates after it.
            status = await conn.execute(
                "DELETE FROM inbox WHERE done_at IS NOT NULL AND done_at < $1"
                " AND update_id < (SELECT MAX(update_id) FROM inbox AS newest WHERE newest.platform = inbox.platform)",
                cutoff,
            )
        return int(status.split()[-1])


class PostgresOutbox:
    """Replies waiting for the platform to take them. Get it as ``db.outbox``."""

    def __init__(self, db: PostgresStore) -> None:
        self._db = db

    def _at(self, delay: float) -> _dt.datetime:
        return self._db.now() + _dt.timedelta(seconds=max(0.0, delay))

    async def enqueue(self, platform: str, chat_id: int, payload: str, delay: float) -> int:
        async with self._db.write() as conn:
            return await conn.fetchval(
                "INSERT INTO outbox (platform, chat_id, payload, created_at, not_before) VALUES ($1, $2, $3, $4, $5)"
                " RETURNING id",
                platform, chat_id, payload, self._db.now(), self._at(delay),
            )

    async def due(self, platform: str, limit: int = 100) -> list[OutgoingReply]:
        rows = await self._db.fetchall(
            "SELECT o.id, o.chat_id, o.payload, o.attempts FROM outbox AS o"
            " WHERE o.platform = $1 AND o.not_before <= $2"
            " AND o.id = (SELECT MIN(id) FROM outbox AS first WHERE first.platform = o.platform"
            "             AND first.chat_id = o.chat_id)"
            " ORDER BY o.id LIMIT $3",
            (platform, self._db.now(), limit),
        )
        return [OutgoingReply(r["id"], r["chat_id"], r["payload"], r["attempts"]) for r in rows]

    async def sent(self, reply_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM outbox WHERE id = $1", reply_id)

    async def retry(self, reply_id: int, delay: float) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, not_before = $1 WHERE id = $2", self._at(delay), reply_id
            )

    async def waiting_chats(self, platform: str) -> set[int]:
        rows = await self._db.fetchall("SELECT DISTINCT chat_id FROM outbox WHERE platform = $1", (platform,))
        return {r["chat_id"] for r in rows}
