"""The support desk in SQLite: tickets, the messages relayed for them, staff suggestions for the knowledge,
and citizens' votes on fact answers. The contracts are storage.api.TicketsRepo and storage.api.FeedbackRepo.

Everything a citizen wrote is masked (storage.masking) before it is stored here, as in the message log:
the question, the recent turns and every text on its way to the staff group.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from typing import TYPE_CHECKING

from storage.masking import mask_personal_data
from storage.records import DeskSuggestion, FeedbackCount, Ticket, TicketMessage
from storage.sqlite import retention
from storage.sqlite._common import from_iso, to_iso

if TYPE_CHECKING:
    from storage.sqlite.db import SqliteStore

DIRECTIONS = ("to_staff", "to_citizen")
AUTHORS = ("citizen", "staff", "bot")
KINDS = ("text", "photo", "document")


def _ticket(row: sqlite3.Row) -> Ticket:
    return Ticket(
        id=row["id"],
        platform=row["platform"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        status=row["status"],
        service_id=row["service_id"],
        question=row["question"],
        context=row["context"],
        group_chat_id=row["group_chat_id"],
        group_message_id=row["group_message_id"],
        posted_at=from_iso(row["posted_at"]),
        post_attempts=row["post_attempts"],
        taken_by=row["taken_by"],
        taken_by_name=row["taken_by_name"],
        taken_at=from_iso(row["taken_at"]),
        closed_by=row["closed_by"],
        closed_at=from_iso(row["closed_at"]),
        created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
        updated_at=from_iso(row["updated_at"]),  # type: ignore[arg-type]
    )


def _message(row: sqlite3.Row) -> TicketMessage:
    return TicketMessage(
        id=row["id"],
        ticket_id=row["ticket_id"],
        platform=row["platform"],
        direction=row["direction"],
        author=row["author"],
        kind=row["kind"],
        text=row["text"],
        file_id=row["file_id"],
        staff_user_id=row["staff_user_id"],
        sent_message_id=row["sent_message_id"],
        attempts=row["attempts"],
        failed=row["failed"],
        created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
        delivered_at=from_iso(row["delivered_at"]),
    )


def _masked(text: str | None) -> str | None:
    return mask_personal_data(text) if text else text


def _desk_suggestion(r: sqlite3.Row) -> DeskSuggestion:
    return DeskSuggestion(
        id=r["id"], ticket_id=r["ticket_id"], platform=r["platform"], question=r["question"],
        service_id=r["service_id"], staff_user_id=r["staff_user_id"],
        created_at=from_iso(r["created_at"]),  # type: ignore[arg-type]
        status=r["status"], decided_by=r["decided_by"], decided_at=from_iso(r["decided_at"]),
        decision_note=r["decision_note"],
    )


class SqliteTickets:
    """Tickets, their relayed messages and staff suggestions. Get it as ``db.tickets``."""

    def __init__(self, db: SqliteStore) -> None:
        self._db = db

    async def _one(self, sql: str, params: tuple) -> Ticket | None:
        row = await self._db.fetchone(sql, params)
        return _ticket(row) if row is not None else None

    async def open(
        self, platform: str, user_id: int, chat_id: int, *, service_id: str | None, question: str | None,
        context: str, group_chat_id: int | None,
    ) -> tuple[Ticket, bool]:
        now = to_iso(self._db.now())
        async with self._db.write() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT id FROM tickets WHERE platform = ? AND user_id = ? AND status = 'open'", (platform, user_id)
            ))
            if rows:
                ticket_id, new = rows[0][0], False
            else:
                cursor = await conn.execute(
                    "INSERT INTO tickets (platform, user_id, chat_id, service_id, question, context, group_chat_id,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (platform, user_id, chat_id, service_id, _masked(question), _masked(context) or "", group_chat_id,
                     now, now),
                )
                ticket_id, new = cursor.lastrowid, True
        ticket = await self.get(int(ticket_id))
        assert ticket is not None
        return ticket, new

    async def get(self, ticket_id: int) -> Ticket | None:
        return await self._one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))

    async def open_for(self, platform: str, user_id: int) -> Ticket | None:
        return await self._one(
            "SELECT * FROM tickets WHERE platform = ? AND user_id = ? AND status = 'open'", (platform, user_id)
        )

    async def by_group_message(self, platform: str, message_id: int) -> Ticket | None:
        ticket = await self._one(
            "SELECT * FROM tickets WHERE platform = ? AND group_message_id = ?", (platform, message_id)
        )
        if ticket is not None:
            return ticket
        return await self._one(
            "SELECT t.* FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id"
            " WHERE m.platform = ? AND m.direction = 'to_staff' AND m.sent_message_id = ?",
            (platform, message_id),
        )

    async def list_open(self, platform: str, limit: int = 50) -> list[Ticket]:
        rows = await self._db.fetchall(
            "SELECT * FROM tickets WHERE platform = ? AND status = 'open' ORDER BY id LIMIT ?", (platform, limit)
        )
        return [_ticket(r) for r in rows]

    async def unposted(self, platform: str, limit: int = 50) -> list[Ticket]:
        rows = await self._db.fetchall(
            "SELECT * FROM tickets WHERE platform = ? AND posted_at IS NULL AND status = 'open' ORDER BY id LIMIT ?",
            (platform, limit),
        )
        return [_ticket(r) for r in rows]

    async def mark_posted(self, ticket_id: int, group_message_id: int | None) -> None:
        now = to_iso(self._db.now())
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE tickets SET posted_at = ?, group_message_id = ?, updated_at = ? WHERE id = ?",
                (now, group_message_id, now, ticket_id),
            )

    async def post_failed(self, ticket_id: int) -> int:
        async with self._db.write() as conn:
            await conn.execute("UPDATE tickets SET post_attempts = post_attempts + 1 WHERE id = ?", (ticket_id,))
            rows = list(await conn.execute_fetchall("SELECT post_attempts FROM tickets WHERE id = ?", (ticket_id,)))
        return rows[0][0] if rows else 0

    async def take(self, ticket_id: int, staff_user_id: int, staff_name: str) -> Ticket | None:
        now = to_iso(self._db.now())
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE tickets SET taken_by = ?, taken_by_name = ?, taken_at = ?, updated_at = ?"
                " WHERE id = ? AND status = 'open' AND (taken_by IS NULL OR taken_by = ?)",
                (staff_user_id, staff_name, now, now, ticket_id, staff_user_id),
            )
        ticket = await self.get(ticket_id)
        return ticket if ticket is not None and ticket.is_open else None

    async def close(self, ticket_id: int, by: str) -> Ticket | None:
        now = to_iso(self._db.now())
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE tickets SET status = 'closed', closed_by = ?, closed_at = ?, updated_at = ?"
                " WHERE id = ? AND status = 'open'",
                (by, now, now, ticket_id),
            )
            changed = cursor.rowcount
        return await self.get(ticket_id) if changed else None

    async def add_message(
        self, ticket_id: int, platform: str, direction: str, author: str, *, kind: str = "text",
        text: str | None = None, file_id: str | None = None, source: str | None = None,
        staff_user_id: int | None = None,
    ) -> TicketMessage | None:
        if direction not in DIRECTIONS or author not in AUTHORS or kind not in KINDS:
            raise ValueError(f"not a ticket message: {direction}/{author}/{kind}")
        if direction == "to_staff":
            text = _masked(text)
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO ticket_messages (ticket_id, platform, direction, author, kind, text, file_id,"
                " source, staff_user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ticket_id, platform, direction, author, kind, text, file_id, source, staff_user_id,
                 to_iso(self._db.now())),
            )
            if not cursor.rowcount:
                return None
            message_id = cursor.lastrowid
            now = to_iso(self._db.now())
            await conn.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (now, ticket_id))
        row = await self._db.fetchone("SELECT * FROM ticket_messages WHERE id = ?", (message_id,))
        return _message(row) if row is not None else None

    async def delivered(self, message_id: int, sent_message_id: int | None) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE ticket_messages SET delivered_at = ?, sent_message_id = ? WHERE id = ?",
                (to_iso(self._db.now()), sent_message_id, message_id),
            )

    async def relay_failed(self, message_id: int, reason: str | None = None) -> int:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE ticket_messages SET attempts = attempts + 1, failed = COALESCE(?, failed) WHERE id = ?",
                (reason, message_id),
            )
            rows = list(await conn.execute_fetchall("SELECT attempts FROM ticket_messages WHERE id = ?", (message_id,)))
        return rows[0][0] if rows else 0

    async def undelivered(self, platform: str, limit: int = 100) -> list[TicketMessage]:
        rows = await self._db.fetchall(
            "SELECT * FROM ticket_messages WHERE platform = ? AND delivered_at IS NULL AND failed IS NULL"
            " ORDER BY id LIMIT ?",
            (platform, limit),
        )
        return [_message(r) for r in rows]

    async def get_message(self, message_id: int) -> TicketMessage | None:
        row = await self._db.fetchone("SELECT * FROM ticket_messages WHERE id = ?", (message_id,))
        return _message(row) if row is not None else None

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        rows = await self._db.fetchall("SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id", (ticket_id,))
        return [_message(r) for r in rows]

    async def suggest(
        self, ticket_id: int | None, platform: str, question: str, service_id: str | None, staff_user_id: int | None,
    ) -> bool:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO desk_suggestions (ticket_id, platform, question, service_id, staff_user_id,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (ticket_id, platform, _masked(question) or "", service_id, staff_user_id, to_iso(self._db.now())),
            )
            return bool(cursor.rowcount)

    async def suggestions(self, limit: int = 50, *, status: str | None = None) -> list[DeskSuggestion]:
        where, params = ("WHERE status = ?", (status,)) if status is not None else ("", ())
        rows = await self._db.fetchall(f"SELECT * FROM desk_suggestions {where} ORDER BY id DESC LIMIT ?", (*params, limit))
        return [_desk_suggestion(r) for r in rows]

    async def get_suggestion(self, suggestion_id: int) -> DeskSuggestion | None:
        row = await self._db.fetchone("SELECT * FROM desk_suggestions WHERE id = ?", (suggestion_id,))
        return _desk_suggestion(row) if row else None

    async def decide_suggestion(self, suggestion_id: int, status: str, by: str, note: str | None = None) -> bool:
        """Accepts or rejects an open suggestion, recording who, when and why; False if it was not open."""
        if status not in ("accepted", "rejected"):
            raise ValueError(f"status must be accepted or rejected, not {status!r}")
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE desk_suggestions SET status = ?, decided_by = ?, decided_at = ?, decision_note = ?"
                " WHERE id = ? AND status = 'open'",
                (status, by, to_iso(self._db.now()), note or None, suggestion_id),
            )
            return bool(cursor.rowcount)

    async def count_by_status(self, since: _dt.datetime | None = None) -> dict[str, int]:
        where, params = ("WHERE created_at >= ?", (to_iso(since),)) if since is not None else ("", ())
        rows = await self._db.fetchall(f"SELECT status, COUNT(*) AS n FROM tickets {where} GROUP BY status", params)
        counts = {"open": 0, "closed": 0}
        counts.update({r["status"]: r["n"] for r in rows})
        return counts

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        async with self._db.write() as conn:
            cutoff = await retention.cutoff(self._db, conn, older_than_days, force=force)
            old = "status = 'closed' AND closed_at < ?"
            await retention.check_share(conn, "tickets", old, (cutoff,), force=force)
            await conn.execute(
                f"UPDATE desk_suggestions SET ticket_id = NULL WHERE ticket_id IN (SELECT id FROM tickets WHERE {old})",
                (cutoff,),
            )
            cursor = await conn.execute(f"DELETE FROM tickets WHERE {old}", (cutoff,))
            return cursor.rowcount


class SqliteFeedback:
    """Votes on fact answers. Get it as ``db.feedback``."""

    def __init__(self, db: SqliteStore) -> None:
        self._db = db

    async def vote(self, platform: str, user_id: int, service_id: str, intent: str, vote: int) -> int | None:
        if vote not in (-1, 1):
            raise ValueError(f"a vote is +1 or -1, not {vote}")
        async with self._db.write() as conn:
            rows = list(await conn.execute_fetchall(
                "SELECT vote FROM feedback WHERE platform = ? AND user_id = ? AND service_id = ? AND intent = ?",
                (platform, user_id, service_id, intent),
            ))
            await conn.execute(
                "INSERT INTO feedback (platform, user_id, service_id, intent, vote, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (platform, user_id, service_id, intent) DO UPDATE SET"
                " vote = excluded.vote, updated_at = excluded.updated_at",
                (platform, user_id, service_id, intent, vote, to_iso(self._db.now())),
            )
        return rows[0][0] if rows else None

    async def counts(self, by: str, days: int = 7) -> list[FeedbackCount]:
        column = {"service": "service_id", "intent": "intent"}[by]
        since = to_iso(self._db.now() - _dt.timedelta(days=days))
        rows = await self._db.fetchall(
            f"SELECT {column} AS k, SUM(vote = 1) AS up, SUM(vote = -1) AS down FROM feedback"
            f" WHERE updated_at >= ? GROUP BY {column} ORDER BY COUNT(*) DESC, {column}",
            (since,),
        )
        return [FeedbackCount(r["k"], r["up"], r["down"]) for r in rows]

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        async with self._db.write() as conn:
            cutoff = await retention.cutoff(self._db, conn, older_than_days, force=force)
            await retention.check_share(conn, "feedback", "updated_at < ?", (cutoff,), force=force)
            cursor = await conn.execute("DELETE FROM feedback WHERE updated_at < ?", (cutoff,))
            return cursor.rowcount
