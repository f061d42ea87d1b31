"""Registered requests and their status history on PostgreSQL. The statuses and the moves between them
are storage.requests, the same for every backend. The contract is storage.api.RequestsRepo.

Several instances may register at once, so create() takes a transaction-scoped advisory lock on the chat
account before its checks: two taps on "send" (even handled by two instances) give one code, and the daily
cap counts every request of the account. Tracking codes stay unique by the unique index; a clash is
retried with a new code inside a savepoint, as the transaction would otherwise be aborted.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import asyncpg

from storage import requests as rules
from storage import tracking
from storage.api import Duplicate, RequestLimitReached, RequestNotFound
from storage.postgres import retention
from storage.postgres._common import Params, dumps, loads
from storage.records import CreatedRequest, Request, RequestEvent, StatusNotice
from storage.requests import DONE, MSG_NOT_FOUND, OPEN_STATUSES, REJECTED, STATUSES, SUBMITTED, check_transition

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore

_CODE_ATTEMPTS = 10
_DAY = _dt.timedelta(days=1)
_SELECT = (
    "SELECT r.*, d.tracking_code AS duplicate_of_code FROM requests r"
    " LEFT JOIN requests d ON d.id = r.duplicate_of"
)


def _filters(
    p: Params, service_ids: Collection[str] | None, since: _dt.datetime | None, until: _dt.datetime | None
) -> list[str]:
    """WHERE conditions (on the alias `r`) for a set of services and a registration time range."""
    where: list[str] = []
    if service_ids is not None:
        where.append(f"r.service_id = ANY({p(sorted(service_ids))}::text[])")
    if since is not None:
        where.append(f"r.created_at >= {p(since)}")
    if until is not None:
        where.append(f"r.created_at < {p(until)}")
    return where


def _request(row: asyncpg.Record, events: tuple[RequestEvent, ...] = ()) -> Request:
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
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        events=events,
        duplicate_of=row["duplicate_of_code"],
        anonymized_at=row["anonymized_at"],
    )


class PostgresRequests:
    """Requests and their events. Get it as ``db.requests``."""

    def __init__(self, db: PostgresStore, new_code: Callable[[], str] = tracking.new_code) -> None:
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
        """Registers a request and its 'submitted' event, unless this account already has it open (see
        storage.api.RequestsRepo.create)."""
        payload = dumps(data)
        async with self._db.write() as conn:
            # One registration at a time per chat account, whichever instance handles it.
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('request:' || COALESCE($1::text, '') || ':' || $2::bigint, 0))",
                platform, user_id,
            )
            duplicate_of = None
            if national_code:
                rows = await conn.fetch(
                    "SELECT id, tracking_code, created_at, platform, user_id FROM requests"
                    " WHERE service_id = $1 AND national_code = $2 AND status = ANY($3::text[]) ORDER BY id",
                    service_id, national_code, sorted(OPEN_STATUSES),
                )
                own = [row for row in rows if (row["platform"], row["user_id"]) == (platform, user_id)]
                if own:
                    return CreatedRequest(tracking_code=own[-1]["tracking_code"], created_at=own[-1]["created_at"],
                                          duplicate=True)
                if rows:
                    duplicate_of = rows[0]["id"]
            now = self._db.now()
            if daily_limit is not None:
                recent = await conn.fetchval(
                    "SELECT COUNT(*) FROM requests WHERE platform IS NOT DISTINCT FROM $1 AND user_id = $2"
                    " AND created_at > $3",
                    platform, user_id, now - _DAY,
                )
                if recent >= daily_limit:
                    raise RequestLimitReached(daily_limit)
            for attempt in range(_CODE_ATTEMPTS):
                code = self._new_code()
                try:
                    async with conn.transaction():  # a savepoint: a clash must not abort the whole transaction
                        request_id = await conn.fetchval(
                            "INSERT INTO requests (tracking_code, service_id, platform, user_id, chat_id,"
                            " national_code, mobile, data, status, created_at, updated_at, duplicate_of)"
                            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id",
                            code, service_id, platform, user_id, chat_id, national_code, mobile, payload,
                            SUBMITTED, now, duplicate_of,
                        )
                except asyncpg.UniqueViolationError as exc:
                    if getattr(exc, "constraint_name", "") != "requests_tracking_code_key":
                        raise
                    if attempt == _CODE_ATTEMPTS - 1:
                        raise Duplicate(str(exc)) from exc
                    continue
                break
            # Undelivered until the confirmation with the tracking code has reached the citizen.
            await conn.execute(
                "INSERT INTO request_events (request_id, status, note, actor, created_at, notified_at)"
                " VALUES ($1, $2, NULL, 'citizen', $3, NULL)",
                request_id, SUBMITTED, now,
            )
        return CreatedRequest(tracking_code=code, created_at=now)

    async def get(self, code: str) -> Request | None:
        """The request with its history, whoever owns it: for staff tools only, never for a citizen."""
        normalized = tracking.normalize_tracking_code(code)
        if normalized is None:
            return None
        row = await self._db.fetchone(f"{_SELECT} WHERE r.tracking_code = $1", (normalized,))
        return await self._with_events(row) if row else None

    async def get_for_user(self, code: str, platform: str | None, user_id: int) -> Request | None:
        """The request with its history if it belongs to this chat user, else None."""
        normalized = tracking.normalize_tracking_code(code)
        if normalized is None:
            return None
        row = await self._db.fetchone(
            f"{_SELECT} WHERE r.tracking_code = $1 AND r.platform IS NOT DISTINCT FROM $2 AND r.user_id = $3",
            (normalized, platform, user_id),
        )
        return await self._with_events(row) if row else None

    async def for_user(self, platform: str | None, user_id: int, limit: int = 10) -> list[Request]:
        """The user's own requests, newest first, without history."""
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE r.platform IS NOT DISTINCT FROM $1 AND r.user_id = $2 ORDER BY r.id DESC LIMIT $3",
            (platform, user_id, limit),
        )
        return [_request(row) for row in rows]

    async def set_status(self, code: str, status: str, note: str | None = None, actor: str | None = None) -> Request:
        """Moves a request to `status` and records who did it and why; returns it with its history.

        The row is locked (FOR UPDATE) while the move is checked, so two staff members moving the same
        request from two hosts are applied one after the other, each checked against the other's result."""
        normalized = tracking.normalize_tracking_code(code) or code
        async with self._db.write() as conn:
            row = await conn.fetchrow("SELECT id, status FROM requests WHERE tracking_code = $1 FOR UPDATE", normalized)
            if row is None:
                raise RequestNotFound(MSG_NOT_FOUND.format(code=code))
            check_transition(row["status"], status)
            now = self._db.now()
            await conn.execute("UPDATE requests SET status = $1, updated_at = $2 WHERE id = $3", status, now, row["id"])
            await conn.execute(
                "INSERT INTO request_events (request_id, status, note, actor, created_at) VALUES ($1, $2, $3, $4, $5)",
                row["id"], status, note, actor, now,
            )
        request = await self.get(normalized)
        assert request is not None
        return request

    async def undelivered(self, platform: str | None, limit: int = 50) -> list[StatusNotice]:
        """Status changes the citizen has not been told about yet, oldest first; a fresh submission is left
        alone for a while (its handler is confirming it)."""
        grace = self._db.now() - _dt.timedelta(seconds=rules.CONFIRMATION_GRACE_SECONDS)
        rows = await self._db.fetchall(
            "SELECT e.id, e.status, e.note, e.created_at, r.tracking_code, r.service_id, r.chat_id"
            " FROM request_events e JOIN requests r ON r.id = e.request_id"
            " WHERE e.notified_at IS NULL AND r.platform IS NOT DISTINCT FROM $1 AND (e.status != $2 OR e.created_at < $3)"
            " ORDER BY e.id LIMIT $4",
            (platform, SUBMITTED, grace, limit),
        )
        return [
            StatusNotice(event_id=r["id"], tracking_code=r["tracking_code"], service_id=r["service_id"],
                         chat_id=r["chat_id"], status=r["status"], note=r["note"], created_at=r["created_at"])
            for r in rows
        ]

    async def claim_undelivered(self, platform: str | None, lease: float, limit: int = 50) -> list[StatusNotice]:
        """As `undelivered`, each notice handed to this caller alone for `lease` seconds: the rows are
        taken with FOR UPDATE SKIP LOCKED (another instance claiming at the same moment gets others) and
        stamped `claimed_until`, which the other instances respect until then."""
        now = self._db.now()
        grace = now - _dt.timedelta(seconds=rules.CONFIRMATION_GRACE_SECONDS)
        async with self._db.write() as conn:
            rows = await conn.fetch(
                "UPDATE request_events AS e SET claimed_until = $5 FROM requests AS r"
                " WHERE r.id = e.request_id AND e.id IN ("
                "  SELECT e2.id FROM request_events e2 JOIN requests r2 ON r2.id = e2.request_id"
                "  WHERE e2.notified_at IS NULL AND r2.platform IS NOT DISTINCT FROM $1"
                "  AND (e2.status != $2 OR e2.created_at < $3) AND (e2.claimed_until IS NULL OR e2.claimed_until <= $6)"
                "  ORDER BY e2.id LIMIT $4 FOR UPDATE OF e2 SKIP LOCKED)"
                " RETURNING e.id, e.status, e.note, e.created_at, r.tracking_code, r.service_id, r.chat_id",
                platform, SUBMITTED, grace, limit, now + _dt.timedelta(seconds=max(0.0, lease)), now,
            )
        return [
            StatusNotice(event_id=r["id"], tracking_code=r["tracking_code"], service_id=r["service_id"],
                         chat_id=r["chat_id"], status=r["status"], note=r["note"], created_at=r["created_at"])
            for r in sorted(rows, key=lambda r: r["id"])
        ]

    async def mark_confirmed(self, code: str) -> None:
        """Records that the confirmation of a submission (with its tracking code) reached the citizen."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE request_events SET notified_at = $1 WHERE notified_at IS NULL AND status = $2"
                " AND request_id = (SELECT id FROM requests WHERE tracking_code = $3)",
                self._db.now(), SUBMITTED, code,
            )

    async def mark_delivered(self, event_id: int) -> None:
        """Records that the citizen was told about a status change."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE request_events SET notified_at = $1 WHERE id = $2 AND notified_at IS NULL", self._db.now(), event_id
            )

    async def list(
        self, status: str | None = None, service_id: str | None = None, limit: int = 50, offset: int = 0,
        *, duplicates_only: bool = False, service_ids: Collection[str] | None = None,
        since: _dt.datetime | None = None, until: _dt.datetime | None = None,
    ) -> list[Request]:
        """Requests for the staff queue, newest first, optionally of one status and/or service, or only the
        possible duplicates; `service_ids` (an agency's services) and a registration time range narrow it
        further."""
        p = Params()
        where = _filters(p, service_ids, since, until)
        if status is not None:
            where.append(f"r.status = {p(status)}")
        if service_id is not None:
            where.append(f"r.service_id = {p(service_id)}")
        if duplicates_only:
            where.append("r.duplicate_of IS NOT NULL")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._db.fetchall(
            f"{_SELECT} {clause} ORDER BY r.created_at DESC, r.id DESC LIMIT {p(limit)} OFFSET {p(offset)}", p.values
        )
        return [_request(row) for row in rows]

    async def count_by_status(
        self, *, service_ids: Collection[str] | None = None, since: _dt.datetime | None = None,
        until: _dt.datetime | None = None,
    ) -> dict[str, int]:
        """How many requests are in each status, every known status present (0 if none); optionally only
        those of some services, registered in a time range."""
        p = Params()
        where = _filters(p, service_ids, since, until)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        counts = dict.fromkeys(STATUSES, 0)
        for row in await self._db.fetchall(f"SELECT status, COUNT(*) FROM requests r {clause} GROUP BY status", p.values):
            counts[row[0]] = row[1]
        return counts

    async def count(self) -> int:
        """How many requests are stored."""
        return int(await self._db.fetchval("SELECT COUNT(*) FROM requests"))

    async def anonymize_closed(self, older_than_days: float, *, force: bool = False) -> int:
        """Takes what names a person out of requests done or rejected that long ago (see
        storage.api.RequestsRepo.anonymize_closed); RetentionRefused when the clock looks wrong."""
        closed = f"status IN ('{DONE}', '{REJECTED}') AND anonymized_at IS NULL"
        async with self._db.write() as conn:
            cutoff = await retention.cutoff(self._db, conn, older_than_days, force=force)
            await retention.check_share(conn, "requests", f"({closed} AND updated_at < $1)", (cutoff,),
                                        scope="anonymized_at IS NULL", force=force, what="anonymise")
            now = self._db.now()
            ids = [row[0] for row in await conn.fetch(f"SELECT id FROM requests WHERE {closed} AND updated_at < $1", cutoff)]
            if ids:
                await conn.execute(
                    "UPDATE requests SET national_code = NULL, mobile = NULL, data = '{}', user_id = 0,"
                    " chat_id = 0, anonymized_at = $1 WHERE id = ANY($2::bigint[])",
                    now, ids,
                )
                # Notes may name the citizen; an event not delivered by now never will be (nobody to tell).
                await conn.execute(
                    "UPDATE request_events SET note = NULL, notified_at = COALESCE(notified_at, $1)"
                    " WHERE request_id = ANY($2::bigint[])",
                    now, ids,
                )
        return len(ids)

    async def _with_events(self, row: asyncpg.Record) -> Request:
        events = await self._db.fetchall(
            "SELECT status, note, actor, created_at FROM request_events WHERE request_id = $1 ORDER BY id", (row["id"],)
        )
        return _request(row, tuple(RequestEvent(e["status"], e["note"], e["actor"], e["created_at"]) for e in events))
