"""Persistence behind a seam: callers get a `Store` from a URL and see only the protocols of storage.api,
the values of storage.records and the backend-neutral rules (storage.requests, .tracking, .masking).

    db = await open_database(settings.database)      # "data/bot.db", "sqlite:///data/bot.db", "postgresql://..."
    try:
        created = await db.requests.create(...)
    finally:
        await db.close()

The URL picks the backend, so moving to another database is a setting, not a code change: SQLite
(storage/sqlite/, a file beside the bot) or PostgreSQL (storage/postgres/, a server several instances
share). A backend is imported when first opened, so the rules can be used without either driver.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from storage.api import (
    AuditRepo,
    BackendNotAvailable,
    ChatsRepo,
    Clock,
    ConsoleRepo,
    DraftsRepo,
    Duplicate,
    FeedbackRepo,
    KnowledgeVersionsRepo,
    LogRepo,
    LookupsRepo,
    RequestLimitReached,
    RequestNotFound,
    RequestsRepo,
    RetentionRefused,
    StorageError,
    StorageUnavailable,
    Store,
    SuggestionsRepo,
    TicketsRepo,
)
from storage.masking import mask_personal_data
from storage.records import (
    CONSOLE_ROLES,
    AuditEntry,
    BackupReport,
    ChatState,
    ConsoleSession,
    ConsoleUser,
    ConversationSummary,
    CreatedRequest,
    DayStats,
    DeskSuggestion,
    Draft,
    FeedbackCount,
    KnowledgeVersion,
    LogEntry,
    Request,
    RequestEvent,
    StatusNotice,
    Suggestion,
    Ticket,
    TicketMessage,
    UnansweredQuestion,
)
from storage.requests import OPEN_STATUSES, STATUS_LABELS, STATUSES
from storage.tracking import is_well_formed, normalize_tracking_code

_POSTGRES_SCHEMES = {"postgres", "postgresql"}


def _sqlite_path(url: str | Path) -> Path | None:
    """The file of a SQLite database URL or plain path, None for a server database (PostgreSQL).

    ``sqlite:///data/bot.db`` is relative (to the working folder), ``sqlite:////var/lib/bot.db`` absolute,
    as in SQLAlchemy. Raises ValueError for a URL that names no backend we know.
    """
    if isinstance(url, Path):
        return url
    if "://" not in url:
        return Path(url)  # exactly as before URLs were accepted
    text = url.strip()
    scheme = text.split("://", 1)[0].lower()
    if scheme.split("+", 1)[0] in _POSTGRES_SCHEMES:
        return None
    if scheme != "sqlite":
        # Only the scheme is repeated: the rest of a URL may hold a password.
        raise ValueError(
            f"unknown database URL scheme {scheme!r}: use a SQLite file path, sqlite:///relative/path, "
            "sqlite:////absolute/path or postgresql://user:password@host/database"
        )
    parts = urlsplit(text)
    if parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"a SQLite URL is sqlite:///path (no host, no options), not {text!r}")
    path = unquote(parts.path)[1:]  # the slash after the empty host is not part of the path
    if not path:
        raise ValueError(f"the SQLite URL {text!r} names no file")
    return Path(path)


def _postgres_dsn(url: str) -> str:
    """The URL asyncpg understands: ``postgresql+asyncpg://`` (SQLAlchemy's spelling) becomes ``postgresql://``."""
    scheme, rest = url.strip().split("://", 1)
    return f"postgresql://{rest}" if scheme.lower().split("+", 1)[0] in _POSTGRES_SCHEMES else url


