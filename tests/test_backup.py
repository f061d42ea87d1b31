"""`python -m bot backup FILE`: an online copy through SQLite's backup API while the bot writes. The copy
must pass `PRAGMA integrity_check`, hold whole transactions only (never half of one), hold at least what
was committed before the backup started and no more than what was committed by its end, be readable by
the bot (same schema), and be readable by its owner only.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.cli import main
from storage import StorageUnavailable, backup_database, open_database

BATCH = 10  # updates stored by one transaction of the writer


def count(path: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


async def test_a_backup_under_write_load_is_consistent_and_complete(tmp_path: Path) -> None:
    source, target = tmp_path / "bot.db", tmp_path / "backups" / "bot-copy.db"
    db = await open_database(source)
    stop, loaded = asyncio.Event(), asyncio.Event()
    written = 0

    async def write_load() -> None:
        nonlocal written
        while not stop.is_set():
            batch = [(written + k, f'{{"update_id": {written + k}}}') for k in range(BATCH)]
            await db.inbox.add("telegram", batch)  # one transaction of BATCH rows
            written += BATCH
            if written >= 3000:
                loaded.set()
            if written % 200 == 0:
                await db.requests.create("13011031101", "telegram", written, written, None, None, {})
            await asyncio.sleep(0)

    try:
        writer = asyncio.create_task(write_load())
        await loaded.wait()  # a database with something in it, and a writer in full swing
        before = written
        report = await backup_database(source, target)
        after = written
        stop.set()
        await writer
        assert after > before, "nothing was written while the backup ran"
    finally:
        await db.close()

    assert report.ok and report.integrity == "ok"
    rows = count(target, "inbox")
    assert report.rows["inbox"] == rows
    assert before <= rows <= after and rows % BATCH == 0  # whole transactions, from one instant
    assert count(target, "requests") == report.rows["requests"] > 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not (tmp_path / "backups" / "bot-copy.db.partial").exists()
    assert not Path(f"{target}-wal").exists()  # noqa: ASYNC240 - one self-contained file
    copy = await open_database(target)  # the bot can run on it (a restore)
    try:
        assert await copy.inbox.last_update_id("telegram") == rows - 1
    finally:
        await copy.close()
    print(f"backup under load: {before} rows before, {rows} in the copy, {after} at its end")


async def test_the_backup_command_copies_the_database_beside_a_running_writer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = tmp_path / "bot.db", tmp_path / "copy.db"
    db = await open_database(source)
    try:
        await db.inbox.add("telegram", [(1, "{}")])
        status = await asyncio.to_thread(main, ["backup", str(target), "--database", str(source)])
    finally:
        await db.close()
    out = capsys.readouterr().out
    assert status == 0 and out.startswith(f"✔ {target}") and "integrity ok" in out and "inbox 1" in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    target.write_bytes(b"old backup")  # an older copy is replaced
    assert await asyncio.to_thread(main, ["backup", str(target), "--database", str(source)]) == 0
    assert count(target, "inbox") == 1


def test_a_backup_of_no_database_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup", str(tmp_path / "copy.db"), "--database", str(tmp_path / "none.db")]) == 2
    assert "none.db" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "copy.db").exists()


async def test_a_backup_of_a_damaged_file_fails_and_leaves_no_copy(tmp_path: Path) -> None:
    (tmp_path / "broken.db").write_bytes(b"this is no database at all, just bytes " * 200)
    with pytest.raises(StorageUnavailable):
        await backup_database(tmp_path / "broken.db", tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists() and not (tmp_path / "copy.db.partial").exists()
