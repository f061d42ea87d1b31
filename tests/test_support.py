"""Support staff and admin tools, as the people who use them see them.

Admins talk to the real bot (`build_application` polling the fake peer): /stats, /unanswered and /reload
answer them and nobody else. Staff run `python -m bot ...` as a real process against the bot's SQLite file,
while the bot runs beside it: logs, requests (with status changes that reach the citizen), stats, export.
The conversation log is checked in the database file itself: no national code or mobile in any row.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import os
import shutil
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jdatetime
import pytest

from bot import texts as T
from bot.dialogue.registration import retention
from bot.identifiers import LRM
from bot.persian import jalali_date, jalali_datetime, to_persian_digits
from bot.settings import Settings
from handlers import notices
from handlers.fakeapi import BotApiPeer
from handlers.notices import prune
from storage import Store, open_database
from storage.masking import mask_personal_data
from storage.requests import MSG_FINAL_STATUS, MSG_NOT_FOUND, MSG_UNKNOWN_STATUS, STATUSES
from tests.support.botchat import Chat, RunningBot, labels, running_app, title_line
from tests.support.clock import FakeClock

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"

USER, NEIGHBOUR, ADMIN = 5151, 5152, 9001
KARA_ID = "13011031101"
KARA = "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"
MUNICIPAL = "آموزش شهرداران و شوراها با هدف آشنایی با آیین‌نامه‌ها و دستورالعمل‌ها"
CLUSTERS = "شناسایی، راهبری و حمایت از توسعه خوشه‌های کسب‌وکار"
SERVICE_COUNT = to_persian_digits(len(list((KNOWLEDGE / "services").glob("*.yaml"))))

NATIONAL_CODE = "4271302481"  # a valid check digit
MOBILE = "09357246813"
OTHER_NATIONAL_CODE = "0023456787"
OTHER_MOBILE = "09121112233"

TEHRAN = dt.timezone(dt.timedelta(hours=3, minutes=30))
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

Message = dict[str, Any]


# --------------------------------------------------------------------------------------------------
# The running bot and the people who talk to it
# --------------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running_bot(
    tmp_path: Path, *, platform: str = "telegram", clock: FakeClock | None = None, **settings: Any
) -> AsyncIterator[RunningBot]:
    """The real bot (tests.support.botchat.running_app, with post_init as serve() runs it) on its own
    database file, with no admin unless the test names one; no handler may fail."""
    settings.setdefault("admin_ids", frozenset())
    async with running_app(BotApiPeer(platform), tmp_path / "bot.db", clock=clock, **settings) as bot:
        yield bot
    assert bot.errors == [], f"a handler failed: {bot.errors!r}"


def knowledge_copy(tmp_path: Path) -> Path:
    """A knowledge directory an admin can edit (and break) during the test."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


def add_alias(knowledge: Path, file: str, alias: str) -> None:
    path = knowledge / "services" / file
    text = path.read_text(encoding="utf-8")
    assert "\naliases:\n" in text
    path.write_text(text.replace("\naliases:\n", f"\naliases:\n  - {alias}\n", 1), encoding="utf-8")


async def register(person: Chat, national_code: str, mobile: str, *, contact: str | None = None) -> str:
    """Registers for وام کارا through the chat (the default form); `contact`, if given, replaces the typed
    mobile from the summary with the share-contact button. Returns the tracking code shown."""
    card = (await person.send("وام کارا"))[-1]
    assert title_line(card) == KARA
    _intro, question = await person.tap(T.BTN_REGISTER)
    assert "پرسش ۱ از ۴" in question["plain"]
    assert "پرسش ۲ از ۴" in (await person.answer("مریم احمدی"))["plain"]
    assert "پرسش ۳ از ۴" in (await person.answer(national_code))["plain"]
    saved, _province = await person.send(mobile)
    assert saved["plain"].startswith(T.FORM_SAVED.format(label="شماره همراه", value=""))
    summary = await person.answer("تهران")
    assert summary["plain"].startswith(T.FORM_SUMMARY.format(title=KARA))
    if contact is not None:
        assert "شماره همراه" in (await person.tap(T.FORM_EDIT.format(label="شماره همراه")))[-1]["plain"]
        saved, summary = await person.share_contact(contact)
        assert saved["plain"].startswith(T.FORM_SAVED.format(label="شماره همراه", value=""))
        assert summary["plain"].startswith(T.FORM_SUMMARY.format(title=KARA))
    [registered] = await person.tap(T.FORM_CONFIRM)
    assert registered["plain"].startswith(T.REGISTERED.split("{title}")[0])
    code_line = next(line for line in registered["plain"].splitlines() if line.startswith("کد رهگیری: "))
    return code_line.removeprefix("کد رهگیری: ").translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))


# --------------------------------------------------------------------------------------------------
# Staff tools as processes
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


