"""Storage for the web console: users and sessions (expiry, idle time, disabled users), handled questions and
suggestions, and the log and request queries the pages use (conversation search, period counts, services
of one agency)."""

from __future__ import annotations

import datetime as dt

import pytest

from storage import Duplicate, Store

KARA, TVTO, MUNICIPAL = "13011031101", "tvto-skill-training", "municipal-training"


async def test_users_sessions_end_at_expiry_when_idle_or_when_the_user_is_disabled(store: Store, clock) -> None:
    user = await store.console.add_user("maryam", "$argon2id$hash", "clerk", "وزارت کشور")
    assert (user.name, user.role, user.agency, user.active) == ("maryam", "clerk", "وزارت کشور", True)
    with pytest.raises(Duplicate):
        await store.console.add_user("maryam", "$argon2id$other", "viewer")
    with pytest.raises(ValueError, match="نقش"):
        await store.console.add_user("ali", "$argon2id$hash", "superuser")

    await store.console.create_session("h1", user.id, "csrf-1", dt.timedelta(hours=12))
    session = await store.console.session("h1", idle=dt.timedelta(hours=1))
    assert session is not None and session.user.name == "maryam" and session.csrf_token == "csrf-1"
    clock.advance(minutes=50)
    assert await store.console.session("h1", idle=dt.timedelta(hours=1)) is not None  # seen: idle time starts again
    clock.advance(minutes=61)
    assert await store.console.session("h1", idle=dt.timedelta(hours=1)) is None  # idle too long, and gone
    assert await store.console.session("h1") is None

    await store.console.create_session("h2", user.id, "csrf-2", dt.timedelta(hours=12))
    clock.advance(hours=12)
    assert await store.console.session("h2") is None  # past its end

    await store.console.create_session("h3", user.id, "csrf-3", dt.timedelta(hours=12))
    assert (await store.console.set_disabled("maryam")).active is False
    assert await store.console.session("h3") is None
    assert await store.console.set_disabled("nobody") is None
    assert (await store.console.set_disabled("maryam", False)).active is True
    await store.console.create_session("h4", user.id, "csrf-4", dt.timedelta(hours=12))
    assert await store.console.set_password("maryam", "$argon2id$new") is True
    assert await store.console.session("h4") is None  # a new password ends the sessions
    assert [u.name for u in await store.console.users()] == ["maryam"]


async def test_handled_questions_and_suggestions(store: Store, clock) -> None:
    await store.suggestions.mark_handled("صدور گذرنامه", "console:ali")
    clock.advance(days=1)
    await store.suggestions.mark_handled("صدور گذرنامه", "console:sara")
    [handled] = (await store.suggestions.handled()).values()
    assert (handled.handled_by, handled.handled_at) == ("console:sara", clock.now)
    first = await store.suggestions.suggest("وام اشتغال", "وام اشتغال؟", KARA, "alias", "وام اشتغال", None, "console:ali")
    await store.suggestions.suggest("گذرنامه", None, MUNICIPAL, "need", "گذرنامه", "یادداشت", "console:ali")
    with pytest.raises(ValueError):
        await store.suggestions.suggest("x", None, KARA, "delete", "x", None, "console:ali")
    assert [s.id for s in await store.suggestions.suggestions(service_ids={KARA})] == [first.id]
    assert [s.kind for s in await store.suggestions.suggestions()] == ["need", "alias"]


async def fill_log(store: Store, clock) -> None:
    """Two accounts over two days: one asks about Kara and TVTO, the other about the municipal training
    and once about nothing the bot knows."""
    await store.log.add("telegram", 1, 1, "out", "پاسخ")
    await store.log.add("telegram", 1, 1, "in", "وام کارا", intent="documents", service_id=KARA, answered=True)
    await store.log.add("telegram", 2, 2, "in", "آموزش شهرداران", service_id=MUNICIPAL, answered=True)
    clock.advance(days=1)
    await store.log.add("telegram", 1, 1, "in", "دوره فنی", intent="cost", service_id=TVTO, answered=True)
    await store.log.add("telegram", 2, 2, "in", "صدور گذرنامه_100%", answered=False, normalized="صدور گذرنامه 100")


