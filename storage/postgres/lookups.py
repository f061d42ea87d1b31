"""Failed tracking-code look-ups per chat user, on PostgreSQL: the counts are stored here; when a user must
wait is storage/limiter.py's. The contract is storage.api.LookupsRepo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from storage.limiter import GuessLimiter

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore

class PostgresLookups:
    """Failed tracking-code look-ups per (platform, user). Get it as ``db.lookups``."""

    def __init__(
        self,
        db: PostgresStore,
        *,
        max_failures: int = 5,
        window: float = 600.0,
        base_delay: float = 30.0,
        max_delay: float = 300.0,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self._db = db
        self.limits = GuessLimiter(lambda: db.now().timestamp(), monotonic or db.monotonic, max_failures=max_failures,
                                   window=window, base_delay=base_delay, max_delay=max_delay)

    def delay_after(self, failures: int) -> float:
        """How long the next try must wait after `failures` failures in a row (0 while under the limit)."""
        return self.limits.delay_after(failures)

    async def check(self, platform: str, user_id: int) -> float:
        """Seconds this user must wait before the next look-up; 0.0 means go ahead."""
        row = await self._db.fetchone(
            "SELECT count, last_failure FROM lookup_failures WHERE platform = $1 AND user_id = $2",
            (platform, user_id),
        )
        if row is None:
            return 0.0
        return self.limits.wait((platform, user_id), row["count"], row["last_failure"])

    async def record_failure(self, platform: str, user_id: int) -> float:
        """Counts a failed look-up; returns the wait it imposes on the next one (for the reply to say so)."""
        key = (platform, user_id)
        async with self._db.write() as conn:
            # FOR UPDATE: another instance counting a failure of the same user waits for this one.
            rows = await conn.fetch(
                "SELECT count, last_failure FROM lookup_failures WHERE platform = $1 AND user_id = $2 FOR UPDATE", *key
            )
            count = self.limits.next_count(key, (rows[0]["count"], rows[0]["last_failure"]) if rows else None)
            now = self.limits.now()
            await conn.execute(
                "INSERT INTO lookup_failures (platform, user_id, count, window_start, last_failure)"
                " VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (platform, user_id) DO UPDATE SET count = excluded.count,"
                "   window_start = CASE WHEN excluded.count = 1 THEN excluded.window_start ELSE lookup_failures.window_start END,"
                "   last_failure = excluded.last_failure",
                platform, user_id, count, now, now,
            )
        self.limits.remember(key, now)
        return self.delay_after(count)

    async def prune(self, older_than_days: float = 1.0) -> int:
        """Drops the failures of users quiet for that long (long past any window); returns how many."""
        cutoff = self.limits.now() - older_than_days * 86400
        async with self._db.write() as conn:
            status = await conn.execute("DELETE FROM lookup_failures WHERE last_failure < $1", cutoff)
        self.limits.forget_before(cutoff)
        return int(status.split()[-1])