async def staff(database: Path, *args: str, timeout: float = 30) -> Run:  # noqa: ASYNC109
    """`python -m bot ARGS` with BOT_DATABASE pointing at the bot's file, as support staff run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_DATABASE=str(database), PYTHONIOENCODING="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return Run(process.returncode or 0, out.decode("utf-8"), err.decode("utf-8"))


def jalali(day: dt.date, digits: str = "latin") -> str:
    """A day as staff type it: «1405/08/30» or «۱۴۰۵/۰۸/۳۰»."""
    j = jdatetime.date.fromgregorian(date=day)
    text = f"{j.year}/{j.month:02d}/{j.day:02d}"
    return to_persian_digits(text) if digits == "persian" else text


def digits_of(value: object) -> str:
    """Every decimal digit of a value in ASCII, whatever its script and whatever stands between them."""
    return "".join(str(int(ch)) for ch in str(value) if ch.isdecimal())


def spellings(number: str) -> list[str]:
    """A number as a citizen may have typed it: three digit scripts, whole or in groups."""
    grouped = f"{number[:4]} {number[4:7]} {number[7:]}" if number.startswith("09") else (
        f"{number[:3]} {number[3:9]} {number[9:]}"
    )
    return [form.translate(script) for form in (number, grouped) for script in ({}, PERSIAN, ARABIC)]


def personal_data_in(rows: list[tuple[Any, ...]], numbers: list[str]) -> list[str]:
    """The cells that show one of `numbers`, literally in any spelling or digit by digit (a mobile also
    without its leading zero)."""
    bad = []
    for row in rows:
        for cell in row:
            text = "" if cell is None else str(cell)
            literal = any(form in text for n in numbers for form in spellings(n))
            hidden = any(n in digits_of(text) or n[1:] in digits_of(text) for n in numbers)
            if literal or hidden:
                bad.append(text)
    return bad


def message_log(database: Path) -> list[sqlite3.Row]:
    """The whole message_log table, read straight from the file."""
    conn = sqlite3.connect(database)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM message_log ORDER BY id").fetchall()
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------------
# 1. Admin commands: for admins only, invisible to everyone else
# --------------------------------------------------------------------------------------------------


def shown(message: Message) -> tuple[Any, ...]:
    """What a person sees of a message: its text as sent and as read, and its keyboard."""
    return message["text"], message["plain"], message["reply_markup"]


@pytest.mark.parametrize("platform", ["telegram", "bale"])
async def test_admin_commands_answer_anyone_else_like_an_unknown_command(tmp_path: Path, platform: str) -> None:
    knowledge = knowledge_copy(tmp_path)
    async with running_bot(tmp_path, platform=platform, knowledge_dir=knowledge,
                           admin_ids=frozenset({ADMIN})) as bot:
        citizen, admin = bot.citizen(USER), bot.citizen(ADMIN)
        unknown = shown(await citizen.answer("/foo"))
        assert unknown[1] == T.UNKNOWN_COMMAND

        add_alias(knowledge, f"{KARA_ID}.yaml", "طرح هدهد")  # a reload would make this query match
        for command in ("/stats", "/unanswered", "/reload"):
            assert shown(await citizen.answer(command)) == unknown, command
        not_found = await citizen.answer("طرح هدهد")
        assert not_found["plain"].startswith("متأسفانه خدمتی با «طرح هدهد»")  # the reload did not happen

        stats = (await admin.answer("/stats"))["plain"].splitlines()
        assert stats[0].strip("*") == T.ADMIN_STATS_TITLE.format(days="۷")
        today = T.ADMIN_STATS_DAY.format(day=jalali_date(dt.datetime.now(TEHRAN)), incoming="۵", users="۱",
                                         unanswered="۱")  # the citizen's five messages, «طرح هدهد» unanswered
        assert stats[7] == today
        assert stats[8:10] == ["", T.ADMIN_TOP_SERVICES] and stats[-3:] == ["", T.ADMIN_REQUESTS, T.ADMIN_NONE]
        unanswered = (await admin.answer("/unanswered"))["plain"]
        assert unanswered.strip("*").startswith(T.ADMIN_UNANSWERED_TITLE)
        assert "طرح هدهد" in unanswered
        assert (await admin.answer("/reload"))["plain"] == T.ADMIN_RELOAD_OK.format(count=SERVICE_COUNT)
        assert title_line(await citizen.answer("طرح هدهد")) == KARA


async def test_an_admin_command_without_its_entity_still_answers_the_admin(tmp_path: Path) -> None:
    async with running_bot(tmp_path, platform="bale", admin_ids=frozenset({ADMIN})) as bot:
        citizen, admin = bot.citizen(USER), bot.citizen(ADMIN)
        assert [m["plain"] for m in await citizen.send_without_entity("/stats")] == [T.UNKNOWN_COMMAND]
        [stats] = await admin.send_without_entity("/stats")
        assert stats["plain"].strip("*").startswith(T.ADMIN_STATS_TITLE.format(days="۷"))


# --------------------------------------------------------------------------------------------------
# 2. The conversation log: every update in, every reply out, no personal numbers
# --------------------------------------------------------------------------------------------------


async def test_the_log_holds_every_message_but_no_national_code_or_mobile(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        citizen = bot.citizen(USER)
        assert title_line(await citizen.answer("وام کارا")) == KARA
        documents = await citizen.answer("مدارک لازم برای وام کارا چیه؟")
        assert "مستندات مرتبط با طرح اشتغال" in documents["plain"]
        await citizen.tap(T.BTN_COST)
        assert [m["plain"] for m in await citizen.sticker()] == [T.NON_TEXT]
        dashed = f"{MOBILE[:4]}-{MOBILE[4:7]}-{MOBILE[7:]}"
        await citizen.send(f"کد ملی من {NATIONAL_CODE.translate(PERSIAN)} و همراهم {dashed} است")  # not in a form
        typed_code = " ".join((NATIONAL_CODE[:3], NATIONAL_CODE[3:9], NATIONAL_CODE[9:])).translate(ARABIC)
        typed_mobile = f"{MOBILE[:4]} {MOBILE[4:7]} {MOBILE[7:]}".translate(PERSIAN)
        code = await register(citizen, typed_code, typed_mobile, contact="+98" + MOBILE[1:])
        replies = citizen.peer.outbox(USER)
        assert (await bot.rt.db.requests.get(code)).national_code == NATIONAL_CODE

    rows = message_log(bot.database)
    incoming = [r for r in rows if r["direction"] == "in"]
    outgoing = [r for r in rows if r["direction"] == "out"]
    assert len(incoming) == bot.updates_sent[USER] == 14
    assert all(r["user_id"] == USER and r["platform"] == "telegram" for r in rows)
    assert all(r["handling_ms"] is not None and r["handling_ms"] >= 0 for r in incoming)
    # Every reply the citizen saw is in the log, in order, with personal numbers masked; a reply showing the
    # citizen's answers back (the form's summary, the saved mobile) by a marker only.
    def logged_as(plain: str) -> str:
        if plain.startswith(T.FORM_SUMMARY.split("{")[0]):
            return T.LOG_FORM_SUMMARY
        if plain.startswith(T.FORM_SAVED.format(label="شماره همراه", value="")):
            return T.LOG_FORM_SAVED.format(field="mobile")
        return mask_personal_data(plain)

    assert [r["text"] for r in outgoing] == [logged_as(m["plain"]) for m in replies]

    search, question = incoming[0], incoming[1]
    assert (search["text"], search["normalized"], search["service_id"], search["answered"]) == (
        "وام کارا", "وام کارا", KARA_ID, 1)
    assert search["score"] > 0.5 and search["intent"] is None
    assert (question["intent"], question["service_id"], question["answered"]) == ("documents", KARA_ID, 1)
    assert question["normalized"] and question["score"] > 0.5
    tap = incoming[2]  # the official service id in the button data stays readable
    assert tap["text"] == f"[دکمه] i:{KARA_ID}:cost" and tap["answered"] is None
    assert incoming[3]["text"] == "[sticker]"
    assert "[contact]" in [r["text"] for r in incoming]
    # Masked, but recognisable by their last digits.
    free_text = incoming[4]
    assert free_text["text"] == f"کد ملی من {'*' * 8}{NATIONAL_CODE[-2:].translate(PERSIAN)} و همراهم *******{MOBILE[-4:]} است"
    assert free_text["normalized"].count("*") == 15  # the search's copy of the text is masked as well
    # Form answers are not logged at all, masked or not: only which question they answered.
    answers = [r["text"] for r in incoming[5:] if r["text"].startswith("[پاسخ")]
    assert answers == [T.LOG_FORM_ANSWER.format(field=f) for f in ("full_name", "national_code", "mobile", "province")]

    assert personal_data_in([tuple(r) for r in rows], [NATIONAL_CODE, MOBILE]) == []
    conn = sqlite3.connect(bot.database)
    try:
        assert conn.execute("SELECT national_code, mobile FROM requests").fetchall() == [(NATIONAL_CODE, MOBILE)]
    finally:
        conn.close()


@pytest.mark.parametrize("mobile", ["(۰۹۳۵) ۷۲۴ ۶۸۱۳", "۰۹۳۵−۷۲۴−۶۸۱۳", f"{MOBILE[:4]}    {MOBILE[4:]}"],
                         ids=["parentheses", "minus-sign", "many-spaces"])
async def test_a_mobile_the_form_accepts_is_never_logged_in_full(tmp_path: Path, mobile: str) -> None:
    async with running_bot(tmp_path) as bot:
        await register(bot.citizen(USER), NATIONAL_CODE, mobile)
    assert personal_data_in([tuple(r) for r in message_log(bot.database)], [MOBILE]) == []


# --------------------------------------------------------------------------------------------------
# 3. Unanswered questions, grouped, for the admin and for staff
# --------------------------------------------------------------------------------------------------


async def test_unanswered_questions_are_grouped_with_counts_for_the_admin_and_staff(tmp_path: Path) -> None:
    async with running_bot(tmp_path, admin_ids=frozenset({ADMIN})) as bot:
        citizen, neighbour, admin = bot.citizen(USER), bot.citizen(NEIGHBOUR), bot.citizen(ADMIN)
        assert (await admin.answer("/unanswered"))["plain"] == T.ADMIN_UNANSWERED_EMPTY
        for person, text in ((citizen, "صدور گذرنامه"), (citizen, "یارانه"), (neighbour, "صدورِ  گذرنامه"),
                             (neighbour, "وام کارا")):
            await person.send(text)

        entries = await bot.rt.db.log.query(unanswered_only=True)
        last = {e.text: jalali_datetime(e.created_at.astimezone(TEHRAN)) for e in reversed(entries)}
        shown_ = (await admin.answer("/unanswered"))["plain"].splitlines()
        assert shown_ == [
            T.ADMIN_UNANSWERED_TITLE,
            T.ADMIN_UNANSWERED_ITEM.format(text="صدورِ  گذرنامه", count="۲", last=last["صدورِ  گذرنامه"]),
            T.ADMIN_UNANSWERED_ITEM.format(text="یارانه", count="۱", last=last["یارانه"]),
        ]

        run = await staff(bot.database, "logs", "--unanswered")  # beside the running bot
        assert run.code == 0, run.err
        lines = run.out.splitlines()
        assert len(lines) == 3 and all("بی‌پاسخ" in line and "←" in line for line in lines)
        assert [line.split("← ")[1].split("   [")[0] for line in lines] == ["صدورِ گذرنامه", "یارانه", "صدور گذرنامه"]
        assert f"telegram:{NEIGHBOUR}" in lines[0] and f"telegram:{USER}" in lines[2]
        assert "وام کارا" not in run.out


async def test_a_question_mark_does_not_make_another_unanswered_question(tmp_path: Path) -> None:
    async with running_bot(tmp_path, admin_ids=frozenset({ADMIN})) as bot:
        citizen = bot.citizen(USER)
        await citizen.send("صدور گذرنامه")
        await citizen.send("صدور گذرنامه؟")
        lines = (await bot.citizen(ADMIN).answer("/unanswered"))["plain"].splitlines()
        assert len(lines) == 2 and "— ۲ بار" in lines[1]


async def test_an_unanswered_question_is_not_counted_as_asking_about_a_service(tmp_path: Path) -> None:
    async with running_bot(tmp_path, admin_ids=frozenset({ADMIN})) as bot:
        reply = await bot.citizen(USER).answer("یارانه")  # handled by another body: pointed there
        assert "در فهرست خدمات این بات نیست" in reply["plain"]
        stats = (await bot.citizen(ADMIN).answer("/stats"))["plain"].splitlines()
        top = stats[stats.index(T.ADMIN_TOP_SERVICES) + 1 : stats.index(T.ADMIN_REQUESTS) - 1]
        assert top == [T.ADMIN_NONE]


# --------------------------------------------------------------------------------------------------
# 4. Reload without downtime
# --------------------------------------------------------------------------------------------------


async def test_a_broken_reload_keeps_the_old_knowledge_and_names_every_problem(tmp_path: Path) -> None:
    knowledge = knowledge_copy(tmp_path)
    services = knowledge / "services"
    async with running_bot(tmp_path, knowledge_dir=knowledge, admin_ids=frozenset({ADMIN})) as bot:
        citizen, admin = bot.citizen(USER), bot.citizen(ADMIN)
        municipal = services / "municipal-training.yaml"
        clusters = services / "business-clusters.yaml"
        good_municipal, good_clusters = municipal.read_text(encoding="utf-8"), clusters.read_text(encoding="utf-8")
        municipal.write_text(good_municipal.replace("title: آموزش", "title: [آموزش", 1), encoding="utf-8")
        clusters.write_text(good_clusters.replace("\nduration:", "\ndurration: سه سال\nduration:", 1), encoding="utf-8")
        add_alias(knowledge, f"{KARA_ID}.yaml", "طرح هدهد")

        failed = (await admin.answer("/reload"))["plain"].splitlines()
        assert failed[0] == T.ADMIN_RELOAD_FAILED.format(count=SERVICE_COUNT, n="۲")
        assert len(failed) == 3
        syntax = next(line for line in failed if "municipal-training.yaml" in line)
        assert "YAML" in syntax and "سطر" in syntax
        unknown_key = next(line for line in failed if "business-clusters.yaml" in line)
        assert "business-clusters.yaml: durration: " in unknown_key and "فیلد ناشناخته" in unknown_key

        # Still serving the old knowledge: both broken services answer, the new alias does not yet.
        assert title_line(await citizen.answer("آموزش شهرداران")) == MUNICIPAL
        assert title_line(await citizen.answer("وام کارا")) == KARA
        assert (await citizen.answer("طرح هدهد"))["plain"].startswith("متأسفانه خدمتی با «طرح هدهد»")

        municipal.write_text(good_municipal, encoding="utf-8")
        clusters.write_text(good_clusters, encoding="utf-8")
        assert (await admin.answer("/reload"))["plain"] == T.ADMIN_RELOAD_OK.format(count=SERVICE_COUNT)
        assert title_line(await citizen.answer("طرح هدهد")) == KARA
        assert title_line(await citizen.answer("آموزش شهرداران")) == MUNICIPAL


# --------------------------------------------------------------------------------------------------
# 5. Staff command line: logs, requests, stats, export
# --------------------------------------------------------------------------------------------------


@pytest.fixture
async def staff_db(tmp_path: Path) -> dict[str, Any]:
    """A database as weeks of use leave it: conversations 10 days ago, 3 days ago and today (Tehran days),
    and two requests, one already under review. Returns what the tests look for."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=5)  # "today" for the CLI too
    clock = FakeClock(now - dt.timedelta(days=10))
    database = tmp_path / "bot.db"
    db = await open_database(database, clock=clock)
    try:
        log = db.log
        await log.add("telegram", 1, 1, "in", "وام کارا", service_id=KARA_ID, score=0.9, answered=True,
                      normalized="وام کارا", handling_ms=12)
        await log.add("telegram", 1, 1, "out", f"«{KARA}»")
        clock.now = now - dt.timedelta(days=3)
        await log.add("telegram", 2, 2, "in", "آموزش شهرداران", service_id="municipal-training", score=0.8,
                      answered=True, normalized="آموزش شهرداران", handling_ms=9)
        await log.add("telegram", 2, 2, "in", f"کد ملی من {NATIONAL_CODE.translate(PERSIAN)} است")
        clock.now = now
        await log.add("bale", 1, 1, "in", "یارانه", answered=False, normalized="یارانه", handling_ms=7)
        await log.add("telegram", 3, 3, "in", "خوشه کسب و کار", service_id="business-clusters", score=0.7,
                      answered=True, normalized="خوشه کسب و کار", handling_ms=8)
        answers = {"full_name": "مریم احمدی", "national_code": NATIONAL_CODE, "mobile": MOBILE, "province": "تهران"}
        kara = await db.requests.create(KARA_ID, "telegram", 1, 1, NATIONAL_CODE, MOBILE, answers)
        other = {"full_name": "علی رضایی", "national_code": OTHER_NATIONAL_CODE, "mobile": OTHER_MOBILE,
                 "position": "شهردار", "municipality": "شهرداری کرج", "location": "البرز"}
        municipal = await db.requests.create("municipal-training", "bale", 2, 2, OTHER_NATIONAL_CODE, OTHER_MOBILE, other)
        await db.requests.set_status(municipal.tracking_code, "under_review", note="مدارک رسید", actor="کارشناس")
    finally:
        await db.close()
    return {"database": database, "now": now, "kara": kara.tracking_code, "municipal": municipal.tracking_code}


