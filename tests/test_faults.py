"""Faults and abuse: a platform that refuses, stalls or disappears, a process killed mid-burst, a database
that is locked or read-only, and citizens who flood or guess. What must hold is what a person sees: the
answer still arrives (late rather than never), or they are told to try again; nothing committed is lost;
one citizen's flood or slowness costs nobody else anything.

In-process tests run the real Application against the fake peer (handlers.fakeapi); process tests run
`python -m bot run` against the peer over loopback HTTP (handlers.fakeapi.server), as test_run_process.py does.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot import texts as T
from bot.dialogue import Dialogue
from bot.knowledge import load_knowledge
from bot.settings import Settings
from handlers.app import build_application
from handlers.fakeapi import BotApiPeer, PeerRequest, start_peer_server
from handlers.notices import deliver_notices
from handlers.send import drain_outbox
from storage import open_database
from storage import requests as requests_module
from storage.sqlite import SqliteStore
from storage.tracking import new_code
from tests.support.botchat import KNOWLEDGE_DIR, RunningBot, running_app
from tests.support.identity import national_code
from tests.support.process import FIRST_ANSWER_TIMEOUT, TOKEN, bot_process, reply

KNOWLEDGE = load_knowledge(KNOWLEDGE_DIR)
USER = 6060
KARA = "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"
TVTO = "برگزاری دوره‌های آموزشی مهارتی"
REGISTER_KARA = "میخوام برای وام کارا ثبت نام کنم"
LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
CODE_SHOWN = re.compile(r"کد رهگیری(?: همان درخواست)?: \*?([۰-۹]{12})")


def shown(message: dict[str, Any]) -> str:
    return message["plain"].replace("*", "")


def code_in(message: dict[str, Any]) -> str | None:
    match = CODE_SHOWN.search(message["plain"])
    return match[1].translate(LATIN) if match else None


# --------------------------------------------------------------------------------------------------
# The bot in this process
# --------------------------------------------------------------------------------------------------


def running(peer: BotApiPeer, db_path: Path, **options: Any) -> contextlib.AbstractAsyncContextManager[RunningBot]:
    """The real bot (tests.support.botchat.running_app) as these tests run it: with a token, on the knowledge
    loaded once, without the notice loop unless `notices=True`."""
    return running_app(peer, db_path, **{"token": TOKEN, "knowledge": KNOWLEDGE, "notices": False, **options})


async def at_summary(bot: RunningBot, user: int, code: str) -> None:
    """The default form of وام کارا, filled in up to its summary."""
    await bot.send(user, REGISTER_KARA)
    for text in ("مریم احمدی", code, "09121234567", "تهران"):
        await bot.send(user, text)
    assert shown(bot.peer.sent(user)[-1]).startswith(T.FORM_SUMMARY.split("«")[0])


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22.8 otherwise warns while building RetryAfter


# --------------------------------------------------------------------------------------------------
# The platform refuses or stalls
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("times", [1, 2])
async def test_flood_control_delays_the_answer_by_retry_after_and_shows_no_error(
    tmp_path: Path, ptb_timedelta: None, times: int
) -> None:
    peer = BotApiPeer("telegram")
    async with running(peer, tmp_path / "bot.db") as bot:
        peer.fail_next("sendMessage", 429, retry_after=1, times=times)
        started = time.monotonic()
        shown_now = await bot.send(USER, "وام کارا")
        waited = time.monotonic() - started
    assert [shown(m).splitlines()[0] for m in shown_now] == [KARA]  # the answer, once, and nothing else
    assert times * 1.0 <= waited < times * 1.0 + 0.9
    assert bot.errors == []


async def test_a_flood_ban_of_an_hour_queues_the_answers_in_order_and_they_arrive_after_it(
    tmp_path: Path, ptb_timedelta: None, clock
) -> None:
    peer = BotApiPeer("telegram")
    db = await open_database(tmp_path / "bot.db", clock=clock)
    try:
        async with running(peer, tmp_path / "bot.db", db=db) as bot:
            peer.fail_next("sendMessage", 429, retry_after=3600)
            started = time.monotonic()
            assert await bot.send(USER, "وام کارا") == []  # not waited out inside the handler...
            assert time.monotonic() - started < 1.0
            assert await bot.send(USER, "دوره فنی حرفه ای") == []  # ...and what follows queues behind it
            assert bot.errors == []
            rt = bot.app.bot_data["rt"]
            assert await drain_outbox(rt, bot.app.bot) == 0  # the hour is not over
            clock.advance(hours=1, seconds=1)
            assert await drain_outbox(rt, bot.app.bot) == 1  # the oldest of the chat first
            assert await drain_outbox(rt, bot.app.bot) == 1
            assert [shown(m).splitlines()[0] for m in peer.sent(USER)] == [KARA, TVTO]
            assert shown((await bot.send(USER, "وام کارا"))[0]).startswith(KARA)  # the queue is empty again
    finally:
        await db.close()


async def test_a_server_error_on_send_is_retried_and_the_citizen_gets_the_answer(tmp_path: Path) -> None:
    peer = BotApiPeer("bale")
    async with running(peer, tmp_path / "bot.db") as bot:
        peer.fail_next("sendMessage", 502)
        assert [shown(m).splitlines()[0] for m in await bot.send(USER, "وام کارا")] == [KARA]
        assert len(peer.calls_to("sendMessage")) == 2  # the refused try and one retry: no storm
        assert bot.errors == []


async def test_ten_server_errors_in_a_row_lose_no_answer(tmp_path: Path, clock) -> None:
    peer = BotApiPeer("telegram")
    db = await open_database(tmp_path / "bot.db", clock=clock)
    try:
        async with running(peer, tmp_path / "bot.db", db=db) as bot:
            peer.fail_next("sendMessage", 500, times=10)
            users = [USER + i for i in range(5)]
            for user in users:
                peer.user_sends(user, "وام کارا")
            rt = bot.app.bot_data["rt"]
            for _ in range(20):
                await asyncio.sleep(0.3)
                clock.advance(minutes=10)
                await drain_outbox(rt, bot.app.bot)
                if all(peer.sent(u) for u in users):
                    break
            assert [[shown(m).splitlines()[0] for m in peer.sent(u)] for u in users] == [[KARA]] * 5
            assert bot.errors == []
    finally:
        await db.close()


async def test_a_platform_slower_than_the_read_timeout_still_delivers_the_answer(tmp_path: Path) -> None:
    peer = BotApiPeer("telegram")
    async with running(peer, tmp_path / "bot.db", read_timeout=0.3) as bot:
        peer.delay("sendMessage", 0.6)
        started = time.monotonic()
        shown_now = await bot.send(USER, "وام کارا")
        assert time.monotonic() - started < 2.0
        assert shown(shown_now[0]).startswith(KARA)


async def test_a_slow_platform_does_not_make_the_bot_say_a_delivered_answer_failed(tmp_path: Path) -> None:
    peer = BotApiPeer("telegram")
    async with running(peer, tmp_path / "bot.db", read_timeout=0.3) as bot:
        peer.delay("sendMessage", 0.6)
        shown_now = await bot.send(USER, "وام کارا")
        assert [shown(m).splitlines()[0] for m in shown_now] == [KARA]


async def test_get_updates_answering_502_is_retried_with_growing_pauses_then_recovers(tmp_path: Path) -> None:
    peer = BotApiPeer("telegram")
    async with running(peer, tmp_path / "bot.db") as bot:
        await bot.send(USER, "/start")
        calls_before = len(peer.calls_to("getUpdates"))
        peer.fail_next("getUpdates", 502, times=3)
        peer.interrupt_polls()  # the long poll in flight ends; the next ones fail
        await asyncio.sleep(0.05)
        started = time.monotonic()
        question = peer.user_sends(USER, "وام کارا")
        await bot.wait(question, timeout=10)
        recovered = time.monotonic() - started
        calls = len(peer.calls_to("getUpdates")) - calls_before
    # The poller waits 1 s, 1.5 s, 2.25 s after the failures: three refused calls, the one that brings the message
    # after about 4.75 s and the next long poll, where a loop without pauses would have made thousands.
    assert calls <= 6, calls
    assert 3.5 < recovered < 7, recovered
    assert shown(peer.sent(USER)[-1]).startswith(KARA)
    print(f"getUpdates answering 502 three times: {calls} calls, answered after {recovered:.1f} s")


async def test_get_updates_slower_than_the_read_timeout_loses_nothing_and_does_not_spin(tmp_path: Path) -> None:
    peer = BotApiPeer("telegram")
    # The long poll is 1 s, so each getUpdates may take 1.3 s before PTB gives up on it.
    async with running(peer, tmp_path / "bot.db", updates_read_timeout=0.3) as bot:
        await bot.send(USER, "/start")
        peer.delay("getUpdates", 2.0)
        peer.interrupt_polls()
        await asyncio.sleep(0.05)
        calls_before = len(peer.calls_to("getUpdates"))
        question = peer.user_sends(USER, "وام کارا")  # fetched, then lost with the timed-out answer
        await asyncio.sleep(3)
        calls = len(peer.calls_to("getUpdates")) - calls_before
        assert question["update_id"] not in bot.handled
        peer.delay("getUpdates", 0)
        await bot.wait(question, timeout=5)  # fetched again once the platform is quick
    assert calls <= 5, calls  # one call per timeout, not a busy loop
    assert [shown(m).splitlines()[0] for m in peer.outbox(USER)[1:]] == [KARA]  # answered once
    print(f"getUpdates slower than the read timeout: {calls} calls in 3 s")


# --------------------------------------------------------------------------------------------------
# The confirmation with the tracking code is never silently dropped
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("delivery", ["deliver_notices", "notice loop"])
async def test_a_confirmation_the_platform_refused_arrives_later_exactly_once_with_its_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, delivery: str
) -> None:
    monkeypatch.setattr(requests_module, "CONFIRMATION_GRACE_SECONDS", 0)
    peer = BotApiPeer("telegram")
    code = national_code("471829301")
    async with running(peer, tmp_path / "bot.db", notices=delivery == "notice loop") as bot:
        await at_summary(bot, USER, code)
        peer.fail_next("sendMessage", 502, times=4)  # the confirmation and its three retries with backoff
        seen_then = await bot.tap(USER, T.FORM_CONFIRM)
        assert [code_in(m) for m in seen_then if code_in(m)] == []  # nothing with a code reached the citizen
        assert bot.errors == []  # no apology either: the reply waits in the outbox
        [request] = await bot.rt.db.requests.list()  # ...but the request is stored
        assert request.national_code == code and await bot.rt.db.drafts.get("telegram", USER) is None

        deadline = time.monotonic() + 12
        while not [m for m in peer.sent(USER) if code_in(m)]:
            assert time.monotonic() < deadline, "the confirmation never arrived"
            if delivery == "deliver_notices":
                await drain_outbox(bot.rt, bot.app.bot)
                await deliver_notices(bot.app)
                await asyncio.sleep(0.1)
            else:
                await asyncio.sleep(0.1)
        while await bot.rt.db.requests.undelivered("telegram"):  # marked delivered: never sent again
            assert time.monotonic() < deadline, "the confirmation was sent but not marked delivered"
            await asyncio.sleep(0.05)
        if delivery == "deliver_notices":
            assert await deliver_notices(bot.app) == 0
    confirmations = [m for m in peer.sent(USER) if code_in(m)]
    assert [code_in(m) for m in confirmations] == [request.tracking_code]
    assert shown(confirmations[0]).startswith(T.REGISTERED.split("«")[0] + "«" + KARA)


# --------------------------------------------------------------------------------------------------
# The database is locked or read-only
# --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def locked(path: Path):
    """Another process holds the write lock (an admin script in a long transaction)."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def integrity(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


