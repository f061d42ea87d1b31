"""The retention rules of storage/retention.py (read its docstring: ages measured from the earlier of the
clock and a day after the newest row; nothing pruned when the clock looks set back; a prune of more than 90%
of a table of at least 100 such rows refused), on SQLite: the newest row and the rows due, in its SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from storage import retention as policy
from storage.sqlite._common import from_iso, to_iso

if TYPE_CHECKING:
    import aiosqlite

    from storage.sqlite.db import SqliteStore

_NEWEST = policy.newest_sql()


async def cutoff(db: SqliteStore, conn: aiosqlite.Connection, older_than_days: float, *, force: bool) -> str:
    """The stored time before which a row is older than `older_than_days`; raises RetentionRefused when the
    clock looks set back (unless `force`)."""
    newest = None
    if not force:
        rows = list(await conn.execute_fetchall(_NEWEST))
        newest = from_iso(rows[0][0]) if rows and rows[0][0] else None
    return to_iso(policy.cutoff(db.now(), newest, older_than_days, force=force))


async def check_share(
    conn: aiosqlite.Connection, table: str, old: str, params: tuple[Any, ...], *, scope: str = "1",
    force: bool, what: str = "delete",
) -> None:
    """Raises RetentionRefused when the rows of `table` matching `old` (within `scope`) are more than 90% of
    those in `scope`, and at least 100 (unless `force`)."""
    if force:
        return
    rows = list(await conn.execute_fetchall(
        f"SELECT COUNT(*), COALESCE(SUM({old}), 0) FROM {table} WHERE {scope}", params
    ))
    policy.check_share(table, rows[0][0], rows[0][1], force=force, what=what)
