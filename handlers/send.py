"""Turning a domain `Reply` into messages on the platform: rendering, splitting, keyboards, safe edits."""

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
from telegram.error import BadRequest, RetryAfter, TelegramError, TimedOut

from bot.app import Runtime
from bot.reply import Reply, render_pieces, render_plain
from handlers.audit import reply_sent

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


async def send(rt: Runtime, bot, chat_id: int, reply: Reply) -> Message | None:
    """Sends a reply, split at line breaks when longer than a message may be; buttons go on the last part."""
    pieces = render_pieces(reply.text, rt.profile.render)
    keyboard = markup(reply)
    await reply_sent(rt, chat_id, render_plain(reply.text))
    last = None
    for i, piece in enumerate(pieces):
        try:
            last = await _with_flood_retry(
                lambda piece=piece, i=i: bot.send_message(
                    chat_id,
                    piece,
                    parse_mode=rt.profile.parse_mode,
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


async def edit_or_send(rt: Runtime, query: CallbackQuery, reply: Reply) -> None:
    """Replaces the tapped message with the reply; when the platform refuses or answers oddly (Bale), a new
    message is sent instead. A double tap (same content) is not an error."""
    pieces = render_pieces(reply.text, rt.profile.render)
    keyboard = markup(reply)
    can_edit = (
        len(pieces) == 1
        and query.message is not None
        and isinstance(query.message, Message)
        and query.message.text is not None
        and not isinstance(keyboard, (ReplyKeyboardMarkup, ReplyKeyboardRemove))
    )
    if can_edit:
        try:
            result = await query.edit_message_text(
                pieces[0], parse_mode=rt.profile.parse_mode, reply_markup=keyboard, disable_web_page_preview=True
            )
            if isinstance(result, Message) or result is True:
                await reply_sent(rt, query.message.chat_id, render_plain(reply.text))
                return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            log.info("edit refused (%s); sending a new message", exc)
        except (TelegramError, KeyError, AttributeError, TypeError) as exc:
            log.info("edit answered oddly (%r); sending a new message", exc)
    chat_id = query.message.chat_id if query.message else query.from_user.id
    await send(rt, query.get_bot(), chat_id, reply)
