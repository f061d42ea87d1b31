"""The staff audit trail on PostgreSQL: rows are only ever added; the table's triggers (migration 0001)
refuse UPDATE, DELETE and TRUNCATE. The contract is storage.api.AuditRepo."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.records import AuditEntry

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore


class PostgresAudit:
    """The append-only staff audit table. Get it as ``db.audit``."""

    def __init__(self, db: PostgresStore) -> None:
        self._db = db

    async def record(self, os_user: str, action: str, target: str | None = None, detail: str | None = None) -> None:
        """Appends one row: `os_user` did `action` (the command) on `target` (a tracking code, a file)."""
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO staff_audit (created_at, os_user, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
                self._db.now(), os_user, action, target, detail,
            )

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The latest rows, newest first."""
        rows = await self._db.fetchall("SELECT * FROM staff_audit ORDER BY id DESC LIMIT $1", (limit,))
        return [AuditEntry(r["id"], r["created_at"], r["os_user"], r["action"], r["target"], r["detail"]) for r in rows]
