"""The Telegram/Bale outbox: a domain `Reply` rendered for the platform, split when long, with its
keyboard; a reply that replaces a tapped message is an edit where the platform allows one.

Platform errors become the dialogue's neutral ones (RecipientGone, DeliveryFailed) with the original as
their cause, so the dialogue never sees a PTB exception.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError, TimedOut

from bot.dialogue import DeliveryFailed, RecipientGone
from bot.reply import Reply, render_pieces
from handlers.context import Profile

log = logging.getLogger(__name__)

FLOOD_RETRIES = 3
MAX_FLOOD_WAIT = 60.0  # seconds; a longer ban is reported rather than waited out inside a handler


def markup(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    """The keyboard of a reply: inline buttons, or a reply keyboard (share-contact), or its removal."""
    if reply.buttons:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b.label, url=b.url) if b.url else InlineKeyboardButton(b.label, callback_data=b.data)
                 for b in row]
                for row in reply.buttons
            ]
        )
    if reply.request_contact or reply.keyboard:
        rows = [[KeyboardButton(reply.request_contact, request_contact=True)]] if reply.request_contact else []
        rows += [[KeyboardButton(label) for label in row] for row in reply.keyboard]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


class TelegramOutbox:
    """The dialogue's Outbox on Telegram or Bale; `query` is the tapped button of the turn, if any."""

    def __init__(self, profile: Profile, bot, query: CallbackQuery | None = None) -> None:
        self.profile, self.bot, self.query = profile, bot, query
        self.acknowledged = False  # the tapped button's spinner was stopped

    async def acknowledge(self, alert: str | None = None) -> None:
        """Stops the tapped button's spinner (with an alert for a stale button); a query answered twice or
        too late is not worth an error."""
        if self.query is None or self.acknowledged:
            return
        self.acknowledged = True
        try:
            await self.query.answer(alert, show_alert=alert is not None)
        except Exception as exc:
            log.info("callback query could not be answered: %s", exc)

    async def send(self, chat_id: int, reply: Reply) -> bool:
        await self.acknowledge()  # the citizen sees the tap taken before the answer arrives
        try:
            if reply.replace and self.query is not None and await self._edit(reply):
                return True
            return await send(self.profile, self.bot, chat_id, reply) is not None
        except Forbidden as exc:
            raise RecipientGone(str(exc)) from exc
        except TelegramError as exc:
            raise DeliveryFailed(str(exc)) from exc

    async def _edit(self, reply: Reply) -> bool:
        """Replaces the tapped message with the reply; False when the platform refuses or answers oddly
        (Bale), and a new message is to be sent instead. A double tap (same content) is not an error."""
        query = self.query
        pieces = render_pieces(reply.text, self.profile.render)
        keyboard = markup(reply)
        can_edit = (
            len(pieces) == 1
            and query.message is not None
            and isinstance(query.message, Message)
            and query.message.text is not None
            and not isinstance(keyboard, (ReplyKeyboardMarkup, ReplyKeyboardRemove))
        )
        if not can_edit:
            return False
        try:
            result = await query.edit_message_text(
                pieces[0], parse_mode=self.profile.parse_mode, reply_markup=keyboard, disable_web_page_preview=True
            )
            return isinstance(result, Message) or result is True
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True
            log.info("edit refused (%s); sending a new message", exc)
        except (TelegramError, KeyError, AttributeError, TypeError) as exc:
            log.info("edit answered oddly (%r); sending a new message", exc)
        return False


async def send(profile: Profile, bot, chat_id: int, reply: Reply) -> Message | None:
    """Sends a reply, split at line breaks when longer than a message may be; buttons go on the last part.
    None when the platform did not confirm in time (the message may have arrived)."""
    pieces = render_pieces(reply.text, profile.render)
    keyboard = markup(reply)
    last = None
    for i, piece in enumerate(pieces):
        try:
            last = await _with_flood_retry(
                lambda piece=piece, i=i: bot.send_message(
                    chat_id,
                    piece,
                    parse_mode=profile.parse_mode,
                    reply_markup=keyboard if i == len(pieces) - 1 else None,
                    disable_web_page_preview=True,
                )
            )
        except TimedOut:
            log.warning("the platform did not confirm a message to chat %s in time; it may have arrived", chat_id)
            last = None
    return last


async def _with_flood_retry(call):
    """Runs a Bot API call; on flood control (429) waits as told and tries again, a bounded number of
    times, so an answer is delayed rather than lost. The server refused the call, so a retry cannot
    duplicate the message."""
    for attempt in range(FLOOD_RETRIES + 1):
        try:
            return await call()
        except RetryAfter as exc:
            wait = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else float(exc.retry_after)
            if attempt == FLOOD_RETRIES or wait > MAX_FLOOD_WAIT:
                raise
            log.warning("flood control: waiting %.1f s before resending", wait)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")
