"""The one owner of the PostgreSQL connection pool: opening, migrations, transactions, error translation.

Callers outside storage/ get this class from ``storage.open_database("postgresql://...")`` and see it only
as a ``storage.api.Store``. The repositories use ``db.write()`` (a transaction on a connection of the pool),
``db.fetchall()``, ``db.fetchone()`` and ``db.fetchval()``; nothing outside storage/postgres/ should.

Unlike SQLite, several processes (two bot instances, the staff console) write at once, and the server,
not an asyncio lock, keeps their transactions apart: a repository that reads and then writes takes a row
or advisory lock inside its transaction (requests.create locks the chat account), never an in-process
lock that another instance would not see. For the same reason nothing is cached between transactions.

asyncpg errors leave this module as the neutral errors of storage.api: a unique-key clash as Duplicate;
a lost connection, a lock not granted within the patience, a read-only or shutting-down server, a full
disk, a deadlock or serialization failure as StorageUnavailable; any other is a bug and stays as is.

Migrations are ``storage/postgres/migrations/NNNN_name.sql``, applied in order at open, each in its own
transaction together with its row in ``schema_migrations``, all under ``pg_advisory_lock`` so that two
instances starting at once migrate once (the second waits, then finds nothing left to do).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any, Self

import asyncpg

from storage.api import Clock, Duplicate, StorageUnavailable
from storage.postgres.audit import PostgresAudit
from storage.postgres.chats import PostgresChats
from storage.postgres.console import PostgresConsole
from storage.postgres.delivery import PostgresInbox, PostgresOutbox
from storage.postgres.desk import PostgresFeedback, PostgresTickets
from storage.postgres.drafts import PostgresDrafts
from storage.postgres.log import PostgresLog
from storage.postgres.lookups import PostgresLookups
from storage.postgres.requests import PostgresRequests
from storage.postgres.suggestions import PostgresSuggestions
from storage.postgres.versions import PostgresVersions

_MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
# The key of the advisory lock migrations run under ("khedmat" in ASCII): any constant would do, as long
# as every version of the bot uses the same one.
MIGRATION_LOCK = 0x6B6865646D6174

# SQLSTATE classes and codes that mean "the database cannot be used right now" rather than a bug in our SQL:
# connection exceptions, transaction rollbacks (deadlock, serialization), insufficient resources (disk
# full, too many connections), operator intervention (shutdown, statement cancelled), system errors (I/O).
_UNAVAILABLE_CLASSES = ("08", "40", "53", "57", "58")
_UNAVAILABLE_CODES = {"55P03", "25006", "28000", "28P01", "3D000"}  # lock not available, read-only, login, no db


def _is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.PostgresError):
        state = getattr(exc, "sqlstate", None) or ""
        return state[:2] in _UNAVAILABLE_CLASSES or state in _UNAVAILABLE_CODES
    # The socket went away, the pool had no connection within the patience, the pool is closing, or the
    # protocol lost its state when the server dropped the connection (the connection is then replaced).
    return isinstance(exc, OSError | TimeoutError | asyncpg.InterfaceError | asyncpg.InternalClientError)


def _connection_is_broken(exc: BaseException) -> bool:
    """True when the connection an error came from is not worth keeping (terminated by the server, socket
    gone, protocol state lost, or a query cancelled half way)."""
    cause = exc.__cause__ if isinstance(exc, StorageUnavailable) and exc.__cause__ is not None else exc
    if isinstance(cause, asyncpg.PostgresError):
        return (getattr(cause, "sqlstate", None) or "")[:2] in ("08", "57")
    return isinstance(cause, OSError | asyncpg.InterfaceError | asyncpg.InternalClientError | asyncio.CancelledError)


def translate(exc: BaseException) -> BaseException | None:
    """The neutral error for an asyncpg (or socket) error, or None when it is a bug to let through."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return Duplicate(str(exc))
    if _is_unavailable(exc):
        return StorageUnavailable(f"database unavailable: {type(exc).__name__}: {exc}")
    return None


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The migration files in version order; a gap or a repeated number is an error, not a silent skip."""
    found: list[Migration] = []
    for entry in resources.files("storage.postgres").joinpath("migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda mig: mig.version)
    if [mig.version for mig in found] != list(range(1, len(found) + 1)):
        names = ", ".join(mig.name for mig in found)
        raise RuntimeError(f"migrations must be numbered 0001, 0002, ... without gaps; found: {names}")
    return found


async def _schema_version(conn: asyncpg.Connection) -> int:
    if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return 0
    return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


class PostgresStore:
    """An open PostgreSQL database with its repositories (a storage.api.Store); create it with
    ``await PostgresStore.open(url)``."""

    requests: PostgresRequests
    drafts: PostgresDrafts
    chats: PostgresChats
    log: PostgresLog
    lookups: PostgresLookups
    inbox: PostgresInbox
    outbox: PostgresOutbox
    audit: PostgresAudit
    console: PostgresConsole
    suggestions: PostgresSuggestions
    tickets: PostgresTickets
    feedback: PostgresFeedback
    versions: PostgresVersions

    def __init__(self, pool: asyncpg.Pool, clock: Clock, patience: float) -> None:
        self._pool = pool
        self._clock = clock
        self._patience = patience
        self.monotonic: Callable[[], float] = time.monotonic if clock is _utc_now else (lambda: clock().timestamp())
        self._writers: set[asyncio.Task[Any]] = set()
        self.requests = PostgresRequests(self)
        self.drafts = PostgresDrafts(self)
        self.chats = PostgresChats(self)
        self.log = PostgresLog(self)
        self.lookups = PostgresLookups(self)
        self.inbox = PostgresInbox(self)
        self.outbox = PostgresOutbox(self)
        self.audit = PostgresAudit(self)
        self.console = PostgresConsole(self)
        self.suggestions = PostgresSuggestions(self)
        self.tickets = PostgresTickets(self)
        self.feedback = PostgresFeedback(self)
        self.versions = PostgresVersions(self)

    # -- life cycle ----------------------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        clock: Clock | None = None,
        patience: float = 5.0,
        migrations: Iterable[Migration] | None = None,
        max_connections: int = 10,
    ) -> Self:
        """Connects a pool to the database at `url` and migrates it.

        `patience` is how long a statement waits for a lock another transaction holds (lock_timeout) and
        how long a caller waits for a free connection before StorageUnavailable. Raises StorageUnavailable
        when the server cannot be reached or refuses the login.
        """
        settings = {
            "application_name": "khedmat-bot",
            "TimeZone": "UTC",
            "lock_timeout": str(max(1, int(patience * 1000))),
        }
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=max_connections, server_settings=settings, timeout=max(patience, 1.0),
            )
        except Exception as exc:
            neutral = translate(exc)
            if neutral is not None:
                raise neutral from exc
            raise
        db = cls(pool, clock or _utc_now, patience)
        try:
            await db._migrate(list(migrations) if migrations is not None else load_migrations())
        except BaseException as exc:
            await pool.close()
            neutral = translate(exc)
            if neutral is not None:
                raise neutral from exc
            raise
        return db

    async def _migrate(self, migrations: list[Migration]) -> None:
        latest = migrations[-1].version if migrations else 0
        async with self._pool.acquire() as conn:
            # Up to date: nothing to lock nor write (a read-only replica opens too).
            if await _schema_version(conn) == latest:
                return
            # Waiting for another instance's migration may take longer than a citizen's patience.
            await conn.execute("SET lock_timeout = 0")
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                )
                current = await _schema_version(conn)  # another instance may have migrated while we waited
                for migration in migrations:
                    if migration.version <= current:
                        continue
                    async with conn.transaction():
                        await conn.execute(migration.sql)
                        await conn.execute(
                            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                            migration.version, migration.name,
                        )
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
                await conn.execute("RESET lock_timeout")
        if current > latest:
            raise RuntimeError(
                f"the database has schema version {current}, newer than this code knows ({latest}); "
                "refusing to run an older bot on a newer database"
            )

    @asynccontextmanager
    async def alone(self, name: str) -> AsyncIterator[bool]:
        """True when this caller got the transaction-level advisory lock of `name` (no other instance is
        inside a block of that name), held on one connection of the pool until the block ends; a killed
        instance's lock goes with its connection (storage.api.Store.alone)."""
        async with self._acquire() as conn:
            try:
                transaction = conn.transaction()
                await transaction.start()
                mine = await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtextextended('alone:' || $1, 0))", name)
            except Exception as exc:
                neutral = translate(exc)
                if neutral is not None:
                    raise neutral from exc
                raise
            try:
                yield bool(mine)
            finally:
                with contextlib.suppress(Exception):
                    await transaction.rollback()  # nothing was written in it: ending it lets go of the lock

    async def check_writable(self) -> None:
        """Raises StorageUnavailable unless a write can be made now (the health check): a transaction that
        takes a row lock on the migrations table and writes nothing else (a read-only server, a lost
        connection or a lock held too long all fail it)."""
        async with self.write() as conn:
            await conn.execute("SELECT version FROM schema_migrations ORDER BY version DESC LIMIT 1 FOR UPDATE")

    async def forget_deleted(self) -> None:
        """After a retention pass: VACUUM the tables rows are deleted or anonymised from, so their space is
        reused by new rows. Best effort: PostgreSQL does not zero dead rows, and its WAL and backups keep
        them until they are recycled (that is the DBA's retention, not ours)."""
        tables = ("message_log", "drafts", "chat_state", "requests", "request_events", "inbox", "lookup_failures",
                  "tickets", "ticket_messages", "feedback")
        try:
            async with self._acquire() as conn:
                for table in tables:
                    await conn.execute(f"VACUUM {table}")
        except StorageUnavailable:
            pass

    async def close(self) -> None:
        """Writes buffered log rows, lets go of the accounts the inbox holds, then closes the pool (waiting
        for connections in use)."""
        await self.log.stop_buffering()
        await self.inbox.close()
        await self._pool.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- for the repositories ------------------------------------------------------------------------------

    async def session(self) -> asyncpg.Connection:
        """A connection of the pool for the caller to keep (its session-level advisory locks live as long as
        it does); give it back with `end_session`. StorageUnavailable when none is free within the patience."""
        try:
            return await self._pool.acquire(timeout=self._patience)
        except Exception as exc:
            neutral = translate(exc)
            if neutral is not None:
                raise neutral from exc
            raise

    @staticmethod
    def neutral(exc: BaseException) -> tuple[BaseException, bool]:
        """(the error to raise for `exc` — its neutral one, or itself when it is a bug —, whether the
        connection it came from is broken), for a repository working on a kept connection."""
        return translate(exc) or exc, _connection_is_broken(exc)

    async def end_session(self, conn: asyncpg.Connection, *, broken: bool = False) -> None:
        """Gives a kept connection back with its session locks released (a broken one is closed instead)."""
        try:
            if broken or conn.is_closed():
                conn.terminate()
            else:
                await conn.execute("SELECT pg_advisory_unlock_all()")
        except Exception:  # closed under us (the pool may have taken it back already)
            with contextlib.suppress(Exception):
                conn.terminate()
        with contextlib.suppress(Exception):
            await self._pool.release(conn)

    @staticmethod
    def session_alive(conn: asyncpg.Connection) -> bool:
        """Whether a kept connection still stands (its session locks with it)."""
        try:
            return not conn.is_closed()
        except Exception:  # given back to the pool when it closed
            return False

    def now(self) -> _dt.datetime:
        """The current time (aware, UTC) by the clock given at open, cut to milliseconds as on SQLite, so
        both backends hand back the same values."""
        now = self._clock().astimezone(_dt.UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    @asynccontextmanager
    async def _acquire(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            conn = await self._pool.acquire(timeout=self._patience)
        except Exception as exc:
            neutral = translate(exc)
            if neutral is not None:
                raise neutral from exc
            raise
        try:
            yield conn
        except BaseException as exc:
            if _connection_is_broken(exc):
                conn.terminate()  # the pool replaces it, instead of handing a dead socket to the next caller
            raise
        finally:
            await self._pool.release(conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[asyncpg.Connection]:
        """A transaction on one connection of the pool: committed if the block ends, rolled back if it raises.

        Opening a second write() inside the first, in the same task, would hold two connections and could
        wait for itself on a row lock, so it raises instead. Errors come out translated (see the module).
        """
        task = asyncio.current_task()
        if task is not None and task in self._writers:
            raise RuntimeError("write() is already open in this task: do the work in the same transaction")
        if task is not None:
            self._writers.add(task)
        try:
            async with self._acquire() as conn:
                try:
                    async with conn.transaction():
                        yield conn
                except Exception as exc:
                    neutral = translate(exc)
                    if neutral is not None:
                        raise neutral from exc
                    raise
        finally:
            if task is not None:
                self._writers.discard(task)

    async def _read(self, method: str, sql: str, params: Iterable[Any]) -> Any:
        async with self._acquire() as conn:
            try:
                return await getattr(conn, method)(sql, *params)
            except Exception as exc:
                neutral = translate(exc)
                if neutral is not None:
                    raise neutral from exc
                raise

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[asyncpg.Record]:
        """All rows of a read (placeholders $1, $2...)."""
        return await self._read("fetch", sql, params)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> asyncpg.Record | None:
        """The first row of a read, or None."""
        return await self._read("fetchrow", sql, params)

    async def fetchval(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """The first column of the first row of a read, or None."""
        return await self._read("fetchval", sql, params)

    # -- for tests and health checks -----------------------------------------------------------------------

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        return int(await self.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))
