"""A citizen talking to the real bot: `build_application` and its handlers, run by PTB against the fake peer.

Shared by the conversation tests (the `chat` fixture in conftest.py) and by tests that need more than one
application on the same database, such as a restart in the middle of a form (`running_bot`).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot import texts as T
from bot.app import build_application, post_init
from bot.knowledge import load_knowledge
from bot.settings import Settings
from handlers.fakeapi import BotApiPeer, PeerRequest
from handlers.registration import stop_notices
from storage.db import Clock, Database

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
USER = 4242
OBSERVER_GROUP = 1000  # after every real handler, so "handled" means answered (or failed and apologised)
FLOOD_BURST_FOR_TESTS = 100_000  # a test types far faster than a person: out of the flood limit's way

Message = dict[str, Any]


class Chat:
    """The citizen's side of a private chat with the running bot.

    Each action waits until the bot has finished with the update (its handlers and, on failure, the error
    handler) and returns what the bot sent or edited in the chat meanwhile, as the peer records it.
    """

    def __init__(self, peer: BotApiPeer, app: Application, platform: str, user_id: int = USER) -> None:
        self.peer, self.app, self.platform, self.user_id = peer, app, platform, user_id
        self.errors: list[BaseException] = []  # what reached the error handler
        self.errors_expected = False
        self.query_ids: list[str] = []
        self.last_update: dict[str, Any] = {}
        self._handled: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)

    # The observers are added beside the bot's own handlers; they change nothing the bot does.
    async def observe_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update):
            self._handled[update.update_id].set()

    async def observe_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.errors.append(context.error)

    @property
    def rt(self):
        return self.app.bot_data["rt"]

    async def handled(self, updates: list[dict[str, Any]], timeout: float = 10) -> None:  # noqa: ASYNC109
        """Waits until the bot has handled every one of `updates` (as returned by the peer.user_* calls)."""
        await asyncio.wait_for(asyncio.gather(*(self._handled[u["update_id"]].wait() for u in updates)), timeout)

    async def act(self, action: Callable[[], dict[str, Any]], timeout: float = 10) -> list[Message]:  # noqa: ASYNC109
        """Does `action` (a peer.user_* call), waits until the bot has handled it, returns its answers."""
        before = len(self.peer.outbox(self.user_id))
        update = action()
        self.last_update = update
        if "callback_query" in update:
            self.query_ids.append(update["callback_query"]["id"])
        await self.handled([update], timeout)
        return self.peer.outbox(self.user_id)[before:]

    async def send(self, text: str, first_name: str | None = None) -> list[Message]:
        return await self.act(lambda: self.peer.user_sends(self.user_id, text, first_name=first_name))

    async def tap(self, label: str) -> list[Message]:
        """Taps the button labelled `label` on the newest message that shows it."""
        return await self.act(lambda: self.peer.user_taps_button(self.user_id, label))

    async def tap_data(self, data: str, message_id: int | None = None) -> list[Message]:
        """Taps a button carrying `data` (forged or not) under a bot message (the newest by default)."""
        message_id = message_id or self.peer.sent(self.user_id)[-1]["message_id"]
        return await self.act(lambda: self.peer.user_taps(self.user_id, message_id, data))

    async def tap_twice(self, data: str, message_id: int) -> list[Message]:
        """Two taps on the same button, both on their way before the bot handles the first."""
        before = len(self.peer.outbox(self.user_id))
        taps = [self.peer.user_taps(self.user_id, message_id, data) for _ in range(2)]
        self.query_ids += [t["callback_query"]["id"] for t in taps]
        await self.handled(taps)
        return self.peer.outbox(self.user_id)[before:]

    async def answer(self, text: str) -> Message:
        """Sends `text` and returns the one message the bot answers with."""
        messages = await self.send(text)
        assert len(messages) == 1, [m["plain"] for m in messages]
        return messages[0]

    async def tap_for_one(self, label: str) -> Message:
        messages = await self.tap(label)
        assert len(messages) == 1, [m["plain"] for m in messages]
        return messages[0]

    def callback_answer(self) -> dict[str, Any] | None:
        return self.peer.callback_answer(self.query_ids[-1])

    def other_citizen(self, user_id: int) -> Chat:
        """Another citizen of the same bot (same observers, own chat)."""
        other = Chat(self.peer, self.app, self.platform, user_id)
        other._handled, other.errors, other.query_ids = self._handled, self.errors, self.query_ids
        return other


def labels(message: Message) -> list[str]:
    """Every button label of a message, row after row."""
    return [label for row in message["buttons"] for label in row]


def data_of(message: Message, label: str) -> str:
    """The callback data behind the button labelled `label`."""
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if b["text"] == label)


def title_line(message: Message) -> str:
    """The first line as seen, without Bale's bold marks."""
    return message["plain"].splitlines()[0].strip("*")


@asynccontextmanager
async def running_bot(
    peer: BotApiPeer,
    db_path: Path,
    *,
    clock: Clock | None = None,
    knowledge_dir: Path = KNOWLEDGE_DIR,
    user_id: int = USER,
    notices: bool = True,
    **settings: Any,
) -> AsyncIterator[Chat]:
    """The real Application for the peer's platform, started as serve() starts it and polling the peer, on
    the database at `db_path`; everything (notice loop, application, database) is closed on the way out.

    `notices=False` leaves out post_init, and with it the status-notice loop, for a test that delivers
    notices itself (handlers.registration.deliver_notices) when it chooses. `settings` overrides Settings
    fields (e.g. `flood_burst`)."""
    platform = peer.platform
    db = await Database.open(db_path, clock=clock)
    try:
        knowledge = load_knowledge(knowledge_dir)
        config = Settings(platform=platform, token=None, database=db_path, knowledge_dir=knowledge_dir, **settings)
        app = build_application(
            config, db, knowledge, request=PeerRequest(peer), get_updates_request=PeerRequest(peer, read_timeout=5)
        )
        citizen = Chat(peer, app, platform, user_id)
        app.add_handler(TypeHandler(Update, citizen.observe_update), group=OBSERVER_GROUP)
        app.add_error_handler(citizen.observe_error)
        await app.initialize()
        try:
            if notices:
                await post_init(app)  # as serve() does: commands menu, status-notice loop
            await app.start()
            # Bale answers getUpdates at once (no long poll): a small interval keeps the loop from spinning.
            await app.updater.start_polling(poll_interval=0 if platform == "telegram" else 0.01, timeout=1)
            try:
                yield citizen
            finally:
                await app.updater.stop()
                await app.stop()
                await stop_notices(app)  # after the stop, by which the loop ends by itself
        finally:
            await app.shutdown()
    finally:
        await db.close()


def assert_conversation_was_clean(citizen: Chat) -> None:
    """What must stay true in every conversation, unless the test provoked a failure on purpose."""
    if not citizen.errors_expected:
        assert citizen.errors == [], f"a handler failed: {citizen.errors!r}"
        seen = [m["plain"] for m in citizen.peer.outbox(citizen.user_id)]
        assert T.ERROR not in seen and T.BUSY not in seen
    unanswered = [q for q in citizen.query_ids if citizen.peer.callback_answer(q) is None]
    assert unanswered == [], "a button kept spinning: its callback query was never answered"
