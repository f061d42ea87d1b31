"""What each chat user is doing, kept across restarts: the service they are looking at and small extras.

A user with no stored state gets an empty ChatState rather than None, so callers need no special case.
The contract is storage.api.ChatsRepo.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from storage.records import ChatState
from storage.sqlite import retention
from storage.sqlite._common import dumps, from_iso, loads, to_iso

if TYPE_CHECKING:
    from storage.sqlite.db import SqliteStore


class SqliteChats:
    """Per-user chat state. Get it as ``db.chats``."""

    def __init__(self, db: SqliteStore, cache_size: int = 20_000) -> None:
        self._db = db
        # Only the bot process writes chat state, so a write-through cache of recent users saves a read
        # on every message.
        self._cache: OrderedDict[tuple[str, int], ChatState] = OrderedDict()
        self._cache_size = cache_size

    def _remember(self, state: ChatState) -> ChatState:
        key = (state.platform, state.user_id)
        self._cache[key] = state
        self._cache.move_to_end(key)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return state

    async def get(self, platform: str, user_id: int) -> ChatState:
        """The user's state; empty (no service, no data) if nothing was stored yet."""
        cached = self._cache.get((platform, user_id))
        if cached is not None:
            return cached
        return self._remember(await self._read(platform, user_id))

    async def _read(self, platform: str, user_id: int) -> ChatState:
        row = await self._db.fetchone(
            "SELECT * FROM chat_state WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
        if row is None:
            return ChatState(platform, user_id)
        return ChatState(
            platform=platform,
            user_id=user_id,
            current_service=row["current_service"],
            data=loads(row["data"], {}),
            updated_at=from_iso(row["updated_at"]),
        )

    async def set_current_service(self, platform: str, user_id: int, service_id: str | None) -> None:
        """Remembers the service the user is looking at (None: back to the main menu); data is kept."""
        cached = self._cache.get((platform, user_id))
        if cached is not None and cached.current_service == service_id:
            return
        if cached is not None:  # the process's own view is right at once, even if the write fails below
            self._remember(ChatState(platform, user_id, service_id, cached.data, self._db.now()))
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    "INSERT INTO chat_state (platform, user_id, current_service, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (platform, user_id) DO UPDATE SET"
                    " current_service = excluded.current_service, updated_at = excluded.updated_at",
                    (platform, user_id, service_id, to_iso(self._db.now())),
                )
        except BaseException:
            if cached is None:
                self._cache.pop((platform, user_id), None)
            raise

    async def set_data(self, platform: str, user_id: int, data: dict[str, Any]) -> None:
        """Replaces the user's extra data as a whole (read it with get, change it, write it back)."""
        payload = dumps(data)
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO chat_state (platform, user_id, data, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (platform, user_id) DO UPDATE SET"
                " data = excluded.data, updated_at = excluded.updated_at",
                (platform, user_id, payload, to_iso(self._db.now())),
            )
        self._cache.pop((platform, user_id), None)

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        """Forgets the state of users quiet for that long; returns how many. Raises RetentionRefused when
        the clock looks wrong (storage/retention.py), unless `force`."""
        async with self._db.write() as conn:
            cutoff = await retention.cutoff(self._db, conn, older_than_days, force=force)
            await retention.check_share(conn, "chat_state", "updated_at < ?", (cutoff,), force=force)
            cursor = await conn.execute("DELETE FROM chat_state WHERE updated_at < ?", (cutoff,))
        self._cache.clear()
        return cursor.rowcount
