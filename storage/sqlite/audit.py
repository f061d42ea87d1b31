"""The staff audit trail in SQLite: who read or changed personal data, and when. Rows are only ever added;
the table's triggers (migration 0003) refuse UPDATE and DELETE. The contract is storage.api.AuditRepo.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from storage.records import AuditEntry
from storage.sqlite._common import from_iso, to_iso

if TYPE_CHECKING:
    from storage.sqlite.db import SqliteStore


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
        os_user=row["os_user"],
        action=row["action"],
        target=row["target"],
        detail=row["detail"],
    )


class SqliteAudit:
    """The append-only staff audit table. Get it as ``db.audit``."""

    def __init__(self, db: SqliteStore) -> None:
        self._db = db

    async def record(self, os_user: str, action: str, target: str | None = None, detail: str | None = None) -> None:
        """Appends one row: `os_user` did `action` (the command) on `target` (a tracking code, a file)."""
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO staff_audit (created_at, os_user, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (to_iso(self._db.now()), os_user, action, target, detail),
            )

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The latest rows, newest first."""
        rows = await self._db.fetchall("SELECT * FROM staff_audit ORDER BY id DESC LIMIT ?", (limit,))
        return [_entry(row) for row in rows]
