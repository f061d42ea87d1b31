"""Slowing down a chat user who keeps trying tracking codes that are not theirs: the policy, whatever the
database (storage/sqlite/lookups.py and storage/postgres/lookups.py only read and write the counts).

Look-ups are owner-only, so guessing reveals nothing; the limiter is there so that a script hammering the
bot with codes costs it time, and so a citizen who keeps mistyping gets a pause and a hint rather than an
endless "not found". After `max_failures` failures the next try waits `base_delay`, and each further
failure doubles the wait, up to `max_delay`, counted from the last failure. Only a quiet `window` after the
last failure forgets them: a successful look-up does not (an account that owns one request would otherwise
look it up between guesses and never be slowed down).

Times: the last failure is stored as wall-clock time (so a restart keeps the count), but within the process
the time since it is measured on a monotonic clock, so a wall clock set back or ahead neither lengthens a
wait nor ends it; after a restart the wall clock is all there is, and a wait computed from it is clamped to
the longest it may be.
"""

from __future__ import annotations

from collections.abc import Callable

_REMEMBERED = 10_000  # users whose last failure this process measures on the monotonic clock

Key = tuple[str, int]


class GuessLimiter:
    """The waits, and this process's monotonic memory of the failures it recorded."""

    def __init__(self, wall: Callable[[], float], monotonic: Callable[[], float], *, max_failures: int = 5,
                 window: float = 600.0, base_delay: float = 30.0, max_delay: float = 300.0) -> None:
        self._wall, self._monotonic = wall, monotonic
        self.max_failures, self.window, self.base_delay, self.max_delay = max_failures, window, base_delay, max_delay
        # (platform, user) → (the stored wall time of their last failure, the monotonic time it was recorded)
        self._recent: dict[Key, tuple[float, float]] = {}

    def now(self) -> float:
        return self._wall()

    def delay_after(self, failures: int) -> float:
        """How long the next try must wait after `failures` failures in a row (0 while under the limit)."""
        if failures < self.max_failures:
            return 0.0
        return min(self.base_delay * 2 ** (failures - self.max_failures), self.max_delay)

    def since(self, key: Key, last_failure: float) -> float:
        """Seconds since the last failure: by the monotonic clock if this process recorded it, else by the
        wall clock, never negative (a clock set back must not make a wait longer than its delay)."""
        seen = self._recent.get(key)
        if seen is not None and seen[0] == last_failure:
            return max(0.0, self._monotonic() - seen[1])
        return max(0.0, self._wall() - last_failure)

    def wait(self, key: Key, count: int, last_failure: float) -> float:
        """Seconds to wait before the next look-up, given the stored count and last failure."""
        since = self.since(key, last_failure)
        if since >= self.window:
            return 0.0
        delay = self.delay_after(count)
        return min(max(0.0, delay - since), delay)

    def next_count(self, key: Key, stored: tuple[int, float] | None) -> int:
        """The failure count after one more failure (a quiet window starts it again)."""
        if stored is not None and self.since(key, stored[1]) < self.window:
            return stored[0] + 1
        return 1

    def remember(self, key: Key, wall: float) -> None:
        """Notes a failure this process stored at wall time `wall`."""
        self._recent.pop(key, None)
        self._recent[key] = (wall, self._monotonic())
        if len(self._recent) > _REMEMBERED:  # the oldest half: their windows are long over, or the wall clock serves
            for old in list(self._recent)[: _REMEMBERED // 2]:
                del self._recent[old]

    def forget_before(self, cutoff: float) -> None:
        """Forgets failures older than `cutoff` (after the database dropped them)."""
        for key, (wall, _) in list(self._recent.items()):
            if wall < cutoff:
                del self._recent[key]
