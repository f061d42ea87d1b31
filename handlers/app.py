"""The python-telegram-bot Application: built from settings for Telegram or Bale, run through one
lifecycle (`running`) by the server, the sandbox chat and the tests alike."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from telegram import BotCommand, Update
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest

from bot import texts as T
from bot.dialogue import Dialogue
from bot.knowledge import Knowledge, load_knowledge
from bot.reply import Reply
from bot.search import SearchEngine
from bot.settings import Settings
from handlers.concurrency import PerUserUpdateProcessor
from handlers.context import PROFILES, Runtime, runtime_of
from handlers.inbox import DurablePoller
from handlers.notices import start_notices, stop_notices
from handlers.send import TelegramOutbox
from handlers.wiring import register
from storage import Store, open_database

log = logging.getLogger(__name__)

LOG_FLUSH_SECONDS = 0.5  # conversation log rows are written in batches this often when serving
SERVING_PATIENCE = 1.0  # seconds a write waits for another process's lock before the citizen hears "busy"

COMMANDS = (("start", "منوی اصلی"), ("help", "راهنما"), ("cancel", "لغو کار جاری"))


def build_application(
    settings: Settings,
    db: Store,
    knowledge: Knowledge,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Application:
    """The bot for `settings.platform`, talking to `settings.base_url` (or to an injected request, as the
    sandbox and the tests do)."""
    profile = PROFILES[settings.platform]
    processor = PerUserUpdateProcessor(
        settings.max_concurrent_updates, rate=settings.flood_rate, burst=settings.flood_burst
    )
    builder = (
        ApplicationBuilder()
        .token(settings.token or "1:sandbox")
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .concurrent_updates(processor)
        .post_init(post_init)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    app = builder.build()
    rt = Runtime(settings=settings, profile=profile, dialogue=Dialogue(settings, db, SearchEngine(knowledge)))
    app.bot_data["rt"] = rt

    async def slow_down(update: Update, warn: bool) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer(T.SLOW_DOWN if warn else None)
        elif warn and update.effective_chat is not None:
            await rt.dialogue.send(TelegramOutbox(rt, app.bot), update.effective_chat.id, Reply(T.SLOW_DOWN))

    processor.on_throttled = slow_down
    register(app)
    return app


async def post_init(app: Application) -> None:
    """Commands menu and description (best effort: Bale may refuse them); status notices start.
    PTB runs post_init only from run_polling/run_webhook, so `running` calls it."""
    if "notice_task" not in app.bot_data:
        start_notices(app)
    bot = app.bot
    for call in (
        lambda: bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS]),
        lambda: bot.set_my_short_description(T.BOT_NAME),
    ):
        try:
            await call()
        except Exception as exc:
            log.info("platform refused an optional setting: %s", exc)


@contextlib.asynccontextmanager
async def running(app: Application, *, poll_interval: float | None = None, poll_timeout: int | None = None,
                  notices: bool = True) -> AsyncIterator[Application]:
    """The application initialised, started and polling through the durable inbox (handlers/inbox.py):
    updates left undone by a crash are handled first. On the way out polling stops first, then the
    delivery loop, then the handlers finish the updates in hand and their done marks are written.

    `notices=False` leaves out post_init, and with it the delivery loop (for a test that delivers notices
    itself)."""
    rt = runtime_of(app)
    profile = rt.profile
    poller = DurablePoller(
        app,
        poll_interval=profile.poll_interval if poll_interval is None else poll_interval,
        poll_timeout=profile.poll_timeout if poll_timeout is None else poll_timeout,
    )
    app.update_processor.on_done = poller.done
    rt.commit_update = poller.commit
    await app.initialize()
    try:
        rt.waiting_chats = await rt.db.outbox.waiting_chats(profile.name)
        if notices:
            await post_init(app)
        await app.start()
        await poller.start()
        try:
            yield app
        finally:
            await poller.stop()
            await stop_notices(app)
            await app.stop()
            await poller.flush()
    finally:
        await app.shutdown()


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Long polling until SIGINT/SIGTERM (or `stop`)."""
    knowledge = load_knowledge(settings.knowledge_dir)
    db = await open_database(settings.database, patience=SERVING_PATIENCE)
    db.log.buffer(LOG_FLUSH_SECONDS)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        app = build_application(settings, db, knowledge)
        async with running(app):
            log.info("serving @%s on %s (%s), %d services", app.bot.username, settings.platform, settings.base_url,
                     len(knowledge.services))
            await stop.wait()
            log.info("stopping: finishing the updates in hand")
    finally:
        await db.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def configure_logging(level: str = "INFO") -> None:
    """Readable logs on stderr; httpx's per-request lines only at DEBUG."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)


def run_polling(settings: Settings) -> int:
    """`python -m bot run` with a token."""
    configure_logging(settings.log_level)
    asyncio.run(serve(settings))
    return 0
