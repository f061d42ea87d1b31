"""`python -m bot run` as an operator starts it: a real process, polling the fake peer over loopback HTTP.

The peer runs in the test's event loop (`handlers.fakeapi.server`), so the test plays the citizen directly on it and
reads what the bot process sent. SIGTERM must stop the bot cleanly, with every handled update confirmed, so
a restart neither loses nor repeats an answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import texts as T
from handlers.fakeapi import BotApiPeer, start_peer_server
from tests.support.process import FIRST_ANSWER_TIMEOUT, TOKEN, bot_process, reply

USER = 777
ANSWER_TIMEOUT = 8
KARA = "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"


@pytest.fixture
async def peer_server():
    """Starts the fake peer over HTTP for one platform; returns (peer, base URL) and stops it afterwards."""
    runners = []

    async def start(platform: str) -> tuple[BotApiPeer, str]:
        peer = BotApiPeer(platform, token=TOKEN)
        runner, base = await start_peer_server(peer)
        runners.append(runner)
        return peer, base

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.mark.parametrize("platform", ["telegram", "bale"])
async def test_the_bot_process_converses_stops_on_sigterm_and_resumes_without_repeating(
    peer_server, tmp_path: Path, platform: str
) -> None:
    peer, base = await peer_server(platform)
    database, log = tmp_path / "bot.db", tmp_path / "bot.log"

    async with bot_process(base, database, log, platform=platform) as bot:
        peer.user_sends(USER, "/start", first_name="مریم")
        welcome = await reply(peer, bot, USER, FIRST_ANSWER_TIMEOUT)
        assert welcome["plain"].startswith("سلام مریم!")
        assert welcome["buttons"][0] == [T.MENU_SEARCH] and len(welcome["buttons"]) == 4

        peer.user_sends(USER, "وام کارا")
        card = await reply(peer, bot, USER, ANSWER_TIMEOUT)
        assert card["plain"].splitlines()[0].strip("*") == KARA
        assert T.BTN_DOCUMENTS in [label for row in card["buttons"] for label in row]

        tap = peer.user_taps_button(USER, T.BTN_DOCUMENTS)
        documents = await reply(peer, bot, USER, ANSWER_TIMEOUT)
        assert "۱. مستندات مرتبط با طرح اشتغال" in documents["plain"]
        assert peer.callback_answer(tap["callback_query"]["id"]) is not None  # the button stopped spinning

        peer.user_sends(USER, "هزینه‌اش چقدره؟")
        cost = await reply(peer, bot, USER, ANSWER_TIMEOUT)
        assert T.NOT_STATED.format(what="هزینه") in cost["plain"] and "رایگان" not in cost["plain"]

        assert await bot.terminate() == 0, bot.log_tail()

    # What the platform received: the right token and formatting, every handled update confirmed.
    sends = peer.calls_to("sendMessage")
    assert len(sends) == 4
    if platform == "telegram":
        assert all(call.get("parse_mode") == "HTML" for call in sends)
    else:
        assert all("parse_mode" not in call for call in sends)
    assert not any("Unauthorized" in str(call) for call in peer.calls)
    assert peer.pending_updates == [], "the last handled updates were not confirmed before exiting"
    answered_before = [m["plain"] for m in peer.sent(USER)]

    # A restart against the same server and database: old messages are not answered again, and the
    # service being viewed was kept.
    async with bot_process(base, database, log, platform=platform) as bot:
        peer.user_sends(USER, "چقدر طول می‌کشه؟")
        duration = await reply(peer, bot, USER, FIRST_ANSWER_TIMEOUT)
        assert "۴۵ روز" in duration["plain"] and KARA in duration["plain"]
        assert [m["plain"] for m in peer.sent(USER)] == [*answered_before, duration["plain"]]
        assert await bot.terminate() == 0, bot.log_tail()
    assert peer.pending_updates == []
    assert "Traceback" not in log.read_text(encoding="utf-8")


async def test_the_bot_process_sets_its_commands_menu_on_telegram(peer_server, tmp_path: Path) -> None:
    peer, base = await peer_server("telegram")
    async with bot_process(base, tmp_path / "bot.db", tmp_path / "bot.log") as bot:
        peer.user_sends(USER, "/start")
        await reply(peer, bot, USER, FIRST_ANSWER_TIMEOUT)  # the bot is up and serving
        commands = list(peer.commands.values())
        assert await bot.terminate() == 0
    assert commands and [c["command"] for c in commands[0]] == ["start", "help", "cancel"]


async def test_the_sandbox_chat_answers_again_after_a_restart_on_the_same_database(tmp_path: Path) -> None:
    """The inbox remembers the update ids of the first session; the second one must still be answered."""
    from bot.settings import Settings
    from handlers.sandbox import Sandbox

    settings = Settings(_env_file=None, database=tmp_path / "bot.db")
    for _ in range(2):
        async with Sandbox(settings) as box:
            [welcome, *_] = await box.say("/start")
            assert welcome["plain"].startswith("سلام")
