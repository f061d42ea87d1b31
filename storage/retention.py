"""Retention rules, whatever the database: how old is "old", measured on a clock that may be wrong, and when
a deletion is too large to be trusted (storage/retention.py and storage/postgres/retention.py only
read the newest row and count the rows due, each in its own SQL).

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

from storage.api import RetentionRefused

SLACK = _dt.timedelta(days=1)
MASS_SHARE = 0.9
MASS_MIN_ROWS = 100

# The rows whose newest time says how far the database has been lived in: (table, time column). Tables
# written only on behalf of these (events of requests, votes after answers) add nothing, so the list stays
# the same as the backends grow.
NEWEST_TIMES = (
    ("message_log", "created_at"),
    ("drafts", "updated_at"),
    ("chat_state", "updated_at"),
    ("requests", "updated_at"),
    ("request_events", "created_at"),
)


def newest_sql(table_alias: str = "newest") -> str:
    """A query of one value: the newest time of NEWEST_TIMES (NULL in an empty database). Both backends
    accept it (PostgreSQL wants the alias of the subquery; SQLite ignores it)."""
    parts = " UNION ALL ".join(f"SELECT MAX({column}) AS t FROM {table}" for table, column in NEWEST_TIMES)
    return f"SELECT MAX(t) FROM ({parts}) AS {table_alias}"


def cutoff(now: _dt.datetime, newest: _dt.datetime | None, older_than_days: float, *, force: bool) -> _dt.datetime:
    """The time before which a row is older than `older_than_days`, given the clock and the newest row;
    raises RetentionRefused when the clock looks set back (unless `force`)."""
    reference = now
    if not force and newest is not None:
        if newest > now + SLACK:
            raise RetentionRefused(
                f"the newest row ({_shown(newest)}) is more than a day ahead of the clock ({_shown(now)}):"
                " the clock looks set back; nothing pruned"
            )
        reference = min(now, newest + SLACK)
    return reference - _dt.timedelta(days=older_than_days)


def check_share(table: str, total: int, due: int, *, force: bool, what: str = "delete") -> None:
    """Raises RetentionRefused when `due` rows of the `total` in scope are more than 90% of them, and at
    least 100 (unless `force`)."""
    if not force and due >= MASS_MIN_ROWS and due > MASS_SHARE * total:
        raise RetentionRefused(
            f"would {what} {due} of {total} rows of {table} at once: the clock may have jumped ahead;"
            " nothing pruned (check the clock, then: python -m bot prune --force)"
        )


def _shown(when: _dt.datetime) -> str:
    return when.astimezone(_dt.UTC).isoformat(timespec="milliseconds")
