"""Fixtures shared by the test modules. Keep this small: the shared harness lives in tests/support/, and
module-specific helpers live in their module."""

from __future__ import annotations

import pytest

from handlers.fakeapi import BotApiPeer
from storage.postgres import PostgresStore
from storage.sqlite import SqliteStore
from tests.support import postgres
from tests.support.botchat import FLOOD_BURST_FOR_TESTS, Chat, assert_conversation_was_clean, running_bot
from tests.support.clock import FakeClock

collect_ignore = ["support"]  # the harness, not tests

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def db(tmp_path, clock):
    """A freshly migrated SQLite database in its own temporary file, closed after the test. The SQLite
    store itself, not just a storage.api.Store: storage tests also check its SQL, pragmas and transactions."""
    database = await SqliteStore.open(tmp_path / "bot.db", clock=clock)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a PostgreSQL server started for this test session (tests/support/postgres.py)."""
    bin_dir = postgres.server_binaries()
    if bin_dir is None:
        pytest.skip(postgres.SKIP_REASON)
    with postgres.temporary_server(bin_dir) as url:
        yield url


@pytest.fixture
async def postgres_url(postgres_server):
    """The URL of a new, empty database on the session's server, dropped after the test."""
    async with postgres.fresh_database(postgres_server) as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path, clock):
    """A freshly migrated database of each backend in turn (each test runs on both), closed after the test.
    Tests that take it use only the storage.api protocols, plus fetchone() of parameterless SQL."""
    if request.param == "sqlite":
        database = await SqliteStore.open(tmp_path / "bot.db", clock=clock)
        try:
            yield database
        finally:
            await database.close()
        return
    async with postgres.fresh_database(request.getfixturevalue("postgres_server")) as url:
        database = await PostgresStore.open(url, clock=clock)
        try:
            yield database
        finally:
            await database.close()


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path):
    """A fresh, empty database of each backend in turn (each test runs on both), as the bot is given one
    (BOT_DATABASE): a SQLite file's path, or a PostgreSQL URL. For tests that run the bot or the console and
    open (and reopen, across a restart) the database themselves, on the real clock."""
    if request.param == "sqlite":
        yield tmp_path / "bot.db"
        return
    async with postgres.fresh_database(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture(params=["telegram", "bale"])
async def chat(request: pytest.FixtureRequest, tmp_path, clock) -> Chat:
    """A citizen talking to the real Application of one platform profile (each test runs on both), polling
    the fake peer, with a fresh database on the test's clock. After the test, no handler may have failed
    (unless the test said so) and no button may have been left spinning.

    A test types far faster than a person, so the per-user flood limit is raised out of its way; the limit
    itself is tested with the production settings (test_registration.py)."""
    peer = BotApiPeer(request.param)
    async with running_bot(peer, tmp_path / "bot.db", clock=clock, flood_burst=FLOOD_BURST_FOR_TESTS) as citizen:
        yield citizen
    assert_conversation_was_clean(citizen)
