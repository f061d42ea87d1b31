"""The support desk's storage: tickets (one open per account, numbered), relayed messages kept until sent
and relayed once, staff suggestions, and votes on answers (one per account and answer, changeable)."""

from __future__ import annotations

import asyncio

import pytest

from storage import RetentionRefused


async def test_one_open_ticket_per_account_numbered_and_masked(store) -> None:
    ticket, new = await store.tickets.open("telegram", 7, 7, service_id="kara", question="کد ملی ۰۰۱۲۳۴۵۶۷۸ است",
                                        context="← سلام\n→ ۰۹۱۲۱۲۳۴۵۶۷", group_chat_id=-100)
    assert new and ticket.id == 1 and ticket.is_open and ticket.posted_at is None
    assert "۰۰۱۲۳۴۵۶۷۸" not in (ticket.question or "") and "۰۹۱۲۱۲۳۴۵۶۷" not in ticket.context
    again, new = await store.tickets.open("telegram", 7, 7, service_id=None, question="دوباره", context="",
                                       group_chat_id=-100)
    assert not new and again.id == ticket.id
    other, new = await store.tickets.open("bale", 7, 7, service_id=None, question=None, context="", group_chat_id=-100)
    assert new and other.id == 2  # the same number on another platform is someone else
    assert [t.id for t in await store.tickets.unposted("telegram")] == [1]
    await store.tickets.mark_posted(1, 55)
    assert await store.tickets.unposted("telegram") == []
    assert (await store.tickets.by_group_message("telegram", 55)).id == 1
    assert await store.tickets.by_group_message("bale", 55) is None


async def test_a_ticket_is_taken_by_one_staff_member_and_closed_once(store) -> None:
    ticket, _ = await store.tickets.open("telegram", 7, 7, service_id=None, question="؟", context="", group_chat_id=-1)
    taken = await store.tickets.take(ticket.id, 11, "مینا")
    assert taken.taken_by == 11 and taken.taken_by_name == "مینا"
    assert (await store.tickets.take(ticket.id, 12, "رضا")).taken_by == 11  # someone else's already
    closed = await store.tickets.close(ticket.id, "staff")
    assert closed.status == "closed" and closed.closed_by == "staff"
    assert await store.tickets.close(ticket.id, "citizen") is None
    assert await store.tickets.take(ticket.id, 11, "مینا") is None
    assert await store.tickets.open_for("telegram", 7) is None
    fresh, new = await store.tickets.open("telegram", 7, 7, service_id=None, question=None, context="", group_chat_id=-1)
    assert new and fresh.id != ticket.id
    assert await store.tickets.count_by_status() == {"open": 1, "closed": 1}


async def test_relayed_messages_wait_until_delivered_and_relay_once(store) -> None:
    ticket, _ = await store.tickets.open("telegram", 7, 7, service_id=None, question="؟", context="", group_chat_id=-1)
    first = await store.tickets.add_message(ticket.id, "telegram", "to_staff", "citizen", text="کد ملی ۰۰۱۲۳۴۵۶۷۸",
                                         source="7:10")
    assert first is not None and "۰۰۱۲۳۴۵۶۷۸" not in first.text
    assert await store.tickets.add_message(ticket.id, "telegram", "to_staff", "citizen", text="x", source="7:10") is None
    reply = await store.tickets.add_message(ticket.id, "telegram", "to_citizen", "staff", text="تلفن ۰۲۱۸۸۸۸۸۸۸۸",
                                         staff_user_id=11, source="-1:4")
    assert reply.text == "تلفن ۰۲۱۸۸۸۸۸۸۸۸"  # staff's own words reach the citizen as written
    photo = await store.tickets.add_message(ticket.id, "telegram", "to_citizen", "staff", kind="photo", file_id="F1",
                                         source="-1:5")
    assert [m.id for m in await store.tickets.undelivered("telegram")] == [first.id, reply.id, photo.id]
    await store.tickets.delivered(first.id, 77)
    assert (await store.tickets.by_group_message("telegram", 77)).id == ticket.id  # staff may reply to a follow-up
    assert await store.tickets.relay_failed(reply.id) == 1
    await store.tickets.relay_failed(photo.id, "blocked")
    assert [m.id for m in await store.tickets.undelivered("telegram")] == [reply.id]
    assert [m.kind for m in await store.tickets.messages(ticket.id)] == ["text", "text", "photo"]


async def test_suggestions_are_recorded_once_per_ticket_and_service(store) -> None:
    ticket, _ = await store.tickets.open("telegram", 7, 7, service_id=None, question="؟", context="", group_chat_id=-1)
    assert await store.tickets.suggest(ticket.id, "telegram", "وام کارآفرینی", "kara", 11)
    assert not await store.tickets.suggest(ticket.id, "telegram", "وام کارآفرینی", "kara", 12)
    assert await store.tickets.suggest(ticket.id, "telegram", "گذرنامه", None, 11)
    assert [(s.question, s.service_id) for s in await store.tickets.suggestions()] == [
        ("گذرنامه", None), ("وام کارآفرینی", "kara")]


