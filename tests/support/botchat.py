"""Citizens talking to the real bot: `build_application` and its handlers, run by PTB against the fake Bot API
peer (handlers.fakeapi) in the test's process.

`running_app` starts the real Application as serve() starts it, on a database file, and yields a
`RunningBot`: which updates the bot has finished with and what reached its error handler. `Chat` is one
citizen's private chat with it; `running_bot` is `running_app` seen from one citizen (the `chat` fixture
of conftest.py, and tests that need more than one application on the same database, such as a restart in
the middle of a form). `polling` runs any PTB Application against the peer the same way.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot import texts as T
from bot.knowledge import Knowledge, load_knowledge
from bot.settings import Settings
from handlers.app import build_application, running
from handlers.fakeapi import BotApiPeer, PeerRequest
from storage import Clock, Store, open_database

ROOT = Path(__file__).resolve().parent.parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
USER = 4242
OBSERVER_GROUP = 1000  # after every real handler, so "handled" means answered (or failed and apologised)
FLOOD_BURST_FOR_TESTS = 100_000  # a test types far faster than a person: out of the flood limit's way
# ...and answers far faster than a platform takes messages: sending is not paced unless a test asks
# (BOT_SEND_RATE's production default is tested in test_ops.py).
SEND_RATE_FOR_TESTS = 0.0

Message = dict[str, Any]


class RunningBot:
    """The real Application polling the peer, as a test sees it.

    An update counts as handled once every handler of the bot (the audit row included) has finished with
    it, and the error handler too if one of them failed. The observers are added beside the bot's own
    handlers; they change nothing the bot does.
    """

    def __init__(self, peer: BotApiPeer, app: Application, db: Store, database: Path | str) -> None:
        self.peer, self.app, self.db, self.database = peer, app, db, database
        self.errors: list[BaseException] = []  # what reached the error handler
        self.handled: set[int] = set()  # update ids
        self.updates_sent: Counter[int] = Counter()  # per user: the updates sent through Chat.act
        self._changed = asyncio.Event()

    @property
    def rt(self):
        return self.app.bot_data["rt"]

    async def observe_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update):
            self.handled.add(update.update_id)
            self._changed.set()

    async def observe_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.errors.append(context.error)

    async def wait(self, *updates: dict[str, Any], timeout: float = 10) -> None:  # noqa: ASYNC109
        """Waits until the bot has handled every one of `updates` (as returned by the peer.user_* calls)."""
        ids = {u["update_id"] for u in updates}
        async with asyncio.timeout(timeout):
            while not ids <= self.handled:
                self._changed.clear()
                await self._changed.wait()

    def citizen(self, user_id: int = USER) -> Chat:
        """The private chat of `user_id` with this bot."""
        return Chat(self, user_id)

    async def send(self, user_id: int, text: str) -> list[Message]:
        """The citizen writes; returns what the bot sent or edited in the chat while handling it."""
        return await self.citizen(user_id).send(text)

    async def tap(self, user_id: int, label: str) -> list[Message]:
        """The citizen taps the button labelled `label` on the newest message that shows it."""
        return await self.citizen(user_id).tap(label)

    def group(self, chat_id: int) -> StaffGroup:
        """The staff group `chat_id` of the support desk (added to the peer if new)."""
        if chat_id not in self.peer._chats:
            self.peer.add_group(chat_id)
        return StaffGroup(self, chat_id)


class Chat:
    """The citizen's side of a private chat with the running bot.

    Each action waits until the bot has finished with the update (its handlers and, on failure, the error
    handler) and returns what the bot sent or edited in the chat meanwhile, as the peer records it.
    """

    def __init__(self, bot: RunningBot, user_id: int = USER, query_ids: list[str] | None = None) -> None:
        self.bot, self.peer, self.app, self.platform, self.user_id = bot, bot.peer, bot.app, bot.peer.platform, user_id
        self.errors = bot.errors  # what reached the error handler, in any chat
        self.errors_expected = False
        self.query_ids: list[str] = [] if query_ids is None else query_ids
        self.last_update: dict[str, Any] = {}

    @property
    def rt(self):
        return self.app.bot_data["rt"]

    async def handled(self, updates: list[dict[str, Any]], timeout: float = 10) -> None:  # noqa: ASYNC109
        """Waits until the bot has handled every one of `updates` (as returned by the peer.user_* calls)."""
        await self.bot.wait(*updates, timeout=timeout)

    async def act(self, action: Callable[[], dict[str, Any]], timeout: float = 10) -> list[Message]:  # noqa: ASYNC109
        """Does `action` (a peer.user_* call), waits until the bot has handled it, returns its answers."""
        before = len(self.peer.outbox(self.user_id))
        update = action()
        self.last_update = update
        if "callback_query" in update:
            self.query_ids.append(update["callback_query"]["id"])
        await self.handled([update], timeout)
        self.bot.updates_sent[self.user_id] += 1
        return self.peer.outbox(self.user_id)[before:]

    async def send(self, text: str, first_name: str | None = None) -> list[Message]:
        return await self.act(lambda: self.peer.user_sends(self.user_id, text, first_name=first_name))

    async def send_without_entity(self, text: str) -> list[Message]:
        """A command as some Bale clients send it: the text alone, without its bot_command entity."""
        return await self.act(
            lambda: self.peer._enqueue("message", self.peer._user_message(self.user_id, None, text=text), self.user_id)
        )

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

    async def share_contact(self, phone: str) -> list[Message]:
        """Shares the citizen's own contact (what a request_contact button sends)."""
        return await self.act(lambda: self.peer.user_sends_contact(self.user_id, phone))

    async def sticker(self) -> list[Message]:
        return await self.act(lambda: self.peer.user_sends_sticker(self.user_id))

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

    def seen(self) -> list[str]:
        """Everything the bot sent or edited in this chat, as read."""
        return [m["plain"] for m in self.peer.outbox(self.user_id)]

    def other_citizen(self, user_id: int) -> Chat:
        """Another citizen of the same bot (own chat; its buttons are checked with this chat's)."""
        return Chat(self.bot, user_id, self.query_ids)


