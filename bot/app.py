"""The python-telegram-bot Application: built from settings for Telegram or Bale, served by long polling.

Platform differences live in a `Profile`; handlers never branch on the platform themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest

from bot import texts as T
from bot.concurrency import PerUserUpdateProcessor
from bot.knowledge import Knowledge, load_knowledge
from bot.reply import Reply, render_bale, render_html
from bot.search import SearchEngine
from bot.settings import Settings
from storage import Store, open_database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    """What differs between Telegram and Bale, as far as the bot cares."""

    name: str
    parse_mode: str | None
    render: Callable[[str], str]
    poll_interval: float  # Bale ignores getUpdates' long-poll timeout: poll gently instead
    poll_timeout: int


PROFILES = {
    "telegram": Profile("telegram", ParseMode.HTML, render_html, poll_interval=0.0, poll_timeout=20),
    "bale": Profile("bale", None, render_bale, poll_interval=1.0, poll_timeout=0),
}

LOG_FLUSH_SECONDS = 0.5  # conversation log rows are written in batches this often when serving

COMMANDS = (("start", "منوی اصلی"), ("help", "راهنما"), ("cancel", "لغو کار جاری"))


@dataclass
class Runtime:
    """What the handlers need, in one place: settings, platform profile, storage and the search engine.

    `engine` is replaced as a whole on reload, so a handler that took it keeps a consistent catalogue."""

    settings: Settings
    profile: Profile
    db: Store
    engine: SearchEngine
    # Tracking codes whose confirmation a handler is sending right now (the notice loop leaves them alone).
    confirming: set[str] = field(default_factory=set)

    @property
    def knowledge(self) -> Knowledge:
        return self.engine.knowledge


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
        .post_init(_post_init)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    app = builder.build()
    rt = Runtime(settings=settings, profile=profile, db=db, engine=SearchEngine(knowledge))
    app.bot_data["rt"] = rt
    from handlers import register
    from handlers.send import send

    async def slow_down(update: Update, warn: bool) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer(T.SLOW_DOWN if warn else None)
        elif warn and update.effective_chat is not None:
            await send(rt, app.bot, update.effective_chat.id, Reply(T.SLOW_DOWN))

    processor.on_throttled = slow_down
    register(app)
    return app


async def post_init(app: Application) -> None:
    """Best-effort platform settings; call after `initialize()` when starting an app by hand."""
    await _post_init(app)


async def _post_init(app: Application) -> None:
    """Commands menu and description (best effort: Bale may refuse them); status notices start."""
    from handlers.registration import start_notices

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


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Long polling until SIGINT/SIGTERM (or `stop`): handled updates are confirmed to the server on the
    way out, so a restart neither loses nor repeats one."""
    from handlers.registration import stop_notices

    knowledge = load_knowledge(settings.knowledge_dir)
    db = await open_database(settings.database)
    db.log.buffer(LOG_FLUSH_SECONDS)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        app = build_application(settings, db, knowledge)
        profile = app.bot_data["rt"].profile
        async with app:
            await _post_init(app)  # PTB runs post_init only from run_polling/run_webhook
            await app.start()
            await app.updater.start_polling(
                poll_interval=profile.poll_interval,
                timeout=profile.poll_timeout,
                allowed_updates=None,
                drop_pending_updates=False,
            )
            me = app.bot.username
            log.info("serving @%s on %s (%s), %d services", me, settings.platform, settings.base_url,
                     len(knowledge.services))
            await stop.wait()
            log.info("stopping: finishing the updates in hand")
            await app.updater.stop()
            await stop_notices(app)
            await app.stop()
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
