"""A fake Bot API peer: what Telegram or Bale would be for one bot, kept in memory.

There is no Telegram or Bale server to test against, so the bot talks to a ``BotApiPeer`` instead: in-process
through ``PeerRequest`` (conversation tests, the sandbox chat) or over loopback HTTP through
``bot.peer_server`` (a ``python -m bot run`` subprocess, load runs). The peer keeps the state a real server
keeps (pending updates, message ids per chat, the bot's messages as edited), answers in the Bot API envelope
and refuses what the real server refuses, so escaping bugs, over-long texts, fat callback data, double
taps and Bale's missing ``parse_mode`` fail in tests the way they would fail in production.

A test reads like the conversation::

    peer.user_sends(42, "/start")
    [menu] = await peer.wait_for_reply(42)
    assert menu["buttons"] == [["ثبت درخواست", "پیگیری"]]
    peer.user_taps_button(42, "پیگیری")
    [answer] = await peer.wait_for_reply(42)

What the peer checks is modelled on the public Bot API documentation and on tdlib's messages; it is a test
double, not a specification. The peer is not thread-safe: use it from the event loop that runs the bot.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

Platform = Literal["telegram", "bale"]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
NO_CONTACT_USER = 0
"""Pass as ``contact_user_id`` to share a contact that has no Telegram/Bale account (no ``user_id``)."""

DEFAULT_FIRST_NAME = "علی"

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"

# String parameters that are free text or opaque ids. Every other string parameter arrives JSON-encoded
# over form-encoded HTTP (PTB's ``json_parameters``) and is decoded; these must not be, or a text "123"
# would turn into a number.
_TEXT_PARAMS = frozenset(
    """
    text caption parse_mode callback_query_id inline_message_id url secret_token ip_address description
    short_description name language_code action emoji title phone_number first_name last_name file_id
    document photo sticker voice audio video animation thumbnail business_connection_id message_effect_id
    custom_emoji_id query payload currency provider_token start_parameter
    """.split()
)

_CHAT_ACTIONS = frozenset(
    """
    typing upload_photo record_video upload_video record_voice upload_voice upload_document
    choose_sticker find_location record_video_note upload_video_note
    """.split()
)

_BUTTON_ACTIONS = frozenset(
    """
    url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat
    switch_inline_query_chosen_chat copy_text callback_game pay
    """.split()
)

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


class Call(NamedTuple):
    """One Bot API call as the peer received it, with its parameters decoded."""

    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded (multipart ``InputFile``)."""

    filename: str | None
    content: bytes = field(repr=False)
    mime_type: str | None = None


class _ApiError(Exception):
    """Carries the error envelope out of a method implementation."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.envelope: dict[str, Any] = {"ok": False, "error_code": error_code, "description": description}
        if retry_after is not None:
            self.envelope["parameters"] = {"retry_after": retry_after}


def _bad(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


def _default_description(error_code: int, retry_after: int | None) -> str:
    return {
        400: "Bad Request: injected by the test peer",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running",
        429: f"Too Many Requests: retry after {retry_after or 1}",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(error_code, f"Error {error_code}")


# --------------------------------------------------------------------------------------------------
# Telegram HTML, checked the way tdlib parses it (MessageEntity.cpp, parse_html), messages included.
# --------------------------------------------------------------------------------------------------

_HTML_TAGS = frozenset(
    """
    a b strong i em u ins s strike del span tg-spoiler code pre blockquote tg-emoji tg-time
    """.split()
)
_HTML_ENTITY = re.compile(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ATTRIBUTE = re.compile(r"""\s*([^\s=>]+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>"']*))?""")


class HtmlError(ValueError):
    """Telegram's parser would refuse this text; the message is tdlib's."""


