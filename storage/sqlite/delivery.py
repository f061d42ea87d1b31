"""The inbox of received updates and the outbox of replies waiting to be sent, on SQLite.

The contracts are storage.api.InboxRepo and storage.api.OutboxRepo.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

from storage.records import InboxUpdate, OutgoingReply
from storage.sqlite._common import to_iso

if TYPE_CHECKING:
    from storage.sqlite.db import SqliteStore


class SqliteInbox:
    """Updates stored before they are acknowledged. Get it as ``db.inbox``."""

    def __init__(self, db: SqliteStore) -> None:
        self._db = db

    async def add(self, platform: str, updates: list[tuple[int, str]],
                  accounts: Mapping[int, int | None] | None = None) -> list[int]:
        # One process serves a SQLite file: nobody else to hand an account's updates to, so `accounts` is
        # not kept.
        if not updates:
            return []
        now = to_iso(self._db.now())
        new: list[int] = []
        async with self._db.write() as conn:
            for update_id, payload in updates:
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO inbox (platform, update_id, payload, received_at) VALUES (?, ?, ?, ?)",
                    (platform, update_id, payload, now),
                )
                if cursor.rowcount:
                    new.append(update_id)
        return new

    async def pending(self, platform: str) -> list[InboxUpdate]:
        rows = await self._db.fetchall(
            "SELECT update_id, payload FROM inbox WHERE platform = ? AND done_at IS NULL ORDER BY update_id",
            (platform,),
        )
        return [InboxUpdate(r["update_id"], r["payload"]) for r in rows]

    async def mark_done(self, platform: str, update_ids: list[int]) -> None:
        if not update_ids:
            return
        now = to_iso(self._db.now())
        async with self._db.write() as conn:
            await conn.executemany(
                "UPDATE inbox SET done_at = ? WHERE platform = ? AND update_id = ?",
                [(now, platform, u) for u in update_ids],
            )

    async def last_update_id(self, platform: str) -> int | None:
        row = await self._db.fetchone("SELECT MAX(update_id) AS last FROM inbox WHERE platform = ?", (platform,))
        return row["last"] if row is not None else None

    async def prune(self, days: int) -> int:
        cutoff = to_iso(self._db.now() - _dt.timedelta(days=days))
        async with self._db.write() as conn:
            # The newest row of each platform stays: the sandbox's simulated platform numbers new updates after it.
            cursor = await conn.execute(
                "DELETE FROM inbox WHERE done_at IS NOT NULL AND done_at < ?"
                " AND update_id < (SELECT MAX(update_id) FROM inbox AS newest WHERE newest.platform = inbox.platform)",
                (cutoff,),
            )
            return cursor.rowcount


class SqliteOutbox:
    """Replies waiting for the platform to take them. Get it as ``db.outbox``."""

    def __init__(self, db: SqliteStore) -> None:
        self._db = db

    def _at(self, delay: float) -> str:
        return to_iso(self._db.now() + _dt.timedelta(seconds=max(0.0, delay)))

    async def enqueue(self, platform: str, chat_id: int, payload: str, delay: float) -> int:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO outbox (platform, chat_id, payload, created_at, not_before) VALUES (?, ?, ?, ?, ?)",
                (platform, chat_id, payload, to_iso(self._db.now()), self._at(delay)),
            )
            return int(cursor.lastrowid)

    async def due(self, platform: str, limit: int = 100, lease: float = 60.0) -> list[OutgoingReply]:
        # One process, one delivery loop: nothing to hand out, so no lease is taken.
        rows = await self._db.fetchall(
            "SELECT o.id, o.chat_id, o.payload, o.attempts FROM outbox AS o"
            " WHERE o.platform = ? AND o.not_before <= ?"
            " AND o.id = (SELECT MIN(id) FROM outbox AS first WHERE first.platform = o.platform"
            "             AND first.chat_id = o.chat_id)"
            " ORDER BY o.id LIMIT ?",
            (platform, to_iso(self._db.now()), limit),
        )
        return [OutgoingReply(r["id"], r["chat_id"], r["payload"], r["attempts"]) for r in rows]

    async def sent(self, reply_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM outbox WHERE id = ?", (reply_id,))

    async def retry(self, reply_id: int, delay: float) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, not_before = ? WHERE id = ?", (self._at(delay), reply_id)
            )

    async def waiting_chats(self, platform: str) -> set[int]:
        rows = await self._db.fetchall("SELECT DISTINCT chat_id FROM outbox WHERE platform = ?", (platform,))
        return {r["chat_id"] for r in rows}
