"""The one global error handler: log with context, tell the citizen something useful."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts as T
from bot.reply import Reply
from handlers.context import rt_of
from handlers.send import TelegramOutbox
from storage import StorageUnavailable

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs the exception (no message text: it may hold personal data) and apologises to the citizen."""
    error = context.error
    chat_id = None
    if isinstance(update, Update) and update.effective_chat is not None:
        chat_id = update.effective_chat.id
    if isinstance(error, StorageUnavailable):
        log.warning("storage unavailable while handling an update of chat %s: %s", chat_id, error)
        text = T.BUSY
    else:
        log.error("error while handling an update of chat %s", chat_id, exc_info=error)
        text = T.ERROR
    if chat_id is None:
        return
    rt = rt_of(context)
    try:
        if isinstance(update, Update) and update.callback_query is not None:
            await update.callback_query.answer()
    except Exception:
        pass
    try:
        await rt.dialogue.send(TelegramOutbox(rt, context.bot), chat_id, Reply(text))
    except Exception:
        log.warning("could not tell chat %s about the error", chat_id)
