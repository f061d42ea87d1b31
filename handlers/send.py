"""The Telegram/Bale outbox: a domain `Reply` rendered for the platform, split when long, with its
keyboard; a reply that replaces a tapped message is an edit where the platform allows one.

No reply is dropped silently. Server errors and network failures are retried with backoff; flood control
(429) is the pacing's (handlers/pacing.py: python-telegram-bot's AIORateLimiter paces every send and waits
out short 429s). When the platform keeps refusing, or asks for a wait longer than MAX_FLOOD_WAIT, the rest
of the reply goes to the durable outbox table (storage `outbox`) and the delivery loop (handlers/notices.py)
sends it when allowed — and every later reply to that chat queues behind it, so the order holds.

Platform errors become the dialogue's neutral ones (RecipientGone, DeliveryFailed) with the original as
their cause, so the dialogue never sees a PTB exception.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.dialogue import DeliveryFailed, Post, RecipientGone
from bot.reply import Reply, from_json, render_pieces, to_json
from handlers.context import Profile
from handlers.pacing import BeforeSend

if TYPE_CHECKING:
    from handlers.context import Runtime

log = logging.getLogger(__name__)

FLOOD_RETRIES = 3
MAX_FLOOD_WAIT = 10.0  # seconds a reply waits inline for flood control; longer waits go to the outbox
NETWORK_RETRIES = (0.5, 1.0, 2.0)  # backoff for server errors and failed connections, then the outbox
QUEUE_RETRY = 5.0  # first retry of a queued reply after server errors
MAX_QUEUE_RETRY = 600.0
MAX_QUEUE_ATTEMPTS = 100  # about half a day of retries; then the reply is given up, loudly
MAX_CAPTION = 1024  # a photo's or a document's caption


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


class Later(Exception):
    """The platform will not take the message now; try again in `delay` seconds."""

    def __init__(self, delay: float, cause: Exception) -> None:
        super().__init__(str(cause))
        self.delay, self.cause = delay, cause
        self.rest: list[str] = []  # the pieces of the reply not yet sent


class TelegramOutbox:
    """The dialogue's Outbox on Telegram or Bale; `query` is the tapped button of the turn, if any."""

    def __init__(self, rt: Runtime, bot, query: CallbackQuery | None = None, update_id: int | None = None) -> None:
        self.rt, self.bot, self.query = rt, bot, query
        self.update_id = update_id  # the update this turn answers (marked done before the first reply)
        self.acknowledged = False  # the tapped button's spinner was stopped

    async def acknowledge(self, alert: str | None = None, *, toast: str | None = None) -> None:
        """Stops the tapped button's spinner (with an alert for a stale button, or a passing toast); a query
        answered twice or too late is not worth an error."""
        if self.query is None or self.acknowledged:
            return
        self.acknowledged = True
        try:
            await self.query.answer(alert or toast, show_alert=alert is not None)
        except Exception as exc:
            log.info("callback query could not be answered: %s", exc)

    async def _begin(self) -> None:
        """Before the first message of a turn: the tap's spinner stopped (the citizen sees the tap taken
        before the answer arrives)."""
        await self.acknowledge()

    async def mark_done(self) -> None:
        """Marks the update this turn answers done, once: when its first reply is about to go out (its turn
        in the pacing has come) or is queued. From here on a restart must not answer it again."""
        if self.update_id is None:
            return
        update_id, self.update_id = self.update_id, None
        self.rt.metrics.first_reply(update_id)
        if self.rt.commit_update is not None:
            await self.rt.commit_update(update_id)

    async def post(self, chat_id: int, post: Post) -> int | None:
        """Sends a relayed message or a post of the support desk at once, as text or as the photo or document
        of its file id, in reply to `post.reply_to`; returns the id of the (last) message sent, None when the
        platform did not confirm in time. Never queued: the desk keeps and retries its own messages."""
        await self._begin()
        profile = self.rt.profile
        try:
            if post.kind == "text":
                pieces = render_pieces(post.reply.text, profile.render)
                sent: Message | None = None
                for i, piece in enumerate(pieces):
                    last = i == len(pieces) - 1
                    sent = await send_piece(profile, self.bot, chat_id, piece, post.reply if last else None,
                                            reply_to=post.reply_to, before=self.mark_done)
                return sent.message_id if sent is not None else None
            caption = render_pieces(post.reply.text, profile.render, MAX_CAPTION)[0] if post.reply.text else None
            sent = await send_file(profile, self.bot, chat_id, post.kind, post.file_id or "", caption, post.reply,
                                   reply_to=post.reply_to, before=self.mark_done)
            return sent.message_id
        except TimedOut:
            log.warning("the platform did not confirm a relayed message to chat %s in time; it may have arrived",
                        chat_id)
            return None
        except Later as later:
            raise DeliveryFailed(str(later)) from later.cause
        except Forbidden as exc:
            raise RecipientGone(str(exc)) from exc
        except TelegramError as exc:
            raise DeliveryFailed(str(exc)) from exc

    async def send(self, chat_id: int, reply: Reply) -> bool:
        """True once the platform took the reply or it is safely queued; False when the platform did not
        confirm in time (it may have arrived)."""
        await self._begin()
        profile = self.rt.profile
        try:
            if reply.replace and self.query is not None and await self._edit(reply):
                return True
            pieces = render_pieces(reply.text, profile.render)
            if chat_id in self.rt.waiting_chats:  # earlier replies are still queued: keep the order
                await self.mark_done()
                await queue(self.rt, chat_id, pieces, reply, 0.0)
                return True
            confirmed = True
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                try:
                    await send_piece(profile, self.bot, chat_id, piece, reply if last else None, before=self.mark_done)
                except TimedOut:
                    log.warning("the platform did not confirm a message to chat %s in time; it may have arrived",
                                chat_id)
                    confirmed = False
                except Later as later:
                    log.warning("chat %s: the platform refused a reply for now (%s); queued", chat_id, later)
                    await self.mark_done()
                    await queue(self.rt, chat_id, pieces[i:], reply, later.delay)
                    return True
            return confirmed
        except Forbidden as exc:
            raise RecipientGone(str(exc)) from exc
        except TelegramError as exc:
            raise DeliveryFailed(str(exc)) from exc

    async def _edit(self, reply: Reply) -> bool:
        """Replaces the tapped message with the reply; False when the platform refuses or answers oddly
        (Bale), and a new message is to be sent instead. A double tap (same content) is not an error."""
        query, profile = self.query, self.rt.profile
        pieces = render_pieces(reply.text, profile.render)
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
            result = await self.bot.edit_message_text(
                pieces[0], chat_id=query.message.chat_id, message_id=query.message.message_id,
                parse_mode=profile.parse_mode, reply_markup=keyboard, disable_web_page_preview=True,
                rate_limit_args=BeforeSend(self.mark_done),
            )
            return isinstance(result, Message) or result is True
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True
            log.info("edit refused (%s); sending a new message", exc)
        except (TelegramError, KeyError, AttributeError, TypeError) as exc:
            log.info("edit answered oddly (%r); sending a new message", exc)
        return False