async def test_a_locked_database_still_answers_questions_and_asks_to_retry_what_must_be_stored(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.db"
    peer = BotApiPeer("telegram")
    code = national_code("471829302")
    db = await SqliteStore.open(path, busy_timeout_ms=200)
    try:
        async with running(peer, path, db=db) as bot:
            with locked(path):  # a question needs no write: answered, not "busy"
                assert shown((await bot.send(USER, "وام کارا"))[0]).startswith(KARA)
                assert shown((await bot.send(USER + 1, "سلام"))[0]) == T.GREETING
                follow_up = await bot.send(USER, "مدارکش چیه؟")  # the current service, remembered in memory
                assert shown(follow_up[0]).startswith(T.DOCUMENTS_TITLE.format(title=KARA).split("«")[0] + "«" + KARA)

            await bot.send(USER, REGISTER_KARA)
            with locked(path):
                assert [m["plain"] for m in await bot.send(USER, "مریم احمدی")] == [T.BUSY]
            assert (await db.drafts.get("telegram", USER)).step == 0  # the answer was not half stored
            [asked] = await bot.send(USER, "مریم احمدی")
            assert shown(asked).startswith(T.FORM_QUESTION.format(n="۲", total="۴", label="کد ملی"))

            for text in (code, "09121234567", "تهران"):
                await bot.send(USER, text)
            with locked(path):
                busy = await bot.tap(USER, T.FORM_CONFIRM)
            assert [m["plain"] for m in busy] == [T.BUSY]
            assert await db.requests.list() == [] and (await db.drafts.get("telegram", USER)).step == 4
            [confirmed] = await bot.tap(USER, T.FORM_CONFIRM)  # the same summary, the same button
            [request] = await db.requests.list()
            assert code_in(confirmed) == request.tracking_code
            assert all(isinstance(e, Exception) and "unavailable" in str(e) for e in bot.errors)
    finally:
        await db.close()
    assert integrity(path) == "ok"


async def test_a_read_only_database_answers_questions_asks_to_retry_forms_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    await (await open_database(path)).close()  # created and migrated
    peer = BotApiPeer("bale")
    read_only = await SqliteStore.open(path, read_only=True)
    try:
        async with running(peer, path, db=read_only) as bot:
            assert shown((await bot.send(USER, "وام کارا"))[0]).startswith(KARA)  # a question needs no write
            assert [m["plain"] for m in await bot.send(USER, REGISTER_KARA)] == [T.BUSY]  # a form does
    finally:
        await read_only.close()
    assert integrity(path) == "ok"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("drafts", "chat_state", "requests")] \
            == [0, 0, 0]
    async with running(peer, path) as bot:  # the disk is writable again
        assert shown((await bot.send(USER, "وام کارا"))[0]).startswith(KARA)
        assert await bot.db.drafts.get("bale", USER) is None


