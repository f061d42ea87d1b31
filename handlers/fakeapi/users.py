"""The users' side: each action enqueues the Update a real server would deliver, and returns it."""

from __future__ import annotations

import time
from typing import Any

from handlers.fakeapi.state import PeerState
from handlers.fakeapi.wire import NO_CONTACT_USER, _is_inline, _utf16_len


class UserActions(PeerState):
    """Users writing, tapping, sharing and editing in their private chats with the bot, members of a group
    writing, replying and tapping there (``member_*``), and channel posts."""

    def user_sends(self, user_id: int, text: str, first_name: str | None = None) -> dict[str, Any]:
        """The user writes ``text`` in their private chat with the bot (a command gets its entity)."""
        message = self._user_message(user_id, first_name, text=text, **self._command_entities(text))
        return self._enqueue("message", message, user_id)

    def user_taps(
        self, user_id: int, message_id: int, data: str, first_name: str | None = None
    ) -> dict[str, Any]:
        """The user taps an inline button carrying ``data`` under the bot's message ``message_id``."""
        record = self._bot_messages.get((user_id, message_id))
        if record is None or record["deleted"]:
            raise ValueError(f"the bot has no message {message_id} in chat {user_id} to tap on")
        query_id = str(next(self._query_ids))
        self._open_queries[query_id] = user_id
        query = {
            "id": query_id,
            "from": self._user(user_id, first_name),
            "message": self._api_message(record),
            "chat_instance": str(-user_id),
            "data": data,
        }
        return self._enqueue("callback_query", query, user_id)

    def user_taps_button(self, user_id: int, text: str, first_name: str | None = None) -> dict[str, Any]:
        """The user taps the inline button labelled ``text`` on the newest bot message that shows one."""
        records = sorted(
            (r for (chat, _), r in self._bot_messages.items() if chat == user_id and not r["deleted"]),
            key=lambda r: r["message_id"],
            reverse=True,
        )
        for record in records:
            if not _is_inline(record["reply_markup"]):
                continue
            for row in record["reply_markup"]["inline_keyboard"]:
                for button in row:
                    if button.get("text") == text and "callback_data" in button:
                        data = button["callback_data"]
                        return self.user_taps(user_id, record["message_id"], data, first_name)
        shown = [r["buttons"] for r in records if r["buttons"]]
        raise ValueError(f"no inline button {text!r} in chat {user_id}; buttons shown: {shown!r}")

    def user_sends_sticker(
        self, user_id: int, emoji: str = "👍", first_name: str | None = None
    ) -> dict[str, Any]:
        """The user sends a sticker."""
        sticker = {
            **self._file("sticker"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._enqueue("message", self._user_message(user_id, first_name, sticker=sticker), user_id)

    def user_sends_photo(
        self, user_id: int, caption: str | None = None, first_name: str | None = None
    ) -> dict[str, Any]:
        """The user sends a photo (two sizes, as Telegram delivers them), optionally with a caption."""
        photo = [
            {**self._file("photo"), "width": 90, "height": 67, "file_size": 1200},
            {**self._file("photo"), "width": 800, "height": 600, "file_size": 48000},
        ]
        extra: dict[str, Any] = {"caption": caption} if caption else {}
        message = self._user_message(user_id, first_name, photo=photo, **extra)
        return self._enqueue("message", message, user_id)

    def user_sends_document(
        self, user_id: int, file_name: str = "مدارک.pdf", caption: str | None = None, first_name: str | None = None
    ) -> dict[str, Any]:
        """The user sends a file (a document), optionally with a caption."""
        extra: dict[str, Any] = {"caption": caption} if caption else {}
        message = self._user_message(user_id, first_name, document=self._document(file_name), **extra)
        return self._enqueue("message", message, user_id)

    def user_sends_voice(
        self, user_id: int, duration: int = 3, first_name: str | None = None
    ) -> dict[str, Any]:
        """The user sends a voice message."""
        voice = {**self._file("voice"), "duration": duration, "mime_type": "audio/ogg", "file_size": 9000}
        return self._enqueue("message", self._user_message(user_id, first_name, voice=voice), user_id)

    def user_sends_location(
        self,
        user_id: int,
        latitude: float = 35.6892,
        longitude: float = 51.3890,
        first_name: str | None = None,
    ) -> dict[str, Any]:
        """The user shares a location (Tehran by default)."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._enqueue("message", self._user_message(user_id, first_name, location=location), user_id)

    def user_sends_contact(
        self,
        user_id: int,
        phone_number: str,
        contact_user_id: int | None = None,
        first_name: str | None = None,
    ) -> dict[str, Any]:
        """The user shares a contact: by default their own (what a ``request_contact`` button sends).

        Pass another ``contact_user_id`` for someone else's contact, or ``NO_CONTACT_USER`` for a contact
        without an account; a bot that trusts a phone number must check ``contact.user_id == from.id``.
        """
        sender = self._user(user_id, first_name)
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": sender["first_name"]}
        owner = user_id if contact_user_id is None else contact_user_id
        if owner != NO_CONTACT_USER:
            contact["user_id"] = owner
        return self._enqueue("message", self._user_message(user_id, first_name, contact=contact), user_id)

    def user_edits(self, user_id: int, message_id: int, text: str) -> dict[str, Any]:
        """The user edits a text message they sent earlier (an ``edited_message`` update)."""
        original = self._user_messages.get((user_id, message_id))
        if original is None or original["from"]["id"] != user_id:
            raise ValueError(f"user {user_id} sent no message {message_id} to edit")
        edited = {k: v for k, v in original.items() if k != "entities"}
        edited.update(text=text, edit_date=int(time.time()), **self._command_entities(text))
        self._user_messages[(user_id, message_id)] = edited
        return self._enqueue("edited_message", edited, user_id)

    def channel_post(self, chat_id: int, text: str, title: str = "کانال آزمایشی") -> dict[str, Any]:
        """A post appears in a channel the bot is in (no ``from`` user)."""
        chat = self._chats.setdefault(chat_id, {"id": chat_id, "type": "channel", "title": title})
        message = {
            "message_id": self._next_message_id(chat_id),
            "sender_chat": chat,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        self._user_messages[(chat_id, message["message_id"])] = message
        return self._enqueue("channel_post", message, chat_id)

    # -- groups ------------------------------------------------------------------------------------------

    def member_sends(
        self, chat_id: int, user_id: int, text: str, *, reply_to: int | None = None, first_name: str | None = None
    ) -> dict[str, Any]:
        """A member writes ``text`` in a group (a command gets its entity), as a reply to message
        ``reply_to`` of the group when given (the update then carries that message as ``reply_to_message``)."""
        content = {"text": text, **self._command_entities(text)}
        return self._member_message(chat_id, user_id, first_name, reply_to, content)

    def member_sends_photo(
        self, chat_id: int, user_id: int, *, caption: str | None = None, reply_to: int | None = None,
        first_name: str | None = None,
    ) -> dict[str, Any]:
        """A member posts a photo in a group (two sizes), maybe with a caption, maybe as a reply."""
        photo = [
            {**self._file("photo"), "width": 90, "height": 67, "file_size": 1200},
            {**self._file("photo"), "width": 800, "height": 600, "file_size": 48000},
        ]
        content: dict[str, Any] = {"photo": photo, **({"caption": caption} if caption else {})}
        return self._member_message(chat_id, user_id, first_name, reply_to, content)

    def member_sends_document(
        self, chat_id: int, user_id: int, *, file_name: str = "راهنما.pdf", caption: str | None = None,
        reply_to: int | None = None, first_name: str | None = None,
    ) -> dict[str, Any]:
        """A member posts a file in a group, maybe with a caption, maybe as a reply."""
        content: dict[str, Any] = {"document": self._document(file_name), **({"caption": caption} if caption else {})}
        return self._member_message(chat_id, user_id, first_name, reply_to, content)

    def member_sends_sticker(
        self, chat_id: int, user_id: int, *, reply_to: int | None = None, first_name: str | None = None
    ) -> dict[str, Any]:
        """A member posts a sticker in a group, maybe as a reply."""
        sticker = {**self._file("sticker"), "type": "regular", "width": 512, "height": 512, "is_animated": False,
                   "is_video": False, "emoji": "👍"}
        return self._member_message(chat_id, user_id, first_name, reply_to, {"sticker": sticker})

    def member_taps(
        self, chat_id: int, user_id: int, message_id: int, data: str, first_name: str | None = None
    ) -> dict[str, Any]:
        """A member taps an inline button carrying ``data`` under the bot's message ``message_id`` in a group."""
        record = self._bot_messages.get((chat_id, message_id))
        if record is None or record["deleted"]:
            raise ValueError(f"the bot has no message {message_id} in chat {chat_id} to tap on")
        query_id = str(next(self._query_ids))
        self._open_queries[query_id] = chat_id
        query = {
            "id": query_id,
            "from": self._user(user_id, first_name),
            "message": self._api_message(record),
            "chat_instance": str(chat_id),
            "data": data,
        }
        return self._enqueue("callback_query", query, chat_id)

    def member_taps_button(
        self, chat_id: int, user_id: int, text: str, *, message_id: int | None = None, first_name: str | None = None
    ) -> dict[str, Any]:
        """A member taps the button labelled ``text`` on the bot's message ``message_id`` in a group (by
        default the newest one that shows it)."""
        records = sorted(
            (r for (chat, _), r in self._bot_messages.items()
             if chat == chat_id and not r["deleted"] and (message_id is None or r["message_id"] == message_id)),
            key=lambda r: r["message_id"],
            reverse=True,
        )
        for record in records:
            if not _is_inline(record["reply_markup"]):
                continue
            for row in record["reply_markup"]["inline_keyboard"]:
                for button in row:
                    if button.get("text") == text and "callback_data" in button:
                        return self.member_taps(chat_id, user_id, record["message_id"], button["callback_data"],
                                                first_name)
        raise ValueError(f"no inline button {text!r} in chat {chat_id}; buttons shown: "
                         f"{[r['buttons'] for r in records if r['buttons']]!r}")

    def _member_message(self, chat_id: int, user_id: int, first_name: str | None, reply_to: int | None,
                        content: dict[str, Any]) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None or chat["type"] not in ("group", "supergroup"):
            raise ValueError(f"no group {chat_id}: add it with add_group")
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "from": self._user(user_id, first_name),
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        if reply_to is not None:
            target = self._message_dict(chat_id, reply_to, nested=True)
            if target is None:
                raise ValueError(f"no message {reply_to} in chat {chat_id} to reply to")
            message["reply_to_message"] = target
        self._user_messages[(chat_id, message["message_id"])] = message
        return self._enqueue("message", message, chat_id)

    def _document(self, file_name: str) -> dict[str, Any]:
        return {**self._file("document"), "file_name": file_name, "mime_type": "application/pdf", "file_size": 52000}

    @staticmethod
    def _command_entities(text: str) -> dict[str, Any]:
        if not text.startswith("/"):
            return {}
        command = text.split(maxsplit=1)[0]
        return {"entities": [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]}

    def _user_message(self, user_id: int, first_name: str | None, **content: Any) -> dict[str, Any]:
        sender = self._user(user_id, first_name)
        message = {
            "message_id": self._next_message_id(user_id),
            "from": sender,
            "chat": self._chats[user_id],
            "date": int(time.time()),
            **content,
        }
        self._user_messages[(user_id, message["message_id"])] = message
        return message
