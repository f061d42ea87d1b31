"""Telegram/Bale glue for the citizen's chat: an Update becomes a `Turn`, the dialogue answers it through
the platform's outbox, and a tapped button's spinner is stopped. Nothing is decided here."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.dialogue import Contact, DeliveryFailed, RecipientGone, Turn
from handlers.context import rt_of
from handlers.send import TelegramOutbox

log = logging.getLogger(__name__)

# What a citizen may send instead of text, by the name of its Message attribute (named in the log).
OTHER_KINDS = ("sticker", "photo", "voice", "audio", "video", "video_note", "document", "location", "animation",
               "poll", "dice", "venue")


def turn_of(update: Update) -> Turn:
    """The citizen's turn in an update (a message, an edit, a button tap or a shared contact)."""
    user, chat = update.effective_user, update.effective_chat
    chat_id = chat.id if chat is not None else user.id
    first_name = user.first_name or ""
    query = update.callback_query
    if query is not None:
        chat_id = query.message.chat_id if query.message else user.id
        return Turn(user.id, chat_id, button=query.data or "", first_name=first_name)
    message = update.effective_message
    message_id = message.message_id
    if update.edited_message is not None:
        return Turn(user.id, chat_id, text=message.text, first_name=first_name, edited=True, message_id=message_id)
    if message.contact is not None:
        contact = Contact(message.contact.phone_number, message.contact.user_id)
        return Turn(user.id, chat_id, contact=contact, first_name=first_name, message_id=message_id)
    if message.text is not None:
        return Turn(user.id, chat_id, text=message.text, first_name=first_name, message_id=message_id)
    kind = next((k for k in OTHER_KINDS if getattr(message, k, None)), None)
    return Turn(user.id, chat_id, first_name=first_name, kind=kind, file_id=file_id_of(message, kind),
                caption=message.caption, message_id=message_id)


def file_id_of(message, kind: str | None) -> str | None:
    """The platform's id of a photo (its largest size) or a document, which the bot may send on as is."""
    if kind == "photo" and message.photo:
        return message.photo[-1].file_id
    if kind == "document" and message.document is not None:
        return message.document.file_id
    return None


async def converse(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Hands the citizen's turn to the dialogue and finishes it (the tap's answer)."""
    rt = rt_of(context)
    outbox = TelegramOutbox(rt, context.bot, update.callback_query, update.update_id)
    try:
        result = await rt.dialogue.handle(turn_of(update), outbox)
    except (RecipientGone, DeliveryFailed) as exc:
        # The error handler logs and reports the platform's own error.
        raise (exc.__cause__ or exc) from None
    rt.metrics.turn(result)
    await outbox.acknowledge(result.alert, toast=result.toast)
