"""The versions of knowledge files the console published, on PostgreSQL (migration 0003). The contract is
storage.api.KnowledgeVersionsRepo."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from storage.records import KnowledgeVersion

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore


def _version(row: Any) -> KnowledgeVersion:
    return KnowledgeVersion(
        id=row["id"], service_id=row["service_id"], file_name=row["file_name"], content=row["content"],
        content_hash=row["content_hash"], author=row["author"], note=row["note"], created_at=row["created_at"],
    )


class PostgresVersions:
    """Published texts of knowledge files. Get it as ``db.versions``."""

    def __init__(self, db: PostgresStore) -> None:
        self._db = db

    async def add(self, service_id: str, file_name: str, content: str, author: str, note: str | None = None) -> KnowledgeVersion:
        """Records a version and returns it."""
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        async with self._db.write() as conn:
            row = await conn.fetchrow(
                "INSERT INTO knowledge_versions (service_id, file_name, content, content_hash, author, note, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                service_id, file_name, content, digest, author, note or None, self._db.now(),
            )
            return _version(row)

    async def get(self, version_id: int) -> KnowledgeVersion | None:
        row = await self._db.fetchone("SELECT * FROM knowledge_versions WHERE id = $1", (version_id,))
        return _version(row) if row else None

    async def history(self, service_id: str, limit: int = 50) -> list[KnowledgeVersion]:
        """The versions of one service, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM knowledge_versions WHERE service_id = $1 ORDER BY id DESC LIMIT $2", (service_id, limit)
        )
        return [_version(row) for row in rows]

    async def latest(self) -> dict[str, KnowledgeVersion]:
        """The newest version of every service that has one."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT ON (service_id) * FROM knowledge_versions ORDER BY service_id, id DESC"
        )
        return {row["service_id"]: _version(row) for row in rows}