# --------------------------------------------------------------------------------------------------
# Abuse: floods, order and concurrency, guessing, admin commands
# --------------------------------------------------------------------------------------------------


async def test_a_flooding_citizen_is_slowed_down_while_others_are_answered_within_a_second(tmp_path: Path) -> None:
    """Production flood settings (a burst of 30, then 5 a second). One citizen sends 50 messages a second
    for two seconds; another asks a question every quarter second meanwhile."""
    peer = BotApiPeer("telegram")
    flooder, neighbour = USER, USER + 1
    async with running(peer, tmp_path / "bot.db") as bot:
        latencies: list[float] = []

        async def flood() -> list[dict[str, Any]]:
            sent = []
            for _ in range(100):
                sent.append(peer.user_sends(flooder, "وام کارا"))
                await asyncio.sleep(0.02)
            return sent

        async def ask() -> None:
            for _ in range(8):
                before = len(peer.outbox(neighbour))
                started = time.monotonic()
                peer.user_sends(neighbour, "سمینار خودکفایی امداد")
                while len(peer.outbox(neighbour)) == before:
                    assert time.monotonic() - started < 3, "the neighbour got no answer within 3 s"
                    await asyncio.sleep(0.005)
                latencies.append(time.monotonic() - started)
                await asyncio.sleep(0.25)

        flooded, _ = await asyncio.gather(flood(), ask())
        await asyncio.sleep(0.3)
        seen = [m["plain"] for m in peer.outbox(flooder)]
        dropped = bot.app.update_processor.dropped
    assert seen.count(T.SLOW_DOWN) == 1
    answered = len(seen) - 1
    assert answered + dropped == len(flooded)
    assert answered <= 30 + 5 * 2.5 and dropped >= 50  # most of the flood went unanswered
    assert max(latencies) < 1.0, latencies
    assert bot.errors == []
    print(f"flood: {answered} answered, {dropped} dropped; neighbour's latency max {max(latencies) * 1000:.0f} ms")


