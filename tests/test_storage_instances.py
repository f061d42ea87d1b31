"""Two instances sharing one PostgreSQL database, at the storage seam: the inbox hands one account's updates
to one instance at a time and the other takes them over when it dies; notices and queued replies are
claimed by one delivery loop at a time (tests/test_two_instances.py runs the same with real processes)."""

from __future__ import annotations

import asyncio
import json

import pytest

from storage.api import SharedInboxRepo
from storage.postgres import PostgresStore
from storage.requests import UNDER_REVIEW
from storage.sqlite import SqliteStore


def updates(*pairs: tuple[int, int]) -> tuple[list[tuple[int, str]], dict[int, int]]:
    """(update id, account) pairs as `inbox.add` takes them."""
    return [(u, json.dumps({"update_id": u})) for u, _ in pairs], dict(pairs)


def ids(rows) -> list[int]:
    return [row.update_id for row in rows]


@pytest.fixture
async def two(postgres_url, clock):
    first = await PostgresStore.open(postgres_url, clock=clock)
    second = await PostgresStore.open(postgres_url, clock=clock)
    yield first, second
    await first.close()
    await second.close()


async def test_an_accounts_updates_go_to_one_instance_at_a_time_oldest_first(two) -> None:
    a, b = two
    assert isinstance(a.inbox, SharedInboxRepo)
    await a.inbox.add("telegram", *updates((1, 100), (2, 200), (3, 100)))
    assert ids(await a.inbox.claim("telegram")) == [1, 2, 3]
    await b.inbox.add("telegram", *updates((4, 100), (5, 300)))  # stored by b, for an account a holds
    assert ids(await b.inbox.claim("telegram")) == [5]
    assert ids(await a.inbox.claim("telegram")) == [4]
    assert ids(await a.inbox.claim("telegram")) == []  # nothing handed out twice

    # Account 100 finished on a (marked done, then released): b may take its next update.
    await a.inbox.mark_done("telegram", [1, 3, 4])
    await a.inbox.release("telegram", [1, 3, 4])
    await a.inbox.add("telegram", *updates((6, 100)))
    assert ids(await b.inbox.claim("telegram")) == [6]
    assert ids(await a.inbox.claim("telegram")) == []


async def test_the_updates_a_dead_instance_had_in_hand_go_to_the_other_in_order(postgres_url, clock) -> None:
    a = await PostgresStore.open(postgres_url, clock=clock)
    b = await PostgresStore.open(postgres_url, clock=clock)
    try:
        await a.inbox.add("telegram", *updates((1, 100), (2, 100), (3, 100)))
        assert ids(await a.inbox.claim("telegram")) == [1, 2, 3]
        await a.inbox.mark_done("telegram", [1])  # answered; 2 and 3 in hand
        assert ids(await b.inbox.claim("telegram")) == []
        a.inbox._conn.terminate()  # the process dies: its connection closes, its locks go with it
        taken: list[int] = []
        for _ in range(50):  # as soon as the server has noticed
            taken = ids(await b.inbox.claim("telegram"))
            if taken:
                break
            await asyncio.sleep(0.05)
        assert taken == [2, 3]
    finally:
        await a.close()
        await b.close()


async def test_a_status_notice_is_claimed_by_one_instance_until_its_lease_runs_out(two, clock) -> None:
    a, b = two
    created = await a.requests.create("passport", "telegram", 1, 1, "0012345679", None, {})
    await a.requests.mark_confirmed(created.tracking_code)
    await a.requests.set_status(created.tracking_code, UNDER_REVIEW, actor="staff")
    [notice] = await a.requests.claim_undelivered("telegram", lease=60)
    assert await b.requests.claim_undelivered("telegram", lease=60) == []
    assert [n.event_id for n in await b.requests.undelivered("telegram")] == [notice.event_id]  # still undelivered
    clock.advance(seconds=61)  # a died before marking it delivered: b sends it
    assert [n.event_id for n in await b.requests.claim_undelivered("telegram", lease=60)] == [notice.event_id]
    await b.requests.mark_delivered(notice.event_id)
    clock.advance(seconds=61)
    assert await a.requests.claim_undelivered("telegram", lease=60) == []


async def test_a_queued_reply_is_claimed_by_one_instance_until_its_lease_runs_out(two, clock) -> None:
    a, b = two
    first = await a.outbox.enqueue("telegram", 7, "{}", 0)
    await a.outbox.enqueue("telegram", 7, "{}", 0)  # behind the first, same chat
    assert [r.id for r in await a.outbox.due("telegram", lease=30)] == [first]
    assert await b.outbox.due("telegram", lease=30) == []  # the first is a's; the second waits behind it
    clock.advance(seconds=31)
    assert [r.id for r in await b.outbox.due("telegram", lease=30)] == [first]
    assert await b.outbox.waiting_chats("telegram") == {7}


async def test_sqlite_keeps_one_instance_without_claims(tmp_path, clock) -> None:
    async with await SqliteStore.open(tmp_path / "bot.db", clock=clock) as db:
        assert not isinstance(db.inbox, SharedInboxRepo)
        await db.outbox.enqueue("telegram", 7, "{}", 0)
        assert len(await db.outbox.due("telegram", lease=30)) == len(await db.outbox.due("telegram", lease=30)) == 1


async def test_one_instance_at_a_time_is_alone_and_a_dead_ones_turn_passes(two) -> None:
    """The support desk's deliveries run in one instance at a time (bot/dialogue/desk.py)."""
    a, b = two
    async with a.alone("desk delivery") as first:
        async with b.alone("desk delivery") as second:
            assert (first, second) == (True, False)
        async with b.alone("something else") as other:
            assert other
    async with b.alone("desk delivery") as after:
        assert after