def texts_of(run: Run) -> list[str]:
    """The message texts of `logs` output, one per line."""
    assert run.code == 0, run.err
    return [line.split(" ← " if " ← " in line else " → ")[1].split("   [")[0] for line in run.out.splitlines()]


async def test_staff_read_the_logs_filtered_by_user_day_service_and_answer(staff_db: dict[str, Any]) -> None:
    database, now = staff_db["database"], staff_db["now"]
    today = now.astimezone(TEHRAN).date()
    three_days_ago, four_days_ago = today - dt.timedelta(days=3), today - dt.timedelta(days=4)
    runs = await asyncio.gather(
        staff(database, "logs"),
        staff(database, "logs", "--user", "2"),
        staff(database, "logs", "--since", jalali(today, "persian")),
        staff(database, "logs", "--since", jalali(three_days_ago), "--until", three_days_ago.isoformat()),
        staff(database, "logs", "--until", four_days_ago.isoformat()),
        staff(database, "logs", "--service", "municipal-training"),
        staff(database, "logs", "--unanswered"),
        staff(database, "logs", "--since", "دیروز"),
    )
    everything, user, since_today, that_day, until, service, unanswered, bad_day = runs
    masked_code = "*" * 8 + NATIONAL_CODE[-2:].translate(PERSIAN)
    assert texts_of(everything) == ["خوشه کسب و کار", "یارانه", f"کد ملی من {masked_code} است", "آموزش شهرداران",
                                    f"«{KARA}»", "وام کارا"]
    assert personal_data_in([(everything.out,)], [NATIONAL_CODE]) == []
    first = everything.out.splitlines()[0]
    assert first.startswith(jalali_datetime(now.astimezone(TEHRAN)))
    assert "telegram:3" in first and "خدمت=business-clusters" in first and "امتیاز=0.70" in first
    assert texts_of(user) == [f"کد ملی من {masked_code} است", "آموزش شهرداران"]
    assert texts_of(since_today) == ["خوشه کسب و کار", "یارانه"]
    assert texts_of(that_day) == [f"کد ملی من {masked_code} است", "آموزش شهرداران"]
    assert texts_of(until) == [f"«{KARA}»", "وام کارا"]
    assert texts_of(service) == ["آموزش شهرداران"]
    assert texts_of(unanswered) == ["یارانه"] and "bale:1" in unanswered.out and "بی‌پاسخ" in unanswered.out
    assert bad_day.code != 0 and "تاریخ «دیروز» را نمی‌فهمم" in bad_day.err