def html_to_plain(text: str) -> str:
    """Returns what a person sees of a ``parse_mode=HTML`` text, or raises ``HtmlError`` like Telegram.

    Unknown tags, unclosed or mismatched tags and a bare ``<`` are errors; an unknown ``&entity;`` or a
    bare ``&`` stays literal, as in tdlib.
    """
    out: list[str] = []
    stack: list[str] = []
    i, n = 0, len(text)

    def offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    while i < n:
        char = text[i]
        if char == "&":
            match = _HTML_ENTITY.match(text, i)
            if match is None:
                out.append("&")
                i += 1
                continue
            body = match.group(1)
            if body.startswith(("#x", "#X")):
                out.append(chr(min(int(body[2:], 16), 0x10FFFF)))
            elif body.startswith("#"):
                out.append(chr(min(int(body[1:]), 0x10FFFF)))
            elif body.lower() in _HTML_NAMED:
                out.append(_HTML_NAMED[body.lower()])
            else:
                out.append(match.group(0))
            i = match.end()
            continue
        if char != "<":
            out.append(char)
            i += 1
            continue
        begin = i
        if text.startswith("</", i):
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {offset(begin)}")
            close = text.find(">", i)
            name = text[i + 2 : close if close >= 0 else n].strip()
            if close < 0 or any(c.isspace() for c in name):
                raise HtmlError(f"Unclosed end tag at byte offset {offset(begin)}")
            if name and name.lower() != stack[-1]:
                raise HtmlError(
                    f'Unmatched end tag at byte offset {offset(begin)}, expected "</{stack[-1]}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
            i = close + 1
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {offset(begin)}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise HtmlError(f'Unsupported start tag "{name}" at byte offset {offset(begin)}')
        close = text.find(">", j)
        if close < 0:
            raise HtmlError(f"Unclosed start tag at byte offset {offset(begin)}")
        attributes = {
            m.group(1).lower(): (m.group(2) or "").strip("\"'")
            for m in _HTML_ATTRIBUTE.finditer(text[j:close])
            if m.group(1)
        }
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise HtmlError('Tag "span" must have class "tg-spoiler"')
        if name == "tg-emoji" and "emoji-id" not in attributes:
            raise HtmlError('Tag "tg-emoji" must have attribute "emoji-id"')
        stack.append(name)
        i = close + 1
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_params(params: dict[str, Any]) -> dict[str, Any]:
    """Decodes JSON-encoded string values (form or multipart bodies); drops ``None`` like PTB does."""
    decoded: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str) and key not in _TEXT_PARAMS:
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = value
            if isinstance(parsed, float) and not math.isfinite(parsed):
                parsed = value
            value = value if isinstance(parsed, str) else parsed
        if value is not None:
            decoded[key] = value
    return decoded


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def button_rows(markup: dict[str, Any] | None) -> list[list[str]]:
    """Returns the button texts of an inline or reply keyboard, row by row (``[]`` without buttons)."""
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [
        [button.get("text", "") if isinstance(button, dict) else str(button) for button in row]
        for row in rows
        if isinstance(row, list)
    ]


def _is_inline(markup: dict[str, Any] | None) -> bool:
    return bool(markup) and "inline_keyboard" in markup  # type: ignore[operator]


