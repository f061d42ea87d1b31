"""The values the repositories hand back, as plain frozen dataclasses: callers never hold a database row,
so what they receive is the same whichever backend stored it, and stays valid after the connection closes.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Literal

from storage.requests import OPEN_STATUSES, STATUS_LABELS

Direction = Literal["in", "out"]

# Iran has kept UTC+03:30 all year since 2022; statistics count days as the citizens live them.
TEHRAN_OFFSET = _dt.timedelta(hours=3, minutes=30)


# -- chats and drafts -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatState:
    """What a chat user is looking at; a user with nothing stored gets an empty one rather than None."""

    platform: str
    user_id: int
    current_service: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: _dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    """A form in progress; the form logic decides what `step` and `editing` mean, storage only keeps them."""

    platform: str
    user_id: int
    service_id: str
    step: int
    answers: dict[str, Any]
    editing: str | None
    updated_at: _dt.datetime


# -- requests ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatedRequest:
    """The answer to a registration.

    `duplicate` is True when this chat account already had an open request of the same service and
    national code and nothing new was stored: `tracking_code` is that request's. A match with another
    account's request is never reported here (see RequestsRepo.create).
    """

    tracking_code: str
    created_at: _dt.datetime
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class RequestEvent:
    status: str
    note: str | None
    actor: str | None
    created_at: _dt.datetime


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    tracking_code: str
    service_id: str
    platform: str | None
    user_id: int
    chat_id: int
    national_code: str | None
    mobile: str | None
    data: dict[str, Any]
    status: str
    created_at: _dt.datetime
    updated_at: _dt.datetime
    events: tuple[RequestEvent, ...] = field(default=())
    # The tracking code of an earlier open request of the same service and national code from another chat
    # account: this one may be a duplicate (or the earlier one a squatter's), for staff to resolve.
    duplicate_of: str | None = None
    # When retention took the personal data out of this closed request (None: it still has them).
    anonymized_at: _dt.datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True, slots=True)
class StatusNotice:
    """A status change to tell a citizen about."""

    event_id: int
    tracking_code: str
    service_id: str
    chat_id: int
    status: str
    note: str | None
    created_at: _dt.datetime

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


# -- the message log --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: int
    created_at: _dt.datetime
    platform: str | None
    user_id: int | None
    chat_id: int | None
    direction: str
    text: str | None
    intent: str | None
    service_id: str | None
    score: float | None
    answered: bool | None
    normalized: str | None
    handling_ms: float | None


@dataclass(frozen=True, slots=True)
class UnansweredQuestion:
    """One group of unanswered questions: the normalized text, how often, when last, and one real wording."""

    normalized: str
    count: int
    last_seen: _dt.datetime
    example: str | None


@dataclass(frozen=True, slots=True)
class DayStats:
    """One day (local time) of traffic; `answered` + `unanswered` may be less than `incoming` when some
    incoming messages were not questions (button presses, form answers)."""

    day: _dt.date
    incoming: int
    outgoing: int
    answered: int
    unanswered: int
    users: int
    avg_handling_ms: float | None


@dataclass(frozen=True, slots=True)
class InboxUpdate:
    """An update received from the platform and stored before it was acknowledged (the raw JSON)."""

    update_id: int
    payload: str


@dataclass(frozen=True, slots=True)
class OutgoingReply:
    """A reply the platform refused for now (flood control, server errors), kept until it is sent."""

    id: int
    chat_id: int
    payload: str  # the Reply, as JSON (bot.reply.to_json)
    attempts: int


# -- the staff audit trail --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One staff action on personal data: who (the operating-system account), when, what, on what."""

    id: int
    created_at: _dt.datetime
    os_user: str
    action: str
    target: str | None
    detail: str | None


# -- the web console --------------------------------------------------------------------------------------

