"""Receiving updates by webhook (`BOT_WEBHOOK_URL`): the platform POSTs each update to the bot, and the
HTTP 200 that acknowledges it is sent only once the update is stored in the inbox — the same contract as
the durable poller (handlers/inbox.py), whose done marks and replay on start it shares. A process killed
right after a 200 loses nothing: the update is in the inbox and is handled after the restart.

Only the platform may post: Telegram sends the `secret_token` given to setWebhook in a header, checked
here (wrong or missing: 403, nothing stored or handled). Bale sends no such header, so on Bale the secret
is the last segment of the URL path instead (any other path: 404). The secret is BOT_WEBHOOK_SECRET, or
derived from the token, so it survives restarts without being written down anywhere.

The webhook is set on start (with the secret and the update kinds the bot handles) and left set on stop:
the platform keeps updates for the next start. A watch asks getWebhookInfo now and then, sets the webhook
again when it was changed behind the bot's back, and logs the platform's delivery errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.error import Forbidden, InvalidToken, TelegramError
from telegram.ext import Application

from bot.settings import Settings
from handlers.inbox import MAX_BACKOFF, DurableInbox

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")  # what handlers/wiring.py handles
MAX_BODY = 1 << 20  # an update is a few kilobytes
WATCH_EVERY = 60.0  # seconds between looks at getWebhookInfo


def webhook_secret(settings: Settings) -> str:
    """BOT_WEBHOOK_SECRET, or a secret derived from the token (64 hex digits: valid as Telegram's
    secret_token and as a URL path segment)."""
    if settings.webhook_secret:
        return settings.webhook_secret
    token = (settings.token or "").encode()
    return hmac.new(token, b"khedmat-bot webhook secret", hashlib.sha256).hexdigest()


def webhook_address(settings: Settings) -> tuple[str, str]:
    """(the URL given to setWebhook, the path the receiver serves). On Bale the secret is appended as the
    last path segment; on Telegram the URL is BOT_WEBHOOK_URL as it is."""
    assert settings.webhook_url is not None
    url = settings.webhook_url
    path = urlsplit(url).path or "/"
    if settings.platform == "bale":
        secret = webhook_secret(settings)
        return f"{url.rstrip('/')}/{secret}", f"{path.rstrip('/')}/{secret}"
    return url, path


class WebhookReceiver(DurableInbox):
    """The platform's POSTs, stored and queued; `routes` go on an HttpServer (handlers/app.py runs it)."""

    def __init__(self, app: Application, settings: Settings) -> None:
        super().__init__(app)
        self.url, self.path = webhook_address(settings)
        self.secret = webhook_secret(settings)
        self.check_header = self.platform == "telegram"
        self.refused = 0  # requests answered 403 (wrong or missing secret)
        self._watch: asyncio.Task | None = None

    @property
    def routes(self) -> list[Route]:
        return [Route(self.path, self.receive, methods=["POST"])]

    async def receive(self, request: Request) -> Response:
        """Stores the posted update, queues it, and only then answers 200."""
        if self.check_header and not hmac.compare_digest(
            request.headers.get(SECRET_HEADER, "").encode(), self.secret.encode()
        ):
            self.refused += 1
            log.warning("webhook: a request without the right secret token was refused")
            return Response(status_code=403)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return Response(status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY:
            return Response(status_code=413)
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.app.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError):
            update = None
        if update is None:
            return Response(status_code=400)
        await self.store([update])
        return Response(status_code=200)

    async def announce(self) -> None:
        """Sets the webhook (once the receiver listens), then watches it."""
        await self._set_webhook()
        self._watch = asyncio.get_running_loop().create_task(self._watch_webhook(), name="webhook-watch")

    async def stop(self) -> None:
        """Stops watching; the webhook stays set, so the platform keeps updates for the next start."""
        await super().stop()
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch
            self._watch = None

    async def _set_webhook(self) -> None:
        """setWebhook, retried with backoff while the platform cannot be reached; a refused token stops
        the bot (InvalidToken, Forbidden raised)."""
        bot, backoff = self.app.bot, 1.0
        while True:
            try:
                if self.check_header:
                    await bot.set_webhook(self.url, secret_token=self.secret, allowed_updates=list(ALLOWED_UPDATES))
                else:  # Bale takes only the url
                    await bot.set_webhook(self.url)
                log.info("webhook set for %s (%s)", self.platform, urlsplit(self.url).hostname)
                return
            except (InvalidToken, Forbidden):
                raise
            except TelegramError as exc:
                log.warning("setWebhook failed (%s); trying again in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 1.5)

    async def _watch_webhook(self, every: float = WATCH_EVERY) -> None:
        last_error: tuple[object, str] | None = None
        while True:
            await asyncio.sleep(every)
            try:
                info = await self.app.bot.get_webhook_info()
            except TelegramError as exc:
                log.info("getWebhookInfo failed: %s", exc)
                continue
            if info.url != self.url:
                log.warning("the webhook was changed or removed behind the bot's back; setting it again")
                await self._set_webhook()
            if info.last_error_message and (info.last_error_date, info.last_error_message) != last_error:
                last_error = (info.last_error_date, info.last_error_message)
                log.warning("the platform reports a webhook delivery error: %s (%d updates waiting)",
                            info.last_error_message, info.pending_update_count)
