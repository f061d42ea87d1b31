"""`python -m bot chat`: the real Application and handlers, talking to an in-process Bot API peer, in a
terminal. No token, no network: what a newcomer or an admin runs to try the bot.

Buttons are shown as numbered choices; typing the number taps the button.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TextIO

from bot.knowledge import KnowledgeError, load_knowledge
from bot.settings import Settings
from handlers.app import build_application, running
from handlers.fakeapi import BotApiPeer, PeerRequest
from storage import Store, open_database

USER_ID = 1001
FIRST_NAME = "شهروند"
QUIT = {"/quit", "/exit", "خروج"}


class Sandbox:
    """A running bot plus one simulated citizen, driven line by line (also by tests)."""

    def __init__(self, settings: Settings):
        # The peer is in this process: no webhook, no proxy, no pacing, no HTTP servers.
        self.settings = settings.model_copy(
            update={"webhook_url": None, "proxy_url": None, "metrics_listen": None, "send_rate": 0.0}
        )
        self.peer = BotApiPeer(platform=settings.platform)
        self.buttons: list[tuple[int, dict]] = []  # (message_id, button) in the order shown
        self.app = None
        self.db: Store | None = None
        self._running: contextlib.AbstractAsyncContextManager | None = None

    async def __aenter__(self) -> Sandbox:
        knowledge = load_knowledge(self.settings.knowledge_dir)
        self.db = await open_database(self.settings.database)
        # The inbox remembers the update ids of earlier sessions: the simulated platform goes on after them.
        self.peer.continue_after(await self.db.inbox.last_update_id(self.settings.platform))
        self.app = build_application(self.settings, self.db, knowledge, request=PeerRequest(self.peer),
                                     get_updates_request=PeerRequest(self.peer, read_timeout=30))
        self._running = running(self.app, poll_interval=0.0, poll_timeout=10)
        try:
            await self._running.__aenter__()
        except BaseException:
            await self.db.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self._running.__aexit__(None, None, None)
        finally:
            await self.db.close()

    async def say(self, line: str) -> list[dict]:
        """The citizen types `line` (a number taps the button with that number); returns the bot's
        messages in answer."""
        line = line.strip()
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            message_id, button = self.buttons[int(line) - 1]
            if "url" in button:
                return [{"plain": f"(پیوند: {button['url']})", "buttons": []}]
            if button.get("request_contact"):
                self.peer.user_sends_contact(USER_ID, "09120000000")
            elif "callback_data" in button:
                self.peer.user_taps(USER_ID, message_id, button["callback_data"])
            else:
                self.peer.user_sends(USER_ID, button["text"], first_name=FIRST_NAME)
        else:
            self.peer.user_sends(USER_ID, line, first_name=FIRST_NAME)
        messages = await self.peer.wait_for_reply(USER_ID, count=1, timeout=15)
        while True:  # a long answer may come in several messages
            try:
                messages += await self.peer.wait_for_reply(USER_ID, count=1, timeout=0.3)
            except TimeoutError:
                break
        self._remember_buttons(messages)
        return messages

    def _remember_buttons(self, messages: list[dict]) -> None:
        shown = [(m["message_id"], b) for m in messages for row in _keyboard(m) for b in row]
        if shown:
            self.buttons = shown

    def render(self, messages: list[dict]) -> str:
        """The messages as a terminal shows them, buttons numbered."""
        out = []
        n = 0
        for m in messages:
            out.append("🤖 " + m["plain"].replace("\n", "\n   "))
            for row in _keyboard(m):
                cells = []
                for b in row:
                    n += 1
                    cells.append(f"[{n}] {b['text']}")
                out.append("   " + "   ".join(cells))
        return "\n".join(out)


def _keyboard(message: dict) -> list[list[dict]]:
    markup = message.get("reply_markup") or {}
    return markup.get("inline_keyboard") or markup.get("keyboard") or []


async def _chat(settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    async with Sandbox(settings) as box:
        print(f"گفت‌وگوی آزمایشی ({settings.platform}) — بدون توکن و بدون اینترنت. "
              "برای زدن دکمه شماره‌اش را بنویسید؛ برای خروج /quit.", file=stdout)
        print(box.render(await box.say("/start")), file=stdout, flush=True)
        loop = asyncio.get_running_loop()
        while True:
            print("👤 ", end="", file=stdout, flush=True)
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:  # end of input
                print(file=stdout)
                return 0
            if line.strip() in QUIT:
                return 0
            if not line.strip():
                continue
            print(box.render(await box.say(line)), file=stdout, flush=True)


def run_sandbox(settings: Settings, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Runs the terminal chat until /quit or end of input."""
    try:
        return asyncio.run(_chat(settings, stdin, stdout))
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
