"""A fake Telegram/Bale Bot API server for one bot, in memory: what the tests, the sandbox chat
(`python -m bot chat`) and load runs talk to instead of a real platform.

- ``peer``: ``BotApiPeer``, the fake server, put together from
  ``state`` (users, chats, the bot's messages, pending updates, injected faults; what tests read back),
  ``methods`` (the Bot API methods it answers and the errors it gives) and
  ``users`` (users writing, tapping, sharing: each action enqueues an Update);
- ``wire``: limits, record shapes, the error envelope, parameter decoding; ``telegram_html``: Telegram's
  HTML parser, so badly escaped text fails as it would in production;
- ``transport``: ``PeerRequest``, python-telegram-bot's requests answered in-process;
- ``webhook``: ``WebhookPusher``, the platform's side of a webhook: pending updates POSTed to the bot;
- ``server``: the same peer over loopback HTTP (``python -m handlers.fakeapi.server``), for a bot in
  another process. Only this module needs aiohttp (a development dependency), so it is imported on first
  use of its names.
"""

from __future__ import annotations

from typing import Any

from handlers.fakeapi.peer import BotApiPeer
from handlers.fakeapi.telegram_html import HtmlError, html_to_plain
from handlers.fakeapi.transport import PeerRequest
from handlers.fakeapi.webhook import WebhookPusher
from handlers.fakeapi.wire import (
    DEFAULT_FIRST_NAME,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    NO_CONTACT_USER,
    Call,
    Platform,
    UploadedFile,
    button_rows,
)

_SERVER_NAMES = ("make_app", "start_peer_server")

__all__ = [
    "DEFAULT_FIRST_NAME",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "NO_CONTACT_USER",
    "BotApiPeer",
    "Call",
    "HtmlError",
    "PeerRequest",
    "Platform",
    "UploadedFile",
    "WebhookPusher",
    "button_rows",
    "html_to_plain",
    "make_app",
    "start_peer_server",
]


def __getattr__(name: str) -> Any:
    """``start_peer_server`` and ``make_app`` come from ``server``, imported (with aiohttp) only when asked for."""
    if name in _SERVER_NAMES:
        from handlers.fakeapi import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
