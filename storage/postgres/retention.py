"""The retention rules of storage/retention.py (read its docstring: ages measured from the earlier of the
clock and a day after the newest row; nothing pruned when the clock looks set back; a prune of more than 90%
of a table of at least 100 such rows refused), on PostgreSQL: the newest row and the rows due, in its SQL."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from storage import retention as policy

if TYPE_CHECKING:
    import asyncpg

    from storage.postgres.db import PostgresStore

_NEWEST = policy.newest_sql()


async def cutoff(db: PostgresStore, conn: asyncpg.Connection, older_than_days: float, *, force: bool) -> _dt.datetime:
    """The time before which a row is older than `older_than_days`; raises RetentionRefused when the clock
    looks set back (unless `force`)."""
    newest = None if force else await conn.fetchval(_NEWEST)
    return policy.cutoff(db.now(), newest, older_than_days, force=force)


async def check_share(
    conn: asyncpg.Connection, table: str, old: str, params: tuple[Any, ...], *, scope: str = "TRUE",
    force: bool, what: str = "delete",
) -> None:
    """Raises RetentionRefused when the rows of `table` matching `old` (within `scope`) are more than 90% of
    those in `scope`, and at least 100 (unless `force`)."""
    if force:
        return
    row = await conn.fetchrow(f"SELECT COUNT(*), COUNT(*) FILTER (WHERE {old}) FROM {table} WHERE {scope}", *params)
    policy.check_share(table, row[0], row[1], force=force, what=what)