async def open_database(url: str | Path, *, clock: Clock | None = None, patience: float = 5.0) -> Store:
    """Opens (creating it if needed) and migrates the database named by `url`: a plain path or
    ``sqlite:///path`` for SQLite, ``postgresql://user:password@host/database`` for PostgreSQL (the database
    must exist; its tables are created), anything else ValueError. Raises StorageUnavailable if the database
    cannot be opened. `clock` replaces the wall clock (tests). `patience` is how many seconds a write waits
    for a lock another process holds before it fails with StorageUnavailable: the serving bot keeps it
    short, so a citizen is told at once."""
    path = _sqlite_path(url)
    if path is None:
        from storage.postgres import PostgresStore

        return await PostgresStore.open(_postgres_dsn(str(url)), clock=clock, patience=patience)
    from storage.sqlite import SqliteStore

    return await SqliteStore.open(path, clock=clock, busy_timeout_ms=int(patience * 1000))


async def backup_database(url: str | Path, target: Path) -> BackupReport:
    """An online, consistent copy of the database named by `url` in the file `target` (owner-only), made
    while the bot may be writing; raises StorageUnavailable when the database cannot be read, and
    FileNotFoundError when there is none."""
    path = _sqlite_path(url)
    if path is None:
        raise ValueError("backup copies a SQLite database; back a PostgreSQL one up with pg_dump (README)")
    if not path.exists():
        raise FileNotFoundError(str(path))
    from storage.sqlite.backup import backup

    return await backup(path, Path(target))


async def copy_database(source: str | Path, target: str, *, batch: int = 1000):
    """Copies every table of the SQLite database `source` into the PostgreSQL database `target` (see
    storage/postgres/transfer.py: idempotent, resumable); returns (a report per table, the SQLite tables
    PostgreSQL has no table for). Raises ValueError for URLs of the wrong backends or a missing source file,
    StorageUnavailable when a database cannot be opened."""
    path, target_path = _sqlite_path(source), _sqlite_path(target)
    if path is None or target_path is not None:
        raise ValueError("migrate-db copies from a SQLite database (--from) to a PostgreSQL one (--to)")
    if not path.is_file():
        raise ValueError(f"no SQLite database at {path}")
    from storage.postgres import PostgresStore
    from storage.postgres.transfer import copy_sqlite_to_postgres
    from storage.sqlite import SqliteStore

    async with await SqliteStore.open(path):  # the source at the latest schema, so every column is there
        pass
    async with await PostgresStore.open(_postgres_dsn(target), patience=30) as db:
        return await copy_sqlite_to_postgres(path, db, batch=batch)


def database_exists(url: str | Path) -> bool:
    """True if the database named by `url` is already there (tools that must not create an empty one).
    A PostgreSQL database always counts as there: the server owns it, and opening it creates no file."""
    path = _sqlite_path(url)
    return True if path is None else path.exists()


__all__ = [
    "CONSOLE_ROLES",
    "OPEN_STATUSES",
    "STATUSES",
    "STATUS_LABELS",
    "AuditEntry",
    "AuditRepo",
    "BackendNotAvailable",
    "BackupReport",
    "ChatState",
    "ChatsRepo",
    "Clock",
    "ConsoleRepo",
    "ConsoleSession",
    "ConsoleUser",
    "ConversationSummary",
    "CreatedRequest",
    "DayStats",
    "DeskSuggestion",
    "Draft",
    "DraftsRepo",
    "Duplicate",
    "FeedbackCount",
    "FeedbackRepo",
    "KnowledgeVersion",
    "KnowledgeVersionsRepo",
    "LogEntry",
    "LogRepo",
    "LookupsRepo",
    "Request",
    "RequestEvent",
    "RequestLimitReached",
    "RequestNotFound",
    "RequestsRepo",
    "RetentionRefused",
    "StatusNotice",
    "StorageError",
    "StorageUnavailable",
    "Store",
    "Suggestion",
    "SuggestionsRepo",
    "Ticket",
    "TicketMessage",
    "TicketsRepo",
    "UnansweredQuestion",
    "backup_database",


    "copy_database",
    "database_exists",
    "is_well_formed",
    "mask_personal_data",
    "normalize_tracking_code",
    "open_database",
]
