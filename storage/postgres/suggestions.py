"""What support staff do with unanswered questions, on PostgreSQL (migration 0002): handled marks and
suggestions for the editors, as on SQLite (storage/sqlite/suggestions.py). The contract is
storage.api.SuggestionsRepo."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import asyncpg

from storage.records import HandledQuestion, Suggestion

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore

SUGGESTION_KINDS = ("alias", "need")
DECISIONS = ("accepted", "rejected")


def _suggestion(row: asyncpg.Record) -> Suggestion:
    return Suggestion(
        id=row["id"], question=row["question"], example=row["example"], service_id=row["service_id"],
        kind=row["kind"], text=row["text"], note=row["note"], created_by=row["created_by"],
        created_at=row["created_at"], status=row["status"],
        decided_by=row["decided_by"], decided_at=row["decided_at"], decision_note=row["decision_note"],
    )


class PostgresSuggestions:
    """Handled unanswered questions and suggestions. Get it as ``db.suggestions``."""

    def __init__(self, db: PostgresStore) -> None:
        self._db = db

    async def mark_handled(self, question: str, by: str) -> None:
        """Marks a group of unanswered questions handled as of now (again, if it came back)."""
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO unanswered_handled (question, handled_by, handled_at) VALUES ($1, $2, $3)"
                " ON CONFLICT (question) DO UPDATE SET handled_by = excluded.handled_by, handled_at = excluded.handled_at",
                question, by, self._db.now(),
            )

    async def handled(self) -> dict[str, HandledQuestion]:
        """Every question marked handled, by its key."""
        rows = await self._db.fetchall("SELECT * FROM unanswered_handled")
        return {row["question"]: HandledQuestion(row["question"], row["handled_by"], row["handled_at"]) for row in rows}

    async def suggest(self, question: str, example: str | None, service_id: str, kind: str, text: str,
                      note: str | None, by: str) -> Suggestion:
        """Records a suggestion for the service's editors; ValueError for a kind not alias or need."""
        if kind not in SUGGESTION_KINDS:
            raise ValueError(f"kind must be one of {SUGGESTION_KINDS}, not {kind!r}")
        async with self._db.write() as conn:
            row = await conn.fetchrow(
                "INSERT INTO knowledge_suggestions (question, example, service_id, kind, text, note, created_by,"
                " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
                question, example, service_id, kind, text, note or None, by, self._db.now(),
            )
        return _suggestion(row)

    async def suggestions(self, *, status: str | None = "open", service_ids: Collection[str] | None = None,
                          limit: int = 100) -> list[Suggestion]:
        """Suggestions, newest first, of one status (None: any), optionally of some services only."""
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            params.append(status)
            where.append(f"status = ${len(params)}")
        if service_ids is not None:
            params.append(sorted(service_ids))
            where.append(f"service_id = ANY(${len(params)}::text[])")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        params.append(limit)
        rows = await self._db.fetchall(
            f"SELECT * FROM knowledge_suggestions {clause} ORDER BY id DESC LIMIT ${len(params)}", params
        )
        return [_suggestion(row) for row in rows]

    async def get(self, suggestion_id: int) -> Suggestion | None:
        row = await self._db.fetchone("SELECT * FROM knowledge_suggestions WHERE id = $1", (suggestion_id,))
        return _suggestion(row) if row else None

    async def decide(self, suggestion_id: int, status: str, by: str, note: str | None = None) -> bool:
        """Accepts or rejects an open suggestion, recording who, when and why; False if it was not open."""
        if status not in DECISIONS:
            raise ValueError(f"status must be one of {DECISIONS}, not {status!r}")
        async with self._db.write() as conn:
            result = await conn.execute(
                "UPDATE knowledge_suggestions SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4"
                " WHERE id = $5 AND status = 'open'",
                status, by, self._db.now(), note or None, suggestion_id,
            )
        return result.split()[-1] != "0"
