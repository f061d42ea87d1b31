"""Forms in progress, on PostgreSQL: one draft per chat user, no cache (another instance may have saved
it). The contract is storage.api.DraftsRepo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from storage.postgres import retention
from storage.postgres._common import dumps, loads
from storage.records import Draft

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore


class PostgresDrafts:
    """The draft form of each chat user. Get it as ``db.drafts``."""

    def __init__(self, db: PostgresStore) -> None:
        self._db = db

    async def save(
        self,
        platform: str,
        user_id: int,
        service_id: str,
        step: int,
        answers: dict[str, Any],
        editing: str | None = None,
    ) -> Draft:
        """Stores the whole draft (replacing any earlier one of this user) and returns it as stored."""
        payload = dumps(answers)
        now = self._db.now()
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO drafts (platform, user_id, service_id, step, answers, editing, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " ON CONFLICT (platform, user_id) DO UPDATE SET service_id = excluded.service_id,"
                " step = excluded.step, answers = excluded.answers, editing = excluded.editing,"
                " updated_at = excluded.updated_at",
                platform, user_id, service_id, step, payload, editing, now,
            )
        return Draft(platform, user_id, service_id, step, loads(payload, {}), editing, now)

    async def get(self, platform: str, user_id: int) -> Draft | None:
        """The user's draft, or None if they have no form in progress."""
        row = await self._db.fetchone("SELECT * FROM drafts WHERE platform = $1 AND user_id = $2", (platform, user_id))
        if row is None:
            return None
        return Draft(
            platform=row["platform"],
            user_id=row["user_id"],
            service_id=row["service_id"],
            step=row["step"],
            answers=loads(row["answers"], {}),
            editing=row["editing"],
            updated_at=row["updated_at"],
        )

    async def delete(self, platform: str, user_id: int) -> bool:
        """Drops the user's draft (sent or cancelled); False if there was none."""
        async with self._db.write() as conn:
            status = await conn.execute("DELETE FROM drafts WHERE platform = $1 AND user_id = $2", platform, user_id)
        return status != "DELETE 0"

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        """Drops drafts untouched for that long; returns how many (RetentionRefused: see
        storage/retention.py)."""
        async with self._db.write() as conn:
            cutoff = await retention.cutoff(self._db, conn, older_than_days, force=force)
            await retention.check_share(conn, "drafts", "updated_at < $1", (cutoff,), force=force)
            status = await conn.execute("DELETE FROM drafts WHERE updated_at < $1", cutoff)
        return int(status.split()[-1])
