"""Where handlers are wired, in one ordered list (the first matching handler wins).

Order matters: commands first, then button taps, then free text; the catch-alls for everything else
(stickers, photos, edited messages, unknown commands) go last so they never shadow a real handler.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from handlers import admin, audit, citizen, errors

AUDIT_BEGIN, AUDIT_RECORD = -1, 1  # groups around the handlers: timing starts before, the log row after


def register(app: Application) -> None:
    """Adds every handler to the application, in order."""
    private = filters.ChatType.PRIVATE
    app.add_handler(TypeHandler(Update, audit.begin), group=AUDIT_BEGIN)
    app.add_handlers(
        [
            # Admin commands first; for anyone not listed in BOT_ADMIN_IDS they answer as unknown commands.
            CommandHandler("stats", admin.stats, filters=private),
            CommandHandler("unanswered", admin.unanswered, filters=private),
            CommandHandler("reload", admin.reload, filters=private),
            CommandHandler("start", citizen.start, filters=private),
            CommandHandler("help", citizen.show_help, filters=private),
            CommandHandler("cancel", citizen.cancel, filters=private),
            CallbackQueryHandler(citizen.tap_button),
            MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, citizen.edited_message),
            MessageHandler(private & filters.COMMAND, citizen.unknown_command),
            MessageHandler(private & filters.TEXT, citizen.ask),
            MessageHandler(private & filters.CONTACT, citizen.share_contact),
            # Last: anything else a citizen can send (sticker, photo, voice, location, ...).
            MessageHandler(private & ~filters.UpdateType.EDITED_MESSAGE, citizen.other_message),
        ]
    )
    app.add_handler(TypeHandler(Update, audit.record), group=AUDIT_RECORD)
    app.add_error_handler(errors.on_error)
