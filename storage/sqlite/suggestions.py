"""What support staff do with unanswered questions, in SQLite (migration 0005): handled marks and
suggestions for the editors. The contract is storage.api.SuggestionsRepo."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from storage.records import HandledQuestion, Suggestion
from storage.sqlite._common import dumps, from_iso, to_iso

if TYPE_CHECKING:
    from storage.sqlite.db import SqliteStore

SUGGESTION_KINDS = ("alias", "need")
DECISIONS = ("accepted", "rejected")


def _suggestion(row: sqlite3.Row) -> Suggestion:
    return Suggestion(
        id=row["id"], question=row["question"], example=row["example"], service_id=row["service_id"],
        kind=row["kind"], text=row["text"], note=row["note"], created_by=row["created_by"],
        created_at=from_iso(row["created_at"]), status=row["status"],  # type: ignore[arg-type]
        decided_by=row["decided_by"], decided_at=from_iso(row["decided_at"]), decision_note=row["decision_note"],
    )


class SqliteSuggestions:
    """Handled unanswered questions and suggestions. Get it as ``db.suggestions``."""

    def __init__(self, db: SqliteStore) -> None:
        self._db = db

    async def mark_handled(self, question: str, by: str) -> None:
        """Marks a group of unanswered questions handled as of now (again, if it came back)."""
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO unanswered_handled (question, handled_by, handled_at) VALUES (?, ?, ?)"
                " ON CONFLICT (question) DO UPDATE SET handled_by = excluded.handled_by, handled_at = excluded.handled_at",
                (question, by, to_iso(self._db.now())),
            )

    async def handled(self) -> dict[str, HandledQuestion]:
        """Every question marked handled, by its key."""
        rows = await self._db.fetchall("SELECT * FROM unanswered_handled")
        return {
            row["question"]: HandledQuestion(row["question"], row["handled_by"], from_iso(row["handled_at"]))  # type: ignore[arg-type]
            for row in rows
        }

    async def suggest(self, question: str, example: str | None, service_id: str, kind: str, text: str,
                      note: str | None, by: str) -> Suggestion:
        """Records a suggestion for the service's editors; ValueError for a kind not alias or need."""
        if kind not in SUGGESTION_KINDS:
            raise ValueError(f"kind must be one of {SUGGESTION_KINDS}, not {kind!r}")
        async with self._db.write() as conn:
            rows = await conn.execute_fetchall(
                "INSERT INTO knowledge_suggestions (question, example, service_id, kind, text, note, created_by,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (question, example, service_id, kind, text, note or None, by, to_iso(self._db.now())),
            )
            return _suggestion(next(iter(rows)))

    async def suggestions(self, *, status: str | None = "open", service_ids: Collection[str] | None = None,
                          limit: int = 100) -> list[Suggestion]:
        """Suggestions, newest first, of one status (None: any), optionally of some services only."""
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if service_ids is not None:
            where.append("service_id IN (SELECT value FROM json_each(?))")
            params.append(dumps(sorted(service_ids)))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._db.fetchall(
            f"SELECT * FROM knowledge_suggestions {clause} ORDER BY id DESC LIMIT ?", (*params, limit)
        )
        return [_suggestion(row) for row in rows]

    async def get(self, suggestion_id: int) -> Suggestion | None:
        row = await self._db.fetchone("SELECT * FROM knowledge_suggestions WHERE id = ?", (suggestion_id,))
        return _suggestion(row) if row else None

    async def decide(self, suggestion_id: int, status: str, by: str, note: str | None = None) -> bool:
        """Accepts or rejects an open suggestion, recording who, when and why; False if it was not open."""
        if status not in DECISIONS:
            raise ValueError(f"status must be one of {DECISIONS}, not {status!r}")
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE knowledge_suggestions SET status = ?, decided_by = ?, decided_at = ?, decision_note = ?"
                " WHERE id = ? AND status = 'open'",
                (status, by, to_iso(self._db.now()), note or None, suggestion_id),
            )
            return bool(cursor.rowcount)
