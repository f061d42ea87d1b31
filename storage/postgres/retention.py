"""The retention rules of storage/sqlite/retention.py (read its docstring: ages measured from the earlier
of the clock and a day after the newest row; nothing pruned when the clock looks set back; a prune of more
than 90% of a table of at least 100 such rows refused), on PostgreSQL."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from storage.api import RetentionRefused

if TYPE_CHECKING:
    import asyncpg

    from storage.postgres.db import PostgresStore

SLACK = _dt.timedelta(days=1)
MASS_SHARE = 0.9
MASS_MIN_ROWS = 100

_NEWEST = (
    "SELECT MAX(t) FROM ("
    " SELECT MAX(created_at) AS t FROM message_log"
    " UNION ALL SELECT MAX(updated_at) FROM drafts"
    " UNION ALL SELECT MAX(updated_at) FROM chat_state"
    " UNION ALL SELECT MAX(updated_at) FROM requests"
    " UNION ALL SELECT MAX(created_at) FROM request_events) AS newest"
)


async def cutoff(db: PostgresStore, conn: asyncpg.Connection, older_than_days: float, *, force: bool) -> _dt.datetime:
    """The time before which a row is older than `older_than_days`; raises RetentionRefused when the clock
    looks set back (unless `force`)."""
    now = db.now()
    reference = now
    if not force:
        newest = await conn.fetchval(_NEWEST)
        if newest is not None:
            if newest > now + SLACK:
                raise RetentionRefused(
                    f"the newest row ({newest.isoformat()}) is more than a day ahead of the clock"
                    f" ({now.isoformat()}): the clock looks set back; nothing pruned"
                )
            reference = min(now, newest + SLACK)
    return reference - _dt.timedelta(days=older_than_days)


async def check_share(
    conn: asyncpg.Connection, table: str, old: str, params: tuple[Any, ...], *, scope: str = "TRUE",
    force: bool, what: str = "delete",
) -> None:
    """Raises RetentionRefused when the rows of `table` matching `old` (within `scope`) are more than 90% of
    those in `scope`, and at least 100 (unless `force`)."""
    if force:
        return
    row = await conn.fetchrow(f"SELECT COUNT(*), COUNT(*) FILTER (WHERE {old}) FROM {table} WHERE {scope}", *params)
    total, due = row[0], row[1]
    if due >= MASS_MIN_ROWS and due > MASS_SHARE * total:
        raise RetentionRefused(
            f"would {what} {due} of {total} rows of {table} at once: the clock may have jumped ahead;"
            " nothing pruned (check the clock, then: python -m bot prune --force)"
        )
