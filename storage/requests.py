"""Registered requests and their status history: what a tracking code leads to.

Statuses, in the order a request moves through them::

    submitted → under_review → needs_documents → approved → done
                                              ↘ rejected

Any open status (submitted, under_review, needs_documents) may move to any later one, and
needs_documents may go back to under_review once the documents arrive. approved may only become done;
rejected and done are final. Every change appends an event, which is the history the citizen sees.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from storage import tracking
from storage._common import dumps, from_iso, loads, to_iso

if TYPE_CHECKING:
    from storage.db import Database

SUBMITTED = "submitted"
UNDER_REVIEW = "under_review"
NEEDS_DOCUMENTS = "needs_documents"
APPROVED = "approved"
REJECTED = "rejected"
DONE = "done"

STATUSES = (SUBMITTED, UNDER_REVIEW, NEEDS_DOCUMENTS, APPROVED, REJECTED, DONE)
OPEN_STATUSES = frozenset({SUBMITTED, UNDER_REVIEW, NEEDS_DOCUMENTS})

# The words a citizen or a staff member sees for each status; the bot's texts module may import these.
STATUS_LABELS = {
    SUBMITTED: "ثبت شده",
    UNDER_REVIEW: "در حال بررسی",
    NEEDS_DOCUMENTS: "نیازمند مدارک تکمیلی",
    APPROVED: "تأیید شده",
    REJECTED: "رد شده",
    DONE: "انجام شده",
}

# Persian messages of the errors raised here, kept together so they can be reviewed in one place.
MSG_UNKNOWN_STATUS = "وضعیت «{status}» شناخته‌شده نیست؛ وضعیت‌های مجاز: {allowed}."
MSG_SAME_STATUS = "درخواست همین حالا در وضعیت «{label}» است."
MSG_FINAL_STATUS = "درخواست در وضعیت «{label}» است و وضعیت آن دیگر تغییر نمی‌کند."
MSG_BAD_TRANSITION = "وضعیت درخواست را نمی‌توان از «{old}» به «{new}» برگرداند."
MSG_NOT_FOUND = "درخواستی با کد رهگیری {code} پیدا نشد."

_ALLOWED: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({UNDER_REVIEW, NEEDS_DOCUMENTS, APPROVED, REJECTED, DONE}),
    UNDER_REVIEW: frozenset({NEEDS_DOCUMENTS, APPROVED, REJECTED, DONE}),
    NEEDS_DOCUMENTS: frozenset({UNDER_REVIEW, APPROVED, REJECTED, DONE}),
    APPROVED: frozenset({DONE}),
    REJECTED: frozenset(),
    DONE: frozenset(),
}

_CODE_ATTEMPTS = 10
CONFIRMATION_GRACE_SECONDS = 300  # longer than the bot's flood-control retries (3 x 60 s) may take


class RequestNotFound(LookupError):
    """Staff named a tracking code that does not exist; the message is Persian and can be shown as is."""


@dataclass(frozen=True, slots=True)
class CreatedRequest:
    """The answer to a registration.

    `duplicate` is True when an open request of the same service and national code already existed and
    nothing new was stored; `own` is False when that earlier request was made from another chat account, in
    which case the handler should not show `tracking_code` (it belongs to someone else's conversation).
    """

    tracking_code: str
    created_at: _dt.datetime
    duplicate: bool = False
    own: bool = True


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


def _request(row: sqlite3.Row, events: tuple[RequestEvent, ...] = ()) -> Request:
    return Request(
        id=row["id"],
        tracking_code=row["tracking_code"],
        service_id=row["service_id"],
        platform=row["platform"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        national_code=row["national_code"],
        mobile=row["mobile"],
        data=loads(row["data"], {}),
        status=row["status"],
        created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
        updated_at=from_iso(row["updated_at"]),  # type: ignore[arg-type]
        events=events,
    )


def _event(row: sqlite3.Row) -> RequestEvent:
    return RequestEvent(row["status"], row["note"], row["actor"], from_iso(row["created_at"]))  # type: ignore[arg-type]


def check_transition(old: str, new: str) -> None:
    """Raises ValueError (message in Persian, for staff) unless a request may move from `old` to `new`."""
    if new not in STATUS_LABELS:
        allowed = "، ".join(STATUSES)
        raise ValueError(MSG_UNKNOWN_STATUS.format(status=new, allowed=allowed))
    if new == old:
        raise ValueError(MSG_SAME_STATUS.format(label=STATUS_LABELS[old]))
    allowed_next = _ALLOWED.get(old, frozenset())
    if new in allowed_next:
        return
    if not allowed_next:
        raise ValueError(MSG_FINAL_STATUS.format(label=STATUS_LABELS.get(old, old)))
    raise ValueError(MSG_BAD_TRANSITION.format(old=STATUS_LABELS.get(old, old), new=STATUS_LABELS[new]))


class RequestsRepo:
    """Requests and their events. Get it as ``db.requests``."""

    def __init__(self, db: Database, new_code: Callable[[], str] = tracking.new_code) -> None:
        self._db = db
        self._new_code = new_code

    async def create(
        self,
        service_id: str,
        platform: str | None,
        user_id: int,
        chat_id: int,
        national_code: str | None,
        mobile: str | None,
        data: dict[str, Any],
    ) -> CreatedRequest:
        """Registers a request and its 'submitted' event, unless the same person already has one open.

        Pass `national_code` and `mobile` in canonical form (bot.identifiers): the duplicate check compares
        them as text. The check and the insert share one transaction, so two taps on "send" give one code.
        """
        payload = dumps(data)  # fail on unserializable answers before taking the write lock
        async with self._db.write() as conn:
            if national_code:
                rows = await conn.execute_fetchall(
                    "SELECT tracking_code, created_at, platform, user_id FROM requests"
                    " WHERE service_id = ? AND national_code = ?"
                    f" AND status IN ({','.join('?' * len(OPEN_STATUSES))})"
                    " ORDER BY id DESC LIMIT 1",
                    (service_id, national_code, *sorted(OPEN_STATUSES)),
                )
                if rows:
                    row = next(iter(rows))
                    return CreatedRequest(
                        tracking_code=row["tracking_code"],
                        created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
                        duplicate=True,
                        own=(row["platform"], row["user_id"]) == (platform, user_id),
                    )
            now = self._db.now()
            stamp = to_iso(now)
            for attempt in range(_CODE_ATTEMPTS):
                code = self._new_code()
                try:
                    rows = await conn.execute_fetchall(
                        "INSERT INTO requests (tracking_code, service_id, platform, user_id, chat_id,"
                        " national_code, mobile, data, status, created_at, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        (
                            code,
                            service_id,
                            platform,
                            user_id,
                            chat_id,
                            national_code,
                            mobile,
                            payload,
                            SUBMITTED,
                            stamp,
                            stamp,
                        ),
                    )
                except sqlite3.IntegrityError as exc:
                    # Only a clash of codes is worth another try; any other constraint is a bug.
                    if "tracking_code" not in str(exc) or attempt == _CODE_ATTEMPTS - 1:
                        raise
                    continue
                request_id = next(iter(rows))[0]
                break
            await conn.execute(
                # Undelivered until the confirmation with the tracking code has reached the citizen: if
                # sending it fails, the bot's notice loop sends it later (see undelivered()).
                "INSERT INTO request_events (request_id, status, note, actor, created_at, notified_at)"
                " VALUES (?, ?, NULL, 'citizen', ?, NULL)",
                (request_id, SUBMITTED, stamp),
            )
        return CreatedRequest(tracking_code=code, created_at=now)

    async def get(self, code: str) -> Request | None:
        """The request with its history, whoever owns it: for staff tools only, never for a citizen."""
        normalized = tracking.normalize_tracking_code(code)
        if normalized is None:
            return None
        row = await self._db.fetchone("SELECT * FROM requests WHERE tracking_code = ?", (normalized,))
        return await self._with_events(row) if row else None

    async def get_for_user(self, code: str, platform: str | None, user_id: int) -> Request | None:
        """The request with its history if it belongs to this chat user, else None.

        "Not found" and "someone else's" give the same None, so a citizen learns nothing about codes that
        are not theirs. Codes typed with Persian digits or spaces are accepted.
        """
        normalized = tracking.normalize_tracking_code(code)
        if normalized is None:
            return None
        row = await self._db.fetchone(
            "SELECT * FROM requests WHERE tracking_code = ? AND platform IS ? AND user_id = ?",
            (normalized, platform, user_id),
        )
        return await self._with_events(row) if row else None

    async def for_user(self, platform: str | None, user_id: int, limit: int = 10) -> list[Request]:
        """The user's own requests, newest first, without history: for "my requests"."""
        rows = await self._db.fetchall(
            "SELECT * FROM requests WHERE platform IS ? AND user_id = ? ORDER BY id DESC LIMIT ?",
            (platform, user_id, limit),
        )
        return [_request(row) for row in rows]

    async def set_status(
        self, code: str, status: str, note: str | None = None, actor: str | None = None
    ) -> Request:
        """Moves a request to `status` and records who did it and why; returns the request with its history.

        Raises ValueError (Persian message) for a status or a transition that is not allowed, and
        RequestNotFound for an unknown code. The check and the update share one transaction.
        """
        normalized = tracking.normalize_tracking_code(code) or code
        async with self._db.write() as conn:
            rows = await conn.execute_fetchall(
                "SELECT id, status FROM requests WHERE tracking_code = ?", (normalized,)
            )
            row = next(iter(rows), None)
            if row is None:
                raise RequestNotFound(MSG_NOT_FOUND.format(code=code))
            check_transition(row["status"], status)
            stamp = to_iso(self._db.now())
            await conn.execute(
                "UPDATE requests SET status = ?, updated_at = ? WHERE id = ?", (status, stamp, row["id"])
            )
            await conn.execute(
                "INSERT INTO request_events (request_id, status, note, actor, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (row["id"], status, note, actor, stamp),
            )
        request = await self.get(normalized)
        assert request is not None
        return request

    async def undelivered(self, platform: str | None, limit: int = 50) -> list[StatusNotice]:
        """Status changes the citizen has not been told about yet, oldest first. A fresh submission is
        left alone for a while: the bot is sending its confirmation right now."""
        grace = to_iso(self._db.now() - _dt.timedelta(seconds=CONFIRMATION_GRACE_SECONDS))
        rows = await self._db.fetchall(
            "SELECT e.id, e.status, e.note, e.created_at, r.tracking_code, r.service_id, r.chat_id, r.platform"
            " FROM request_events e JOIN requests r ON r.id = e.request_id"
            " WHERE e.notified_at IS NULL AND r.platform IS ? AND (e.status != ? OR e.created_at < ?)"
            " ORDER BY e.id LIMIT ?",
            (platform, SUBMITTED, grace, limit),
        )
        return [
            StatusNotice(
                event_id=r["id"], tracking_code=r["tracking_code"], service_id=r["service_id"], chat_id=r["chat_id"],
                status=r["status"], note=r["note"], created_at=from_iso(r["created_at"]),  # type: ignore[arg-type]
            )
            for r in rows
        ]

    async def mark_confirmed(self, code: str) -> None:
        """Records that the confirmation of a submission (with its tracking code) reached the citizen."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE request_events SET notified_at = ? WHERE notified_at IS NULL AND status = ?"
                " AND request_id = (SELECT id FROM requests WHERE tracking_code = ?)",
                (to_iso(self._db.now()), SUBMITTED, code),
            )

    async def mark_delivered(self, event_id: int) -> None:
        """Records that the citizen was told about a status change."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE request_events SET notified_at = ? WHERE id = ? AND notified_at IS NULL",
                (to_iso(self._db.now()), event_id),
            )

    async def list(
        self, status: str | None = None, service_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Request]:
        """Requests for the staff queue, newest first, optionally of one status and/or service."""
        where, params = [], []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if service_id is not None:
            where.append("service_id = ?")
            params.append(service_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._db.fetchall(
            f"SELECT * FROM requests {clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_request(row) for row in rows]

    async def count_by_status(self) -> dict[str, int]:
        """How many requests are in each status, every known status present (0 if none)."""
        counts = dict.fromkeys(STATUSES, 0)
        for row in await self._db.fetchall("SELECT status, COUNT(*) FROM requests GROUP BY status"):
            counts[row[0]] = row[1]
        return counts

    async def _with_events(self, row: sqlite3.Row) -> Request:
        events = await self._db.fetchall(
            "SELECT status, note, actor, created_at FROM request_events WHERE request_id = ? ORDER BY id",
            (row["id"],),
        )
        return _request(row, tuple(_event(event) for event in events))
