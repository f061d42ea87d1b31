"""Moving a SQLite database to PostgreSQL (``python -m bot migrate-db --from sqlite:///... --to postgresql://...``).

Every table the two databases share is copied in primary-key order, in batches of one transaction each,
with ``INSERT ... ON CONFLICT DO NOTHING`` on the primary key: a run stopped half way is resumed by running
it again, and a finished run repeated copies nothing. Afterwards the identity sequences are moved past the
copied ids, and each table's row count and a checksum of its rows (values in a canonical text form, so
SQLite's ISO text and PostgreSQL's timestamptz of the same instant agree) are compared and reported.

Tables are found, not listed: a table another branch adds is copied as soon as both backends have it,
and one only SQLite has is reported as not copied. The target should be a fresh database, or one only
this tool has written to: rows a running bot wrote there could hold ids that SQLite's rows also use, and
those SQLite rows would be skipped (the checksums then say so).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.postgres.db import PostgresStore

# Parents before children (foreign keys); tables not named here follow in alphabetical order.
_ORDER = ["requests", "request_events", "drafts", "chat_state", "message_log", "lookup_failures", "staff_audit",
          "inbox", "outbox", "console_users", "console_sessions", "unanswered_handled", "knowledge_suggestions",
          "tickets", "ticket_messages", "desk_suggestions", "feedback"]
_SKIPPED = {"schema_migrations", "sqlite_sequence", "sqlite_stat1"}


@dataclass(frozen=True, slots=True)
class TableReport:
    table: str
    source_rows: int
    copied: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def matches(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


def _to_target(pg_type: str) -> Callable[[Any], Any]:
    """How a SQLite value becomes the value asyncpg sends for a column of `pg_type`."""
    if pg_type == "timestamp with time zone":
        return lambda v: None if v is None else _dt.datetime.fromisoformat(v).astimezone(_dt.UTC)
    if pg_type == "boolean":
        return lambda v: None if v is None else bool(v)
    if pg_type in ("bigint", "integer", "smallint"):
        return lambda v: None if v is None else int(v)
    if pg_type in ("double precision", "real", "numeric"):
        return lambda v: None if v is None else float(v)
    return lambda v: None if v is None else str(v)


def _canonical(pg_type: str, value: Any) -> str:
    """One value as text, the same for SQLite's and PostgreSQL's spelling of it."""
    if value is None:
        return "\\N"
    if pg_type == "timestamp with time zone":
        when = value if isinstance(value, _dt.datetime) else _dt.datetime.fromisoformat(value)
        return when.astimezone(_dt.UTC).isoformat(timespec="microseconds")
    if pg_type == "boolean":
        return "1" if value else "0"
    if pg_type in ("bigint", "integer", "smallint"):
        return str(int(value))
    if pg_type in ("double precision", "real", "numeric"):
        return repr(float(value))
    return str(value)


def _checksum(rows: Iterable[Iterable[str]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update("\x1f".join(row).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()[:16]


async def _target_tables(db: PostgresStore) -> dict[str, dict[str, str]]:
    rows = await db.fetchall(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    )
    tables: dict[str, dict[str, str]] = {}
    for row in rows:
        tables.setdefault(row["table_name"], {})[row["column_name"]] = row["data_type"]
    return tables


async def _primary_key(db: PostgresStore, table: str) -> list[str]:
    rows = await db.fetchall(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)",
        (table,),
    )
    return [row[0] for row in rows]


def _ordered(tables: Iterable[str]) -> list[str]:
    names = set(tables)
    return [t for t in _ORDER if t in names] + sorted(names - set(_ORDER))


async def copy_sqlite_to_postgres(
    source: Path, target: PostgresStore, *, batch: int = 1000, progress: Callable[[str], None] = lambda _: None,
) -> tuple[list[TableReport], list[str]]:
    """Copies every table `source` (a SQLite file, already migrated) shares with `target`; returns a report
    per table and the names of the SQLite tables PostgreSQL has no table for (not copied)."""
    # A one-off tool, alone on its event loop: blocking reads of the SQLite file cost no one anything.
    conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)  # noqa: ASYNC240
    try:
        sqlite_tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        sqlite_tables = [t for t in sqlite_tables if t not in _SKIPPED]
        target_tables = await _target_tables(target)
        # A table PostgreSQL does not have (a SQLite migration not ported yet) is a failure only when it
        # holds rows: nothing of an empty one is lost.
        missing = sorted(t for t in sqlite_tables if t not in target_tables
                         and conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() is not None)
        reports = []
        for table in _ordered(t for t in sqlite_tables if t in target_tables):
            reports.append(await _copy_table(conn, target, table, target_tables[table], batch, progress))
        return reports, missing
    finally:
        conn.close()


async def _copy_table(
    conn: sqlite3.Connection, target: PostgresStore, table: str, target_columns: dict[str, str], batch: int,
    progress: Callable[[str], None],
) -> TableReport:
    source_columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    columns = [c for c in source_columns if c in target_columns]
    key = await _primary_key(target, table) or columns
    types = [target_columns[c] for c in columns]
    convert = [_to_target(t) for t in types]
    quoted = ", ".join(f'"{c}"' for c in columns)
    order = ", ".join(f'"{c}"' for c in key)
    insert = (
        f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join(f"${i + 1}" for i in range(len(columns)))})'
        f" ON CONFLICT ({order}) DO NOTHING"
    )
    source_rows = copied = 0
    source_canonical: list[list[str]] = []
    cursor = conn.execute(f'SELECT {quoted} FROM "{table}" ORDER BY {order}')
    while chunk := cursor.fetchmany(batch):
        values = [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in chunk]
        async with target.write() as pg:
            before = await pg.fetchval(f'SELECT COUNT(*) FROM "{table}"')
            await pg.executemany(insert, values)
            copied += await pg.fetchval(f'SELECT COUNT(*) FROM "{table}"') - before
        source_rows += len(chunk)
        source_canonical.extend([_canonical(t, v) for t, v in zip(types, row, strict=True)] for row in chunk)
        progress(f"{table}: {source_rows} rows read")
    if "id" in target_columns and key == ["id"]:
        await target.fetchval(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL)"
            f' FROM "{table}"'
        )
    target_rows = await target.fetchall(f'SELECT {quoted} FROM "{table}" ORDER BY {order}')
    return TableReport(
        table=table,
        source_rows=source_rows,
        copied=copied,
        target_rows=len(target_rows),
        # Sorted as canonical text on both sides: SQLite orders text keys byte by byte, PostgreSQL by its
        # collation, so the rows of a perfect copy may come back in another order.
        source_checksum=_checksum(sorted(source_canonical)),
        target_checksum=_checksum(sorted([_canonical(t, v) for t, v in zip(types, row, strict=True)]
                                         for row in target_rows)),
    )
