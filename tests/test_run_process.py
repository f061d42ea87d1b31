"""`python -m bot run` as an operator starts it: a real process, polling the fake peer over loopback HTTP.

The peer runs in the test's event loop (`handlers.fakeapi.server`), so the test plays the citizen directly on it and
reads what the bot process sent. SIGTERM must stop the bot cleanly, with every handled update confirmed, so
a restart neither loses nor repeats an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import texts as T
from handlers.fakeapi import BotApiPeer, start_peer_server

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123:ABC"
USER = 777
FIRST_ANSWER_TIMEOUT = 20  # the process imports PTB and hazm and builds the search index first
ANSWER_TIMEOUT = 8
KARA = "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"


class BotProcess:
    """One `python -m bot run` subprocess; its log goes to a file so a failure can show it."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process, self.log = process, log

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    async def terminate(self, within: float = 5) -> int:
        """SIGTERM, then the exit code (fails if the process takes longer than `within` seconds)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            pytest.fail(f"the bot did not stop within {within}s of SIGTERM:\n{self.log_tail()}")


@contextlib.asynccontextmanager
async def bot_process(base_url: str, database: Path, platform: str, log: Path) -> AsyncIterator[BotProcess]:
    """Runs the bot against the peer at `base_url`; kills it if the block ends with it still running."""
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_API_BASE_URL": base_url,
        "BOT_DATABASE": str(database),
        "BOT_PLATFORM": platform,
        "BOT_LOG_LEVEL": "INFO",
    }
    env.pop("BOT_KNOWLEDGE_DIR", None)  # the shipped knowledge
    with log.open("a", encoding="utf-8") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=out,
            stderr=out,
        )
    bot = BotProcess(process, log)
    try:
        yield bot
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


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


async def says(peer: BotApiPeer, bot: BotProcess, timeout: float = ANSWER_TIMEOUT) -> dict:  # noqa: ASYNC109
    """The next message the bot process sends (or edits) in the citizen's chat."""
    try:
        [message] = await peer.wait_for_reply(USER, count=1, timeout=timeout)
    except TimeoutError as error:
        pytest.fail(f"{error}\n--- bot log ---\n{bot.log_tail()}")
    return message


@pytest.mark.parametrize("platform", ["telegram", "bale"])
async def test_the_bot_process_converses_stops_on_sigterm_and_resumes_without_repeating(
    peer_server, tmp_path: Path, platform: str
) -> None:
    peer, base = await peer_server(platform)
    database, log = tmp_path / "bot.db", tmp_path / "bot.log"

    async with bot_process(base, database, platform, log) as bot:
        peer.user_sends(USER, "/start", first_name="مریم")
        welcome = await says(peer, bot, FIRST_ANSWER_TIMEOUT)
        assert welcome["plain"].startswith("سلام مریم!")
        assert welcome["buttons"][0] == [T.MENU_SEARCH] and len(welcome["buttons"]) == 4

        peer.user_sends(USER, "وام کارا")
        card = await says(peer, bot)
        assert card["plain"].splitlines()[0].strip("*") == KARA
        assert T.BTN_DOCUMENTS in [label for row in card["buttons"] for label in row]

        tap = peer.user_taps_button(USER, T.BTN_DOCUMENTS)
        documents = await says(peer, bot)
        assert "۱. مستندات مرتبط با طرح اشتغال" in documents["plain"]
        assert peer.callback_answer(tap["callback_query"]["id"]) is not None  # the button stopped spinning

        peer.user_sends(USER, "هزینه‌اش چقدره؟")
        cost = await says(peer, bot)
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
    async with bot_process(base, database, platform, log) as bot:
        peer.user_sends(USER, "چقدر طول می‌کشه؟")
        duration = await says(peer, bot, FIRST_ANSWER_TIMEOUT)
        assert "۴۵ روز" in duration["plain"] and KARA in duration["plain"]
        assert [m["plain"] for m in peer.sent(USER)] == [*answered_before, duration["plain"]]
        assert await bot.terminate() == 0, bot.log_tail()
    assert peer.pending_updates == []
    assert "Traceback" not in log.read_text(encoding="utf-8")


async def test_the_bot_process_sets_its_commands_menu_on_telegram(peer_server, tmp_path: Path) -> None:
    peer, base = await peer_server("telegram")
    async with bot_process(base, tmp_path / "bot.db", "telegram", tmp_path / "bot.log") as bot:
        peer.user_sends(USER, "/start")
        await says(peer, bot, FIRST_ANSWER_TIMEOUT)  # the bot is up and serving
        commands = list(peer.commands.values())
        assert await bot.terminate() == 0
    assert commands and [c["command"] for c in commands[0]] == ["start", "help", "cancel"]