def reply_to_kwargs(profile: Profile, reply_to: int | None) -> dict[str, Any]:
    """How a message answers another of its chat: `reply_parameters` on Telegram (sent even if that message
    is gone), the documented `reply_to_message_id` on Bale."""
    if reply_to is None:
        return {}
    if profile.reply_by_message_id:
        return {"api_kwargs": {"reply_to_message_id": reply_to}}
    return {"reply_parameters": ReplyParameters(reply_to, allow_sending_without_reply=True)}


async def send_piece(profile: Profile, bot, chat_id: int, text: str, keyboard_of: Reply | None, *,
                     reply_to: int | None = None, before: Callable[[], Awaitable[None]] | None = None) -> Message:
    """Sends one rendered message (with the keyboard of `keyboard_of`, in reply to `reply_to`), paced, with
    short flood control waited out by the pacing; retries server errors with backoff. `before` is awaited
    when the message's turn in the pacing has come. Raises Later when the platform keeps refusing or asks
    for a long wait, TimedOut when a try timed out (the message may have arrived: never sent twice)."""
    keyboard = markup(keyboard_of) if keyboard_of is not None else None
    paced = BeforeSend(before) if before is not None else None
    return await _retrying(lambda **extra: bot.send_message(
        chat_id, text, parse_mode=profile.parse_mode, reply_markup=keyboard, disable_web_page_preview=True,
        rate_limit_args=paced, **extra,
    ), profile, reply_to)


