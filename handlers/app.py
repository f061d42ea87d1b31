"""The python-telegram-bot Application: built from settings for Telegram or Bale, run through one
lifecycle (`running`) by the server, the sandbox chat and the tests alike.

Every Bot API call goes through the proxy (BOT_PROXY_URL) when one is set, is counted
(handlers/metrics.py) and, when it names a chat, paced (handlers/pacing.py). Updates arrive by long
polling, or by webhook when BOT_WEBHOOK_URL is set; either way through the durable inbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest

from bot import texts as T
from bot.dialogue import Dialogue
from bot.knowledge import Knowledge, load_knowledge
from bot.logs import configure_logging
from bot.reply import Reply
from bot.search import SearchEngine
from bot.settings import Settings, host_port
from handlers.concurrency import PerUserUpdateProcessor
from handlers.context import PROFILES, Runtime, runtime_of
from handlers.http import HttpServer
from handlers.inbox import DurableInbox, DurablePoller
from handlers.metrics import CountingRequest, Metrics
from handlers.monitor import monitor_routes
from handlers.notices import start_notices, stop_notices
from handlers.pacing import Pacing
from handlers.send import FLOOD_RETRIES, MAX_FLOOD_WAIT, TelegramOutbox
from handlers.watch import knowledge_followed
from handlers.webhook import WebhookReceiver
from handlers.wiring import register
from storage import Store, open_database

log = logging.getLogger(__name__)

LOG_FLUSH_SECONDS = 0.5  # conversation log rows are written in batches this often when serving
SERVING_PATIENCE = 1.0  # seconds a write waits for another process's lock before the citizen hears "busy"

COMMANDS = (("start", "منوی اصلی"), ("help", "راهنما"), ("cancel", "لغو کار جاری"))
ADMIN_COMMANDS = (("stats", "آمار"), ("unanswered", "پرسش‌های بی‌پاسخ"), ("reload", "بارگذاری دوباره دانش"))
SEND_POOL = 256  # connections for sending (PTB's default)


def bot_api_requests(settings: Settings) -> tuple[HTTPXRequest, HTTPXRequest]:
    """The HTTP transports of the real platform: one for sending, one for getUpdates, both through
    BOT_PROXY_URL when set (http://, https://, socks5://)."""
    return (HTTPXRequest(connection_pool_size=SEND_POOL, proxy=settings.proxy_url),
            HTTPXRequest(connection_pool_size=1, proxy=settings.proxy_url))


def build_application(
    settings: Settings,
    db: Store,
    knowledge: Knowledge,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Application:
    """The bot for `settings.platform`, talking to `settings.base_url` through BOT_PROXY_URL (or to an
    injected request, as the sandbox and the tests do)."""
    profile = PROFILES[settings.platform]
    metrics = Metrics()
    if request is None:
        request, get_updates_request = bot_api_requests(settings)
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
        .request(CountingRequest(request, metrics))
        .get_updates_request(CountingRequest(get_updates_request or request, metrics))
        .rate_limiter(Pacing(settings.send_rate, retries=FLOOD_RETRIES, max_wait=MAX_FLOOD_WAIT))
    )
    app = builder.build()
    rt = Runtime(settings=settings, profile=profile, dialogue=Dialogue(settings, db, SearchEngine(knowledge)),
                 metrics=metrics)
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
    rt = runtime_of(app)
    calls = [
        lambda: bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS]),
        lambda: bot.set_my_short_description(T.BOT_NAME),
    ]
    # Admins see their commands in the menu of their own chat with the bot; nobody else sees they exist.
    admin_menu = [BotCommand(c, d) for c, d in (*COMMANDS, *ADMIN_COMMANDS)]
    for platform, user_id in sorted(rt.settings.admin_ids, key=str):
        if platform in (None, rt.profile.name):
            calls.append(lambda user_id=user_id: bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(user_id)))
    for call in calls:
        try:
            await call()
        except Exception as exc:
            log.info("platform refused an optional setting: %s", exc)