CONSOLE_ROLES = ("viewer", "clerk", "editor", "admin")  # each may do what the one before may, and more


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """A person who signs in to the web console; `agency` None sees every agency's services."""

    id: int
    name: str
    role: str
    agency: str | None
    created_at: _dt.datetime
    disabled_at: _dt.datetime | None = None
    last_login_at: _dt.datetime | None = None
    password_hash: str = field(default="", repr=False)

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A signed-in browser: the user, the form secret (CSRF) and when it ends."""

    token_hash: str
    user: ConsoleUser
    csrf_token: str
    created_at: _dt.datetime
    last_seen_at: _dt.datetime
    expires_at: _dt.datetime


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One chat account's messages that matched a search: how many, when, and a row id to open it by."""

    platform: str | None
    user_id: int
    messages: int
    unanswered: int
    first_at: _dt.datetime
    last_at: _dt.datetime
    last_id: int
    service_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HandledQuestion:
    """An unanswered question staff have dealt with, by whom and when."""

    question: str
    handled_by: str
    handled_at: _dt.datetime


# -- the support desk -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ticket:
    """A citizen's request to talk to a person; `id` is the number staff and the citizen see.

    `question` and `context` (the citizen's recent turns) are masked like the conversation log. The
    ticket's message in the staff group is `group_message_id` (None until `posted_at`)."""

    id: int
    platform: str
    user_id: int
    chat_id: int
    status: str  # open, closed
    service_id: str | None
    question: str | None
    context: str
    group_chat_id: int | None
    group_message_id: int | None
    posted_at: _dt.datetime | None
    post_attempts: int
    taken_by: int | None
    taken_by_name: str | None
    taken_at: _dt.datetime | None
    closed_by: str | None  # citizen, staff
    closed_at: _dt.datetime | None
    created_at: _dt.datetime
    updated_at: _dt.datetime

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True, slots=True)
class TicketMessage:
    """One message relayed between a ticket's citizen and the staff group, or the bot's notice to either.

    `direction` is to_staff or to_citizen; `author` citizen, staff or bot; `kind` text, photo or document
    (`file_id` then, `text` its caption). Text on its way to staff is masked. `delivered_at` None: not
    relayed yet; `failed`: given up (why)."""

    id: int
    ticket_id: int
    platform: str
    direction: str
    author: str
    kind: str
    text: str | None
    file_id: str | None
    staff_user_id: int | None
    sent_message_id: int | None
    attempts: int
    failed: str | None
    created_at: _dt.datetime
    delivered_at: _dt.datetime | None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """«Add as alias / need to service…»: a citizen's question sent to the editors of a service."""

    id: int
    question: str
    example: str | None
    service_id: str
    kind: str  # "alias" or "need"
    text: str
    note: str | None
    created_by: str
    created_at: _dt.datetime
    status: str
    decided_by: str | None = None  # who accepted or rejected it in the editor's queue, when, and why
    decided_at: _dt.datetime | None = None
    decision_note: str | None = None


@dataclass(frozen=True, slots=True)
class DeskSuggestion:
    """What a staff member says the bot should have understood: `question` as an alias of `service_id`,
    or (no service) a need the catalogue does not cover. For admins to review."""

    id: int
    ticket_id: int | None
    platform: str
    question: str
    service_id: str | None
    staff_user_id: int | None
    created_at: _dt.datetime
    status: str = "open"  # open, accepted or rejected in the editor's queue; who, when and why below
    decided_by: str | None = None
    decided_at: _dt.datetime | None = None
    decision_note: str | None = None


@dataclass(frozen=True, slots=True)
class KnowledgeVersion:
    """One published text of a service's knowledge file: who wrote it from the console (or `disk` for a
    change found made outside it), when, the whole text (to diff and to revert to) and a note."""

    id: int
    service_id: str
    file_name: str
    content: str
    content_hash: str  # SHA-256 of the UTF-8 text, to tell at a glance whether the file on disk is this one
    author: str
    note: str | None
    created_at: _dt.datetime


@dataclass(frozen=True, slots=True)
class FeedbackCount:
    """Votes on fact answers for one service or one question type (`key`)."""

    key: str
    up: int
    down: int


# -- operations -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What a backup copy holds (storage.backup_database)."""

    path: str
    integrity: str  # "ok", or what PRAGMA integrity_check found
    schema_version: int
    rows: dict[str, int]  # rows per table
    size: int  # bytes

    @property
    def ok(self) -> bool:
        return self.integrity == "ok"
