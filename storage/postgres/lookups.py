"""On PostgreSQL: slowing down a chat user who keeps trying tracking codes that are not theirs.

Look-ups are owner-only, so guessing reveals nothing; the limiter is there so that a script hammering the
bot with codes costs it time, and so a citizen who keeps mistyping gets a pause and a hint rather than an
endless "not found". After `max_failures` failures the next try waits `base_delay`, and each further
failure doubles the wait, up to `max_delay`, counted from the last failure. Only a quiet `window` after the
last failure forgets them: a successful look-up does not (an account that owns one request would otherwise
look it up between guesses and never be slowed down).

Times: the last failure is stored as wall-clock time (so a restart keeps the count), but within the process
the time since it is measured on a monotonic clock, so a wall clock set back or ahead neither lengthens a
wait nor ends it; after a restart the wall clock is all there is, and a wait computed from it is clamped to
the longest it may be. Tests move the database clock, which drives both. The contract is
storage.api.LookupsRepo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore

_REMEMBERED = 10_000  # users whose last failure this process measures on the monotonic clock


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
        self.max_failures = max_failures
        self.window = window
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._monotonic = monotonic or db.monotonic
        # (platform, user) → (the stored wall time of their last failure, the monotonic time it was recorded)
        self._recent: dict[tuple[str, int], tuple[float, float]] = {}

    def _now(self) -> float:
        return self._db.now().timestamp()

    def delay_after(self, failures: int) -> float:
        """How long the next try must wait after `failures` failures in a row (0 while under the limit)."""
        if failures < self.max_failures:
            return 0.0
        return min(self.base_delay * 2 ** (failures - self.max_failures), self.max_delay)

    def _since(self, key: tuple[str, int], last_failure: float) -> float:
        """Seconds since the last failure: by the monotonic clock if this process recorded it, else by the
        wall clock, never negative (a clock set back must not make a wait longer than its delay)."""
        seen = self._recent.get(key)
        if seen is not None and seen[0] == last_failure:
            return max(0.0, self._monotonic() - seen[1])
        return max(0.0, self._now() - last_failure)

    async def check(self, platform: str, user_id: int) -> float:
        """Seconds this user must wait before the next look-up; 0.0 means go ahead."""
        row = await self._db.fetchone(
            "SELECT count, last_failure FROM lookup_failures WHERE platform = $1 AND user_id = $2",
            (platform, user_id),
        )
        if row is None:
            return 0.0
        since = self._since((platform, user_id), row["last_failure"])
        if since >= self.window:
            return 0.0
        delay = self.delay_after(row["count"])
        return min(max(0.0, delay - since), delay)

    async def record_failure(self, platform: str, user_id: int) -> float:
        """Counts a failed look-up; returns the wait it imposes on the next one (for the reply to say so)."""
        key = (platform, user_id)
        async with self._db.write() as conn:
            # FOR UPDATE: another instance counting a failure of the same user waits for this one.
            rows = await conn.fetch(
                "SELECT count, last_failure FROM lookup_failures WHERE platform = $1 AND user_id = $2 FOR UPDATE", *key
            )
            count = 1
            if rows and self._since(key, rows[0]["last_failure"]) < self.window:
                count = rows[0]["count"] + 1
            now = self._now()
            await conn.execute(
                "INSERT INTO lookup_failures (platform, user_id, count, window_start, last_failure)"
                " VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (platform, user_id) DO UPDATE SET count = excluded.count,"
                "   window_start = CASE WHEN excluded.count = 1 THEN excluded.window_start ELSE lookup_failures.window_start END,"
                "   last_failure = excluded.last_failure",
                platform, user_id, count, now, now,
            )
        self._remember(key, now)
        return self.delay_after(count)

    def _remember(self, key: tuple[str, int], wall: float) -> None:
        mono = self._monotonic()
        self._recent.pop(key, None)
        self._recent[key] = (wall, mono)
        if len(self._recent) > _REMEMBERED:  # the oldest half: their windows are long over, or the wall clock serves
            for old in list(self._recent)[: _REMEMBERED // 2]:
                del self._recent[old]

    async def prune(self, older_than_days: float = 1.0) -> int:
        """Drops the failures of users quiet for that long (long past any window); returns how many."""
        cutoff = self._now() - older_than_days * 86400
        async with self._db.write() as conn:
            status = await conn.execute("DELETE FROM lookup_failures WHERE last_failure < $1", cutoff)
        for key, (wall, _) in list(self._recent.items()):
            if wall < cutoff:
                del self._recent[key]
        return int(status.split()[-1])