async def test_citizens_queued_behind_slow_handlers_do_not_hold_up_everyone_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = {USER + 10, USER + 11, USER + 12}
    release = asyncio.Event()
    real_send = Dialogue.send

    async def stuck_for_some(dialogue, out, chat_id, reply):
        if chat_id in slow and not release.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(release.wait(), 10)
        return await real_send(dialogue, out, chat_id, reply)

    monkeypatch.setattr(Dialogue, "send", stuck_for_some)
    peer = BotApiPeer("telegram")
    async with running(peer, tmp_path / "bot.db") as bot:  # production settings: 64 slots, bursts of 30
        try:
            queued = [peer.user_sends(user, "وام کارا") for _ in range(25) for user in sorted(slow)]
            while peer.pending_updates:  # the bot has taken every one of them
                await peer._wait_change(0.01)
            started = time.monotonic()
            other = peer.user_sends(USER, "وام کارا")
            with contextlib.suppress(TimeoutError):
                await bot.wait(other, timeout=2)
            took = time.monotonic() - started
        finally:
            release.set()
        await bot.wait(*queued, other, timeout=20)
    assert took < 1.0, f"a citizen with nothing slow waited {took:.1f} s"


async def test_every_button_tap_of_a_flooding_citizen_stops_spinning(tmp_path: Path) -> None:
    peer = BotApiPeer("telegram")
    async with running(peer, tmp_path / "bot.db") as bot:  # production settings: a burst of 30
        menu = (await bot.send(USER, "/start"))[0]
        taps = [peer.user_taps(USER, menu["message_id"], "m:help") for _ in range(40)]
        await asyncio.sleep(1.0)
        answered = [t for t in taps if peer.callback_answer(t["callback_query"]["id"]) is not None]
        assert bot.app.update_processor.dropped > 1
    assert len(answered) == len(taps), f"{len(taps) - len(answered)} of {len(taps)} buttons still spinning"


