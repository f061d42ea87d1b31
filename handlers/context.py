"""What every Telegram/Bale handler needs, in one place: the platform's `Profile` and the `Runtime`
(settings, profile and the channel-neutral `Dialogue`), kept in `application.bot_data["rt"]`.

Platform differences live in a Profile; neither the handlers nor the dialogue branch on the platform.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram.constants import ParseMode
from telegram.ext import Application, ContextTypes

from bot.dialogue import Dialogue
from bot.knowledge import Knowledge
from bot.reply import render_bale, render_html
from bot.search import SearchEngine
from bot.settings import Settings
from handlers.metrics import Metrics
from storage import Store


@dataclass(frozen=True)
class Profile:
    """What differs between Telegram and Bale, as far as the bot cares."""

    name: str
    parse_mode: str | None
    render: Callable[[str], str]
    poll_interval: float  # Bale ignores getUpdates' long-poll timeout: poll gently instead
    poll_timeout: int
    # Bale documents `reply_to_message_id`; Telegram takes `reply_parameters` (PTB's default).
    reply_by_message_id: bool = False


PROFILES = {
    "telegram": Profile("telegram", ParseMode.HTML, render_html, poll_interval=0.0, poll_timeout=20),
    "bale": Profile("bale", None, render_bale, poll_interval=1.0, poll_timeout=0, reply_by_message_id=True),
}


@dataclass
class Runtime:
    """The channel's view of the bot: its settings, the platform profile and the dialogue."""

    settings: Settings
    profile: Profile
    dialogue: Dialogue
    # Chats with replies waiting in the durable outbox (loaded at start): new replies queue behind them.
    waiting_chats: set[int] = field(default_factory=set)
    # Marks an update done before its first reply (the durable inbox's commit), when polling through it.
    commit_update: Callable[[int], Awaitable[bool]] | None = None
    # What the bot counts for /metrics and /healthz (handlers/metrics.py).
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def db(self) -> Store:
        return self.dialogue.store

    @property
    def engine(self) -> SearchEngine:
        return self.dialogue.engine

    @property
    def knowledge(self) -> Knowledge:
        return self.dialogue.knowledge

    @property
    def confirming(self) -> set[str]:
        return self.dialogue.confirming


def runtime_of(app: Application) -> Runtime:
    """The runtime an application was built with."""
    return app.bot_data["rt"]


def rt_of(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    """The runtime, from a handler's context."""
    return context.application.bot_data["rt"]
