"""The versions of knowledge files the console published, in SQLite (migration 0007). The contract is
storage.api.KnowledgeVersionsRepo."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import TYPE_CHECKING

from storage.records import KnowledgeVersion
from storage.sqlite._common import from_iso, to_iso

if TYPE_CHECKING:
    from storage.sqlite.db import SqliteStore


def _version(row: sqlite3.Row) -> KnowledgeVersion:
    return KnowledgeVersion(
        id=row["id"], service_id=row["service_id"], file_name=row["file_name"], content=row["content"],
        content_hash=row["content_hash"], author=row["author"], note=row["note"],
        created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
    )


class SqliteVersions:
    """Published texts of knowledge files. Get it as ``db.versions``."""

    def __init__(self, db: SqliteStore) -> None:
        self._db = db

    async def add(self, service_id: str, file_name: str, content: str, author: str, note: str | None = None) -> KnowledgeVersion:
        """Records a version and returns it."""
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        async with self._db.write() as conn:
            rows = await conn.execute_fetchall(
                "INSERT INTO knowledge_versions (service_id, file_name, content, content_hash, author, note, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (service_id, file_name, content, digest, author, note or None, to_iso(self._db.now())),
            )
            return _version(next(iter(rows)))

    async def get(self, version_id: int) -> KnowledgeVersion | None:
        row = await self._db.fetchone("SELECT * FROM knowledge_versions WHERE id = ?", (version_id,))
        return _version(row) if row else None

    async def history(self, service_id: str, limit: int = 50) -> list[KnowledgeVersion]:
        """The versions of one service, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM knowledge_versions WHERE service_id = ? ORDER BY id DESC LIMIT ?", (service_id, limit)
        )
        return [_version(row) for row in rows]

    async def latest(self) -> dict[str, KnowledgeVersion]:
        """The newest version of every service that has one."""
        rows = await self._db.fetchall(
            "SELECT * FROM knowledge_versions WHERE id IN (SELECT MAX(id) FROM knowledge_versions GROUP BY service_id)"
        )
        return {row["service_id"]: _version(row) for row in rows}
