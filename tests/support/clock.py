"""A clock that stands still until a test moves it, so time-dependent code is tested without sleeping."""

from __future__ import annotations

import datetime as dt


class FakeClock:
    """Returns `now` when called; `advance(days=..., hours=...)` moves it. Starts at 2025-03-20 08:00 UTC
    (30 Esfand 1403, 11:30 in Tehran) unless told otherwise."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2025, 3, 20, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)