class StaffGroup:
    """The support desk's staff group as its members use it: each action waits until the bot has handled
    it and returns what the bot sent or edited in the group meanwhile (what reached a citizen is in the
    citizen's chat)."""

    def __init__(self, bot: RunningBot, chat_id: int) -> None:
        self.bot, self.peer, self.chat_id = bot, bot.peer, chat_id
        self.query_ids: list[str] = []

    async def act(self, action: Callable[[], dict[str, Any]], timeout: float = 10) -> list[Message]:  # noqa: ASYNC109
        before = len(self.peer.outbox(self.chat_id))
        update = action()
        if "callback_query" in update:
            self.query_ids.append(update["callback_query"]["id"])
        await self.bot.wait(update, timeout=timeout)
        return self.peer.outbox(self.chat_id)[before:]

    async def send(self, user_id: int, text: str, *, reply_to: int | None = None, name: str | None = None) -> list[Message]:
        return await self.act(lambda: self.peer.member_sends(self.chat_id, user_id, text, reply_to=reply_to,
                                                            first_name=name))

    async def reply(self, user_id: int, to: Message | int, text: str, name: str | None = None) -> list[Message]:
        """A member replies with `text` to a message of the group (a record, or its id)."""
        return await self.send(user_id, text, reply_to=to if isinstance(to, int) else to["message_id"], name=name)

    async def reply_photo(self, user_id: int, to: Message | int, caption: str | None = None) -> list[Message]:
        target = to if isinstance(to, int) else to["message_id"]
        return await self.act(lambda: self.peer.member_sends_photo(self.chat_id, user_id, caption=caption,
                                                                  reply_to=target))

    async def reply_document(self, user_id: int, to: Message | int, caption: str | None = None) -> list[Message]:
        target = to if isinstance(to, int) else to["message_id"]
        return await self.act(lambda: self.peer.member_sends_document(self.chat_id, user_id, caption=caption,
                                                                     reply_to=target))

    async def tap(self, user_id: int, label: str, *, on: Message | None = None, name: str | None = None) -> list[Message]:
        """A member taps the button labelled `label` (on message `on`, else the newest that shows it)."""
        message_id = on["message_id"] if on is not None else None
        return await self.act(lambda: self.peer.member_taps_button(self.chat_id, user_id, label, message_id=message_id,
                                                                  first_name=name))

    def callback_answer(self) -> dict[str, Any] | None:
        return self.peer.callback_answer(self.query_ids[-1])

    def messages(self) -> list[Message]:
        """The bot's messages in the group as they stand, oldest first."""
        return self.peer.sent(self.chat_id)

    def seen(self) -> list[str]:
        return [m["plain"] for m in self.peer.outbox(self.chat_id)]


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
async def polling(app: Application, *, poll_interval: float, long_poll: float | timedelta) -> AsyncIterator[Application]:
    """Runs any PTB application (one without the bot's runtime, such as an echo bot) initialized, started
    and polling with PTB's own Updater (`long_poll` is getUpdates' timeout). The bot itself runs through
    handlers.app.running, as serve() runs it."""
    await app.initialize()
    try:
        await app.start()
        await app.updater.start_polling(poll_interval=poll_interval, timeout=long_poll)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
    finally:
        await app.shutdown()


