"""The Bot API methods the peer answers, checked as the real servers check them, and the canned errors
they give (a Bale peer refuses what Bale does not support)."""

from __future__ import annotations

import asyncio
import copy
import json
import re
import time
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any

from handlers.fakeapi.state import PeerState
from handlers.fakeapi.telegram_html import HtmlError, html_to_plain
from handlers.fakeapi.wire import (
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    Call,
    UploadedFile,
    _ApiError,
    _as_int,
    _bad,
    _decode_params,
    _default_description,
    _is_inline,
    button_rows,
)

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"

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


class BotApiMethods(PeerState):
    """``call`` answers one Bot API call from the state, as the real server would."""

    @cached_property
    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
        """The methods the peer answers, by lower-case name (the Bot API's names are case-insensitive)."""
        return {
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
                "sendPhoto": self._send_photo,
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
        elif refusal := self._over_rate(key):
            envelope = refusal
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

    def _reply_to(self, params: dict[str, Any], chat_id: int) -> int | None:
        """The message a new one answers: Telegram reads ``reply_parameters`` (or the older
        ``reply_to_message_id``); Bale documents only ``reply_to_message_id`` and ignores the rest. A message
        that is not in the chat is refused unless ``allow_sending_without_reply``."""
        parameters = params.get("reply_parameters") if self.platform == "telegram" else None
        allow = False
        if isinstance(parameters, dict):
            target = _as_int(parameters.get("message_id"))
            allow = bool(parameters.get("allow_sending_without_reply"))
        else:
            target = _as_int(params.get("reply_to_message_id"))
            allow = bool(params.get("allow_sending_without_reply"))
        if target is None:
            return None
        if self._message_dict(chat_id, target) is None:
            if allow:
                return None
            raise _bad("message to be replied not found")
        return target

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
        reply_to = self._reply_to(params, chat_id)
        record = self._new_record(
            chat_id, "sendMessage", text=text, plain=plain, parse_mode=parse_mode, reply_markup=markup,
            reply_to=reply_to,
        )
        return self._api_message(record)

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        photo = params.get("photo")
        if isinstance(photo, str) and photo.startswith("attach://"):
            photo = params.get(photo.removeprefix("attach://"))
        if isinstance(photo, UploadedFile):
            stored = [{**self._file("photo"), "width": 800, "height": 600, "file_size": len(photo.content)}]
        elif isinstance(photo, str) and photo:
            stored = [{"file_id": photo, "file_unique_id": f"u{photo}", "width": 800, "height": 600}]
        else:
            raise _bad("there is no photo in the request")
        caption, plain, parse_mode = self._render(
            params, "caption", required=False, limit=MAX_CAPTION_LENGTH, too_long="message caption is too long"
        )
        markup = self._check_markup(params.get("reply_markup"))
        reply_to = self._reply_to(params, chat_id)
        record = self._new_record(
            chat_id, "sendPhoto", caption=caption, plain=plain, parse_mode=parse_mode, reply_markup=markup,
            photo=stored, reply_to=reply_to,
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
        reply_to = self._reply_to(params, chat_id)
        record = self._new_record(
            chat_id,
            "sendDocument",
            caption=caption,
            plain=plain,
            parse_mode=parse_mode,
            reply_markup=markup,
            document=stored,
            reply_to=reply_to,
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
