"""Webhook mode (BOT_WEBHOOK_URL): the real Application receiving updates the platform POSTs, through the same
durable inbox as polling. A post with Telegram's secret token is stored, answered 200 and handled; a wrong
or missing one gets 403 and nothing is stored or handled; Bale, which sends no secret header, is reached
only at a secret path. A process killed with kill -9 right after acknowledging loses no update.

In-process tests post with httpx to the receiver (or let handlers.fakeapi's WebhookPusher do it, as the
platform would); the process test runs `python -m bot run` against the fake peer over loopback HTTP.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.settings import Settings
from handlers.fakeapi import BotApiPeer, WebhookPusher, start_peer_server
from handlers.webhook import ALLOWED_UPDATES, SECRET_HEADER, webhook_address, webhook_secret
from storage import open_database
from tests.support.botchat import RunningBot, running_app
from tests.support.process import FIRST_ANSWER_TIMEOUT, TOKEN, bot_process, free_port, reply

USER = 5150
KARA = "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"


def webhook_settings(platform: str, port: int) -> dict[str, Any]:
    return {"token": TOKEN, "webhook_url": f"http://127.0.0.1:{port}/{platform}",
            "webhook_listen": f"127.0.0.1:{port}"}


def first_line(message: dict[str, Any]) -> str:
    return message["plain"].splitlines()[0].strip("*")


async def inbox_ids(bot: RunningBot) -> set[int]:
    rows = await bot.db.inbox.pending(bot.peer.platform)
    last = await bot.db.inbox.last_update_id(bot.peer.platform)
    return {r.update_id for r in rows} | ({last} if last is not None else set())


def take(peer: BotApiPeer, update: dict[str, Any]) -> dict[str, Any]:
    """The update the user's action queued, taken off the peer (the test posts it itself)."""
    peer._updates.remove(update)
    return update


async def test_telegram_webhook_with_the_secret_is_answered_and_without_it_refused(tmp_path: Path) -> None:
    peer = BotApiPeer("telegram")
    port = free_port()
    settings = webhook_settings("telegram", port)
    async with running_app(peer, tmp_path / "bot.db", **settings) as bot:
        secret = webhook_secret(Settings(**settings))
        assert peer.webhook == {"url": settings["webhook_url"], "secret_token": secret,
                                "allowed_updates": list(ALLOWED_UPDATES)}
        assert peer.calls_to("deleteWebhook") == []  # polling's first step is not taken
        async with httpx.AsyncClient(trust_env=False) as client:
            url = settings["webhook_url"]
            good = take(peer, peer.user_sends(USER, "وام کارا"))
            answer = await client.post(url, json=good, headers={SECRET_HEADER: secret})
            assert answer.status_code == 200
            [card] = await peer.wait_for_reply(USER)
            assert first_line(card) == KARA

            for headers in ({SECRET_HEADER: "not-the-secret"}, {}, {SECRET_HEADER: secret[:-1]}):
                forged = take(peer, peer.user_sends(USER + 1, "وام کارا"))
                answer = await client.post(url, json=forged, headers=headers)
                assert answer.status_code == 403
                await peer.assert_no_reply(USER + 1, within=0.3)
                assert forged["update_id"] not in bot.handled | await inbox_ids(bot)  # nothing processed

            assert (await client.post(url + "/elsewhere", json=good, headers={SECRET_HEADER: secret})).status_code == 404
            assert (await client.post(url, content=b"{not json", headers={SECRET_HEADER: secret})).status_code == 400
            again = await client.post(url, json=good, headers={SECRET_HEADER: secret})  # the platform retries
            assert again.status_code == 200
            await peer.assert_no_reply(USER, within=0.3)  # stored once, answered once
        assert bot.app.bot_data["receiver"].refused == 3
        assert bot.errors == []
    assert peer.webhook is not None  # left set on stop: the platform keeps updates for the next start


async def test_bale_webhook_is_reached_only_at_its_secret_path(tmp_path: Path) -> None:
    peer = BotApiPeer("bale")
    port = free_port()
    settings = webhook_settings("bale", port)
    url, path = webhook_address(Settings(platform="bale", **settings))
    secret = webhook_secret(Settings(**settings))
    assert url == f"{settings['webhook_url']}/{secret}" and path == f"/bale/{secret}"
    async with running_app(peer, tmp_path / "bot.db", **settings) as bot:
        assert peer.webhook == {"url": url}  # Bale takes only the url
        async with httpx.AsyncClient(trust_env=False) as client:
            guessed = take(peer, peer.user_sends(USER, "وام کارا"))
            for wrong in (settings["webhook_url"], f"{settings['webhook_url']}/{secret[:-2]}"):
                assert (await client.post(wrong, json=guessed)).status_code == 404
            await peer.assert_no_reply(USER, within=0.3)
            assert await inbox_ids(bot) == set()
            assert (await client.post(url, json=guessed)).status_code == 200
            await bot.wait(guessed)
        assert first_line(peer.sent(USER)[-1]) == KARA


