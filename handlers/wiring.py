"""Where handlers are wired, in one ordered list (the first matching handler wins).

The staff group of the support desk comes first, when BOT_SUPPORT_CHAT_ID is set: its messages (replies to
tickets, commands, photos, documents) and its buttons go to `desk.staff_acts`, and nothing else reaches it;
in any other group only an admin's /chatid is answered (to set the desk up).
Then every private-chat update a citizen can send reaches the dialogue through `citizen.converse` (commands
too: the dialogue reads «/start», with or without the command's entity, as some Bale clients send it).
The dialogue writes the conversation log itself.
"""

from __future__ import annotations

from telegram.ext import Application, BaseHandler, CallbackQueryHandler, MessageHandler, filters

from handlers import citizen, desk, errors
from handlers.context import runtime_of


def register(app: Application) -> None:
    """Adds every handler to the application, in order."""
    private = filters.ChatType.PRIVATE
    support = runtime_of(app).settings.support_chat_id
    staff: list[BaseHandler] = []
    if support is not None:
        staff = [
            desk.SupportGroupButtons(support, desk.staff_acts),
            # New messages only: an edited staff message is not relayed again.
            MessageHandler(filters.Chat(chat_id=support) & filters.UpdateType.MESSAGE, desk.staff_acts),
        ]
    app.add_handlers(
        [
            *staff,
            # Setting the desk up: an admin writes /chatid in a group to learn its id.
            MessageHandler(filters.ChatType.GROUPS & filters.Regex(r"^/chatid(@\w+)?\s*$"), desk.staff_acts),
            CallbackQueryHandler(citizen.converse),
            # Anything else a citizen sends in a private chat: text, commands, a contact, an edit, a sticker,
            # a photo, a voice message... The dialogue answers each kind.
            MessageHandler(private, citizen.converse),
        ]
    )
    app.add_error_handler(errors.on_error)