def _document_meta(document: dict[str, Any] | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return {k: v for k, v in document.items() if k != "content" and v is not None}


# --------------------------------------------------------------------------------------------------
# The peer
# --------------------------------------------------------------------------------------------------


class BotApiPeer:
    """The state of one bot on a fake Telegram or Bale server, and the users who talk to it.

    Records of the bot's messages (``sent``, ``wait_for_reply``) are plain dicts with the keys
    ``message_id``, ``chat_id``, ``method``, ``date``, ``text`` (as sent), ``plain`` (what a person sees:
    HTML tags stripped and entities decoded), ``parse_mode``, ``reply_markup`` (python dicts), ``buttons``
    (button texts row by row), ``caption``, ``document``, ``edits``, ``edit_date`` and ``deleted``.
    """

    def __init__(
        self,
        platform: Platform = "telegram",
        *,
        bot_id: int = 123,
        bot_username: str = "khedmat_test_bot",
        bot_first_name: str = "خدمت",
        token: str | None = None,
        strict_chats: bool = True,
    ) -> None:
        """Creates an empty server for one bot.

        ``token``: when set, calls made with another token are refused (401 on Telegram, 403 on Bale).
        ``strict_chats``: sending to a chat nobody has written from gives 400 "chat not found", as on
        Telegram; turn off for load runs that message users the peer never saw.
        """
        if platform not in ("telegram", "bale"):
            raise ValueError(f"unknown platform {platform!r}: use 'telegram' or 'bale'")
        self.platform: Platform = platform
        self.token = token
        self.strict_chats = strict_chats
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.calls: list[Call] = []
        """Every call received, failed ones included, in order."""
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[str, list[dict[str, Any]]] = {}
        """setMyCommands lists, keyed by ``json.dumps([scope, language_code])``."""
        self.descriptions: dict[str, dict[str, str]] = {
            "description": {},
            "short_description": {},
            "name": {},
        }
        self.menu_buttons: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.edit_stub: Any = True
        """What Bale's editMessageText answers instead of the Message; set e.g. ``{"message_id": 5}`` to try
        other shapes."""

        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._last_message_id: dict[int, int] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._bot_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._user_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._outbox: dict[int, list[dict[str, Any]]] = {}
        self._cursor: dict[int, int] = {}
        self._open_queries: dict[str, int] = {}
        self._blocked: set[int] = set()
        self._faults: dict[str, list[list[Any]]] = {}
        self._delays: dict[str, float] = {}
        self._allowed_updates: list[str] | None = None
        self._waiters: set[asyncio.Future[None]] = set()
        self._poll_generation = 0
        self._interrupts = 0
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "close": self._true,
                "logOut": self._true,
                "sendMessage": self._send_message,
                "sendDocument": self._send_document,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setMyDescription": self._setter("description"),
                "getMyDescription": self._getter("description"),
                "setMyShortDescription": self._setter("short_description"),
                "getMyShortDescription": self._getter("short_description"),
                "setMyName": self._setter("name"),
                "getMyName": self._getter("name"),
                "setChatMenuButton": self._set_chat_menu_button,
                "getChatMenuButton": self._get_chat_menu_button,
            }.items()
        }

    # ----------------------------------------------------------------------------------------------
    # The Bot API entry point
    # ----------------------------------------------------------------------------------------------

    async def call(
        self, method: str, params: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """Answers one Bot API call with the JSON envelope, as the real server would.

        String values are JSON-decoded where the Bot API expects objects or numbers (form bodies);
        ``attach://name`` values refer to an ``UploadedFile`` passed under ``name``.
        """
        params = _decode_params(params or {})
        self.calls.append(Call(method, params))
        key = method.lower()
        if self.token is not None and token is not None and token != self.token:
            refusal = (403, "Forbidden: invalid token") if self.platform == "bale" else (401, "Unauthorized")
            envelope = _ApiError(*refusal).envelope
        elif fault := self._take_fault(key):
            envelope = fault
        elif (handler := self._handlers.get(key)) is None:
            envelope = {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        else:
            try:
                envelope = {"ok": True, "result": await handler(params)}
            except _ApiError as error:
                envelope = error.envelope
        # The delay comes after the work, as on the real server: a client that times out may still
        # have sent its message.
        if delay := self._delays.get(key):
            await asyncio.sleep(delay)
        return envelope

    # ----------------------------------------------------------------------------------------------
    # Fault injection and inspection
    # ----------------------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error_code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Makes the next ``times`` calls of ``method`` fail with this error instead of being carried out.

        ``retry_after`` adds ``parameters.retry_after`` (PTB raises ``RetryAfter`` for it).
        """
        if error_code == 429 and retry_after is None:
            retry_after = 1
        envelope = _ApiError(
            error_code, description or _default_description(error_code, retry_after), retry_after
        ).envelope
        self._faults.setdefault(method.lower(), []).append([envelope, times])

    def delay(self, method: str, seconds: float) -> None:
        """Makes every later ``method`` call answer ``seconds`` late (0 removes the delay)."""
        if seconds > 0:
            self._delays[method.lower()] = seconds
        else:
            self._delays.pop(method.lower(), None)

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sending to their chat gives 403 "bot was blocked by the user"."""
        self._blocked.add(user_id)

    def add_user(self, user_id: int, first_name: str = DEFAULT_FIRST_NAME) -> None:
        """Makes a private chat known without a message, so the bot may write first."""
        self._user(user_id, first_name)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Returns the parameters of every call of ``method``."""
        return [c.params for c in self.calls if c.method.lower() == method.lower()]

    def sent(self, chat_id: int, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Returns the bot's messages in a chat as they stand now (edits applied), oldest first."""
        return [
            copy.deepcopy(record)
            for (chat, _), record in sorted(self._bot_messages.items(), key=lambda item: item[0][1])
            if chat == chat_id and (include_deleted or not record["deleted"])
        ]

    def outbox(self, chat_id: int) -> list[dict[str, Any]]:
        """Returns every send and edit in a chat, in order: snapshots with ``event`` "send" or "edit"."""
        return copy.deepcopy(self._outbox.get(chat_id, []))

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """Returns how the bot answered a callback query (text, show_alert, url), or ``None`` if not yet."""
        return self.callback_answers.get(str(query_id))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """The updates not yet confirmed by the bot (``getUpdates`` with a higher offset)."""
        return list(self._updates)

    def interrupt_polls(self) -> None:
        """Makes every waiting ``getUpdates`` long poll answer now (used when the HTTP server shuts down)."""
        self._interrupts += 1
        self._notify()

    async def wait_for_reply(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - reads better in a conversation than asyncio.timeout
    ) -> list[dict[str, Any]]:
        """Waits until the bot has sent or edited ``count`` more messages in a chat, and returns them.

        "More" counts from the last user action in that chat, or from the end of the previous
        ``wait_for_reply``, so successive calls read the bot's answers one after another. Raises
        ``TimeoutError`` naming what did arrive.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            events = self._outbox.get(chat_id, [])
            start = self._cursor.get(chat_id, 0)
            if len(events) - start >= count:
                self._cursor[chat_id] = start + count
                return copy.deepcopy(events[start : start + count])
            remaining = deadline - loop.time()
            if remaining <= 0:
                got = [e["plain"] if e["plain"] is not None else e["method"] for e in events[start:]]
                raise TimeoutError(
                    f"the bot sent {len(got)} of {count} expected messages to chat {chat_id} "
                    f"within {timeout}s: {got!r}"
                )
            await self._wait_change(remaining)

    async def assert_no_reply(self, chat_id: int, within: float = 0.2) -> None:
        """Waits ``within`` seconds and fails if the bot sent or edited anything new in the chat."""
        start = self._cursor.get(chat_id, 0)
        await asyncio.sleep(within)
        events = self._outbox.get(chat_id, [])[start:]
        if events:
            raise AssertionError(f"the bot answered in chat {chat_id}: {[e['plain'] for e in events]!r}")

    # ----------------------------------------------------------------------------------------------
    # Users acting: each enqueues an Update dict and returns it
    # ----------------------------------------------------------------------------------------------

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

    # ----------------------------------------------------------------------------------------------
    # Internals: users, chats, messages, waiting
    # ----------------------------------------------------------------------------------------------

    def _user(self, user_id: int, first_name: str | None) -> dict[str, Any]:
        user = self._users.get(user_id)
        if user is None or (first_name is not None and user["first_name"] != first_name):
            user = {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name or DEFAULT_FIRST_NAME,
                "language_code": "fa",
            }
            self._users[user_id] = user
            self._chats[user_id] = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        return user

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _file(self, kind: str) -> dict[str, str]:
        number = next(self._file_ids)
        return {"file_id": f"peer-{kind}-{number}", "file_unique_id": f"u{kind}{number}"}

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

    def _enqueue(self, kind: str, payload: dict[str, Any], chat_id: int) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        self._updates.append(copy.deepcopy(update))  # the caller may change what it gets back
        self._cursor[chat_id] = len(self._outbox.get(chat_id, []))
        self._notify()
        return update

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _wait_change(self, seconds: float) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, seconds)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)

    def _take_fault(self, key: str) -> dict[str, Any] | None:
        queue = self._faults.get(key)
        if not queue:
            return None
        envelope, times = queue[0]
        if times <= 1:
            queue.pop(0)
        else:
            queue[0][1] = times - 1
        return copy.deepcopy(envelope)

    def _chat(self, params: dict[str, Any]) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        chat_id = _as_int(raw)
        if chat_id is None:
            chat_id = next(
                (cid for cid, chat in self._chats.items() if f"@{chat.get('username')}" == raw), None
            )
        if chat_id is None or (chat_id not in self._chats and self.strict_chats):
            raise _bad("chat not found")
        if chat_id not in self._chats:
            self._user(chat_id, None)
        if chat_id in self._blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _render(
        self, params: dict[str, Any], key: str, *, required: bool, limit: int, too_long: str
    ) -> tuple[str | None, str | None, str | None]:
        """Checks a text or caption with its parse_mode; returns (text as sent, text as seen, parse_mode)."""
        parse_mode = params.get("parse_mode")
        if parse_mode is not None and self.platform == "bale":
            raise _bad("parse_mode is not supported")
        text = params.get(key)
        if text is None:
            if required:
                raise _bad("message text is empty")
            return None, None, parse_mode
        text = str(text)
        mode = str(parse_mode).lower() if parse_mode is not None else None
        if mode == "html":
            try:
                plain = html_to_plain(text)
            except HtmlError as error:
                raise _bad(f"can't parse entities: {error}") from None
        elif mode in (None, "", "markdown", "markdownv2"):
            plain = text
        else:
            raise _bad("unsupported parse_mode")
        if required and not plain.strip():
            raise _bad("message text is empty")
        if len(plain) > limit:
            raise _bad(too_long)
        return text, plain, parse_mode

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        if markup is None:
            return None
        if not isinstance(markup, dict) or not any(
            k in markup for k in ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")
        ):
            raise _bad("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return markup
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad("can't parse inline keyboard button: Field \"text\" must be of type String")
                if not _BUTTON_ACTIONS.intersection(button):
                    raise _bad(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad("BUTTON_DATA_INVALID")
        return markup

    def _new_record(self, chat_id: int, method: str, **content: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "chat_id": chat_id,
            "method": method,
            "date": int(time.time()),
            "text": None,
            "plain": None,
            "parse_mode": None,
            "reply_markup": None,
            "buttons": [],
            "caption": None,
            "document": None,
            "edits": 0,
            "edit_date": None,
            "deleted": False,
        }
        record.update(content)
        record["buttons"] = button_rows(record["reply_markup"])
        self._bot_messages[(chat_id, record["message_id"])] = record
        self._emit(record, "send")
        return record

    def _emit(self, record: dict[str, Any], event: str) -> None:
        snapshot = copy.deepcopy(record)
        snapshot["event"] = event
        self._outbox.setdefault(record["chat_id"], []).append(snapshot)
        self._notify()

    def _api_message(self, record: dict[str, Any]) -> dict[str, Any]:
        """The Message object the Bot API returns for one of the bot's messages."""
        message: dict[str, Any] = {
            "message_id": record["message_id"],
            "from": self.bot_user,
            "chat": self._chats[record["chat_id"]],
            "date": record["date"],
        }
        if record["edit_date"] is not None:
            message["edit_date"] = record["edit_date"]
        if record["document"] is not None:
            message["document"] = _document_meta(record["document"])
            if record["plain"] is not None:
                message["caption"] = record["plain"]
        elif record["plain"] is not None:
            message["text"] = record["plain"]
        if _is_inline(record["reply_markup"]):
            message["reply_markup"] = record["reply_markup"]
        return copy.deepcopy(message)

    def _editable(self, params: dict[str, Any]) -> dict[str, Any]:
        if "inline_message_id" in params:
            raise _bad("MESSAGE_ID_INVALID")
        chat_id = self._chat(params)
        message_id = _as_int(params.get("message_id"))
        if message_id is None:
            raise _bad("message identifier is not specified")
        record = self._bot_messages.get((chat_id, message_id))
        if record is None or record["deleted"]:
            if (chat_id, message_id) in self._user_messages:
                raise _bad("message can't be edited")
            raise _bad("message to edit not found")
        return record

    def _refuse_on_bale(self) -> None:
        if self.platform == "bale":
            raise _bad("method is not supported")

    # ----------------------------------------------------------------------------------------------
    # Bot API methods
    # ----------------------------------------------------------------------------------------------

    async def _true(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(self.bot_user)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation, interrupts = self._poll_generation, self._interrupts
        self._notify()  # an older long poll still waiting now answers 409, as on Telegram

        offset = _as_int(params.get("offset"))
        if offset is not None and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset is not None and offset < 0:
            self._updates = self._updates[offset:]
        limit = max(1, min(100, _as_int(params.get("limit")) or 100))
        timeout = 0.0
        if self.platform == "telegram":
            timeout = float(params.get("timeout") or 0)
            if "allowed_updates" in params:
                self._allowed_updates = list(params["allowed_updates"]) or None

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise _ApiError(409, _default_description(409, None))
            if self._allowed_updates is not None:
                allowed = set(self._allowed_updates)
                self._updates = [u for u in self._updates if allowed.intersection(u)]
            batch = self._updates[:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or interrupts != self._interrupts:
                return copy.deepcopy(batch)
            await self._wait_change(remaining)

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if self.platform == "bale":
            params = {"url": url}
        self.webhook = dict(params) if url else None
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        text, plain, parse_mode = self._render(
            params, "text", required=True, limit=MAX_TEXT_LENGTH, too_long="message is too long"
        )
        markup = self._check_markup(params.get("reply_markup"))
        record = self._new_record(
            chat_id, "sendMessage", text=text, plain=plain, parse_mode=parse_mode, reply_markup=markup
        )
        return self._api_message(record)

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        document = params.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            document = params.get(document.removeprefix("attach://"))
        if isinstance(document, UploadedFile):
            stored = {
                **self._file("document"),
                "file_name": document.filename,
                "mime_type": document.mime_type,
                "file_size": len(document.content),
                "content": document.content,
            }
        elif isinstance(document, str) and document:
            stored = {"file_id": document, "file_unique_id": f"u{document}"}
        else:
            raise _bad("there is no document in the request")
        caption, plain, parse_mode = self._render(
            params,
            "caption",
            required=False,
            limit=MAX_CAPTION_LENGTH,
            too_long="message caption is too long",
        )
        markup = self._check_markup(params.get("reply_markup"))
        record = self._new_record(
            chat_id,
            "sendDocument",
            caption=caption,
            plain=plain,
            parse_mode=parse_mode,
            reply_markup=markup,
            document=stored,
        )
        return self._api_message(record)

    async def _edit_message_text(self, params: dict[str, Any]) -> Any:
        record = self._editable(params)
        text, plain, parse_mode = self._render(
            params, "text", required=True, limit=MAX_TEXT_LENGTH, too_long="MESSAGE_TOO_LONG"
        )
        markup = self._check_markup(params.get("reply_markup"))
        if record["text"] is None:
            raise _bad("there is no text in the message to edit")
        same_text = (text == record["text"] and parse_mode == record["parse_mode"]) or (
            plain == record["plain"] and text == plain and record["text"] == record["plain"]
        )
        current = record["reply_markup"] if _is_inline(record["reply_markup"]) else None
        if same_text and markup == current:
            raise _bad(_NOT_MODIFIED)
        # Telegram drops the inline keyboard of an edit that does not repeat it.
        if markup is not None or current is not None:
            record["reply_markup"] = markup
        record.update(text=text, plain=plain, parse_mode=parse_mode)
        self._mark_edited(record)
        if self.platform == "bale":
            return copy.deepcopy(self.edit_stub)
        return self._api_message(record)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        record = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup is not None and not _is_inline(markup):
            raise _bad("inline keyboard expected")
        current = record["reply_markup"] if _is_inline(record["reply_markup"]) else None
        if markup == current:
            raise _bad(_NOT_MODIFIED)
        record["reply_markup"] = markup
        self._mark_edited(record)
        return self._api_message(record)

    def _mark_edited(self, record: dict[str, Any]) -> None:
        record["buttons"] = button_rows(record["reply_markup"])
        record["edits"] += 1
        record["edit_date"] = int(time.time())
        self._emit(record, "edit")

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params)
        message_id = _as_int(params.get("message_id"))
        record = self._bot_messages.get((chat_id, message_id or 0))
        if record is not None and not record["deleted"]:
            record["deleted"] = True
            return True
        if self._user_messages.pop((chat_id, message_id or 0), None) is not None:
            return True
        raise _bad("message to delete not found")

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if self._open_queries.pop(query_id, None) is None:
            raise _bad(_QUERY_TOO_OLD)
        self.callback_answers[query_id] = {
            k: params[k] for k in ("text", "show_alert", "url", "cache_time") if k in params
        }
        self._notify()
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> str:
        return json.dumps(
            [params.get("scope") or {"type": "default"}, params.get("language_code") or ""], sort_keys=True
        )

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        self._refuse_on_bale()
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._refuse_on_bale()
        self.commands.pop(self._commands_key(params), None)
        return True

    def _setter(self, kind: str) -> Callable[[dict[str, Any]], Awaitable[bool]]:
        async def set_value(params: dict[str, Any]) -> bool:
            self._refuse_on_bale()
            value = str(params.get(kind) or "")
            language = params.get("language_code") or ""
            if value:
                self.descriptions[kind][language] = value
            else:
                self.descriptions[kind].pop(language, None)
            return True

        return set_value

    def _getter(self, kind: str) -> Callable[[dict[str, Any]], Awaitable[dict[str, str]]]:
        async def get_value(params: dict[str, Any]) -> dict[str, str]:
            values = self.descriptions[kind]
            return {kind: values.get(params.get("language_code") or "", values.get("", ""))}

        return get_value

    async def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        self._refuse_on_bale()
        key = str(self._chat(params)) if "chat_id" in params else "default"
        self.menu_buttons[key] = params.get("menu_button") or {"type": "default"}
        return True

    async def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        key = str(self._chat(params)) if "chat_id" in params else "default"
        default = self.menu_buttons.get("default", {"type": "default"})
        return copy.deepcopy(self.menu_buttons.get(key, default))


# --------------------------------------------------------------------------------------------------
# PTB transport
# --------------------------------------------------------------------------------------------------


class PeerRequest(BaseRequest):
    """Routes python-telegram-bot's HTTP calls to a ``BotApiPeer`` in the same process.

    Build the application with ``.request(PeerRequest(peer)).get_updates_request(PeerRequest(peer))``.
    Read timeouts are enforced (``TimedOut``), so ``peer.delay`` can exercise the bot's timeout paths.
    """

    __slots__ = ("_peer", "_read_timeout")

    def __init__(self, peer: BotApiPeer, read_timeout: float | None = 5.0) -> None:
        self._peer = peer
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when PTB passes none."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open: the peer lives in memory."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answers one PTB request from the peer: ``(HTTP status, JSON envelope bytes)``."""
        if "/file/bot" in url:
            return 404, json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}).encode()
        head, _, endpoint = url.rpartition("/")
        token = head.rpartition("/")[2].removeprefix("bot")
        params: dict[str, Any] = {}
        if request_data is not None:
            params.update(request_data.parameters)
            for name, (filename, content, mime_type) in request_data.multipart_data.items():
                data = content.read() if hasattr(content, "read") else content
                params[name] = UploadedFile(filename, bytes(data), mime_type)
        timeout = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        try:
            envelope = await asyncio.wait_for(self._peer.call(endpoint, params, token=token), timeout)
        except TimeoutError as error:
            raise TimedOut(f"the peer did not answer {endpoint} within {timeout}s") from error
        status = 200 if envelope.get("ok") else int(envelope.get("error_code") or 500)
        return status, json.dumps(envelope, ensure_ascii=False).encode("utf-8")