async def test_staff_list_show_and_move_requests(staff_db: dict[str, Any]) -> None:
    database, kara, municipal = staff_db["database"], staff_db["kara"], staff_db["municipal"]
    listing, reviewing, shown_ = await asyncio.gather(
        staff(database, "requests", "list"),
        staff(database, "requests", "list", "--status", "under_review"),
        staff(database, "requests", "show", municipal),
    )
    assert listing.code == reviewing.code == shown_.code == 0, listing.err + reviewing.err + shown_.err
    rows = listing.out.splitlines()
    assert len(rows) == 2 and rows[0].startswith(municipal) and rows[1].startswith(kara)
    assert "در حال بررسی" in rows[0] and MUNICIPAL[:40] in rows[0]
    assert "ثبت شده" in rows[1] and f"{LRM}۴۲۷****۴۸۱" in rows[1]
    assert personal_data_in([(listing.out,)], [NATIONAL_CODE, OTHER_NATIONAL_CODE]) == []
    assert [line.split()[0] for line in reviewing.out.splitlines()] == [municipal]
    assert f"کد رهگیری: {municipal}" in shown_.out
    assert f"خدمت: {MUNICIPAL} (municipal-training)" in shown_.out
    assert "وضعیت: در حال بررسی (under_review)" in shown_.out
    assert "  position: شهردار" in shown_.out and f"  national_code: {OTHER_NATIONAL_CODE}" in shown_.out
    assert "در حال بررسی — مدارک رسید  (کارشناس)" in shown_.out

    moved = await staff(database, "requests", "set-status", kara, "approved", "--note", "به بانک معرفی شدید",
                        "--actor", "کارشناس")
    assert moved.code == 0, moved.err
    assert moved.out.startswith(f"✔ وضعیت {kara} شد «تأیید شده»")
    backwards, final, unknown_status, unknown_code = await asyncio.gather(
        staff(database, "requests", "set-status", kara, "under_review"),
        staff(database, "requests", "set-status", kara, "approved"),
        staff(database, "requests", "set-status", municipal, "archived"),
        staff(database, "requests", "set-status", "123456789012", "done"),
    )
    assert backwards.code != 0 and backwards.err.strip() == "وضعیت درخواست را نمی‌توان از «تأیید شده» به «در حال بررسی» برگرداند."
    assert final.code != 0 and final.err.strip() == "درخواست همین حالا در وضعیت «تأیید شده» است."
    assert unknown_status.code != 0 and unknown_status.err.strip() == MSG_UNKNOWN_STATUS.format(
        status="archived", allowed="، ".join(STATUSES))
    assert unknown_code.code != 0 and unknown_code.err.strip() == MSG_NOT_FOUND.format(code="123456789012")
    assert (await staff(database, "requests", "set-status", kara, "done")).code == 0
    done_again = await staff(database, "requests", "set-status", kara, "rejected")
    assert done_again.code != 0 and done_again.err.strip() == MSG_FINAL_STATUS.format(label="انجام شده")
    history = (await staff(database, "requests", "show", kara)).out
    assert "تأیید شده — به بانک معرفی شدید  (کارشناس)" in history and "انجام شده" in history


