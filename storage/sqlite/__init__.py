"""The SQLite backend: one file, one aiosqlite connection, WAL so staff tools can read beside the bot.

Nothing outside storage/ imports this package: callers go through ``storage.open_database``. Tests that
mean SQLite itself (pragmas, read-only copies, injected migrations, raw SQL) use SqliteStore directly.
"""

from storage.sqlite.db import Migration, SqliteStore, load_migrations

__all__ = ["Migration", "SqliteStore", "load_migrations"]