async def send_file(profile: Profile, bot, chat_id: int, kind: str, file_id: str, caption: str | None,
                    keyboard_of: Reply | None, *, reply_to: int | None = None,
                    before: Callable[[], Awaitable[None]] | None = None) -> Message:
    """Sends a photo or a document the platform already has, by its file id (no download, no upload), with
    a rendered caption; retried like send_piece."""
    keyboard = markup(keyboard_of) if keyboard_of is not None else None
    send_one = bot.send_photo if kind == "photo" else bot.send_document
    field = "photo" if kind == "photo" else "document"
    paced = BeforeSend(before) if before is not None else None
    return await _retrying(lambda **extra: send_one(
        chat_id, **{field: file_id}, caption=caption, parse_mode=profile.parse_mode if caption else None,
        reply_markup=keyboard, rate_limit_args=paced, **extra,
    ), profile, reply_to)


async def _retrying(call: Callable[..., Awaitable[Message]], profile: Profile, reply_to: int | None) -> Message:
    """`call` with server errors retried (see send_piece); a message to reply to that is gone (Bale refuses
    the reply) is sent without the reply. Short flood control is the pacing's to wait out."""
    extra = reply_to_kwargs(profile, reply_to)
    failures = 0
    while True:
        try:
            return await call(**extra)
        except RetryAfter as exc:  # a long wait, or still refused after the pacing's retries
            raise Later(_seconds(exc.retry_after), exc) from exc
        except TimedOut:
            raise
        except NetworkError as exc:  # a 5xx or a connection that failed before the request was taken
            if isinstance(exc, BadRequest) and extra and "repl" in str(exc).lower():
                log.info("the message to reply to is gone (%s); sent without the reply", exc)
                extra = {}
                continue
            if failures >= len(NETWORK_RETRIES):
                raise Later(QUEUE_RETRY, exc) from exc
            await asyncio.sleep(NETWORK_RETRIES[failures])
            failures += 1


async def send(profile: Profile, bot, chat_id: int, reply: Reply) -> Message | None:
    """Sends a reply at once, split at line breaks when longer than a message may be (buttons on the last
    part), without queueing; None when the platform did not confirm in time."""
    pieces = render_pieces(reply.text, profile.render)
    last = None
    for i, piece in enumerate(pieces):
        try:
            last = await send_piece(profile, bot, chat_id, piece, reply if i == len(pieces) - 1 else None)
        except TimedOut:
            last = None
        except Later as later:
            raise later.cause from None
    return last


async def queue(rt: Runtime, chat_id: int, pieces: list[str], reply: Reply, delay: float) -> None:
    """Keeps the rest of a reply in the durable outbox for the delivery loop."""
    payload = json.dumps({"pieces": pieces, "reply": to_json(reply)}, ensure_ascii=False)
    await rt.db.outbox.enqueue(rt.profile.name, chat_id, payload, delay)
    rt.waiting_chats.add(chat_id)


async def drain_outbox(rt: Runtime, bot) -> int:
    """Sends the queued replies whose time has come (the oldest of each chat first); returns how many were
    delivered. A reply the platform keeps refusing is tried again later, with a growing pause."""
    delivered = 0
    profile = rt.profile
    for item in await rt.db.outbox.due(profile.name, lease=rt.settings.claim_lease):
        data = json.loads(item.payload)
        pieces, reply = data["pieces"], from_json(data["reply"])
        try:
            for i, piece in enumerate(pieces):
                try:
                    await send_piece(profile, bot, item.chat_id, piece, reply if i == len(pieces) - 1 else None)
                except TimedOut:
                    pass  # it may have arrived: never sent twice
                except Later as later:
                    later.rest = pieces[i:]
                    raise
        except Later as later:
            if later.rest != pieces:  # the first pieces went: only the rest waits
                await rt.db.outbox.sent(item.id)
                await queue(rt, item.chat_id, later.rest, reply, later.delay)
            elif item.attempts + 1 >= MAX_QUEUE_ATTEMPTS:
                log.error("a reply to chat %s was refused %d times; given up", item.chat_id, item.attempts + 1)
                await rt.db.outbox.sent(item.id)
            else:
                delay = max(later.delay, min(MAX_QUEUE_RETRY, QUEUE_RETRY * 2 ** item.attempts))
                await rt.db.outbox.retry(item.id, delay)
            continue
        except Forbidden:
            log.info("a queued reply to chat %s was dropped: the citizen blocked the bot", item.chat_id)
        except TelegramError as exc:
            log.error("a queued reply to chat %s was refused for good: %s", item.chat_id, exc)
        await rt.db.outbox.sent(item.id)
        delivered += 1
    # Chats another instance queued replies for (a shared database) are waited behind too, from now on.
    waiting = await rt.db.outbox.waiting_chats(profile.name)
    rt.waiting_chats.intersection_update(waiting)
    rt.waiting_chats.update(waiting)
    return delivered


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
