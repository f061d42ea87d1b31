"""What each chat user is doing, on PostgreSQL. Unlike SQLite there is no cache: another instance may
have handled this user's last message. The contract is storage.api.ChatsRepo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from storage.postgres import retention
from storage.postgres._common import dumps, loads
from storage.records import ChatState

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore


class PostgresChats:
    """Per-user chat state. Get it as ``db.chats``."""

    def __init__(self, db: PostgresStore) -> None:
        self._db = db

    async def get(self, platform: str, user_id: int) -> ChatState:
        """The user's state; empty (no service, no data) if nothing was stored yet."""
        row = await self._db.fetchone(
            "SELECT current_service, data, updated_at FROM chat_state WHERE platform = $1 AND user_id = $2",
            (platform, user_id),
        )
        if row is None:
            return ChatState(platform, user_id)
        return ChatState(platform, user_id, row["current_service"], loads(row["data"], {}), row["updated_at"])

    async def set_current_service(self, platform: str, user_id: int, service_id: str | None) -> None:
        """Remembers the service the user is looking at (None: back to the main menu); data is kept."""
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO chat_state (platform, user_id, current_service, updated_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (platform, user_id) DO UPDATE SET"
                " current_service = excluded.current_service, updated_at = excluded.updated_at",
                platform, user_id, service_id, self._db.now(),
            )

    async def set_data(self, platform: str, user_id: int, data: dict[str, Any]) -> None:
        """Replaces the user's extra data as a whole (read it with get, change it, write it back)."""
        payload = dumps(data)
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO chat_state (platform, user_id, data, updated_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (platform, user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                platform, user_id, payload, self._db.now(),
            )

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        """Forgets the state of users quiet for that long; returns how many (RetentionRefused: see
        storage/retention.py)."""
        async with self._db.write() as conn:
            cutoff = await retention.cutoff(self._db, conn, older_than_days, force=force)
            await retention.check_share(conn, "chat_state", "updated_at < $1", (cutoff,), force=force)
            status = await conn.execute("DELETE FROM chat_state WHERE updated_at < $1", cutoff)
        return int(status.split()[-1])
