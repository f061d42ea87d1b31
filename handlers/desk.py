"""Telegram/Bale glue for the staff group of the support desk (BOT_SUPPORT_CHAT_ID): a staff member's message
or tap becomes a `StaffTurn` for the dialogue (bot/dialogue/desk_staff.py), which answers through the platform's
outbox. Nothing is decided here; who counts as staff is the dialogue's business.

A group is not a private chat: the bot sees commands, replies to its own messages and (with privacy mode
off) everything else; it acts on replies to a ticket's messages, on its commands and on its buttons.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.dialogue import DeliveryFailed, RecipientGone, StaffTurn
from handlers.citizen import OTHER_KINDS, file_id_of
from handlers.context import rt_of
from handlers.send import TelegramOutbox


class SupportGroupButtons(CallbackQueryHandler):
    """The buttons tapped in the staff group (a CallbackQueryHandler has no chat filter of its own)."""

    def __init__(self, chat_id: int, callback) -> None:
        super().__init__(callback)
        self.chat_id = chat_id

    def check_update(self, update: object):
        if not isinstance(update, Update) or update.effective_chat is None or update.effective_chat.id != self.chat_id:
            return None
        return super().check_update(update)


def staff_turn_of(update: Update, bot_id: int) -> StaffTurn:
    """A staff member's message (text, command, photo, document; maybe a reply) or tap in the group."""
    user, chat = update.effective_user, update.effective_chat
    name = user.full_name or user.username or ""
    query = update.callback_query
    if query is not None:
        message_id = query.message.message_id if query.message else None
        return StaffTurn(user.id, chat.id, message_id=message_id, name=name, button=query.data or "")
    message = update.effective_message
    replied = message.reply_to_message
    replied_text = None
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        replied_text = replied.text or replied.caption
    kind = None if message.text is not None else next((k for k in OTHER_KINDS if getattr(message, k, None)), None)
    return StaffTurn(
        user.id, chat.id, message_id=message.message_id, name=name, text=message.text, kind=kind,
        file_id=file_id_of(message, kind), caption=message.caption,
        reply_to=replied.message_id if replied is not None else None, reply_to_text=replied_text,
    )


def _for_another_bot(update: Update, username: str | None) -> bool:
    """«/open@other_bot»: a command for another bot of the group."""
    message = update.effective_message
    text = message.text if message is not None else None
    if not text or not text.startswith("/"):
        return False
    head = text.split(maxsplit=1)[0]
    return "@" in head and head.split("@", 1)[1].lower() != (username or "").lower()


async def staff_acts(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Hands a staff member's message or tap to the desk and finishes it (the tap's answer)."""
    if update.effective_user is None or _for_another_bot(update, context.bot.username):
        return
    rt = rt_of(context)
    outbox = TelegramOutbox(rt, context.bot, update.callback_query, update.update_id)
    try:
        result = await rt.dialogue.handle_staff(staff_turn_of(update, context.bot.id), outbox)
    except (RecipientGone, DeliveryFailed) as exc:
        raise (exc.__cause__ or exc) from None
    await outbox.acknowledge(result.alert, toast=result.toast)
