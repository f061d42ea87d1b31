"""Sending for real: every send paced under the platform's rate (python-telegram-bot's AIORateLimiter, see
handlers/pacing.py), and every Bot API call through BOT_PROXY_URL when it is set.

A burst of 300 status notices to different citizens against a peer that refuses more than 30 messages in
any second arrives whole with no 429 at all; the proxy test runs the bot's real HTTP transport through a
forwarding proxy on loopback and checks that the proxy saw the calls. Short and long flood waits (the
outbox) are in test_faults.py.
"""

from __future__ import annotations

import itertools
import logging
import time
from pathlib import Path

import pytest
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from bot.knowledge import load_knowledge
from bot.settings import Settings
from handlers.app import bot_api_requests, build_application, running
from handlers.fakeapi import BotApiPeer, start_peer_server
from handlers.notices import deliver_notices
from handlers.pacing import Pacing
from storage import open_database
from tests.support.botchat import KNOWLEDGE_DIR, running_app
from tests.support.process import TOKEN
from tests.support.proxy import loopback_proxy

KNOWLEDGE = load_knowledge(KNOWLEDGE_DIR)
USER = 9090
KARA = "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22.8 otherwise warns while building RetryAfter


# --------------------------------------------------------------------------------------------------
# Pacing
# --------------------------------------------------------------------------------------------------


async def test_the_fake_peer_refuses_more_than_its_rate_in_one_second(ptb_timedelta: None) -> None:
    peer = BotApiPeer("telegram")
    peer.add_user(USER)
    peer.limit_rate(30)
    answers = [await peer.call("sendMessage", {"chat_id": USER, "text": "x"}) for _ in range(31)]
    assert [a["ok"] for a in answers] == [True] * 30 + [False]
    assert answers[-1]["error_code"] == 429 and answers[-1]["parameters"]["retry_after"] == 1
    assert peer.rate_refusals == 1


async def test_a_burst_of_300_notices_is_paced_under_30_a_second_and_arrives_whole_without_a_429(
    tmp_path: Path, ptb_timedelta: None, caplog: pytest.LogCaptureFixture
) -> None:
    peer = BotApiPeer("telegram")
    peer.limit_rate(30)  # Telegram's limit for one bot, enforced over any one second
    users = [90_000 + i for i in range(300)]
    path = tmp_path / "bot.db"
    db = await open_database(path)
    try:
        for user in users:
            peer.add_user(user)
            created = await db.requests.create("13011031101", "telegram", user, user, None, None, {})
            await db.requests.mark_confirmed(created.tracking_code)
            await db.requests.set_status(created.tracking_code, "under_review", note="بررسی آغاز شد")
        caplog.set_level(logging.INFO)
        async with running_app(peer, path, db=db, token=TOKEN, knowledge=KNOWLEDGE, notices=False,
                               send_rate=30) as bot:
            started = time.monotonic()
            delivered = 0
            while delivered < len(users):
                delivered += await deliver_notices(bot.app)
                assert time.monotonic() - started < 40, f"{delivered} of {len(users)} delivered"
            took = time.monotonic() - started
            assert bot.errors == []
    finally:
        await db.close()
    assert peer.rate_refusals == 0  # the peer never had to refuse one
    assert [len(peer.sent(u)) for u in users] == [1] * len(users)  # every citizen told, once
    assert took > len(users) / 30 - 1.5  # paced: about ten seconds, not a burst
    complaints = [r.getMessage() for r in caplog.records
                  if r.levelno >= logging.WARNING or "429" in r.getMessage() or "Rate limit" in r.getMessage()]
    assert complaints == []
    print(f"300 notices at 30/s: {took:.1f} s, no 429")


class _Flood:
    """A Bot API call that answers 429 `times` times, then succeeds."""

    def __init__(self, retry_after: int, times: int = 1) -> None:
        self.retry_after, self.times, self.calls = retry_after, times, 0

    async def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls <= self.times:
            raise RetryAfter(self.retry_after)
        return {"ok": True}


async def test_pacing_waits_out_a_short_flood_and_hands_a_long_one_back_at_once(ptb_timedelta: None) -> None:
    pacing = Pacing(0, retries=3, max_wait=10)
    assert isinstance(pacing, AIORateLimiter)
    short = _Flood(retry_after=1)
    started = time.monotonic()
    assert await pacing.process_request(short, (), {}, "sendMessage", {"chat_id": 1}, None) == {"ok": True}
    assert short.calls == 2 and time.monotonic() - started >= 1.0
    long = _Flood(retry_after=3600)
    started = time.monotonic()
    with pytest.raises(RetryAfter):
        await pacing.process_request(long, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert long.calls == 1 and time.monotonic() - started < 0.5  # for the durable outbox, not a wait


async def test_pacing_spaces_sends_evenly() -> None:
    pacing = Pacing(50, retries=0, max_wait=10)
    stamps: list[float] = []

    async def send(*args, **kwargs):
        stamps.append(time.monotonic())
        return True

    for _ in range(26):
        await pacing.process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None)
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) > 0.015 and 0.45 < stamps[-1] - stamps[0] < 1.0  # 50 a second, no burst


# --------------------------------------------------------------------------------------------------
# The proxy
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("proxy", ["http://127.0.0.1:3128", "https://proxy.example:8443",
                                   "socks5://127.0.0.1:1080", "socks5://user:pass@127.0.0.1:1080"])
def test_bot_proxy_url_reaches_both_http_transports(tmp_path: Path, proxy: str) -> None:
    settings = Settings(token=TOKEN, proxy_url=proxy, database=tmp_path / "bot.db")
    send, updates = bot_api_requests(settings)
    assert send._client_kwargs["proxy"] == proxy and updates._client_kwargs["proxy"] == proxy
    app = build_application(settings, db=None, knowledge=KNOWLEDGE)  # type: ignore[arg-type]
    for counted in app.bot._request:  # (getUpdates, everything else)
        assert counted.inner._client_kwargs["proxy"] == proxy


def test_a_proxy_of_another_kind_is_refused_without_repeating_it() -> None:
    with pytest.raises(ValueError) as refused:
        Settings(proxy_url="ftp://user:secret@127.0.0.1:21")
    assert "secret" not in str(refused.value)


async def test_every_bot_api_call_goes_through_the_proxy(tmp_path: Path) -> None:
    peer = BotApiPeer("telegram", token=TOKEN)
    runner, base = await start_peer_server(peer)
    try:
        async with loopback_proxy() as proxy:
            settings = Settings(token=TOKEN, api_base_url=base, proxy_url=proxy.url, database=tmp_path / "bot.db")
            db = await open_database(settings.database)
            try:
                app = build_application(settings, db, KNOWLEDGE)
                async with running(app, poll_interval=0, poll_timeout=1):
                    peer.user_sends(USER, "وام کارا")
                    [card] = await peer.wait_for_reply(USER, timeout=15)
            finally:
                await db.close()
    finally:
        await runner.cleanup()
    assert card["plain"].startswith(KARA)
    methods = [url.rpartition("/")[2] for _, url in proxy.requests]
    assert {"getMe", "getUpdates", "sendMessage"} <= set(methods)
    assert len(methods) == len(peer.calls)  # nothing reached the platform around the proxy
    assert all(url.startswith(f"{base}/bot{TOKEN}/") for _, url in proxy.requests)