async def test_conversations_are_searched_by_period_service_answer_and_words(store: Store, clock) -> None:
    await fill_log(store, clock)
    everyone = await store.log.conversations()
    assert [(c.user_id, c.messages, c.unanswered) for c in everyone] == [(2, 2, 1), (1, 3, 0)]
    assert everyone[1].service_ids == (KARA, TVTO)
    assert [c.user_id for c in await store.log.conversations(found=False)] == [2]
    assert [c.user_id for c in await store.log.conversations(service_ids=[TVTO])] == [1]
    assert [c.user_id for c in await store.log.conversations(text="گذرنامه_100%")] == [2]  # % and _ taken literally
    assert await store.log.conversations(text="گذرنامه_1000") == []
    assert [c.user_id for c in await store.log.conversations(text=["nothing", "وام"])] == [1]
    assert [c.user_id for c in await store.log.conversations(scope={KARA, TVTO})] == [1]
    assert [c.user_id for c in await store.log.conversations(since=clock.now - dt.timedelta(hours=1))] == [2, 1]
    yesterday = await store.log.conversations(until=clock.now - dt.timedelta(hours=1))
    assert [(c.user_id, c.messages) for c in yesterday] == [(2, 1), (1, 2)]
    assert await store.log.account_of(everyone[0].last_id) == ("telegram", 2)
    assert await store.log.account_of(10_000) is None
    assert await store.log.asked_about("telegram", 1, {TVTO}) and not await store.log.asked_about("telegram", 1, {MUNICIPAL})
    assert await store.log.accounts_asking_about({KARA, MUNICIPAL}) == {("telegram", 1), ("telegram", 2)}
    [entry] = await store.log.unanswered_messages("صدور گذرنامه 100")
    assert entry.user_id == 2


async def test_period_counts_of_every_service_or_of_some(store: Store, clock) -> None:
    await fill_log(store, clock)
    since, until = clock.now - dt.timedelta(days=2), clock.now + dt.timedelta(hours=1)
    days = await store.log.activity(since, until)
    assert sum(d.incoming for d in days) == 4 and sum(d.unanswered for d in days) == 1
    scoped = await store.log.activity(since, until, service_ids={KARA, TVTO})
    assert [d.incoming for d in scoped if d.incoming] == [1, 1] and sum(d.outgoing for d in scoped) == 0
    assert await store.log.intent_counts(since, until) == [("cost", 1), ("documents", 1)]
    assert await store.log.service_counts(since, until, service_ids={KARA, MUNICIPAL}) == [(KARA, 1), (MUNICIPAL, 1)]

    first = await store.requests.create(KARA, "telegram", 1, 1, None, None, {})
    clock.advance(days=1)
    await store.requests.create(MUNICIPAL, "telegram", 2, 2, None, None, {})
    await store.requests.set_status(first.tracking_code, "under_review")
    assert (await store.requests.count_by_status(service_ids={KARA}))["under_review"] == 1
    assert sum((await store.requests.count_by_status(since=clock.now - dt.timedelta(hours=1))).values()) == 1
    assert [r.service_id for r in await store.requests.list(service_ids={MUNICIPAL, TVTO})] == [MUNICIPAL]
    assert [r.service_id for r in await store.requests.list(until=clock.now - dt.timedelta(hours=1))] == [KARA]


async def test_activity_counts_tehran_days_and_searches_ignore_the_case_of_latin_letters(store: Store, clock) -> None:
    """The same answers from both backends where they could differ: a day is Tehran's (UTC+3:30, a message
    at 20:29 UTC is still that day, one at 20:31 the next), and a search ignores the case of Latin letters
    as SQLite's LIKE does."""
    clock.now = dt.datetime(2025, 3, 20, 20, 29, tzinfo=dt.UTC)  # 23:59 in Tehran
    await store.log.add("telegram", 1, 1, "in", "Passport فرم", service_id=KARA, answered=True, handling_ms=10)
    clock.advance(minutes=2)  # 00:01 of the next day in Tehran
    await store.log.add("telegram", 2, 2, "in", "وام", service_id=TVTO, answered=False, handling_ms=20)
    await store.log.add("telegram", 2, 2, "out", "پاسخ")
    since = dt.datetime(2025, 3, 19, 20, 30, tzinfo=dt.UTC)  # midnight in Tehran, 20 March
    days = await store.log.activity(since, since + dt.timedelta(days=2))
    assert [(d.day.isoformat(), d.incoming, d.outgoing, d.answered, d.unanswered, d.users) for d in days] == [
        ("2025-03-20", 1, 0, 1, 0, 1), ("2025-03-21", 1, 1, 0, 1, 1)]
    assert [d.avg_handling_ms for d in days] == [10, 20]
    assert [d.incoming for d in await store.log.activity(since, since + dt.timedelta(days=2), service_ids={TVTO})] \
        == [0, 1]
    assert [c.user_id for c in await store.log.conversations(text="PASSPORT")] == [1]
    assert [c.user_id for c in await store.log.conversations(text="passport فرم")] == [1]


async def test_users_are_listed_in_the_same_order_and_a_taken_name_is_a_neutral_duplicate(store: Store) -> None:
    for name in ("zahra", "Ali", "ali", "مریم"):
        await store.console.add_user(name, "$argon2id$hash", "viewer")
    assert [u.name for u in await store.console.users()] == ["Ali", "ali", "zahra", "مریم"]  # code-point order
    with pytest.raises(Duplicate, match="zahra"):
        await store.console.add_user("zahra", "$argon2id$other", "admin")
    assert await store.console.set_password("nobody", "$argon2id$x") is False
