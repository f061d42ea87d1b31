"""The inbox of received updates and the outbox of replies waiting to be sent, on PostgreSQL.

The contracts are storage.api.SharedInboxRepo and storage.api.OutboxRepo.

Two bot instances may serve one database (a load balancer in front of their webhooks), so an update stored
by one may be handled by the other. Updates are handled by account (the user whose updates must keep their
order): an instance takes an account with a session-level advisory lock on a connection it keeps for that
purpose, hands out that account's pending updates oldest first, and lets the account go once every update
it handed out is finished (handled, and marked done before that). A killed instance's connection closes,
its locks go with it, and the other instance takes its accounts over with their updates not yet marked
done — at once, not after a timeout. Every statement here runs on that one connection, one at a time.

If the kept connection is lost while the instance lives, its locks are gone too: it forgets what it held,
and an update of those in hand may then be handled by both instances (logged). Replies the platform refused
for now (the outbox) are handed out with a lease instead: `due` moves their time on by the lease, so the
other instance skips them until then.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

import asyncpg

from storage.records import InboxUpdate, OutgoingReply

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore

log = logging.getLogger(__name__)

CLAIM_LIMIT = 1000  # pending updates looked at per claim
# The advisory lock of an account: 'inbox:<platform>:<account>' hashed to 64 bits.
_LOCK_KEY = "hashtextextended('inbox:' || $1 || ':' || a, 0)"


class PostgresInbox:
    """Updates stored before they are acknowledged, handled by one instance per account at a time. Get it
    as ``db.inbox``."""

    def __init__(self, db: PostgresStore) -> None:
        self._db = db
        self._conn: asyncpg.Connection | None = None  # kept: the advisory locks of the accounts held
        self._serial = asyncio.Lock()  # one statement at a time on it
        self._held: dict[tuple[str, int], set[int]] = {}  # account -> update ids handed out, not released
        self._given: dict[tuple[str, int], int] = {}  # (platform, update id) -> account

    async def add(self, platform: str, updates: list[tuple[int, str]],
                  accounts: Mapping[int, int | None] | None = None) -> list[int]:
        if not updates:
            return []
        now = self._db.now()
        accounts = accounts or {}
        new: list[int] = []
        async with self._db.write() as conn:
            for update_id, payload in updates:
                inserted = await conn.fetchval(
                    "INSERT INTO inbox (platform, update_id, payload, received_at, account) VALUES ($1, $2, $3, $4, $5)"
                    " ON CONFLICT (platform, update_id) DO NOTHING RETURNING update_id",
                    platform, update_id, payload, now, accounts.get(update_id) or 0,
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

    async def claim(self, platform: str, limit: int = CLAIM_LIMIT) -> list[InboxUpdate]:
        """The pending updates this instance is to handle now, oldest first: the new ones of the accounts it
        holds, and every pending one of the free accounts it could take. Never one handed out before and
        not yet released."""
        async with self._serial:
            conn = await self._session()
            try:
                pending = await conn.fetch(
                    "SELECT update_id, account FROM inbox WHERE platform = $1 AND done_at IS NULL"
                    " ORDER BY update_id LIMIT $2",
                    platform, limit,
                )
                mine = [r["update_id"] for r in pending
                        if (platform, r["account"]) in self._held and (platform, r["update_id"]) not in self._given]
                free = sorted({r["account"] for r in pending if (platform, r["account"]) not in self._held})
                taken: list[int] = []
                if free:
                    taken = [r["a"] for r in await conn.fetch(
                        f"SELECT a FROM unnest($2::bigint[]) AS a WHERE pg_try_advisory_lock({_LOCK_KEY})", platform, free
                    )]
                if not mine and not taken:
                    return []
                # Read again once the locks are held: the instance that held an account before marked its
                # updates done before letting it go, and those must not be handed out again.
                rows = await conn.fetch(
                    "SELECT update_id, payload, account FROM inbox WHERE platform = $1 AND done_at IS NULL"
                    " AND (update_id = ANY($2::bigint[]) OR account = ANY($3::bigint[])) ORDER BY update_id",
                    platform, mine, taken,
                )
            except Exception as exc:
                raise await self._failed(exc) from exc
            for account in taken:
                self._held.setdefault((platform, account), set())
            out: list[InboxUpdate] = []
            for r in rows:
                key = (platform, r["account"])
                if key not in self._held or (platform, r["update_id"]) in self._given:
                    continue
                self._held[key].add(r["update_id"])
                self._given[(platform, r["update_id"])] = r["account"]
                out.append(InboxUpdate(r["update_id"], r["payload"]))
            # An account taken whose updates another instance finished meanwhile: let it go again.
            idle = [a for a in taken if not self._held[(platform, a)]]
            if idle:
                await self._unlock(platform, idle)
            return out

    async def release(self, platform: str, update_ids: list[int]) -> None:
        """These updates are finished here (handled, marked done); an account with none left in hand is
        let go, for whichever instance stores its next update."""
        async with self._serial:
            emptied: list[int] = []
            for update_id in update_ids:
                account = self._given.pop((platform, update_id), None)
                if account is None:
                    continue
                held = self._held.get((platform, account))
                if held is not None:
                    held.discard(update_id)
                    if not held:
                        emptied.append(account)
            if emptied:
                await self._unlock(platform, emptied)

    async def close(self) -> None:
        """Lets go of every account held (on the way out)."""
        async with self._serial:
            conn, self._conn = self._conn, None
            self._held.clear()
            self._given.clear()
            if conn is not None:
                await self._db.end_session(conn)

    async def _unlock(self, platform: str, accounts: list[int]) -> None:
        for account in accounts:
            self._held.pop((platform, account), None)
        if self._conn is None:
            return
        try:
            await self._conn.execute(
                f"SELECT pg_advisory_unlock({_LOCK_KEY}) FROM unnest($2::bigint[]) AS a", platform, accounts
            )
        except Exception as exc:
            raise await self._failed(exc) from exc

    async def _session(self) -> asyncpg.Connection:
        if self._conn is None or not self._db.session_alive(self._conn):
            if self._conn is not None:
                await self._lost()
            self._conn = await self._db.session()
        return self._conn

    async def _failed(self, exc: BaseException) -> BaseException:
        """The neutral error for a failure on the kept connection; a broken connection took the locks with
        it, so what this instance held is forgotten."""
        neutral, broken = self._db.neutral(exc)
        if broken or (self._conn is not None and not self._db.session_alive(self._conn)):
            await self._lost()
        return neutral

    async def _lost(self) -> None:
        conn, self._conn = self._conn, None
        if self._held:
            log.warning("the connection holding %d accounts' locks was lost; another instance may take them over"
                        " while their updates are in hand here", len(self._held))
        self._held.clear()
        self._given.clear()
        if conn is not None:
            await self._db.end_session(conn, broken=True)

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

    async def due(self, platform: str, limit: int = 100, lease: float = 60.0) -> list[OutgoingReply]:
        """The replies whose time has come, handed to this caller for `lease` seconds: their time moves on
        by the lease, so another instance skips them until then (sent or retried before, they leave or get
        their new time)."""
        now = self._db.now()
        async with self._db.write() as conn:
            rows = await conn.fetch(
                "UPDATE outbox SET not_before = $4 WHERE id IN ("
                " SELECT o.id FROM outbox AS o"
                " WHERE o.platform = $1 AND o.not_before <= $2"
                " AND o.id = (SELECT MIN(id) FROM outbox AS first WHERE first.platform = o.platform"
                "             AND first.chat_id = o.chat_id)"
                " ORDER BY o.id LIMIT $3 FOR UPDATE SKIP LOCKED)"
                " RETURNING id, chat_id, payload, attempts",
                platform, now, limit, now + _dt.timedelta(seconds=max(0.0, lease)),
            )
        rows = sorted(rows, key=lambda r: r["id"])
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