async def test_one_citizens_messages_are_answered_in_order_even_when_earlier_ones_take_longer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = ["زرافه", "پنگوئن", "کانگورو", "دلفین", "عقاب", "شترمرغ", "گورخر", "خرس", "روباه", "یخچال"]
    real_send = Dialogue.send
    replies = 0

    async def slower_first(dialogue, out, chat_id, reply):
        nonlocal replies
        replies += 1
        await asyncio.sleep(0.3 - 0.03 * replies)  # the first reply takes longest
        return await real_send(dialogue, out, chat_id, reply)

    monkeypatch.setattr(Dialogue, "send", slower_first)
    peer = BotApiPeer("telegram")
    async with running(peer, tmp_path / "bot.db", flood_burst=1000) as bot:
        await bot.wait(*[peer.user_sends(USER, word) for word in words])
    answered = [next((w for w in words if f"«{w}»" in m["plain"]), m["plain"]) for m in peer.outbox(USER)]
    assert answered == words


async def test_a_slow_citizen_does_not_hold_up_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow, quick = USER, USER + 1
    real_send = Dialogue.send
    slow_started = asyncio.Event()

    async def slow_for_one(dialogue, out, chat_id, reply):
        if chat_id == slow:
            slow_started.set()
            await asyncio.sleep(1.5)  # a slow disk, a slow lookup: only this citizen's update waits
        return await real_send(dialogue, out, chat_id, reply)

    monkeypatch.setattr(Dialogue, "send", slow_for_one)
    peer = BotApiPeer("bale")
    async with running(peer, tmp_path / "bot.db") as bot:
        waiting = peer.user_sends(slow, "وام کارا")
        await asyncio.wait_for(slow_started.wait(), 3)
        started = time.monotonic()
        await bot.wait(peer.user_sends(quick, "وام کارا"), timeout=1)
        took = time.monotonic() - started
        assert peer.outbox(slow) == []  # still waiting...
        assert took < 0.5, took  # ...while the other citizen was answered at once
        await bot.wait(waiting, timeout=3)
    assert shown(peer.sent(slow)[0]).startswith(KARA)


async def test_guessing_tracking_codes_is_slowed_down_and_admin_commands_refuse_others(tmp_path: Path) -> None:
    admin, guesser = 1, USER
    peer = BotApiPeer("telegram")
    async with running(peer, tmp_path / "bot.db", admin_ids=frozenset({admin})) as bot:
        own = await bot.db.requests.create("13011031101", "telegram", guesser, guesser, None, None, {})
        for _ in range(5):
            [answer] = await bot.send(guesser, f"کد رهگیری {new_code().translate(FA)}")
            assert answer["plain"] == T.TRACK_NOT_FOUND
        [wait] = await bot.send(guesser, new_code())
        assert wait["plain"] == T.TRACK_WAIT.format(seconds="۳۰")
        [still] = await bot.send(guesser, own.tracking_code)  # even a right code waits: no oracle
        assert still["plain"] == wait["plain"]

        for command in ("/stats", "/unanswered", "/reload", "/stats@khedmat_test_bot"):
            assert [m["plain"] for m in await bot.send(guesser, command)] == [T.UNKNOWN_COMMAND]
        assert (await bot.send(admin, "/stats"))[0]["plain"].startswith("📊")
        assert bot.errors == []


