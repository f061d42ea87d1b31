"""The support desk on PostgreSQL: tickets, the messages relayed for them, staff suggestions for the
knowledge, and citizens' votes on fact answers, as on SQLite (storage/sqlite/desk.py). The contracts are
storage.api.TicketsRepo and storage.api.FeedbackRepo.

Everything a citizen wrote is masked (storage.masking) before it is stored, as in the message log.

Several instances may write at once, so each read-then-write is one statement or guarded by the table's
own keys: a second open ticket of an account is refused by the partial unique index `tickets_one_open`
(the loser reads the winner's ticket), a message relayed twice by `ticket_messages_source`, a suggestion
made twice by `desk_suggestions_once`; a take or a close is one conditional UPDATE.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

import asyncpg

from storage.masking import mask_personal_data
from storage.postgres import retention
from storage.records import DeskSuggestion, FeedbackCount, Ticket, TicketMessage

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore

DIRECTIONS = ("to_staff", "to_citizen")
AUTHORS = ("citizen", "staff", "bot")
KINDS = ("text", "photo", "document")
_OPEN_ATTEMPTS = 5  # rounds of "read, else insert": a round is lost only to another instance's insert


def _ticket(row: asyncpg.Record) -> Ticket:
    return Ticket(
        id=row["id"], platform=row["platform"], user_id=row["user_id"], chat_id=row["chat_id"], status=row["status"],
        service_id=row["service_id"], question=row["question"], context=row["context"],
        group_chat_id=row["group_chat_id"], group_message_id=row["group_message_id"], posted_at=row["posted_at"],
        post_attempts=row["post_attempts"], taken_by=row["taken_by"], taken_by_name=row["taken_by_name"],
        taken_at=row["taken_at"], closed_by=row["closed_by"], closed_at=row["closed_at"],
        created_at=row["created_at"], updated_at=row["updated_at"],
    )


def _message(row: asyncpg.Record) -> TicketMessage:
    return TicketMessage(
        id=row["id"], ticket_id=row["ticket_id"], platform=row["platform"], direction=row["direction"],
        author=row["author"], kind=row["kind"], text=row["text"], file_id=row["file_id"],
        staff_user_id=row["staff_user_id"], sent_message_id=row["sent_message_id"], attempts=row["attempts"],
        failed=row["failed"], created_at=row["created_at"], delivered_at=row["delivered_at"],
    )


def _masked(text: str | None) -> str | None:
    return mask_personal_data(text) if text else text


def _count(status: str) -> int:
    """The row count of a command tag ("UPDATE 3", "DELETE 0")."""
    return int(status.split()[-1])


def _desk_suggestion(r: asyncpg.Record) -> DeskSuggestion:
    return DeskSuggestion(
        id=r["id"], ticket_id=r["ticket_id"], platform=r["platform"], question=r["question"],
        service_id=r["service_id"], staff_user_id=r["staff_user_id"], created_at=r["created_at"],
        status=r["status"], decided_by=r["decided_by"], decided_at=r["decided_at"], decision_note=r["decision_note"],
    )


class PostgresTickets:
    """Tickets, their relayed messages and staff suggestions. Get it as ``db.tickets``."""

    def __init__(self, db: PostgresStore) -> None:
        self._db = db

    async def _one(self, sql: str, params: tuple) -> Ticket | None:
        row = await self._db.fetchone(sql, params)
        return _ticket(row) if row is not None else None

    async def open(
        self, platform: str, user_id: int, chat_id: int, *, service_id: str | None, question: str | None,
        context: str, group_chat_id: int | None,
    ) -> tuple[Ticket, bool]:
        now = self._db.now()
        select = "SELECT * FROM tickets WHERE platform = $1 AND user_id = $2 AND status = 'open'"
        for _ in range(_OPEN_ATTEMPTS):
            async with self._db.write() as conn:
                # Read first: an insert that meets the index would still use up a ticket number.
                row = await conn.fetchrow(select, platform, user_id)
                if row is not None:
                    return _ticket(row), False
                # Another instance opening one for the same account at once: this waits for it, then
                # does nothing, and the next round reads its ticket.
                row = await conn.fetchrow(
                    "INSERT INTO tickets (platform, user_id, chat_id, service_id, question, context, group_chat_id,"
                    " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
                    " ON CONFLICT (platform, user_id) WHERE status = 'open' DO NOTHING RETURNING *",
                    platform, user_id, chat_id, service_id, _masked(question), _masked(context) or "", group_chat_id, now,
                )
                if row is not None:
                    return _ticket(row), True
        raise RuntimeError(f"no open ticket for {platform}:{user_id} after {_OPEN_ATTEMPTS} attempts")

    async def get(self, ticket_id: int) -> Ticket | None:
        return await self._one("SELECT * FROM tickets WHERE id = $1", (ticket_id,))

    async def open_for(self, platform: str, user_id: int) -> Ticket | None:
        return await self._one(
            "SELECT * FROM tickets WHERE platform = $1 AND user_id = $2 AND status = 'open'", (platform, user_id)
        )

    async def by_group_message(self, platform: str, message_id: int) -> Ticket | None:
        ticket = await self._one(
            "SELECT * FROM tickets WHERE platform = $1 AND group_message_id = $2 ORDER BY id LIMIT 1",
            (platform, message_id),
        )
        if ticket is not None:
            return ticket
        return await self._one(
            "SELECT t.* FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id"
            " WHERE m.platform = $1 AND m.direction = 'to_staff' AND m.sent_message_id = $2 ORDER BY m.id LIMIT 1",
            (platform, message_id),
        )

    async def list_open(self, platform: str, limit: int = 50) -> list[Ticket]:
        rows = await self._db.fetchall(
            "SELECT * FROM tickets WHERE platform = $1 AND status = 'open' ORDER BY id LIMIT $2", (platform, limit)
        )
        return [_ticket(r) for r in rows]

    async def unposted(self, platform: str, limit: int = 50) -> list[Ticket]:
        rows = await self._db.fetchall(
            "SELECT * FROM tickets WHERE platform = $1 AND posted_at IS NULL AND status = 'open' ORDER BY id LIMIT $2",
            (platform, limit),
        )
        return [_ticket(r) for r in rows]

    async def mark_posted(self, ticket_id: int, group_message_id: int | None) -> None:
        now = self._db.now()
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE tickets SET posted_at = $1, group_message_id = $2, updated_at = $1 WHERE id = $3",
                now, group_message_id, ticket_id,
            )

    async def post_failed(self, ticket_id: int) -> int:
        async with self._db.write() as conn:
            attempts = await conn.fetchval(
                "UPDATE tickets SET post_attempts = post_attempts + 1 WHERE id = $1 RETURNING post_attempts", ticket_id
            )
        return attempts or 0

    async def take(self, ticket_id: int, staff_user_id: int, staff_name: str) -> Ticket | None:
        now = self._db.now()
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE tickets SET taken_by = $1, taken_by_name = $2, taken_at = $3, updated_at = $3"
                " WHERE id = $4 AND status = 'open' AND (taken_by IS NULL OR taken_by = $1)",
                staff_user_id, staff_name, now, ticket_id,
            )
        ticket = await self.get(ticket_id)
        return ticket if ticket is not None and ticket.is_open else None

    async def close(self, ticket_id: int, by: str) -> Ticket | None:
        now = self._db.now()
        async with self._db.write() as conn:
            row = await conn.fetchrow(
                "UPDATE tickets SET status = 'closed', closed_by = $1, closed_at = $2, updated_at = $2"
                " WHERE id = $3 AND status = 'open' RETURNING *",
                by, now, ticket_id,
            )
        return _ticket(row) if row is not None else None

    async def add_message(
        self, ticket_id: int, platform: str, direction: str, author: str, *, kind: str = "text",
        text: str | None = None, file_id: str | None = None, source: str | None = None,
        staff_user_id: int | None = None,
    ) -> TicketMessage | None:
        if direction not in DIRECTIONS or author not in AUTHORS or kind not in KINDS:
            raise ValueError(f"not a ticket message: {direction}/{author}/{kind}")
        if direction == "to_staff":
            text = _masked(text)
        now = self._db.now()
        async with self._db.write() as conn:
            row = await conn.fetchrow(
                "INSERT INTO ticket_messages (ticket_id, platform, direction, author, kind, text, file_id, source,"
                " staff_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                " ON CONFLICT (platform, source) WHERE source IS NOT NULL DO NOTHING RETURNING *",
                ticket_id, platform, direction, author, kind, text, file_id, source, staff_user_id, now,
            )
            if row is None:
                return None
            await conn.execute("UPDATE tickets SET updated_at = $1 WHERE id = $2", now, ticket_id)
        return _message(row)

    async def delivered(self, message_id: int, sent_message_id: int | None) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE ticket_messages SET delivered_at = $1, sent_message_id = $2 WHERE id = $3",
                self._db.now(), sent_message_id, message_id,
            )

    async def relay_failed(self, message_id: int, reason: str | None = None) -> int:
        async with self._db.write() as conn:
            attempts = await conn.fetchval(
                "UPDATE ticket_messages SET attempts = attempts + 1, failed = COALESCE($1, failed) WHERE id = $2"
                " RETURNING attempts",
                reason, message_id,
            )
        return attempts or 0

    async def undelivered(self, platform: str, limit: int = 100) -> list[TicketMessage]:
        rows = await self._db.fetchall(
            "SELECT * FROM ticket_messages WHERE platform = $1 AND delivered_at IS NULL AND failed IS NULL"
            " ORDER BY id LIMIT $2",
            (platform, limit),
        )
        return [_message(r) for r in rows]

    async def get_message(self, message_id: int) -> TicketMessage | None:
        row = await self._db.fetchone("SELECT * FROM ticket_messages WHERE id = $1", (message_id,))
        return _message(row) if row is not None else None

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        rows = await self._db.fetchall("SELECT * FROM ticket_messages WHERE ticket_id = $1 ORDER BY id", (ticket_id,))
        return [_message(r) for r in rows]

    async def suggest(
        self, ticket_id: int | None, platform: str, question: str, service_id: str | None, staff_user_id: int | None,
    ) -> bool:
        async with self._db.write() as conn:
            status = await conn.execute(
                "INSERT INTO desk_suggestions (ticket_id, platform, question, service_id, staff_user_id, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                ticket_id, platform, _masked(question) or "", service_id, staff_user_id, self._db.now(),
            )
        return _count(status) > 0

    async def suggestions(self, limit: int = 50, *, status: str | None = None) -> list[DeskSuggestion]:
        rows = await self._db.fetchall(
            "SELECT * FROM desk_suggestions WHERE $1::text IS NULL OR status = $1 ORDER BY id DESC LIMIT $2",
            (status, limit),
        )
        return [_desk_suggestion(r) for r in rows]

    async def get_suggestion(self, suggestion_id: int) -> DeskSuggestion | None:
        row = await self._db.fetchone("SELECT * FROM desk_suggestions WHERE id = $1", (suggestion_id,))
        return _desk_suggestion(row) if row else None

    async def decide_suggestion(self, suggestion_id: int, status: str, by: str, note: str | None = None) -> bool:
        """Accepts or rejects an open suggestion, recording who, when and why; False if it was not open."""
        if status not in ("accepted", "rejected"):
            raise ValueError(f"status must be accepted or rejected, not {status!r}")
        async with self._db.write() as conn:
            result = await conn.execute(
                "UPDATE desk_suggestions SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4"
                " WHERE id = $5 AND status = 'open'",
                status, by, self._db.now(), note or None, suggestion_id,
            )
        return _count(result) > 0

    async def count_by_status(self, since: _dt.datetime | None = None) -> dict[str, int]:
        rows = await self._db.fetchall(
            "SELECT status, COUNT(*) AS n FROM tickets WHERE $1::timestamptz IS NULL OR created_at >= $1"
            " GROUP BY status",
            (since,),
        )
        counts = {"open": 0, "closed": 0}
        counts.update({r["status"]: r["n"] for r in rows})
        return counts

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        """Deletes tickets closed that long ago with their messages; their suggestions stay, unlinked (the
        foreign key sets them NULL). RetentionRefused: see storage/retention.py."""
        old = "status = 'closed' AND closed_at < $1"
        async with self._db.write() as conn:
            cutoff = await retention.cutoff(self._db, conn, older_than_days, force=force)
            await retention.check_share(conn, "tickets", old, (cutoff,), force=force)
            status = await conn.execute(f"DELETE FROM tickets WHERE {old}", cutoff)
        return _count(status)


class PostgresFeedback:
    """Votes on fact answers. Get it as ``db.feedback``."""

    def __init__(self, db: PostgresStore) -> None:
        self._db = db

    async def vote(self, platform: str, user_id: int, service_id: str, intent: str, vote: int) -> int | None:
        if vote not in (-1, 1):
            raise ValueError(f"a vote is +1 or -1, not {vote}")
        key = (platform, user_id, service_id, intent)
        async with self._db.write() as conn:
            # The row lock keeps "the vote it replaced" true when the same account votes twice at once.
            earlier = await conn.fetchval(
                "SELECT vote FROM feedback WHERE platform = $1 AND user_id = $2 AND service_id = $3 AND intent = $4"
                " FOR UPDATE",
                *key,
            )
            await conn.execute(
                "INSERT INTO feedback (platform, user_id, service_id, intent, vote, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (platform, user_id, service_id, intent) DO UPDATE"
                " SET vote = excluded.vote, updated_at = excluded.updated_at",
                *key, vote, self._db.now(),
            )
        return earlier

    async def counts(self, by: str, days: int = 7) -> list[FeedbackCount]:
        column = {"service": "service_id", "intent": "intent"}[by]
        rows = await self._db.fetchall(
            f"SELECT {column} AS k, COUNT(*) FILTER (WHERE vote = 1) AS up, COUNT(*) FILTER (WHERE vote = -1) AS down"
            f' FROM feedback WHERE updated_at >= $1 GROUP BY {column} ORDER BY COUNT(*) DESC, {column} COLLATE "C"',
            (self._db.now() - _dt.timedelta(days=days),),
        )
        return [FeedbackCount(r["k"], r["up"], r["down"]) for r in rows]

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        async with self._db.write() as conn:
            cutoff = await retention.cutoff(self._db, conn, older_than_days, force=force)
            await retention.check_share(conn, "feedback", "updated_at < $1", (cutoff,), force=force)
            status = await conn.execute("DELETE FROM feedback WHERE updated_at < $1", cutoff)
        return _count(status)
