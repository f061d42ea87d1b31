"""Forms in progress, so a citizen who leaves in the middle of a registration finds it where they left it.

One draft per chat user: starting another service's form replaces it. The form logic decides what `step`
and `editing` mean; this module only keeps them. The contract is storage.api.DraftsRepo.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from storage.records import Draft
from storage.sqlite import retention
from storage.sqlite._common import dumps, from_iso, loads, to_iso

if TYPE_CHECKING:
    from storage.sqlite.db import SqliteStore


class SqliteDrafts:
    """The draft form of each chat user. Get it as ``db.drafts``."""

    def __init__(self, db: SqliteStore, cache_size: int = 20_000) -> None:
        self._db = db
        # Only the bot process writes drafts: a write-through cache (None = known to have no draft) saves
        # a read on every message.
        self._cache: OrderedDict[tuple[str, int], Draft | None] = OrderedDict()
        self._cache_size = cache_size

    def _remember(self, key: tuple[str, int], draft: Draft | None) -> Draft | None:
        self._cache[key] = draft
        self._cache.move_to_end(key)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return draft

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
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (platform, user_id) DO UPDATE SET service_id = excluded.service_id,"
                " step = excluded.step, answers = excluded.answers, editing = excluded.editing,"
                " updated_at = excluded.updated_at",
                (platform, user_id, service_id, step, payload, editing, to_iso(now)),
            )
        return self._remember((platform, user_id), Draft(platform, user_id, service_id, step, loads(payload, {}), editing, now))

    async def get(self, platform: str, user_id: int) -> Draft | None:
        """The user's draft, or None if they have no form in progress."""
        key = (platform, user_id)
        if key in self._cache:
            return self._cache[key]
        return self._remember(key, await self._read(platform, user_id))

    async def _read(self, platform: str, user_id: int) -> Draft | None:
        row = await self._db.fetchone(
            "SELECT * FROM drafts WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
        if row is None:
            return None
        return Draft(
            platform=row["platform"],
            user_id=row["user_id"],
            service_id=row["service_id"],
            step=row["step"],
            answers=loads(row["answers"], {}),
            editing=row["editing"],
            updated_at=from_iso(row["updated_at"]),  # type: ignore[arg-type]
        )

    async def delete(self, platform: str, user_id: int) -> bool:
        """Drops the user's draft (sent or cancelled); False if there was none."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "DELETE FROM drafts WHERE platform = ? AND user_id = ?", (platform, user_id)
            )
        self._remember((platform, user_id), None)
        return cursor.rowcount > 0

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        """Drops drafts untouched for that long, since they hold personal answers; returns how many.
        Raises RetentionRefused when the clock looks wrong (storage/retention.py), unless `force`."""
        async with self._db.write() as conn:
            cutoff = await retention.cutoff(self._db, conn, older_than_days, force=force)
            await retention.check_share(conn, "drafts", "updated_at < ?", (cutoff,), force=force)
            cursor = await conn.execute("DELETE FROM drafts WHERE updated_at < ?", (cutoff,))
        self._cache.clear()
        return cursor.rowcount