# --------------------------------------------------------------------------------------------------
# `python -m bot run` as a process: a platform that goes away, and kill -9 in the middle of a burst
# --------------------------------------------------------------------------------------------------

POLL_FAILED = "getUpdates failed"


async def test_the_bot_process_backs_off_while_the_platform_is_unreachable_and_recovers(tmp_path: Path) -> None:
    peer = BotApiPeer("telegram", token=TOKEN)
    runner, base = await start_peer_server(peer)
    port = int(base.rsplit(":", 1)[1])
    async with bot_process(base, tmp_path / "bot.db", tmp_path / "bot.log") as bot:
        try:
            peer.user_sends(USER, "/start")
            await reply(peer, bot, USER, FIRST_ANSWER_TIMEOUT)

            await runner.cleanup()  # the platform goes away: connections are refused
            failures_before = bot.log_text().count(POLL_FAILED)
            down = 3.0
            await asyncio.sleep(down)
            failures = bot.log_text().count(POLL_FAILED) - failures_before
            runner, _ = await start_peer_server(peer, port=port)  # back, on the same address

            started = time.monotonic()
            peer.user_sends(USER, "وام کارا")
            card = await reply(peer, bot, USER, 15)
            recovered = time.monotonic() - started
            assert await bot.terminate() == 0, bot.log_tail()
        finally:
            await runner.cleanup()  # (a second cleanup of a stopped runner does nothing)
    # PTB waits 1 s, then 1.5 s, 2.25 s... between failed polls: a handful in 3 s, not a busy loop.
    assert 1 <= failures <= 5, failures
    assert shown(card).startswith(KARA)
    assert recovered < 6, recovered
    print(f"platform down {down:.0f} s: {failures} failed polls; answered {recovered:.1f} s after it came back")


def answer_for(user: int, question: int) -> str:
    """What citizen `user` types for question 1..4 of the default form (national codes never start with 0
    or 9, so a code typed at the mobile question is refused, never taken for a number)."""
    return {
        1: "مریم احمدی",
        2: national_code(f"{1 + user % 8}{user:08d}"[:9]),
        3: f"0912{user % 10_000_000:07d}",
        4: "تهران",
    }[question]


QUESTION = re.compile(r"پرسش ([۰-۹]) از ۴")


def where(message: dict[str, Any] | None) -> tuple[str, int]:
    """Where a citizen stands by the last message the bot sent them: ("question", n), ("summary", 5),
    ("done", 0) with a code, ("stale", 0) for a confirm the bot no longer knew, ("start", 0), ("other", 0)."""
    if message is None:
        return "start", 0
    text = shown(message)
    if code_in(message):
        return "done", 0
    if text == T.STALE_BUTTON:
        return "stale", 0
    if text.startswith(T.FORM_SUMMARY.split("«")[0]):
        return "summary", 5
    if m := QUESTION.search(text):
        return "question", int(m[1].translate(LATIN))
    if text.startswith("ثبت‌نام در «"):  # the intro, its first question not sent yet
        return "question", 1
    if text.startswith("شماره همراه ثبت شد"):  # the mobile saved, the province not asked yet
        return "question", 4
    return "other", 0


def last_message(peer: BotApiPeer, user: int) -> dict[str, Any] | None:
    sent = peer.sent(user)
    return sent[-1] if sent else None


async def act(peer: BotApiPeer, user: int) -> tuple[str, int]:
    """The citizen does the next thing the last message asks for, and waits for the bot's next question
    (or summary, or confirmation); returns where they stand then."""
    message = last_message(peer, user)
    kind, n = where(message)
    if kind == "question":
        peer.user_sends(user, answer_for(user, n))
    elif kind == "summary":
        rows = message["reply_markup"]["inline_keyboard"]
        confirm = next(b["callback_data"] for row in rows for b in row if b["text"] == T.FORM_CONFIRM)
        peer.user_taps(user, message["message_id"], confirm)
    else:
        peer.user_sends(user, REGISTER_KARA)
    before = message["message_id"] if message else 0
    while True:
        now = last_message(peer, user)
        if now is not None and now["message_id"] > before and where(now)[0] in ("question", "summary", "done", "stale"):
            if where(now)[0] != "question" or shown(now).startswith("پرسش"):  # not the intro alone
                return where(now)
        await peer._wait_change(0.5)


