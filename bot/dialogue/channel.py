"""The seam between the dialogue and a channel (Telegram, Bale, a terminal, a test): a `Turn` comes in,
replies go out through an `Outbox`, and a `TurnResult` tells the channel what to do with the turn itself
(answer a button's tap, write the log row).

Nothing here knows a messenger: a channel turns its update into a Turn, implements Outbox, and renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.reply import Reply

if TYPE_CHECKING:
    from bot.search import Understanding


@dataclass(frozen=True)
class Contact:
    """A shared phone-book contact: the number and whose account it belongs to (None: not an account)."""

    phone: str
    owner_id: int | None


@dataclass(frozen=True)
class Turn:
    """One thing a citizen did in a private chat. Exactly one of `text`, `button` or `contact` is set,
    or none of them for anything else (a sticker, a photo, a location...)."""

    user_id: int
    chat_id: int
    text: str | None = None  # typed text; a leading «/» makes it a command
    button: str | None = None  # the payload of a tapped inline button (untrusted: see bot.payload)
    contact: Contact | None = None
    first_name: str = ""
    edited: bool = False  # the citizen edited an earlier message (`text` is its new text)
    kind: str | None = None  # what was sent instead of text, for the log («sticker», «photo», ...)

    def describe(self) -> str:
        """What the citizen did, as one line of text for the conversation log."""
        if self.button is not None:
            return f"[دکمه] {self.button}"
        if self.edited:
            return f"[ویرایش] {self.text or ''}"
        if self.text:
            return self.text[:2000]
        if self.contact is not None:
            return "[contact]"
        return f"[{self.kind}]" if self.kind else "[پیام غیرمتنی]"


@dataclass
class TurnResult:
    """What the channel needs to finish a turn."""

    understanding: Understanding | None = None  # what search made of a typed question (for the log)
    answered: bool = False  # whether the question was answered (unanswered ones are grouped for admins)
    alert: str | None = None  # a button: the short text shown on the tap (a stale button says so)
    # What the conversation log keeps instead of the citizen's text: a form answer is personal (a name, a
    # birth date) and is kept in the request only, never in the log.
    logged_as: str | None = None


class RecipientGone(Exception):
    """The citizen can never be reached again (blocked the bot, deleted the account)."""


class DeliveryFailed(Exception):
    """The message was not delivered now; trying again later may work."""


class Outbox(Protocol):
    """Where the dialogue's replies go. A channel renders each Reply its own way.

    `send` returns True when the platform confirmed the message, False when it did not answer in time (the
    message may have arrived: registration then keeps the tracking code for the notice loop to send again
    rather than lose it). It raises RecipientGone or DeliveryFailed when the message was refused."""

    async def send(self, chat_id: int, reply: Reply) -> bool: ...
