"""Where handlers are wired, in one ordered list (the first matching handler wins).

Every private-chat update a citizen can send reaches the dialogue through `citizen.converse` (commands
too: the dialogue reads «/start», with or without the command's entity, as some Bale clients send it).
The dialogue writes the conversation log itself.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from handlers import citizen, errors


def register(app: Application) -> None:
    """Adds every handler to the application, in order."""
    private = filters.ChatType.PRIVATE
    app.add_handlers(
        [
            CallbackQueryHandler(citizen.converse),
            # Anything else a citizen sends in a private chat: text, commands, a contact, an edit, a sticker,
            # a photo, a voice message... The dialogue answers each kind.
            MessageHandler(private, citizen.converse),
        ]
    )
    app.add_error_handler(errors.on_error)
