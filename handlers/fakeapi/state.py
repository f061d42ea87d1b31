"""What the fake server keeps for one bot: its users and chats, the bot's messages as edited, pending
updates, faults to inject; and how a test reads it back (``sent``, ``outbox``, ``wait_for_reply``)."""

from __future__ import annotations

import asyncio
import collections
import copy
import itertools
import time
from collections.abc import Callable
from typing import Any

from handlers.fakeapi.wire import (
    DEFAULT_FIRST_NAME,
    Call,
    Platform,
    _ApiError,
    _as_int,
    _bad,
    _default_description,
    _document_meta,
    _is_inline,
    button_rows,
)

# What counts against ``limit_rate``: the calls that put a message in a chat or change one.
_RATED_METHODS = frozenset({"sendmessage", "senddocument", "editmessagetext", "editmessagereplymarkup"})


class PeerState:
    """The store behind ``BotApiPeer``: the Bot API methods (``BotApiMethods``) and the users' actions
    (``UserActions``) read and change it; tests inspect it and inject faults through its public methods."""

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
        self._rate_limit: int | None = None
        self._recent_sends: collections.deque[float] = collections.deque()
        self.rate_refusals = 0
        """Calls refused with 429 because the bot sent faster than ``limit_rate`` allows."""

    # ----------------------------------------------------------------------------------------------
    # Fault injection and inspection
    # ----------------------------------------------------------------------------------------------


    def continue_after(self, update_id: int | None) -> None:
        """Numbers the next updates after `update_id`, as a real platform does for a bot that already
        received updates (the sandbox on a database kept from an earlier session)."""
        if update_id is not None:
            self._update_ids = itertools.count(update_id + 1)
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

    def limit_rate(self, per_second: int | None) -> None:
        """Refuses every message sent or edited beyond ``per_second`` within any one second with 429
        (``retry_after`` 1), as Telegram does with a bot that sends too fast; ``None`` lifts the limit."""
        self._rate_limit = per_second
        self._recent_sends.clear()

    def _over_rate(self, key: str) -> dict[str, Any] | None:
        if self._rate_limit is None or key not in _RATED_METHODS:
            return None
        now = time.monotonic()
        while self._recent_sends and self._recent_sends[0] <= now - 1.0:
            self._recent_sends.popleft()
        if len(self._recent_sends) >= self._rate_limit:
            self.rate_refusals += 1
            return _ApiError(429, _default_description(429, 1), 1).envelope
        self._recent_sends.append(now)
        return None

    def delay(self, method: str, seconds: float) -> None:
        """Makes every later ``method`` call answer ``seconds`` late (0 removes the delay)."""
        if seconds > 0:
            self._delays[method.lower()] = seconds
        else:
            self._delays.pop(method.lower(), None)

    def block(self, user_id: int) -> None:
        """The user blocks the bot (or removes it from a group, by its chat id): sending to their chat gives
        403 "bot was blocked by the user"."""
        self._blocked.add(user_id)

    def unblock(self, chat_id: int) -> None:
        """The user unblocks the bot (or the bot is back in a group): sending there works again."""
        self._blocked.discard(chat_id)

    def add_user(self, user_id: int, first_name: str = DEFAULT_FIRST_NAME) -> None:
        """Makes a private chat known without a message, so the bot may write first."""
        self._user(user_id, first_name)

    def add_group(self, chat_id: int, title: str = "گروه پشتیبانی", kind: str = "supergroup") -> None:
        """A group the bot is a member of (ids are negative: ``-100...`` for a supergroup); its members write
        with ``member_sends`` and the like."""
        if chat_id >= 0 or kind not in ("group", "supergroup"):
            raise ValueError(f"a group has a negative id and kind group or supergroup, not {chat_id} {kind}")
        self._chats[chat_id] = {"id": chat_id, "type": kind, "title": title}

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

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - reads better in a conversation than asyncio.timeout
    ) -> None:
        """Waits until ``condition()`` holds, checked after every change the peer sees (a message sent, an
        update queued); raises ``TimeoutError`` if it does not within ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"the condition did not hold within {timeout}s")
            await self._wait_change(remaining)

    async def assert_no_reply(self, chat_id: int, within: float = 0.2) -> None:
        """Waits ``within`` seconds and fails if the bot sent or edited anything new in the chat."""
        start = self._cursor.get(chat_id, 0)
        await asyncio.sleep(within)
        events = self._outbox.get(chat_id, [])[start:]
        if events:
            raise AssertionError(f"the bot answered in chat {chat_id}: {[e['plain'] for e in events]!r}")

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
            "photo": None,
            "reply_to": None,
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
        if record["document"] is not None or record["photo"] is not None:
            if record["document"] is not None:
                message["document"] = _document_meta(record["document"])
            else:
                message["photo"] = copy.deepcopy(record["photo"])
            if record["plain"] is not None:
                message["caption"] = record["plain"]
        elif record["plain"] is not None:
            message["text"] = record["plain"]
        if _is_inline(record["reply_markup"]):
            message["reply_markup"] = record["reply_markup"]
        if record["reply_to"] is not None:
            target = self._message_dict(record["chat_id"], record["reply_to"], nested=True)
            if target is not None:
                message["reply_to_message"] = target
        return copy.deepcopy(message)

    def _message_dict(self, chat_id: int, message_id: int, *, nested: bool = False) -> dict[str, Any] | None:
        """The Message object of a message in a chat, the bot's or a user's; ``nested`` (inside another's
        ``reply_to_message``) leaves out its own reply, as the Bot API does."""
        record = self._bot_messages.get((chat_id, message_id))
        if record is not None and not record["deleted"]:
            message = self._api_message({**record, "reply_to": None}) if nested else self._api_message(record)
            return message
        user_message = self._user_messages.get((chat_id, message_id))
        if user_message is None:
            return None
        message = copy.deepcopy(user_message)
        if nested:
            message.pop("reply_to_message", None)
        return message
