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
