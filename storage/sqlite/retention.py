"""Retention rules shared by the SQLite repositories: how old is "old", measured on a clock that may be
wrong, and when a deletion is too large to be trusted.

A retention pass deletes personal data by age, so a clock that jumps ahead (a mis-set server, a VM restored
from a snapshot, NTP gone wrong) would delete live drafts and months of logs at once. Three rules:

- Ages are measured from the earlier of the clock and one day after the newest row of the database. A
  running bot writes rows all the time, so this is the clock; after a jump ahead, or a restart after a long
  stop, nothing is aged past what was already due, until new rows show the clock is being lived by.
- When the newest row lies more than a day ahead of the clock, the clock was set back: nothing is pruned.
- A single prune that would delete (or anonymise) more than 90% of a table holding at least 100 such rows
  is refused: that is what a jump looks like once new rows were written under it.

A refusal raises RetentionRefused (the pass logs it as a warning and goes on with the other tables); after
checking the clock, an operator runs ``python -m bot prune --force`` to apply the ages to the clock as is.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from storage.api import RetentionRefused
from storage.sqlite._common import from_iso, to_iso

if TYPE_CHECKING:
    import aiosqlite

    from storage.sqlite.db import SqliteStore

SLACK = _dt.timedelta(days=1)
MASS_SHARE = 0.9
MASS_MIN_ROWS = 100

_NEWEST = (
    "SELECT MAX(t) FROM ("
    " SELECT MAX(created_at) AS t FROM message_log"
    " UNION ALL SELECT MAX(updated_at) FROM drafts"
    " UNION ALL SELECT MAX(updated_at) FROM chat_state"
    " UNION ALL SELECT MAX(updated_at) FROM requests"
    " UNION ALL SELECT MAX(created_at) FROM request_events)"
)


async def cutoff(db: SqliteStore, conn: aiosqlite.Connection, older_than_days: float, *, force: bool) -> str:
    """The stored time before which a row is older than `older_than_days` (see the module docstring);
    raises RetentionRefused when the clock looks set back (unless `force`)."""
    now = db.now()
    reference = now
    if not force:
        rows = list(await conn.execute_fetchall(_NEWEST))
        newest = from_iso(rows[0][0]) if rows and rows[0][0] else None
        if newest is not None:
            if newest > now + SLACK:
                raise RetentionRefused(
                    f"the newest row ({to_iso(newest)}) is more than a day ahead of the clock ({to_iso(now)}):"
                    " the clock looks set back; nothing pruned"
                )
            reference = min(now, newest + SLACK)
    return to_iso(reference - _dt.timedelta(days=older_than_days))


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
    total, due = rows[0][0], rows[0][1]
    if due >= MASS_MIN_ROWS and due > MASS_SHARE * total:
        raise RetentionRefused(
            f"would {what} {due} of {total} rows of {table} at once: the clock may have jumped ahead;"
            " nothing pruned (check the clock, then: python -m bot prune --force)"
        )