def receiver_for(app: Application, *, poll_interval: float | None = None,
                 poll_timeout: int | None = None) -> DurableInbox:
    """How updates arrive: the webhook when BOT_WEBHOOK_URL is set, long polling otherwise."""
    rt = runtime_of(app)
    if rt.settings.webhook_url:
        return WebhookReceiver(app, rt.settings)
    profile = rt.profile
    return DurablePoller(
        app,
        poll_interval=profile.poll_interval if poll_interval is None else poll_interval,
        poll_timeout=profile.poll_timeout if poll_timeout is None else poll_timeout,
    )


def http_servers(app: Application, receiver: DurableInbox) -> list[HttpServer]:
    """The webhook receiver on BOT_WEBHOOK_LISTEN, /healthz and /metrics on BOT_METRICS_LISTEN (one server
    when both name the same address)."""
    rt = runtime_of(app)
    settings = rt.settings
    by_address: dict[tuple[str, int], tuple[list[str], list]] = {}
    if isinstance(receiver, WebhookReceiver):
        names, routes = by_address.setdefault(host_port(settings.webhook_listen), ([], []))
        names.append("webhook")
        routes.extend(receiver.routes)
    if settings.metrics_listen:
        mode = "webhook" if isinstance(receiver, WebhookReceiver) else "polling"
        names, routes = by_address.setdefault(host_port(settings.metrics_listen), ([], []))
        names.append("/healthz and /metrics")
        routes.extend(monitor_routes(rt, mode))
    return [HttpServer(host, port, routes, name=" with ".join(names))
            for (host, port), (names, routes) in by_address.items()]


@contextlib.asynccontextmanager
async def running(app: Application, *, poll_interval: float | None = None, poll_timeout: int | None = None,
                  notices: bool = True) -> AsyncIterator[Application]:
    """The application initialised, started and receiving through the durable inbox (handlers/inbox.py) —
    by long polling, or by webhook when BOT_WEBHOOK_URL is set — with /healthz and /metrics when
    BOT_METRICS_LISTEN is: updates left undone by a crash are handled first. On the way out receiving stops
    first, then the delivery loop, then the handlers finish the updates in hand and their done marks are
    written.

    While it runs, the knowledge files are followed (BOT_KNOWLEDGE_POLL, handlers/watch.py): a change is
    reloaded without a restart.

    `notices=False` leaves out post_init, and with it the delivery loop (for a test that delivers notices
    itself). The HTTP servers are in `app.bot_data["http"]` (their ports, when 0 was asked for)."""
    rt = runtime_of(app)
    receiver = receiver_for(app, poll_interval=poll_interval, poll_timeout=poll_timeout)
    app.update_processor.on_done = receiver.done
    rt.commit_update = receiver.commit
    servers = http_servers(app, receiver)
    app.bot_data["receiver"], app.bot_data["http"] = receiver, servers
    await app.initialize()
    try:
        rt.waiting_chats = await rt.db.outbox.waiting_chats(rt.profile.name)
        if notices:
            await post_init(app)
        await app.start()
        started: list[HttpServer] = []
        try:
            await receiver.start()
            for server in servers:
                await server.start()
                started.append(server)
            await receiver.announce()
            async with knowledge_followed(rt.dialogue, rt.settings.knowledge_dir, rt.settings.knowledge_poll):
                yield app
        finally:
            await receiver.stop()
            for server in started:
                await server.stop()
            await stop_notices(app)
            await app.stop()
            await receiver.flush()
    finally:
        await app.shutdown()


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Long polling, or the webhook, until SIGINT/SIGTERM (or `stop`)."""
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
            mode = "webhook" if settings.webhook_url else "long polling"
            log.info("serving @%s on %s (%s) by %s%s, %d services", app.bot.username, settings.platform,
                     settings.base_url, mode, " through a proxy" if settings.proxy_url else "", len(knowledge.services))
            await stop.wait()
            log.info("stopping: finishing the updates in hand")
    finally:
        await db.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def run_server(settings: Settings) -> int:
    """`python -m bot run` with a token."""
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(serve(settings))
    return 0