@asynccontextmanager
async def running_app(
    peer: BotApiPeer,
    db_path: Path | str,
    *,
    db: Store | None = None,
    clock: Clock | None = None,
    knowledge: Knowledge | None = None,
    knowledge_dir: Path = KNOWLEDGE_DIR,
    notices: bool = True,
    read_timeout: float = 5.0,
    updates_read_timeout: float = 5.0,
    **settings: Any,
) -> AsyncIterator[RunningBot]:
    """The real Application for the peer's platform, started as serve() starts it and polling the peer, on
    the database at `db_path` (a SQLite file or a database URL); everything (notice loop, application,
    database) is closed on the way out.

    `db` is an open database to use instead (it stays the caller's to close). `knowledge` saves loading
    `knowledge_dir` again. `notices=False` leaves out post_init, and with it the status-notice loop, for a
    test that delivers notices itself (handlers.notices.deliver_notices) when it chooses. The read
    timeouts are PTB's for sending and for getUpdates. `settings` overrides Settings fields (e.g.
    `flood_burst`, `token`, `admin_ids`)."""
    own = db is None
    db = db or await open_database(db_path, clock=clock)
    try:
        config = Settings(
            **{"platform": peer.platform, "token": None, "database": db_path, "knowledge_dir": knowledge_dir,
               "send_rate": SEND_RATE_FOR_TESTS, **settings}
        )
        app = build_application(
            config,
            db,
            knowledge or load_knowledge(knowledge_dir),
            request=PeerRequest(peer, read_timeout=read_timeout),
            get_updates_request=PeerRequest(peer, read_timeout=updates_read_timeout),
        )
        bot = RunningBot(peer, app, db, db_path)
        app.add_handler(TypeHandler(Update, bot.observe_update), group=OBSERVER_GROUP)
        app.add_error_handler(bot.observe_error)
        # Bale answers getUpdates at once (no long poll): a small interval keeps the loop from spinning.
        interval = 0 if peer.platform == "telegram" else 0.01
        async with running(app, poll_interval=interval, poll_timeout=1, notices=notices):
            yield bot
    finally:
        if own:
            await db.close()


@asynccontextmanager
async def running_bot(peer: BotApiPeer, db_path: Path | str, *, user_id: int = USER, **options: Any) -> AsyncIterator[Chat]:
    """`running_app` seen from the chat of citizen `user_id`; `options` are running_app's."""
    async with running_app(peer, db_path, **options) as bot:
        yield bot.citizen(user_id)


def assert_conversation_was_clean(citizen: Chat) -> None:
    """What must stay true in every conversation, unless the test provoked a failure on purpose."""
    if not citizen.errors_expected:
        assert citizen.errors == [], f"a handler failed: {citizen.errors!r}"
        seen = [m["plain"] for m in citizen.peer.outbox(citizen.user_id)]
        assert T.ERROR not in seen and T.BUSY not in seen
    unanswered = [q for q in citizen.query_ids if citizen.peer.callback_answer(q) is None]
    assert unanswered == [], "a button kept spinning: its callback query was never answered"
