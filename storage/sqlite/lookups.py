"""Slowing down a chat user who keeps trying tracking codes that are not theirs.

Look-ups are owner-only, so guessing reveals nothing; the limiter is there so that a script hammering the
bot with codes costs it time, and so a citizen who keeps mistyping gets a pause and a hint rather than an
endless "not found". After `max_failures` failures in a row the next try waits `base_delay`, and each
further failure doubles the wait, up to `max_delay`, counted from the last failure. A quiet `window` after
the last failure forgets them all, and so does a successful look-up (`reset`).

Times come from the database clock, so tests move time forward instead of sleeping. The contract is
storage.api.LookupsRepo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.sqlite.db import SqliteStore


class SqliteLookups:
    """Failed tracking-code look-ups per (platform, user). Get it as ``db.lookups``."""

    def __init__(
        self,
        db: SqliteStore,
        *,
        max_failures: int = 5,
        window: float = 600.0,
        base_delay: float = 30.0,
        max_delay: float = 300.0,
    ) -> None:
        self._db = db
        self.max_failures = max_failures
        self.window = window
        self.base_delay = base_delay
        self.max_delay = max_delay

    def _now(self) -> float:
        return self._db.now().timestamp()

    def delay_after(self, failures: int) -> float:
        """How long the next try must wait after `failures` failures in a row (0 while under the limit)."""
        if failures < self.max_failures:
            return 0.0
        return min(self.base_delay * 2 ** (failures - self.max_failures), self.max_delay)

    async def check(self, platform: str, user_id: int) -> float:
        """Seconds this user must wait before the next look-up; 0.0 means go ahead."""
        row = await self._db.fetchone(
            "SELECT count, last_failure FROM lookup_failures WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        if row is None:
            return 0.0
        now = self._now()
        if now - row["last_failure"] >= self.window:
            return 0.0
        return max(0.0, row["last_failure"] + self.delay_after(row["count"]) - now)

    async def record_failure(self, platform: str, user_id: int) -> float:
        """Counts a failed look-up; returns the wait it imposes on the next one (for the reply to say so)."""
        now = self._now()
        async with self._db.write() as conn:
            rows = await conn.execute_fetchall(
                "INSERT INTO lookup_failures (platform, user_id, count, window_start, last_failure)"
                " VALUES (?, ?, 1, ?, ?)"
                " ON CONFLICT (platform, user_id) DO UPDATE SET"
                "   count = CASE WHEN ? - last_failure >= ? THEN 1 ELSE count + 1 END,"
                "   window_start = CASE WHEN ? - last_failure >= ? THEN excluded.window_start"
                "                  ELSE window_start END,"
                "   last_failure = excluded.last_failure"
                " RETURNING count",
                (platform, user_id, now, now, now, self.window, now, self.window),
            )
            count = next(iter(rows))[0]
        return self.delay_after(count)

    async def reset(self, platform: str, user_id: int) -> None:
        """Forgets the failures, after a successful look-up."""
        async with self._db.write() as conn:
            await conn.execute(
                "DELETE FROM lookup_failures WHERE platform = ? AND user_id = ?", (platform, user_id)
            )
