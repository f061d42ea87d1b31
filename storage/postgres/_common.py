"""Conversions shared by the PostgreSQL repositories. Times need none (asyncpg maps timestamptz to aware
datetimes both ways); JSON columns are `json`, sent and read as text, so the text is kept as written."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> str:
    """JSON that stays readable in psql (Persian is not escaped), byte for byte what SQLite stores."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | None, default: Any = None) -> Any:
    """The value of stored JSON, or `default` when the column is empty."""
    return json.loads(text) if text else default


class Params:
    """The positional parameters of a statement built piece by piece: ``p(value)`` keeps the value and
    returns its placeholder ("$3"), so conditions can be added in any order without counting."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"
