"""Fixtures shared by the test modules. Keep this small: module-specific helpers live in their module."""

from __future__ import annotations

import datetime as dt

import pytest

from storage import Database


class FakeClock:
    """A clock that stands still until a test moves it, so time-dependent code is tested without sleeping."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2025, 3, 20, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def db(tmp_path, clock):
    """A freshly migrated database in its own temporary file, closed after the test."""
    database = await Database.open(tmp_path / "bot.db", clock=clock)
    try:
        yield database
    finally:
        await database.close()