async def register(peer: BotApiPeer, user: int) -> None:
    while where(last_message(peer, user))[0] not in ("done", "stale"):
        await act(peer, user)


async def settled(peer: BotApiPeer, quiet: float = 0.7, timeout: float = 20) -> None:  # noqa: ASYNC109
    """Until the bot has fetched every pending update and sent nothing for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last = -1
    while True:
        count = sum(len(peer.outbox(u)) for u in list(peer._outbox))
        if not peer.pending_updates and count == last:
            return
        assert time.monotonic() < deadline, "the bot did not settle"
        last = count
        await asyncio.sleep(quiet)


async def test_kill_9_in_a_burst_of_registrations_loses_no_request_and_drafts_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    peer = BotApiPeer("telegram", token=TOKEN)
    runner, base = await start_peer_server(peer)
    database, log = tmp_path / "bot.db", tmp_path / "bot.log"
    users = [70_000 + i for i in range(36)]
    try:
        async with bot_process(base, database, log) as bot:
            peer.user_sends(1, "/start")
            await reply(peer, bot, 1, FIRST_ANSWER_TIMEOUT)

            async def one(i: int, user: int) -> None:
                await asyncio.sleep(i * 0.01)  # citizens arrive one after another, racing through the form
                await register(peer, user)

            burst = [asyncio.create_task(one(i, u)) for i, u in enumerate(users)]
            deadline = time.monotonic() + 30
            while sum(where(last_message(peer, u))[0] == "done" for u in users) < 8:
                assert time.monotonic() < deadline, bot.log_tail()
                await asyncio.sleep(0.01)
            await bot.kill()  # SIGKILL: no shutdown, no flush, mid-burst
            for task in burst:
                task.cancel()
            await asyncio.gather(*burst, return_exceptions=True)
        at_kill = {u: where(last_message(peer, u)) for u in users}
        codes_at_kill = {u: code_in(m) for u in users for m in peer.sent(u) if code_in(m)}
        mid_form = [u for u in users if at_kill[u][0] in ("question", "summary")]
        assert integrity(database) == "ok"

        restarted_at = len(log.read_text(encoding="utf-8"))
        async with bot_process(base, database, log) as bot:
            peer.user_sends(1, "/start")
            await reply(peer, bot, 1, FIRST_ANSWER_TIMEOUT)
            await settled(peer)  # updates the killed process never fetched are handled now
            resumed_at = {u: where(last_message(peer, u)) for u in users}
            first_after = dict(zip(users, await asyncio.gather(
                *(act(peer, u) if resumed_at[u][0] not in ("done", "stale") else asyncio.sleep(0) for u in users)
            ), strict=True))
            await asyncio.gather(*(register(peer, u) for u in users))
            assert await bot.terminate() == 0, bot.log_tail()
        assert "Traceback" not in bot.log_text()[restarted_at:], bot.log_tail()

        # Confirmations the bot could not send before it died go out with the notice loop's next round.
        monkeypatch.setattr(requests_module, "CONFIRMATION_GRACE_SECONDS", 0)
        db = await open_database(database)
        try:
            config = Settings(platform="telegram", token=TOKEN, database=database, knowledge_dir=KNOWLEDGE_DIR)
            app = build_application(config, db, KNOWLEDGE, request=PeerRequest(peer))
            async with app:
                await deliver_notices(app)
            rows = {r.user_id: r for r in await db.requests.list(limit=1000)}
            drafts = [u for u in users if await db.drafts.get("telegram", u) is not None]
        finally:
            await db.close()
    finally:
        await runner.cleanup()

    # Every confirmation a citizen saw, before the kill or after, has its request; one code per citizen.
    seen = {u: {code_in(m) for m in peer.sent(u) if code_in(m)} for u in users}
    assert all(len(codes) == 1 for codes in seen.values()), {u: c for u, c in seen.items() if len(c) != 1}
    assert all(rows[u].tracking_code == codes_at_kill[u] for u in codes_at_kill)
    assert {u: rows[u].tracking_code for u in users} == {u: next(iter(seen[u])) for u in users}
    assert {u: rows[u].national_code for u in users} == {u: answer_for(u, 2) for u in users}
    assert len({r.tracking_code for r in rows.values()}) == len(rows) == len(users)
    assert drafts == []
    # Citizens in the middle of the form went on from the question they had reached, not from the start.
    assert mid_form, "the kill came after every citizen had finished: nothing to resume"
    for u in mid_form:
        kind, n = resumed_at[u]
        if kind == "question":
            assert first_after[u] == (("question", n + 1) if n < 4 else ("summary", 5)), (u, at_kill[u], resumed_at[u])
        elif kind == "summary":
            assert first_after[u][0] in ("done", "stale"), (u, at_kill[u], first_after[u])
    assert integrity(database) == "ok"
    stood = Counter(f"{kind} {n}" if n else kind for kind, n in (resumed_at[u] for u in mid_form))
    print(f"kill -9 after {len(codes_at_kill)} of {len(users)} confirmations; {len(mid_form)} mid-form, "
          f"standing after the restart at {dict(sorted(stood.items()))}")


def _word(n: int) -> str:
    """A made-up Persian word for each number (the catalogue has none of them)."""
    letters = "بپتجچخدذرزژسشطظعغفقکگلمنهی"
    word = ""
    while True:
        word = letters[n % len(letters)] + word
        n //= len(letters)
        if not n:
            return "زاغ" + word


async def test_kill_9_with_updates_in_hand_loses_none_and_answers_each_exactly_once(tmp_path: Path) -> None:
    """Updates fetched and not yet handled survive a kill: they were stored before they were acknowledged."""
    peer = BotApiPeer("telegram", token=TOKEN)
    runner, base = await start_peer_server(peer)
    database, log = tmp_path / "bot.db", tmp_path / "bot.log"
    users = [80_000 + i for i in range(40)]
    words = {u: [_word(u * 10 + k) for k in range(6)] for u in users}
    try:
        async with bot_process(base, database, log) as bot:
            peer.user_sends(1, "/start")
            await reply(peer, bot, 1, FIRST_ANSWER_TIMEOUT)
            for k in range(6):
                for u in users:
                    peer.user_sends(u, words[u][k])
            deadline = time.monotonic() + 30
            while sum(len(peer.sent(u)) for u in users) < 40:  # some answered, most still in hand
                assert time.monotonic() < deadline, bot.log_tail()
                await asyncio.sleep(0.005)
            await bot.kill()
        answered_before = sum(len(peer.sent(u)) for u in users)
        async with bot_process(base, database, log) as bot:
            peer.user_sends(1, "/start")
            await reply(peer, bot, 1, FIRST_ANSWER_TIMEOUT)
            deadline = time.monotonic() + 90  # a busy machine may take a while; nothing is waited for after
            while sum(len(peer.sent(u)) for u in users) < len(users) * 6:
                assert time.monotonic() < deadline, bot.log_tail()
                await asyncio.sleep(0.05)
            await settled(peer)  # and then nothing more: no answer twice
            assert await bot.terminate() == 0, bot.log_tail()
    finally:
        await runner.cleanup()
    assert answered_before < len(users) * 6  # the kill did come with updates in hand
    for u in users:
        quoted = [next((w for w in words[u] if f"«{w}»" in m["plain"]), m["plain"]) for m in peer.sent(u)]
        assert quoted == words[u], u  # every message answered, once, in order


async def test_updates_numbered_lower_after_a_quiet_week_are_answered(tmp_path: Path) -> None:
    # After a week without updates Telegram numbers the next ones from a random id, possibly lower than the
    # ids the bot has stored: starting after the newest stored id would skip them all.
    peer = BotApiPeer("telegram")
    peer.continue_after(5000)
    async with running(peer, tmp_path / "bot.db") as bot:
        await bot.send(USER, "/start")
    peer.continue_after(40)
    async with running(peer, tmp_path / "bot.db") as bot:
        question = peer.user_sends(USER, "وام کارا")
        assert question["update_id"] < 5000
        await bot.wait(question, timeout=10)
    assert shown(peer.sent(USER)[-1]).startswith(KARA)
