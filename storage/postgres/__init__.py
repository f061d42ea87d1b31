"""The PostgreSQL backend: a pool of asyncpg connections to a server that several bot instances and the
staff console share. Nothing outside storage/ imports this package: callers go through
``storage.open_database("postgresql://...")``.
"""

from storage.postgres.db import MIGRATION_LOCK, Migration, PostgresStore, load_migrations

__all__ = ["MIGRATION_LOCK", "Migration", "PostgresStore", "load_migrations"]