@pytest.mark.parametrize("platform", ["telegram", "bale"])
async def test_a_conversation_over_the_webhook_as_the_platform_posts_it(tmp_path: Path, platform: str) -> None:
    peer = BotApiPeer(platform)
    async with running_app(peer, tmp_path / "bot.db", **webhook_settings(platform, free_port())) as bot:
        async with WebhookPusher(peer) as pusher:
            chat = bot.citizen(USER)
            [welcome] = await chat.send("/start")
            assert welcome["buttons"]
            card = await chat.send("وام کارا")
            assert first_line(card[0]) == KARA
            await chat.tap(card[0]["buttons"][0][0])
            assert set(pusher.answers) == {200}
        assert bot.errors == []


async def test_the_webhook_receiver_handles_what_the_inbox_held_undone_first(tmp_path: Path) -> None:
    """An update stored by a process that died before handling it is handled at the next start."""
    peer = BotApiPeer("telegram")
    path = tmp_path / "bot.db"
    early = take(peer, peer.user_sends(USER, "وام کارا"))
    store = await open_database(path)
    try:
        await store.inbox.add("telegram", [(early["update_id"], json.dumps(early, ensure_ascii=False))])
    finally:
        await store.close()
    async with running_app(peer, path, **webhook_settings("telegram", free_port())) as bot:
        await bot.wait(early)
        assert first_line(peer.sent(USER)[-1]) == KARA


# --------------------------------------------------------------------------------------------------
# `python -m bot run` in webhook mode, killed with kill -9 right after acknowledging
# --------------------------------------------------------------------------------------------------


def _word(n: int) -> str:
    """A made-up Persian word for each number (the catalogue has none of them)."""
    letters = "بپتجچخدذرزژسشطظعغفقکگلمنهی"
    word = ""
    while True:
        word = letters[n % len(letters)] + word
        n //= len(letters)
        if not n:
            return "زاغ" + word


async def settled(peer: BotApiPeer, quiet: float = 0.7, timeout: float = 30) -> None:  # noqa: ASYNC109
    """Until every update was taken by the bot and it sent nothing for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last = -1
    while True:
        count = sum(len(peer.outbox(u)) for u in list(peer._outbox))
        if not peer.pending_updates and count == last:
            return
        assert time.monotonic() < deadline, "the bot did not settle"
        last = count
        await asyncio.sleep(quiet)


async def wait_for_webhook(peer: BotApiPeer, bot, timeout: float = FIRST_ANSWER_TIMEOUT) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not peer.webhook:
        assert time.monotonic() < deadline, f"the bot set no webhook:\n{bot.log_tail()}"
        await asyncio.sleep(0.05)


async def test_kill_9_right_after_acknowledging_webhook_posts_loses_no_update(tmp_path: Path) -> None:
    peer = BotApiPeer("telegram", token=TOKEN)
    runner, base = await start_peer_server(peer)
    port = free_port()
    env = {"BOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook", "BOT_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
           "BOT_LOG_FORMAT": "json"}
    database, log = tmp_path / "bot.db", tmp_path / "bot.log"
    users = [81_000 + i for i in range(30)]
    words = {u: [_word(u * 10 + k) for k in range(5)] for u in users}
    try:
        async with WebhookPusher(peer) as pusher:
            async with bot_process(base, database, log, env=env) as bot:
                await wait_for_webhook(peer, bot)
                peer.user_sends(1, "/start")
                await reply(peer, bot, 1, FIRST_ANSWER_TIMEOUT)
                for k in range(5):
                    for u in users:
                        peer.user_sends(u, words[u][k])
                deadline = time.monotonic() + 30
                while sum(len(peer.sent(u)) for u in users) < 20:  # some answered, more acknowledged
                    assert time.monotonic() < deadline, bot.log_tail()
                    await asyncio.sleep(0.002)
                await bot.kill()
            acknowledged = pusher.answers.count(200) - 1  # the /start
            answered_before = sum(len(peer.sent(u)) for u in users)
            assert answered_before < acknowledged, "the kill came with no acknowledged update in hand"
            peer.webhook = None  # a restarted bot sets it again
            async with bot_process(base, database, log, env=env) as bot:
                await wait_for_webhook(peer, bot)
                await settled(peer)
                assert await bot.terminate() == 0, bot.log_tail()
    finally:
        await runner.cleanup()
    for u in users:
        quoted = [next((w for w in words[u] if f"«{w}»" in m["plain"]), m["plain"]) for m in peer.sent(u)]
        assert quoted == words[u], u  # every message answered, once, in order
    lines = log.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]  # BOT_LOG_FORMAT=json: every line one JSON object
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    print(f"webhook kill -9: {acknowledged} acknowledged, {answered_before} answered before the kill")
