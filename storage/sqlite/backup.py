"""An online, consistent copy of the SQLite database while the bot runs (`python -m bot backup FILE`).

SQLite's backup API copies the whole file in one step, inside one read transaction: in WAL mode the bot
keeps writing meanwhile, and the copy is the database as it stood at one instant (every transaction in
it whole, none half). The copy is written next to its target as `FILE.partial` (0600 from its first byte:
it holds national codes and mobiles), turned into a single self-contained file (rollback journal, no -wal),
checked with `PRAGMA integrity_check`, and only then renamed onto FILE.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from pathlib import Path

from storage.api import StorageUnavailable
from storage.records import BackupReport

BUSY_TIMEOUT_MS = 10_000  # a write transaction of the bot is short; the backup waits for its snapshot


def backup_file(source: Path, target: Path) -> BackupReport:
    """Copies the database at `source` to `target` (replaced if it exists); returns what the copy holds.
    Raises sqlite3.Error when the source cannot be read."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_name(target.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        src = sqlite3.connect(source, isolation_level=None)
        try:
            src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            dst = sqlite3.connect(partial, isolation_level=None)
            try:
                src.backup(dst)  # pages=-1: the whole database in one step, one consistent snapshot
                dst.execute("PRAGMA journal_mode = DELETE")  # one file: no -wal beside the copy
                integrity = dst.execute("PRAGMA integrity_check").fetchone()[0]
                version = dst.execute("PRAGMA user_version").fetchone()[0]
                tables = [r[0] for r in dst.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )]
                counts = {t: dst.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
            finally:
                dst.close()
        finally:
            src.close()
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    return BackupReport(str(target), integrity, int(version), counts, target.stat().st_size)


async def backup(source: Path, target: Path) -> BackupReport:
    """`backup_file` on a worker thread; an unreadable source raises StorageUnavailable."""
    try:
        return await asyncio.to_thread(backup_file, source, target)
    except sqlite3.Error as exc:
        raise StorageUnavailable(f"database unavailable: {exc}") from exc
