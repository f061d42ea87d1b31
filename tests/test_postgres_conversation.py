"""Registration, tracking and status notices through the real Application on PostgreSQL: the conversation
tests of test_registration.py and test_conversation.py that touch storage, run again with the `chat` and
`quiet_chat` fixtures overridden below to use a fresh PostgreSQL database (the rest of the suite runs them on
SQLite). Their assertions use only the storage protocols, so one text serves both backends."""

from __future__ import annotations

import pytest

from handlers.fakeapi import BotApiPeer
from storage.postgres import PostgresStore
from tests.support.botchat import FLOOD_BURST_FOR_TESTS, assert_conversation_was_clean, running_bot
from tests.test_conversation import (  # noqa: F401 (collected again, here on PostgreSQL)
    test_a_citizen_tracks_their_own_request_and_nobody_else_can,
    test_someone_guessing_tracking_codes_is_slowed_down,
)
from tests.test_registration import (  # noqa: F401
    test_a_citizen_registers_and_gets_a_tracking_code,
    test_a_confirmation_that_could_not_be_sent_is_delivered_later_with_its_code,
    test_a_notice_that_fails_is_retried_and_one_for_a_citizen_who_blocked_the_bot_is_dropped,
    test_each_status_change_reaches_the_citizen_once_and_tracking_shows_the_history,
    test_only_the_owner_can_track_a_request_however_the_code_is_typed,
    test_repeated_failed_lookups_slow_down_only_that_citizen,
)


async def _chat_on_postgres(platform: str, tmp_path, clock, postgres_url, **options):
    peer = BotApiPeer(platform)
    async with await PostgresStore.open(postgres_url, clock=clock) as db:
        async with running_bot(peer, tmp_path / "unused.db", db=db, clock=clock, flood_burst=FLOOD_BURST_FOR_TESTS,
                               **options) as citizen:
            yield citizen
    assert_conversation_was_clean(citizen)


@pytest.fixture(params=["telegram", "bale"])
async def chat(request: pytest.FixtureRequest, tmp_path, clock, postgres_url):
    """The conftest `chat`, on a PostgreSQL database."""
    async for citizen in _chat_on_postgres(request.param, tmp_path, clock, postgres_url):
        yield citizen


@pytest.fixture(params=["telegram", "bale"])
async def quiet_chat(request: pytest.FixtureRequest, tmp_path, clock, postgres_url):
    """test_registration's `quiet_chat` (no status-notice loop), on a PostgreSQL database."""
    async for citizen in _chat_on_postgres(request.param, tmp_path, clock, postgres_url, notices=False):
        yield citizen
