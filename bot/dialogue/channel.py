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
    or none of them for anything else (a sticker, a photo, a location...): then `kind` names it, and a
    photo or a document carries its platform `file_id` and `caption` (relayed to the support desk)."""

    user_id: int
    chat_id: int
    text: str | None = None  # typed text; a leading «/» makes it a command
    button: str | None = None  # the payload of a tapped inline button (untrusted: see bot.payload)
    contact: Contact | None = None
    first_name: str = ""
    edited: bool = False  # the citizen edited an earlier message (`text` is its new text)
    kind: str | None = None  # what was sent instead of text, for the log («sticker», «photo», ...)
    file_id: str | None = None  # a photo's or a document's id on the platform
    caption: str | None = None
    message_id: int | None = None  # the message's id in its chat (a redelivered update relays once)

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


@dataclass(frozen=True)
class StaffTurn:
    """One thing a support staff member did in the staff group (bot/dialogue/desk_staff.py): a message (text,
    a command, a photo or a document) or a tapped button. `reply_to` is the id of the group message it
    answers; `reply_to_text` that message's text when the bot sent it (to find its ticket by number).
    `name` is how the group shows the staff member: it is never sent to a citizen."""

    user_id: int
    chat_id: int
    message_id: int | None = None
    name: str = ""
    text: str | None = None
    button: str | None = None
    kind: str | None = None  # photo, document, sticker...: what was sent instead of text
    file_id: str | None = None
    caption: str | None = None
    reply_to: int | None = None
    reply_to_text: str | None = None


@dataclass(frozen=True)
class Post:
    """A message the desk relays or posts: a Reply (the text, or the caption of a file, with buttons), as a
    photo or a document by its platform `file_id` (kind "photo", "document") or as text, and in reply to
    message `reply_to` of the same chat (a thread of replies; no forum topics, which Bale lacks)."""

    reply: Reply
    kind: str = "text"
    file_id: str | None = None
    reply_to: int | None = None


@dataclass
class TurnResult:
    """What the channel needs to finish a turn."""

    understanding: Understanding | None = None  # what search made of a typed question (for the log)
    answered: bool = False  # whether the question was answered (unanswered ones are grouped for admins)
    alert: str | None = None  # a button: the short text shown on the tap (a stale button says so)
    toast: str | None = None  # a button: a passing note on the tap instead of an alert (a vote's thanks)
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

    async def post(self, chat_id: int, post: Post) -> int | None:
        """Sends a relayed message or a post of the support desk at once (never queued: the desk keeps its
        own undelivered messages) and returns the id of the message sent, to thread replies to it; None when
        the platform did not confirm in time. Raises RecipientGone or DeliveryFailed like `send`."""
        ...
