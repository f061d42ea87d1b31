"""The one owner of the SQLite connection: opening, migrations, write transactions, error translation.

Callers outside storage/ get this class from ``storage.open_database`` and see it only as a
``storage.api.Store``; tests and tools that mean SQLite (pragmas, a read-only copy, injected migrations)
open it directly::

    db = await SqliteStore.open("data/bot.db")
    try:
        created = await db.requests.create(...)
    finally:
        await db.close()

or, equivalently, ``async with await SqliteStore.open(path) as db: ...``. Closing matters: aiosqlite runs
the connection on a thread that keeps the process alive until the connection is closed.

The repositories (``db.requests``, ``db.drafts``, ``db.chats``, ``db.log``, ``db.lookups``, ``db.audit``,
``db.tickets``, ``db.feedback``) use
``db.write()``, ``db.fetchall()`` and ``db.fetchone()``; nothing outside storage/sqlite/ should.

One connection is shared by every coroutine. Its statements run one at a time on aiosqlite's thread, but
a transaction spans several awaits, so write transactions are serialized by an ``asyncio.Lock``: without it
a second coroutine's statements would land inside the first one's transaction (and be rolled back with
it). Reads take no lock; the price is that a read made while a write transaction is open sees that
transaction's uncommitted rows. Other processes (an admin script) are kept out by SQLite's own locking,
with ``busy_timeout`` as the patience.

sqlite3 errors leave this module as the neutral errors of storage.api: "unavailable" ones as
StorageUnavailable, a unique-key clash that escapes a write as Duplicate; any other is a bug and stays as is.

Migrations are ``storage/sqlite/migrations/NNNN_name.sql``, applied in order at open, each in its own
transaction together with the ``PRAGMA user_version`` that records it, so a failed migration leaves the
previous version intact and a restart applies nothing twice. A migration file must not contain
BEGIN/COMMIT, and ``PRAGMA foreign_keys`` has no effect inside it (SQLite ignores it within a transaction).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Self

import aiosqlite

from storage.api import Clock, Duplicate, StorageUnavailable
from storage.sqlite.audit import SqliteAudit
from storage.sqlite.chats import SqliteChats
from storage.sqlite.console import SqliteConsole
from storage.sqlite.delivery import SqliteInbox, SqliteOutbox
from storage.sqlite.desk import SqliteFeedback, SqliteTickets
from storage.sqlite.drafts import SqliteDrafts
from storage.sqlite.log import SqliteLog
from storage.sqlite.lookups import SqliteLookups
from storage.sqlite.requests import SqliteRequests
from storage.sqlite.suggestions import SqliteSuggestions
from storage.sqlite.versions import SqliteVersions

# Primary result codes (https://www.sqlite.org/rescode.html) that mean "the database cannot be used right
# now", as opposed to a bug in our SQL: the citizen should be told to try again, not shown a crash.
_UNAVAILABLE_CODES = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PROTOCOL,
    sqlite3.SQLITE_NOTADB,
    sqlite3.SQLITE_CORRUPT,
}
_UNAVAILABLE_WORDS = ("database is locked", "readonly", "disk i/o", "unable to open", "disk is full")

_MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")


_UNIQUE_CODES = {sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY}


def _is_unavailable(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(
        exc, sqlite3.IntegrityError | sqlite3.ProgrammingError
    ):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and (code & 0xFF) in _UNAVAILABLE_CODES:
        return True
    message = str(exc).lower()
    return any(word in message for word in _UNAVAILABLE_WORDS)


def _unavailable(exc: BaseException) -> StorageUnavailable:
    return StorageUnavailable(f"database unavailable: {exc}")


def _is_duplicate(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.IntegrityError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code in _UNIQUE_CODES
    return "UNIQUE constraint failed" in str(exc)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The migration files in version order; a gap or a repeated number is an error, not a silent skip."""
    found: list[Migration] = []
    for entry in resources.files("storage.sqlite").joinpath("migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda mig: mig.version)
    expected = list(range(1, len(found) + 1))
    if [mig.version for mig in found] != expected:
        names = ", ".join(mig.name for mig in found)
        raise RuntimeError(f"migrations must be numbered 0001, 0002, ... without gaps; found: {names}")
    return found


def _make_private_folder(folder: Path) -> None:
    """Creates `folder` and its missing parents as 0700 (owner only); folders that exist are left alone."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for created in reversed(missing):
        with suppress(FileExistsError):
            created.mkdir(mode=0o700)
            created.chmod(0o700)  # mkdir's mode is cut by the umask; an odd umask could leave it unusable


def _create_private_file(path: Path) -> None:
    """Creates the database file empty and 0600 before SQLite does (SQLite would create it by the umask,
    usually 0644, readable by every local user, and gives its -wal and -shm files the same mode)."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _make_private(path: Path) -> None:
    """Takes group and other permissions away from the database file and its -wal / -shm companions (a file
    an older version created 0644, say), whatever the umask was."""
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with suppress(FileNotFoundError, PermissionError):
            if file.is_file():
                current = file.stat().st_mode & 0o777
                if current & 0o077:
                    file.chmod(current & 0o700)


def _probe(target: str, uri: bool) -> None:
    conn = sqlite3.connect(target, uri=uri)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    finally:
        conn.close()


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


class SqliteStore:
    """An open SQLite database with its repositories (a storage.api.Store); create it with
    ``await SqliteStore.open(path)``."""

    requests: SqliteRequests
    drafts: SqliteDrafts
    chats: SqliteChats
    log: SqliteLog
    lookups: SqliteLookups
    audit: SqliteAudit
    console: SqliteConsole
    suggestions: SqliteSuggestions
    tickets: SqliteTickets
    feedback: SqliteFeedback
    versions: SqliteVersions

    def __init__(
        self, conn: aiosqlite.Connection, path: str, clock: Clock, monotonic: Callable[[], float] | None = None
    ) -> None:
        self._conn = conn
        self.path = path
        self._clock = clock
        # Seconds on a clock that never jumps, for waits measured within the process (storage.sqlite.lookups).
        # A test's clock drives both, so moving it moves waits too.
        self.monotonic: Callable[[], float] = monotonic or (
            time.monotonic if clock is _utc_now else (lambda: clock().timestamp())
        )
        self._write_lock = asyncio.Lock()
        self._writer: asyncio.Task[Any] | None = None
        self.requests = SqliteRequests(self)
        self.drafts = SqliteDrafts(self)
        self.chats = SqliteChats(self)
        self.log = SqliteLog(self)
        self.lookups = SqliteLookups(self)
        self.inbox = SqliteInbox(self)
        self.outbox = SqliteOutbox(self)
        self.audit = SqliteAudit(self)
        self.console = SqliteConsole(self)
        self.suggestions = SqliteSuggestions(self)
        self.tickets = SqliteTickets(self)
        self.feedback = SqliteFeedback(self)
        self.versions = SqliteVersions(self)

    # -- life cycle ----------------------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        read_only: bool = False,
        clock: Clock | None = None,
        busy_timeout_ms: int = 5000,
        migrations: Iterable[Migration] | None = None,
    ) -> Self:
        """Opens (creating it and its folder if needed) and migrates the database at `path`.

        `read_only` opens the file without write access (reports, or a copy taken for inspection); a write
        then raises StorageUnavailable, as it would on a disk remounted read-only. `clock` returns an aware
        datetime and replaces the wall clock in tests. Raises StorageUnavailable if the file cannot be
        opened or migrated.

        The database holds national codes, mobiles and names: folders created here are 0700, the file and
        its -wal / -shm companions 0600 (owner only), whatever the umask, also when an older version left
        them readable.
        """
        path = Path(path)
        if read_only:
            target, uri = f"{path.resolve().as_uri()}?mode=ro", True
        else:
            try:
                _make_private_folder(path.parent)
                _create_private_file(path)
            except OSError as exc:
                raise StorageUnavailable(f"database unavailable: {exc}") from exc
            target, uri = str(path), False
        try:
            # A file that cannot be opened is found out here, on a short-lived plain connection: when
            # aiosqlite's own connect fails, its worker thread outlives the call and reports to a loop that
            # may be gone.
            await asyncio.to_thread(_probe, target, uri)
            # autocommit=True: sqlite3 opens no transaction behind our back and executescript() does not
            # commit one; every BEGIN/COMMIT/ROLLBACK is ours, in write().
            conn = await aiosqlite.connect(target, uri=uri, autocommit=True)
        except sqlite3.Error as exc:
            raise _unavailable(exc) from exc
        conn.row_factory = sqlite3.Row
        db = cls(conn, str(path), clock or _utc_now)
        try:
            await db._configure(busy_timeout_ms, read_only)
            if not read_only:
                await asyncio.to_thread(_make_private, path)  # after WAL mode made the -wal and -shm files
            await db._migrate(list(migrations) if migrations is not None else load_migrations())
        except BaseException as exc:
            await conn.close()
            if _is_unavailable(exc):
                raise _unavailable(exc) from exc
            raise
        return db

    async def _configure(self, busy_timeout_ms: int, read_only: bool) -> None:
        # busy_timeout first: switching to WAL needs a lock another process may hold for a moment.
        await self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if not read_only:
            # WAL lets readers (an admin report) run while the bot writes; NORMAL is durable across an
            # application crash and loses at most the last commits on power loss, which WAL keeps consistent.
            await self._conn.execute("PRAGMA journal_mode = WAL")
            await self._conn.execute("PRAGMA synchronous = NORMAL")
        await self._conn.execute("PRAGMA foreign_keys = ON")
        # Deleted rows (pruned logs, anonymised requests) are overwritten with zeros, not left in free pages
        # for anyone with the file to read back.
        await self._conn.execute("PRAGMA secure_delete = ON")

    async def _migrate(self, migrations: list[Migration]) -> None:
        latest = migrations[-1].version if migrations else 0
        current = await self.schema_version()
        if current > latest:
            raise RuntimeError(
                f"{self.path} has schema version {current}, newer than this code knows ({latest}); "
                "refusing to run an older bot on a newer database"
            )
        for migration in migrations:
            if migration.version <= current:
                continue
            async with self.write() as conn:
                # Another process may have migrated while we waited for the write lock.
                rows = await conn.execute_fetchall("PRAGMA user_version")
                if rows[0][0] >= migration.version:
                    continue
                await conn.executescript(migration.sql)
                await conn.execute(f"PRAGMA user_version = {migration.version}")

    @asynccontextmanager
    async def alone(self, name: str) -> AsyncIterator[bool]:
        """Always True: one process serves a SQLite file (storage.api.Store.alone)."""
        yield True

    async def check_writable(self) -> None:
        """Raises StorageUnavailable unless a write can be made now: a transaction that writes the schema
        version back unchanged, the smallest write that reaches the file (a read-only file, a full or
        failing disk, a lock held too long all fail it)."""
        async with self.write() as conn:
            rows = await conn.execute_fetchall("PRAGMA user_version")
            await conn.execute(f"PRAGMA user_version = {int(rows[0][0])}")

    async def forget_deleted(self) -> None:
        """After a retention pass: copies the zeroed pages (secure_delete) into the database file and
        empties the -wal file, which still holds the pages as they were before the deletion. Best effort: a
        reader holding an old snapshot keeps the -wal until the next pass."""
        async with self._write_lock:
            with suppress(sqlite3.Error):
                await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        """Writes buffered log rows, waits for the write in progress, then closes the connection and stops
        its thread."""
        await self.log.stop_buffering()
        async with self._write_lock:
            await self._conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- for the repositories ------------------------------------------------------------------------------

    def now(self) -> _dt.datetime:
        """The current time (aware, UTC) by the clock given at open; repositories use nothing else.

        Cut to milliseconds, the precision stored, so a value returned to a caller equals the one read back.
        """
        now = self._clock().astimezone(_dt.UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed if the block ends, rolled back if it raises.

        IMMEDIATE takes SQLite's write lock at the start, so a read-then-write inside the block cannot be
        overtaken by another process. The asyncio lock keeps other coroutines' writes out of the block.
        Opening a second write() inside the first would wait for itself forever, so it raises instead.
        SQLite errors meaning "unavailable" come out as StorageUnavailable, after the rollback.
        """
        task = asyncio.current_task()
        if task is not None and self._writer is task:
            raise RuntimeError("write() is already open in this task: do the work in the same transaction")
        async with self._write_lock:
            self._writer = task
            try:
                try:
                    await self._conn.execute("BEGIN IMMEDIATE")
                except asyncio.CancelledError:
                    # The BEGIN was already queued on the connection's thread and runs anyway: close that
                    # transaction (still holding the lock) or every later write would find it open.
                    with suppress(sqlite3.Error):
                        await asyncio.shield(self._conn.execute("ROLLBACK"))
                    raise
                except sqlite3.Error as exc:
                    if _is_unavailable(exc):
                        raise _unavailable(exc) from exc
                    raise
                try:
                    yield self._conn
                    await self._conn.execute("COMMIT")
                except BaseException as exc:
                    # Queued on the connection's thread even if this task is being cancelled, so the next
                    # BEGIN never finds this transaction still open. Some errors (disk full, I/O) have
                    # already rolled back, so "no transaction is active" is fine.
                    with suppress(sqlite3.Error):
                        await self._conn.execute("ROLLBACK")
                    if _is_unavailable(exc):
                        raise _unavailable(exc) from exc
                    if _is_duplicate(exc):
                        raise Duplicate(str(exc)) from exc
                    raise
            finally:
                self._writer = None

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """All rows of a read; the statement is finished before returning, so nothing stays pending."""
        try:
            return list(await self._conn.execute_fetchall(sql, tuple(params)))
        except sqlite3.Error as exc:
            if _is_unavailable(exc):
                raise _unavailable(exc) from exc
            raise

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        """The first row of a read, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    # -- for tests and health checks -----------------------------------------------------------------------

    async def schema_version(self) -> int:
        """The number of the last migration applied (``PRAGMA user_version``)."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def pragma(self, name: str) -> Any:
        """The value of a read-only PRAGMA such as ``journal_mode`` or ``foreign_keys``."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a pragma name: {name!r}")
        row = await self.fetchone(f"PRAGMA {name}")
        return row[0] if row else None