async def test_a_vote_per_account_and_answer_changeable_counted_per_service_and_type(store) -> None:
    assert await store.feedback.vote("telegram", 1, "kara", "cost", 1) is None
    assert await store.feedback.vote("telegram", 1, "kara", "cost", -1) == 1  # changed, not added
    await store.feedback.vote("telegram", 2, "kara", "cost", 1)
    await store.feedback.vote("telegram", 2, "kara", "documents", 1)
    await store.feedback.vote("bale", 1, "tvto", "cost", -1)
    by_service = {c.key: (c.up, c.down) for c in await store.feedback.counts("service")}
    assert by_service == {"kara": (2, 1), "tvto": (0, 1)}
    by_intent = {c.key: (c.up, c.down) for c in await store.feedback.counts("intent")}
    assert by_intent == {"cost": (1, 2), "documents": (1, 0)}
    with pytest.raises(ValueError):
        await store.feedback.vote("telegram", 1, "kara", "cost", 2)


async def test_closed_tickets_and_old_votes_are_pruned(store, clock) -> None:
    old, _ = await store.tickets.open("telegram", 7, 7, service_id=None, question="؟", context="", group_chat_id=-1)
    await store.tickets.add_message(old.id, "telegram", "to_staff", "citizen", text="سلام")
    await store.tickets.suggest(old.id, "telegram", "سلام", None, 1)
    await store.tickets.close(old.id, "citizen")
    await store.feedback.vote("telegram", 7, "kara", "cost", 1)
    clock.advance(days=200)
    still_open, _ = await store.tickets.open("telegram", 8, 8, service_id=None, question="؟", context="", group_chat_id=-1)
    await store.log.add("telegram", 8, 8, "in", "now")  # the database is being lived in: the clock is right
    assert await store.tickets.prune(180) == 1
    assert await store.feedback.prune(180) == 1
    assert await store.tickets.get(old.id) is None and await store.tickets.messages(old.id) == []
    assert (await store.tickets.get(still_open.id)).is_open
    assert [s.ticket_id for s in await store.tickets.suggestions()] == [None]  # kept for admins, unlinked


async def test_pruning_tickets_refuses_when_the_clock_was_set_back(store, clock) -> None:
    await store.log.add("telegram", 8, 8, "in", "now")
    clock.advance(days=-10)
    with pytest.raises(RetentionRefused):
        await store.tickets.prune(1)


async def test_two_opens_at_once_give_one_ticket_and_a_repeated_open_uses_no_number(store) -> None:
    """On PostgreSQL two opens are two connections racing (two instances); the index keeps one ticket. (A
    race may use up a number of PostgreSQL's sequence: ticket numbers may have gaps, never duplicates.)"""
    results = await asyncio.gather(*(
        store.tickets.open("telegram", 7, 7, service_id=None, question=f"؟{i}", context="", group_chat_id=-1)
        for i in range(5)
    ))
    assert len({ticket.id for ticket, _ in results}) == 1 and sum(new for _, new in results) == 1
    first, _ = await store.tickets.open("telegram", 8, 8, service_id=None, question=None, context="", group_chat_id=-1)
    again, new = await store.tickets.open("telegram", 8, 8, service_id=None, question="؟", context="", group_chat_id=-1)
    assert (again.id, new) == (first.id, False)
    other, _ = await store.tickets.open("telegram", 9, 9, service_id=None, question=None, context="", group_chat_id=-1)
    assert other.id == first.id + 1  # the open that found a ticket used up no number


async def test_a_relayed_message_of_a_redelivered_update_or_a_repeated_suggestion_is_stored_once(store) -> None:
    ticket, _ = await store.tickets.open("telegram", 7, 7, service_id=None, question="؟", context="", group_chat_id=-1)
    stored = await asyncio.gather(*(
        store.tickets.add_message(ticket.id, "telegram", "to_staff", "citizen", text="سلام", source="7:10")
        for _ in range(3)
    ))
    assert sum(m is not None for m in stored) == 1 and len(await store.tickets.messages(ticket.id)) == 1
    # The same source on another platform is another message; no source at all never clashes.
    assert await store.tickets.add_message(ticket.id, "bale", "to_staff", "citizen", text="x", source="7:10")
    assert await store.tickets.add_message(ticket.id, "telegram", "to_citizen", "bot", text="a")
    assert await store.tickets.add_message(ticket.id, "telegram", "to_citizen", "bot", text="a")
    # Without a ticket (NULL), suggestions never clash, as NULLs are distinct in both databases' indexes.
    assert await store.tickets.suggest(None, "telegram", "گذرنامه", None, 11)
    assert await store.tickets.suggest(None, "telegram", "گذرنامه", None, 11)
    assert await store.tickets.post_failed(ticket.id) == 1 and await store.tickets.post_failed(ticket.id) == 2
    assert await store.tickets.post_failed(999) == 0 and await store.tickets.relay_failed(999) == 0