async def test_staff_stats_count_days_services_unanswered_and_requests(staff_db: dict[str, Any]) -> None:
    today = staff_db["now"].astimezone(TEHRAN).date()
    run = await staff(staff_db["database"], "stats")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == T.ADMIN_STATS_TITLE.format(days="۷")
    days = lines[1:8]
    assert [line.split(":")[0] for line in days] == [
        f"• {jalali_date(today - dt.timedelta(days=6 - i))}" for i in range(7)]
    assert days[-1] == T.ADMIN_STATS_DAY.format(day=jalali_date(today), incoming="۲", users="۲", unanswered="۱")
    assert days[3] == T.ADMIN_STATS_DAY.format(day=jalali_date(today - dt.timedelta(days=3)), incoming="۲",
                                               users="۱", unanswered="۰")
    top = lines[lines.index(T.ADMIN_TOP_SERVICES) + 1 : lines.index(T.ADMIN_REQUESTS) - 1]
    assert sorted(top) == sorted([f"• {MUNICIPAL}: ۱", f"• {CLUSTERS}: ۱"])
    assert KARA not in "\n".join(top)  # asked 10 days ago: outside the week
    requests = lines[lines.index(T.ADMIN_REQUESTS) + 1 :]
    assert requests[:2] == ["• ثبت شده: ۱", "• در حال بررسی: ۱"]
    assert "پرسش‌های بی‌پاسخ پرتکرار:" in requests
    assert requests[-1].split() == ["1", "یارانه"]


