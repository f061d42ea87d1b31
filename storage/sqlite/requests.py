"""Registered requests and their status history in SQLite: what a tracking code leads to.

The statuses and the moves between them are storage.requests (the same for every backend); this module
stores them. The contract is storage.api.RequestsRepo.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from storage import requests as rules
from storage import tracking
from storage.api import RequestLimitReached, RequestNotFound
from storage.records import CreatedRequest, Request, RequestEvent, StatusNotice
from storage.requests import DONE, MSG_NOT_FOUND, OPEN_STATUSES, REJECTED, STATUSES, SUBMITTED, check_transition
from storage.sqlite import retention
from storage.sqlite._common import dumps, from_iso, loads, to_iso

if TYPE_CHECKING:
    from storage.sqlite.db import SqliteStore

_CODE_ATTEMPTS = 10
_DAY = _dt.timedelta(days=1)
# Every read of requests names the earlier request a possible duplicate points at by its tracking code.
_SELECT = (
    "SELECT r.*, d.tracking_code AS duplicate_of_code FROM requests r"
    " LEFT JOIN requests d ON d.id = r.duplicate_of"
)


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
        duplicate_of=row["duplicate_of_code"],
        anonymized_at=from_iso(row["anonymized_at"]),
    )


def _event(row: sqlite3.Row) -> RequestEvent:
    return RequestEvent(row["status"], row["note"], row["actor"], from_iso(row["created_at"]))  # type: ignore[arg-type]


def _filters(
    service_ids: Collection[str] | None, since: _dt.datetime | None, until: _dt.datetime | None
) -> tuple[list[str], list[Any]]:
    """WHERE conditions (on the alias `r`) for a set of services and a registration time range."""
    where: list[str] = []
    params: list[Any] = []
    if service_ids is not None:
        where.append("r.service_id IN (SELECT value FROM json_each(?))")
        params.append(dumps(sorted(service_ids)))
    if since is not None:
        where.append("r.created_at >= ?")
        params.append(to_iso(since))
    if until is not None:
        where.append("r.created_at < ?")
        params.append(to_iso(until))
    return where, params


class SqliteRequests:
    """Requests and their events. Get it as ``db.requests``."""

    def __init__(self, db: SqliteStore, new_code: Callable[[], str] = tracking.new_code) -> None:
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
        *,
        daily_limit: int | None = None,
    ) -> CreatedRequest:
        """Registers a request and its 'submitted' event, unless this account already has it open.

        Pass `national_code` and `mobile` in canonical form (bot.identifiers): the duplicate check compares
        them as text. Another account's open request of the same service and national code is not
        reported: the new one is stored with `duplicate_of` pointing at it. With `daily_limit`, raises
        RequestLimitReached when the account registered that many in the last 24 hours. The checks and
        the insert share one transaction, so two taps on "send" give one code.
        """
        payload = dumps(data)  # fail on unserializable answers before taking the write lock
        async with self._db.write() as conn:
            duplicate_of = None
            if national_code:
                rows = await conn.execute_fetchall(
                    "SELECT id, tracking_code, created_at, platform, user_id FROM requests"
                    " WHERE service_id = ? AND national_code = ?"
                    f" AND status IN ({','.join('?' * len(OPEN_STATUSES))})"
                    " ORDER BY id",
                    (service_id, national_code, *sorted(OPEN_STATUSES)),
                )
                own = [row for row in rows if (row["platform"], row["user_id"]) == (platform, user_id)]
                if own:
                    return CreatedRequest(
                        tracking_code=own[-1]["tracking_code"],
                        created_at=from_iso(own[-1]["created_at"]),  # type: ignore[arg-type]
                        duplicate=True,
                    )
                if rows:  # another account's: the earliest open one is the one to compare with
                    duplicate_of = next(iter(rows))["id"]
            now = self._db.now()
            stamp = to_iso(now)
            if daily_limit is not None:
                rows = await conn.execute_fetchall(
                    "SELECT COUNT(*) FROM requests WHERE platform IS ? AND user_id = ? AND created_at > ?",
                    (platform, user_id, to_iso(now - _DAY)),
                )
                if next(iter(rows))[0] >= daily_limit:
                    raise RequestLimitReached(daily_limit)
            for attempt in range(_CODE_ATTEMPTS):
                code = self._new_code()
                try:
                    rows = await conn.execute_fetchall(
                        "INSERT INTO requests (tracking_code, service_id, platform, user_id, chat_id,"
                        " national_code, mobile, data, status, created_at, updated_at, duplicate_of)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
                            duplicate_of,
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
        row = await self._db.fetchone(f"{_SELECT} WHERE r.tracking_code = ?", (normalized,))
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
            f"{_SELECT} WHERE r.tracking_code = ? AND r.platform IS ? AND r.user_id = ?",
            (normalized, platform, user_id),
        )
        return await self._with_events(row) if row else None

    async def for_user(self, platform: str | None, user_id: int, limit: int = 10) -> list[Request]:
        """The user's own requests, newest first, without history: for "my requests"."""
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE r.platform IS ? AND r.user_id = ? ORDER BY r.id DESC LIMIT ?",
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
        grace = to_iso(self._db.now() - _dt.timedelta(seconds=rules.CONFIRMATION_GRACE_SECONDS))
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

    async def claim_undelivered(self, platform: str | None, lease: float, limit: int = 50) -> list[StatusNotice]:
        """As `undelivered`: one process serves a SQLite file, so there is nobody to hand a notice to
        instead (no lease is taken)."""
        return await self.undelivered(platform, limit)

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
        self, status: str | None = None, service_id: str | None = None, limit: int = 50, offset: int = 0,
        *, duplicates_only: bool = False, service_ids: Collection[str] | None = None,
        since: _dt.datetime | None = None, until: _dt.datetime | None = None,
    ) -> list[Request]:
        """Requests for the staff queue, newest first, optionally of one status and/or service, or only
        the possible duplicates; `service_ids` (an agency's services) and a registration time range narrow
        it further."""
        where, params = _filters(service_ids, since, until)
        if status is not None:
            where.append("r.status = ?")
            params.append(status)
        if service_id is not None:
            where.append("r.service_id = ?")
            params.append(service_id)
        if duplicates_only:
            where.append("r.duplicate_of IS NOT NULL")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._db.fetchall(
            f"{_SELECT} {clause} ORDER BY r.created_at DESC, r.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_request(row) for row in rows]

    async def count_by_status(
        self, *, service_ids: Collection[str] | None = None, since: _dt.datetime | None = None,
        until: _dt.datetime | None = None,
    ) -> dict[str, int]:
        """How many requests are in each status, every known status present (0 if none); optionally only
        those of some services, registered in a time range."""
        where, params = _filters(service_ids, since, until)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        counts = dict.fromkeys(STATUSES, 0)
        for row in await self._db.fetchall(f"SELECT status, COUNT(*) FROM requests r {clause} GROUP BY status", params):
            counts[row[0]] = row[1]
        return counts

    async def count(self) -> int:
        """How many requests are stored."""
        row = await self._db.fetchone("SELECT COUNT(*) FROM requests")
        return int(row[0]) if row else 0

    async def anonymize_closed(self, older_than_days: float, *, force: bool = False) -> int:
        """Takes what names a person out of requests done or rejected that long ago (by their last status
        change): national code, mobile, answers, the chat account (user and chat id become 0, so the
        request is nobody's to track) and the notes of their history. Returns how many. Raises
        RetentionRefused when the clock looks wrong (storage/retention.py), unless `force`."""
        closed = f"status IN ('{DONE}', '{REJECTED}') AND anonymized_at IS NULL"
        async with self._db.write() as conn:
            cutoff = await retention.cutoff(self._db, conn, older_than_days, force=force)
            await retention.check_share(conn, "requests", f"({closed} AND updated_at < ?)", (cutoff,),
                                        scope="anonymized_at IS NULL", force=force, what="anonymise")
            stamp = to_iso(self._db.now())
            ids = [row[0] for row in await conn.execute_fetchall(
                f"SELECT id FROM requests WHERE {closed} AND updated_at < ?", (cutoff,)
            )]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                await conn.execute(
                    "UPDATE requests SET national_code = NULL, mobile = NULL, data = '{}', user_id = 0,"
                    f" chat_id = 0, anonymized_at = ? WHERE id IN ({marks})",
                    (stamp, *chunk),
                )
                # Notes may name the citizen; an event not delivered by now never will be (nobody to tell).
                await conn.execute(
                    "UPDATE request_events SET note = NULL, notified_at = COALESCE(notified_at, ?)"
                    f" WHERE request_id IN ({marks})",
                    (stamp, *chunk),
                )
        return len(ids)

    async def _with_events(self, row: sqlite3.Row) -> Request:
        events = await self._db.fetchall(
            "SELECT status, note, actor, created_at FROM request_events WHERE request_id = ? ORDER BY id",
            (row["id"],),
        )
        return _request(row, tuple(_event(event) for event in events))
