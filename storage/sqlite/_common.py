"""Conversions shared by the SQLite repositories, so every table stores times and JSON the same way.

Times are stored as ISO 8601 UTC text of a fixed width (``2025-01-31T20:30:00.000+00:00``): string order is
time order, SQLite's date functions read it, and ``datetime.fromisoformat`` reads it back.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any


def to_iso(when: _dt.datetime) -> str:
    """The stored form of an aware datetime; naive datetimes are refused because their zone is a guess."""
    if when.tzinfo is None:
        raise ValueError("naive datetime: pass an aware (UTC) datetime")
    return when.astimezone(_dt.UTC).isoformat(timespec="milliseconds")


def from_iso(text: str | None) -> _dt.datetime | None:
    """The aware datetime of a stored time, or None for a missing one."""
    return _dt.datetime.fromisoformat(text) if text else None


def dumps(value: Any) -> str:
    """JSON that stays readable in the sqlite3 shell (Persian is not escaped)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | None, default: Any = None) -> Any:
    """The value of stored JSON, or `default` when the column is empty."""
    return json.loads(text) if text else default