async def test_staff_export_csv_with_bom_and_masked_numbers(staff_db: dict[str, Any], tmp_path: Path) -> None:
    database = staff_db["database"]
    logs_csv, requests_csv, personal_csv = tmp_path / "out" / "logs.csv", tmp_path / "r.csv", tmp_path / "p.csv"
    runs = await asyncio.gather(
        staff(database, "export", "logs", "--out", str(logs_csv)),
        staff(database, "export", "requests", "--out", str(requests_csv)),
        staff(database, "export", "requests", "--out", str(personal_csv), "--with-personal-data"),
    )
    assert all(r.code == 0 for r in runs), [r.err for r in runs]
    assert "6 ردیف" in runs[0].err and "2 ردیف" in runs[1].err

    def read(path: Path) -> list[list[str]]:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # spreadsheet programs then read Persian as Persian
        return list(csv.reader(raw.decode("utf-8-sig").splitlines()))

    logs = read(logs_csv)
    assert logs[0][:5] == ["زمان (تهران)", "سکو", "کاربر", "جهت", "متن"]
    assert len(logs) == 7
    assert ["telegram", "1", "in", "وام کارا", "", KARA_ID] == logs[1][1:7]
    assert logs[4][4] == f"کد ملی من {'*' * 8}{NATIONAL_CODE[-2:].translate(PERSIAN)} است"
    assert personal_data_in([tuple(r) for r in logs], [NATIONAL_CODE]) == []

    requests = read(requests_csv)
    assert requests[0][:12] == ["کد رهگیری", "خدمت", "وضعیت", "زمان ثبت (تهران)", "آخرین تغییر", "سکو", "کاربر",
                                "کد ملی", "همراه", "پاسخ‌ها", "زمان ثبت (شمسی)", "آخرین تغییر (شمسی)"]
    assert "پاسخ: استان محل سکونت" in requests[0] and "پاسخ: نام و نام خانوادگی" not in requests[0]  # a field, a column
    by_code = {r[0]: r for r in requests[1:]}
    kara, municipal = by_code[staff_db["kara"]], by_code[staff_db["municipal"]]
    assert (kara[2], kara[7], kara[8]) == ("ثبت شده", f"{LRM}۴۲۷****۴۸۱", f"{LRM}۰۹۳۵***۶۸۱۳")
    assert municipal[2] == "در حال بررسی" and '"position":"شهردار"' in municipal[9].replace(" ", "")
    assert "شهرداری کرج" not in municipal[9] and "مریم احمدی" not in kara[9]  # names: personal data
    assert kara[6] == municipal[6] == ""  # so are user ids
    numbers = [NATIONAL_CODE, MOBILE, OTHER_NATIONAL_CODE, OTHER_MOBILE]
    assert personal_data_in([tuple(r) for r in requests], numbers) == []

    personal = {r[0]: r for r in read(personal_csv)[1:]}
    assert personal[staff_db["kara"]][7:9] == [NATIONAL_CODE, MOBILE] and personal[staff_db["kara"]][6] == "1"
    assert "شهرداری کرج" in personal[staff_db["municipal"]][9] and "مریم احمدی" in personal[staff_db["kara"]][9]
    assert f'"national_code": "{OTHER_NATIONAL_CODE}"' in personal[staff_db["municipal"]][9]


