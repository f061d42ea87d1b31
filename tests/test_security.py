"""The security audit ("Personal data, delivery guarantees and hostile staff-side input"), one section per
finding: each test reproduces the attack or the fault as it was found, and checks the fix.

Staff commands run in-process through `bot.cli.main` (the same code as `python -m bot`, without the cost of
a process per call); what a person would see is read from stdout and stderr.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli
from storage.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
KARA = "13011031101"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def database_files(folder: Path, mode_to: int | None = None) -> dict[str, int]:
    """The modes of the database file and its -wal / -shm; with `mode_to`, set to that first."""
    files = sorted(folder.glob("bot.db*"))
    if mode_to is not None:
        for f in files:
            f.chmod(mode_to)
    return {f.name: mode(f) for f in files}


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask most machines start with (0o022): new files readable by every local user."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database: Path,
            *args: str) -> tuple[int, str, str]:
    """`python -m bot ARGS` in this process, on `database`; returns (exit code, stdout, stderr). The umask
    the command sets is put back afterwards."""
    for name in list(os.environ):
        if name.startswith("BOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BOT_DATABASE", str(database))
    monkeypatch.chdir(database.parent)  # no .env of the developer's
    capsys.readouterr()
    old = os.umask(0o022)
    os.umask(old)
    try:
        code = cli.main(list(args))
    finally:
        os.umask(old)
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------------------------------
# 1. Personal data readable by any local user
# --------------------------------------------------------------------------------------------------


async def test_the_database_its_folder_and_its_wal_files_are_private(tmp_path: Path, loose_umask: None) -> None:
    path = tmp_path / "data" / "nested" / "bot.db"
    db = await SqliteStore.open(path)
    try:
        await db.drafts.save("telegram", 1, KARA, 0, {"national_code": "4271302481"})
        files = [path, path.with_name("bot.db-wal"), path.with_name("bot.db-shm")]
        assert all(f.exists() for f in files)
        assert {str(f.name): mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(tmp_path / "data") == mode(tmp_path / "data" / "nested") == 0o700
    finally:
        await db.close()


async def test_a_database_left_readable_by_an_older_version_is_made_private_at_open(
    tmp_path: Path, loose_umask: None
) -> None:
    path = tmp_path / "bot.db"
    async with await SqliteStore.open(path):
        pass
    assert set(database_files(tmp_path, 0o644).values()) == {0o644}
    async with await SqliteStore.open(path) as db:
        await db.log.add("telegram", 1, 1, "in", "سلام")
        found = database_files(tmp_path)
        assert len(found) == 3 and set(found.values()) == {0o600}


def test_an_export_is_private_even_over_an_older_readable_file(
    tmp_path: Path, loose_umask: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "bot.db"

    async def create() -> None:
        async with await SqliteStore.open(database) as db:
            await db.requests.create(KARA, "telegram", 1, 1, "4271302481", "09357246813", {"full_name": "مریم احمدی"})

    asyncio.run(create())
    new = tmp_path / "exports" / "requests.csv"
    old = tmp_path / "old.csv"
    old.write_text("x", encoding="utf-8")
    old.chmod(0o644)
    for target in (new, old):
        code, _, err = run_cli(monkeypatch, capsys, database, "export", "requests", "--out", str(target),
                               "--with-personal-data")
        assert code == 0, err
        assert mode(target) == 0o600
    assert mode(tmp_path / "exports") == 0o700


@pytest.mark.parametrize("command", [["stats"], ["requests", "list"], ["logs"]])
def test_every_command_on_the_database_runs_with_a_private_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    database = tmp_path / "bot.db"

    async def create() -> None:
        async with await SqliteStore.open(database):
            pass

    asyncio.run(create())
    seen: list[int] = []
    real_main = cli.cmd_staff

    async def spy(args, settings):  # the umask while the command works
        current = os.umask(0)
        os.umask(current)
        seen.append(current)
        return await real_main(args, settings)

    monkeypatch.setattr(cli, "cmd_staff", spy)
    code, _, err = run_cli(monkeypatch, capsys, database, *command)
    assert code == 0, err
    assert seen == [0o077]
