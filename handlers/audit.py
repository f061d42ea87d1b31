"""The conversation log: every incoming message and every reply, with what the bot understood and how
long it took. Personal numbers are masked by the log repository before anything is stored.

Two handlers frame every update: one in the first group notes when handling began, one in the last group
writes the log row of the incoming update, with what the dialogue's `TurnResult` said (left by
`note_result`). Replies are logged by the dialogue as it sends them.
"""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.ext import ContextTypes

from bot.dialogue import TurnResult
from bot.payload import Action, parse
from bot.textnorm import fold
from handlers.context import runtime_of

log = logging.getLogger(__name__)

_STARTED = "audit_started"
_NOTES = "audit_notes"


def note_result(context: ContextTypes.DEFAULT_TYPE, update: Update, result: TurnResult) -> None:
    """Remembers what search made of this update, for its log row."""
    if result.understanding is not None:
        context.application.bot_data.setdefault(_NOTES, {})[update.update_id] = (result.understanding, result.answered)


async def begin(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Notes when handling of an update began."""
    if isinstance(update, Update):
        context.application.bot_data.setdefault(_STARTED, {})[update.update_id] = time.perf_counter()


async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Writes the log row of an incoming update (after it was answered)."""
    if not isinstance(update, Update):
        return
    data = context.application.bot_data
    started = data.get(_STARTED, {}).pop(update.update_id, None)
    note = data.get(_NOTES, {}).pop(update.update_id, None)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    rt = runtime_of(context.application)
    kw = {}
    if note is not None:
        u, answered = note
        top = u.decision.candidates[0] if u.decision.candidates else None
        kw = {
            "intent": u.intent,
            # Only a service the bot answered about: an unanswered question's nearest candidate is not
            # what the citizen asked for, and must not count as a question about it.
            "service_id": u.service.id if u.service else None,
            "score": top.score if top else None,
            "answered": answered,
            # Grouping key of unanswered questions: the words, without punctuation or spacing variants.
            "normalized": fold(u.normalized) or u.normalized,
        }
    elif update.callback_query is not None:
        kw = {"service_id": _service_of_button(update.callback_query.data or "")}
    handling_ms = (time.perf_counter() - started) * 1000 if started is not None else None
    try:
        await rt.db.log.add(rt.profile.name, user.id, chat.id, "in", describe(update), handling_ms=handling_ms, **kw)
    except Exception as exc:
        log.warning("could not write the conversation log: %s", exc)


def _service_of_button(data: str) -> str | None:
    p = parse(data)
    if p is not None and p.action in (Action.SERVICE, Action.REGISTER, Action.FACT):
        return p.arg(0)
    return None


def describe(update: Update) -> str:
    """What the citizen sent, as one line of text for the log."""
    if update.callback_query is not None:
        return f"[دکمه] {update.callback_query.data or ''}"
    message = update.effective_message
    if message is None:
        return "[به‌روزرسانی]"
    if update.edited_message is not None:
        return f"[ویرایش] {message.text or ''}"
    if message.text:
        return message.text[:2000]
    for kind in ("sticker", "photo", "voice", "audio", "video", "document", "location", "contact", "animation"):
        if getattr(message, kind, None):
            return f"[{kind}]"
    return "[پیام غیرمتنی]"