# --------------------------------------------------------------------------------------------------
# 6. A status change made by staff reaches the citizen
# --------------------------------------------------------------------------------------------------


async def wait_for_text(person: Chat, prefix: str, count: int = 1, within: float = 6) -> list[str]:
    """Waits until the person has seen `count` messages starting with `prefix`; returns them all."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = [text for text in person.seen() if text.startswith(prefix)]
        if len(found) >= count:
            return found
        assert asyncio.get_running_loop().time() < deadline, person.seen()[-3:]
        await asyncio.sleep(0.05)


async def test_a_status_change_from_the_command_line_reaches_the_citizen_once(tmp_path: Path) -> None:
    note = "مدارک شما رسید و در نوبت بررسی است."
    prefix = T.STATUS_CHANGED.split("{code}")[0]
    async with running_bot(tmp_path) as bot:
        citizen, neighbour = bot.citizen(USER), bot.citizen(NEIGHBOUR)
        code = await register(citizen, NATIONAL_CODE, MOBILE)
        other = await register(neighbour, OTHER_NATIONAL_CODE, OTHER_MOBILE)

        run = await staff(bot.database, "requests", "set-status", code, "under_review", "--note", note)
        assert run.code == 0, run.err
        [notice] = await wait_for_text(citizen, prefix)
        assert notice == T.STATUS_CHANGED.format(code=to_persian_digits(code), title=KARA, status="در حال بررسی",
                                                 note=f"\n{note}")
        assert labels(citizen.peer.sent(USER)[-1]) == [T.TRACK_BUTTON]
        tracked = (await citizen.tap(T.TRACK_BUTTON))[-1]["plain"]
        assert "در حال بررسی" in tracked and note in tracked

        # The neighbour's change is made after the citizen saw theirs, so it is delivered at least one round
        # later: a notice not marked as delivered would have reached the citizen a second time by then.
        assert (await staff(bot.database, "requests", "set-status", other, "under_review")).code == 0
        await wait_for_text(neighbour, prefix)
        assert [text for text in citizen.seen() if text.startswith(prefix)] == [notice]

        # The citizen blocks the bot: their next notice fails, the neighbour's (queued after it) still arrives.
        citizen.peer.block(USER)
        for request in (code, other):
            assert (await staff(bot.database, "requests", "set-status", request, "needs_documents")).code == 0
        second = (await wait_for_text(neighbour, prefix, count=2))[1]
        assert second == T.STATUS_CHANGED.format(code=to_persian_digits(other), title=KARA,
                                                 status="نیازمند مدارک تکمیلی", note="")
        for _ in range(20):  # the blocked notice is given up, not retried every round
            if not await bot.rt.db.requests.undelivered("telegram"):
                break
            await asyncio.sleep(0.1)
        assert await bot.rt.db.requests.undelivered("telegram") == []
        tried = [c for c in bot.peer.calls_to("sendMessage") if c["chat_id"] == USER and "مدارک تکمیلی" in c["text"]]
        assert len(tried) == 1


# --------------------------------------------------------------------------------------------------
# 7. Retention
# --------------------------------------------------------------------------------------------------


async def test_prune_removes_log_entries_and_drafts_older_than_their_retention_only(tmp_path: Path) -> None:
    clock = FakeClock(dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC))
    async with running_bot(tmp_path, clock=clock, log_retention_days=30, admin_ids=frozenset({ADMIN})) as bot:
        citizen, neighbour = bot.citizen(USER), bot.citizen(NEIGHBOUR)
        code = await register(citizen, NATIONAL_CODE, MOBILE)
        await neighbour.send("وام کارا")
        await neighbour.tap(T.BTN_REGISTER)  # and never comes back
        old = len(message_log(bot.database))
        clock.advance(days=29)
        await citizen.send("یارانه")
        clock.advance(days=2)  # the registration is now 31 days old, «یارانه» 2 days
        await citizen.send("وام کارا")
        await citizen.tap(T.BTN_REGISTER)  # a form left half-way, today

        before = len(message_log(bot.database))
        await prune(bot.rt)
        rows = message_log(bot.database)
        assert len(rows) == before - old
        kept = [r["text"] for r in rows if r["direction"] == "in"]
        assert len(kept) == 3 and kept[:2] == ["یارانه", "وام کارا"] and kept[2].startswith("[دکمه] r:")
        assert (await bot.rt.db.requests.get(code)).status == "submitted"  # requests are not the log's to prune
        assert await bot.rt.db.drafts.get("telegram", USER) is not None  # a fresh form stays
        assert await bot.rt.db.drafts.get("telegram", NEIGHBOUR) is None  # one untouched for a month goes

        lines = (await bot.citizen(ADMIN).answer("/unanswered"))["plain"].splitlines()
        assert len(lines) == 2 and "«یارانه» — ۱ بار" in lines[1]


async def test_one_retention_pass_reaches_every_table_on_either_backend(store: Store, clock: FakeClock) -> None:
    """The pass the running bot makes (and `python -m bot prune`): on SQLite and on PostgreSQL alike, old
    log rows, drafts, chat state, handled updates, closed tickets and votes go, closed requests lose what
    names a person."""
    await store.log.add("telegram", 1, 1, "in", "قدیمی")
    await store.drafts.save("telegram", 1, KARA_ID, 0, {})
    await store.chats.set_current_service("telegram", 1, KARA_ID)
    created = await store.requests.create(KARA_ID, "telegram", 1, 1, NATIONAL_CODE, MOBILE, {})
    await store.requests.set_status(created.tracking_code, "rejected")
    ticket, _ = await store.tickets.open("telegram", 1, 1, service_id=None, question="؟", context="", group_chat_id=-1)
    await store.tickets.close(ticket.id, "citizen")
    still_open, _ = await store.tickets.open("telegram", 2, 2, service_id=None, question="؟", context="",
                                             group_chat_id=-1)
    await store.feedback.vote("telegram", 1, KARA_ID, "cost", 1)
    await store.inbox.add("telegram", [(1, "{}"), (2, "{}")])
    await store.inbox.mark_done("telegram", [1, 2])
    clock.advance(days=400)
    await store.log.add("telegram", 2, 2, "in", "تازه")  # the database is being lived in: the clock is right

    done = await retention(store, Settings(_env_file=None, log_retention_days=30, request_retention_days=365))
    assert done == {"log": 1, "drafts": 1, "chat_state": 1, "lookups": 0, "inbox": 1, "requests": 1, "tickets": 1,
                    "feedback": 1}  # the inbox keeps its newest update (the sandbox numbers on after it)
    assert (await store.requests.get(created.tracking_code)).national_code is None
    assert await store.tickets.get(ticket.id) is None and (await store.tickets.get(still_open.id)).is_open
    assert [e.text for e in await store.log.query()] == ["تازه"]


async def test_the_running_bot_prunes_old_entries_by_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notices, "PRUNE_EVERY_ROUNDS", 1)
    clock = FakeClock(dt.datetime.now(dt.UTC) - dt.timedelta(days=40))
    db = await open_database(tmp_path / "bot.db", clock=clock)
    try:
        await db.log.add("telegram", USER, USER, "in", "پیام قدیمی")
    finally:
        await db.close()
    clock.now = dt.datetime.now(dt.UTC)
    async with running_bot(tmp_path, clock=clock, log_retention_days=30) as bot:
        # A citizen writes: ages are measured on a clock the bot is seen to live by (after a long stop, or a
        # clock jump, nothing is aged until then: storage/retention.py).
        await bot.send(USER, "سلام")
        for _ in range(50):  # the notice loop's next rounds
            if "پیام قدیمی" not in [r["text"] for r in message_log(bot.database)]:
                break
            await asyncio.sleep(0.1)
        assert "پیام قدیمی" not in [r["text"] for r in message_log(bot.database)]
