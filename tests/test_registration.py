"""Registration and tracking codes, through the real bot on Telegram and on Bale.

A citizen opens a service's form (from its card or in words), answers one question at a time, checks a
summary and confirms; the bot answers with a tracking code, and later tells them about status changes and
shows the request's history when they send the code. Every test reads like that conversation and checks
what the citizen sees, then what was stored. The database clock is the test's `clock` (2025-03-20 08:00
UTC, which is 30 Esfand 1403, 11:30 in Tehran), so dates are exact.

The pure state machine behind the form is tested in test_forms.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot import forms
from bot import identifiers as ids
from bot import texts as T
from handlers.fakeapi import NO_CONTACT_USER, BotApiPeer
from handlers.notices import deliver_notices
from handlers.send import QUEUE_RETRY, drain_outbox
from storage.requests import APPROVED, CONFIRMATION_GRACE_SECONDS, DONE, NEEDS_DOCUMENTS, STATUS_LABELS, UNDER_REVIEW
from storage.tracking import is_well_formed
from tests.support.botchat import (
    FLOOD_BURST_FOR_TESTS,
    KNOWLEDGE_DIR,
    USER,
    Chat,
    Message,
    assert_conversation_was_clean,
    data_of,
    labels,
    running_bot,
    title_line,
)
from tests.support.identity import national_code, national_codes

FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
AR = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
REGISTERED_AT = "۳۰ اسفند ۱۴۰۳، ساعت ۱۱:۳۰"  # the test clock, in Tehran, in the Jalali calendar
CODE_SHOWN = re.compile(r"کد رهگیری: ([۰-۹]{12})\n")


def fa(n: int | str) -> str:
    return str(n).translate(FA)


CODES = national_codes(12)
ZEROS_CODE = national_code("004718293")  # typed without its leading zeros: 8 digits
WRONG_CHECK = CODES[0][:-1] + str((int(CODES[0][-1]) + 1) % 10)


def shown(message: Message) -> str:
    """The message as a person reads it, without Bale's bold marks (a citizen's own «*» never gets here:
    the Bale renderer replaces it with a look-alike)."""
    return message["plain"].replace("*", "")


def question(n: int, total: int, label: str) -> str:
    return T.FORM_QUESTION.format(n=fa(n), total=fa(total), label=label)


async def draft(chat: Chat) -> tuple[int, dict[str, Any], str | None] | None:
    """The citizen's draft as stored (step, answers, editing), or None."""
    d = await chat.rt.db.drafts.get(chat.platform, chat.user_id)
    return None if d is None else (d.step, d.answers, d.editing)


async def request_count(chat: Chat) -> int:
    return sum((await chat.rt.db.requests.count_by_status()).values())


def code_in(message: Message) -> str:
    """The tracking code a confirmation shows, in Latin digits."""
    match = CODE_SHOWN.search(shown(message))
    assert match, shown(message)
    return match[1].translate(LATIN)


# --------------------------------------------------------------------------------------------------
# The five forms, answered from start to confirmation
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One question answered: what the citizen does ("send" text, "tap" a button, share their own
    "contact"), and how the summary must read the answer back."""

    actions: tuple[tuple[str, str], ...]
    shows: str


def typed(text: str, shows: str) -> Answer:
    return Answer((("send", text),), shows)


def tapped(label: str) -> Answer:
    return Answer((("tap", label),), label)


@dataclass(frozen=True)
class Flow:
    service_id: str
    card_query: str  # finds the card, whose register button opens the form
    in_words: str  # asks to register in words
    answers: tuple[Answer, ...]
    data: dict[str, Any]  # the request's answers as stored
    next_step: str  # a line the confirmation shows under «مراحل بعدی»


FLOWS = [
    Flow(
        "13011031101", "وام کارا", "میخوام برای وام کارا ثبت نام کنم",
        (
            typed("  مریم   احمدی ", "مریم احمدی"),
            typed(CODES[0].translate(FA), fa(CODES[0])),
            typed("+98 912 123 4567", "۰۹۱۲۱۲۳۴۵۶۷"),
            tapped("تهران"),
        ),
        {"full_name": "مریم احمدی", "national_code": CODES[0], "mobile": "09121234567", "province": "تهران"},
        "۱. ارائه و بررسی طرح در دستگاه اجرایی و صدور مجوز",
    ),
    Flow(
        "13012712105", "سمینار خودکفایی امداد", "میخوام برای سمینار خودکفایی امداد ثبت نام کنم",
        (
            typed("علي رضايي", "علي رضايي"),
            typed(f"{CODES[1][:3]}-{CODES[1][3:9]}-{CODES[1][9]}".translate(AR), fa(CODES[1])),
            typed("٠٩٣٥٧٦٥٤٣٢١", "۰۹۳۵۷۶۵۴۳۲۱"),
            typed("خوزستان", "خوزستان"),
        ),
        {"full_name": "علي رضايي", "national_code": CODES[1], "mobile": "09357654321", "province": "خوزستان"},
        "۱. شناسایی مددجویان مستعد اشتغال توسط حوزه مددکاری و انجام مشاوره شغلی",
    ),
    Flow(
        "business-clusters", "خوشه کسب و کار", "میخوام برای خوشه کسب و کار ثبت نام کنم",
        (
            typed("Reza Karimi", "Reza Karimi"),
            typed(ZEROS_CODE[2:], fa(ZEROS_CODE)),
            typed("9191112233", "۰۹۱۹۱۱۱۲۲۳۳"),
            typed("تهرن", "تهران"),
        ),
        {"full_name": "Reza Karimi", "national_code": ZEROS_CODE, "mobile": "09191112233", "province": "تهران"},
        "۱. شناسایی و اولویت‌بندی خوشه‌های کسب‌وکار استان",
    ),
    Flow(
        "tvto-skill-training", "دوره فنی حرفه ای", "میخوام برای دوره فنی حرفه ای ثبت نام کنم",
        (
            typed("زهرا کریمی", "زهرا کریمی"),
            typed(CODES[2], fa(CODES[2])),
            Answer((("contact", "+989121112233"),), "۰۹۱۲۱۱۱۲۲۳۳"),
            typed("۱۳۸۰/۰۶/۳۱", "۳۱ شهریور ۱۳۸۰"),
            typed("كارشناسي", "کارشناسی"),
            Answer((("tap", "فارس"), ("send", "شیراز")), "فارس، شیراز"),
            tapped("بله"),
        ),
        {
            "full_name": "زهرا کریمی", "national_code": CODES[2], "mobile": "09121112233",
            "birth_date": "2001-09-22", "education": "کارشناسی", "location": "فارس، شیراز", "has_certificate": True,
        },
        "کارت اعتباری ۲۰٬۰۰۰ ریالی",
    ),
    Flow(
        "municipal-training", "آموزش شهرداران", "میخوام برای آموزش شهرداران ثبت نام کنم",
        (
            typed("حسین مرادی", "حسین مرادی"),
            typed(CODES[3].translate(FA), fa(CODES[3])),
            typed("0912-345-6789", "۰۹۱۲۳۴۵۶۷۸۹"),
            tapped("عضو شورای اسلامی"),
            typed("شورای شهر منطقه 3", "شورای شهر منطقه ۳"),
            typed("کرمانشا", "کرمانشاه"),
        ),
        {
            "full_name": "حسین مرادی", "national_code": CODES[3], "mobile": "09123456789",
            "position": "عضو شورای اسلامی", "municipality": "شورای شهر منطقه 3", "location": "کرمانشاه",
        },
        "۱. طراحی و برنامه‌ریزی آموزشی",
    ),
]


async def do(chat: Chat, kind: str, value: str) -> list[Message]:
    if kind == "send":
        return await chat.send(value)
    if kind == "tap":
        return await chat.tap(value)
    assert kind == "contact"
    return await chat.act(lambda: chat.peer.user_sends_contact(chat.user_id, value))


async def open_form(chat: Chat, flow: Flow, entry: str) -> list[Message]:
    """Opens the form by the card's register button or in words; returns the bot's answer."""
    if entry == "button":
        card = await chat.answer(flow.card_query)
        assert title_line(card) == chat.rt.knowledge.get(flow.service_id).title
        return await chat.tap(T.BTN_REGISTER)
    return await chat.send(flow.in_words)


async def fill_in(chat: Chat, flow: Flow, entry: str) -> Message:
    """Answers every question, checking that each comes alone and in order; returns the summary."""
    service = chat.rt.knowledge.get(flow.service_id)
    fields = forms.fields_of(service)
    total = len(fields)
    intro, asked = await open_form(chat, flow, entry)
    assert shown(intro) == T.FORM_INTRO.format(title=service.title, count=fa(total))
    assert shown(asked).startswith(question(1, total, fields[0].label))
    for n, (f, answer) in enumerate(zip(fields, flow.answers, strict=True), 1):
        assert shown(asked).startswith(question(n, total, f.label))
        assert shown(asked).count("پرسش ") == 1  # one question at a time
        if f.type == "mobile":  # the platform's share-contact button, and the typed way back or out
            keyboard = asked["reply_markup"]["keyboard"]
            assert keyboard[0] == [{"text": T.FORM_SHARE_CONTACT, "request_contact": True}]
            assert asked["buttons"][1:] == [[T.FORM_BACK_WORD, T.FORM_CANCEL_WORD]]
        for kind, value in answer.actions[:-1]:  # a province, before its city is asked
            [city] = await do(chat, kind, value)
            assert shown(city).startswith(question(n, total, f.label))
            assert T.HINT_CITY.format(province=value) in shown(city)
        got = await do(chat, *answer.actions[-1])
        if f.type == "mobile":
            saved, *got = got
            assert shown(saved) == T.FORM_SAVED.format(label=f.label, value=answer.shows)
            assert saved["reply_markup"] == {"remove_keyboard": True}
        [asked] = got
    summary = asked
    text = shown(summary)
    assert text.startswith(T.FORM_SUMMARY.format(title=service.title))
    for f, answer in zip(fields, flow.answers, strict=True):
        assert f"• {f.label}: {answer.shows}\n" in text
    assert labels(summary)[0] == T.FORM_CONFIRM and labels(summary)[-1] == T.FORM_CANCEL_BUTTON
    return summary


@pytest.mark.parametrize("entry", ["button", "words"])
@pytest.mark.parametrize("flow", FLOWS, ids=[f.service_id for f in FLOWS])
async def test_a_citizen_registers_and_gets_a_tracking_code(chat: Chat, flow: Flow, entry: str) -> None:
    service = chat.rt.knowledge.get(flow.service_id)
    await fill_in(chat, flow, entry)

    [done] = await chat.tap(T.FORM_CONFIRM)
    code = code_in(done)
    text = shown(done)
    assert text.startswith(T.REGISTERED.format(title=service.title, code=fa(code), date=REGISTERED_AT))
    assert f"\n\n{T.NEXT_STEPS}\n" in text and flow.next_step in text
    assert labels(done) == [T.TRACK_BUTTON, T.BTN_CARD]
    assert is_well_formed(code)

    request = await chat.rt.db.requests.get(code)
    assert (request.service_id, request.platform, request.user_id, request.chat_id) == (
        flow.service_id, chat.platform, USER, USER,
    )
    assert request.status == "submitted" and [e.status for e in request.events] == ["submitted"]
    assert request.national_code == flow.data["national_code"] and re.fullmatch(r"[0-9]{10}", request.national_code)
    assert request.mobile == flow.data["mobile"] and re.fullmatch(r"09[0-9]{9}", request.mobile)
    assert request.data == flow.data
    assert await draft(chat) is None
    assert await request_count(chat) == 1


# --------------------------------------------------------------------------------------------------
# Wrong answers: what is wrong, and the same question again
# --------------------------------------------------------------------------------------------------


async def refused(chat: Chat, text: str, problem: str) -> None:
    """`text` is refused with `problem`, followed by the question that was asked, unchanged."""
    asked = chat.peer.sent(chat.user_id)[-1]
    before = await draft(chat)
    got = await chat.send(text)
    assert [shown(m) for m in got] == [problem, shown(asked)], text[:40]
    assert got[1]["reply_markup"] == asked["reply_markup"]
    assert await draft(chat) == before


async def test_every_wrong_answer_of_the_default_form_is_explained(chat: Chat) -> None:
    await chat.send("میخوام برای وام کارا ثبت نام کنم")
    await refused(chat, "مریم ۲ احمدی", T.FORM_NAME_LETTERS)
    await refused(chat, "Maryam2 Ahmadi", T.FORM_NAME_LETTERS)
    await refused(chat, "مریم", T.FORM_NAME_FULL)
    [asked] = await chat.send("مریم احمدی")
    assert shown(asked).startswith(question(2, 4, "کد ملی"))

    await refused(chat, "1234567", ids.MSG_NC_LENGTH.format(count="۷"))
    await refused(chat, "۱۲۳۴۵abcde", ids.MSG_NC_NOT_DIGITS)
    await refused(chat, WRONG_CHECK, ids.MSG_NC_CHECKSUM)
    await refused(chat, "۱۱۱۱۱۱۱۱۱۱", ids.MSG_NC_REPEATED)
    [asked] = await chat.send(CODES[0])
    assert shown(asked).startswith(question(3, 4, "شماره همراه"))

    await refused(chat, "08121234567", ids.MSG_MOBILE_PREFIX)
    await refused(chat, "۰۹۱۲۱۲۳", ids.MSG_MOBILE_LENGTH.format(count="۷"))
    await refused(chat, "+14155552671", ids.MSG_MOBILE_FOREIGN)
    await refused(chat, "+۴۴ ۷۹۱۱ ۱۲۳۴۵۶", ids.MSG_MOBILE_FOREIGN)
    await chat.send("09121234567")

    await refused(chat, "سلام", T.FORM_PROVINCE)
    await refused(chat, "asdf", T.FORM_PROVINCE)
    [summary] = await chat.send("مازندرن")  # a slip of the finger is forgiven
    assert "• استان محل سکونت: مازندران\n" in shown(summary)


async def test_every_wrong_answer_of_the_skill_training_form_is_explained(chat: Chat) -> None:
    await chat.send("میخوام برای دوره فنی حرفه ای ثبت نام کنم")
    for text in ("زهرا کریمی", CODES[2], "09121112233"):
        await chat.send(text)
    await refused(chat, "۳۱ شهریور ۱۳۸۰", T.FORM_DATE)
    await refused(chat, "1380/6", T.FORM_DATE)
    await refused(chat, "۱۴۰۳/۱۳/۴۰", T.FORM_DATE)
    await refused(chat, "۱۴۰۴/۱۲/۳۰", T.FORM_DATE)  # 1404 has no 30 Esfand
    [asked] = await chat.send("1380-6-31")
    assert shown(asked).startswith(question(5, 7, "آخرین مدرک تحصیلی"))

    await refused(chat, "دکترا", T.FORM_CHOICE)
    await refused(chat, "۹", T.FORM_CHOICE)
    [asked] = await chat.send("دیپلوم")  # close enough to «دیپلم»
    assert shown(asked).startswith(question(6, 7, "استان و شهر محل آموزش"))

    await refused(chat, "سلام", T.FORM_PROVINCE)
    [city] = await chat.tap("فارس")
    assert T.HINT_CITY.format(province="فارس") in shown(city)
    await refused(chat, "۱۲", T.FORM_CITY)
    await refused(chat, "ش", T.FORM_CITY)
    [asked] = await chat.send("شیراز")
    assert shown(asked).startswith(question(7, 7, "آیا پیش‌تر گواهینامه مهارت گرفته‌اید؟"))
    assert T.FORM_OPTIONAL in shown(asked) and T.FORM_SKIP in labels(asked)

    await refused(chat, "شاید", T.FORM_YES_NO)
    [summary] = await chat.tap(T.FORM_SKIP)  # optional: skipped by its button
    assert "• آیا پیش‌تر گواهینامه مهارت گرفته‌اید؟: —\n" in shown(summary)
    assert "• تاریخ تولد: ۳۱ شهریور ۱۳۸۰\n" in shown(summary)
    assert "• آخرین مدرک تحصیلی: دیپلم\n" in shown(summary)
    assert "• استان و شهر محل آموزش: فارس، شیراز\n" in shown(summary)

    # Yes and no, typed the ways people type them (changed from the summary each time).
    for word, reads in (("آره", "بله"), ("نه", "خیر"), ("بله", "بله"), ("خیر", "خیر")):
        await chat.tap(T.FORM_EDIT.format(label="آیا پیش‌تر گواهینام…"))  # cut to 20 letters
        [summary] = await chat.send(word)
        assert f"• آیا پیش‌تر گواهینامه مهارت گرفته‌اید؟: {reads}\n" in shown(summary)
    await chat.tap(T.FORM_EDIT.format(label="استان و شهر محل آمو…"))
    await chat.tap("یزد")
    [summary] = await chat.send("میبد")
    assert "• استان و شهر محل آموزش: یزد، میبد\n" in shown(summary)
    await chat.tap(T.FORM_CONFIRM)
    [request] = await chat.rt.db.requests.list()
    assert request.data["has_certificate"] is False and request.data["education"] == "دیپلم"
    assert request.data["location"] == "یزد، میبد"


async def test_every_wrong_answer_of_the_municipal_form_is_explained(chat: Chat) -> None:
    await chat.send("میخوام برای آموزش شهرداران ثبت نام کنم")
    for text in ("حسین مرادی", CODES[3], "09123456789"):
        await chat.send(text)
    await refused(chat, "کارمند", T.FORM_CHOICE)
    [asked] = await chat.send("كاركنان شهرداري")  # Arabic letters: the same option
    assert shown(asked).startswith(question(5, 6, "نام شهرداری یا شورا"))
    await refused(chat, "شم", T.FORM_TEXT_MIN.format(min="۳"))
    await refused(chat, "ش" * 101, T.FORM_TOO_LONG.format(limit="۱۰۰"))
    await chat.send("شهرداری <کرج> & فردیس")
    await refused(chat, "کرج", T.FORM_PROVINCE)
    [summary] = await chat.send("البرز")
    assert "• سمت: کارکنان شهرداری\n" in shown(summary)
    assert "• نام شهرداری یا شورا: شهرداری <کرج> & فردیس\n" in shown(summary)  # shown as typed, never as markup


async def test_a_number_out_of_range_is_explained(tmp_path: Path, clock) -> None:
    """No service asks a number yet: a copy of the knowledge gives one a number question."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    card = knowledge / "services" / "business-clusters.yaml"
    card.write_text(
        card.read_text(encoding="utf-8")
        + "registration:\n  fields:\n"
        "    - {name: full_name, label: نام و نام خانوادگی, type: person_name}\n"
        "    - {name: national_code, label: کد ملی, type: national_code}\n"
        "    - {name: staff, label: تعداد کارکنان, type: number, min: 1, max: 500}\n",
        encoding="utf-8",
    )
    async with running_bot(BotApiPeer("telegram"), tmp_path / "bot.db", clock=clock, knowledge_dir=knowledge) as chat:
        await chat.send("میخوام برای خوشه کسب و کار ثبت نام کنم")
        await chat.send("رضا کریمی")
        [asked] = await chat.send(CODES[4])
        assert shown(asked).startswith(question(3, 3, "تعداد کارکنان"))
        await refused(chat, "بیست نفر", T.FORM_NUMBER)
        await refused(chat, "۰", T.FORM_NUMBER_MIN.format(min="۱"))
        await refused(chat, "۱۲۰۰", T.FORM_NUMBER_MAX.format(max="۵۰۰"))
        [summary] = await chat.send("٤٢")
        assert "• تعداد کارکنان: ۴۲\n" in shown(summary)
        code = code_in((await chat.tap(T.FORM_CONFIRM))[0])
        assert (await chat.rt.db.requests.get(code)).data["staff"] == 42
    assert_conversation_was_clean(chat)


async def test_an_answer_longer_than_a_form_answer_is_refused_and_the_form_goes_on(chat: Chat) -> None:
    await chat.send("میخوام برای وام کارا ثبت نام کنم")
    await refused(chat, "مریم " * 80, T.FORM_TOO_LONG.format(limit="۳۰۰"))
    before = await draft(chat)
    await chat.send("مریم " * 1000)  # 5,000 characters
    assert await draft(chat) == before
    [asked] = await chat.send("مریم احمدی")
    assert shown(asked).startswith(question(2, 4, "کد ملی"))


async def test_a_5000_character_answer_gets_the_form_limit_and_the_same_question(chat: Chat) -> None:
    await chat.send("میخوام برای وام کارا ثبت نام کنم")
    await refused(chat, "مریم " * 1000, T.FORM_TOO_LONG.format(limit="۳۰۰"))


async def test_a_sticker_in_the_middle_of_the_form_is_answered_politely_and_the_form_goes_on(chat: Chat) -> None:
    await chat.send("میخوام برای وام کارا ثبت نام کنم")
    await chat.send("مریم احمدی")
    before = await draft(chat)
    for action in (chat.peer.user_sends_sticker, chat.peer.user_sends_voice):
        [answer] = await chat.act(lambda action=action: action(USER))
        assert shown(answer) == T.NON_TEXT
    assert await draft(chat) == before
    [asked] = await chat.send(CODES[0])
    assert shown(asked).startswith(question(3, 4, "شماره همراه"))


async def test_only_the_citizens_own_contact_answers_the_mobile_question(chat: Chat) -> None:
    await chat.send("میخوام برای وام کارا ثبت نام کنم")
    # A contact at another question is not an answer (and reveals nothing).
    [answer] = await chat.act(lambda: chat.peer.user_sends_contact(USER, "+989121234567"))
    assert shown(answer) == T.NON_TEXT
    await chat.send("مریم احمدی")
    await chat.send(CODES[0])
    before = await draft(chat)

    [answer] = await chat.act(lambda: chat.peer.user_sends_contact(USER, "+989127777777", contact_user_id=USER + 5))
    assert shown(answer) == T.FORM_OWN_CONTACT
    assert await draft(chat) == before

    saved, asked = await chat.act(lambda: chat.peer.user_sends_contact(USER, "+98 912 123 4567"))
    assert shown(saved) == T.FORM_SAVED.format(label="شماره همراه", value="۰۹۱۲۱۲۳۴۵۶۷")
    assert saved["reply_markup"] == {"remove_keyboard": True}
    assert shown(asked).startswith(question(4, 4, "استان محل سکونت"))
    assert (await draft(chat))[1]["mobile"] == "09121234567"


async def test_a_contact_without_an_account_is_not_taken_as_the_citizens_mobile(chat: Chat) -> None:
    await chat.send("میخوام برای وام کارا ثبت نام کنم")
    await chat.send("مریم احمدی")
    await chat.send(CODES[0])
    before = await draft(chat)
    got = await chat.act(lambda: chat.peer.user_sends_contact(USER, "+989127777777", contact_user_id=NO_CONTACT_USER))
    assert [shown(m) for m in got] == [T.FORM_OWN_CONTACT]
    assert await draft(chat) == before


# --------------------------------------------------------------------------------------------------
# Back, change an answer, cancel
# --------------------------------------------------------------------------------------------------


async def test_back_goes_to_the_previous_question_typed_or_tapped(chat: Chat) -> None:
    _, first = await chat.send("میخوام برای وام کارا ثبت نام کنم")
    assert T.FORM_BACK_BUTTON not in labels(first)
    at_first, again = await chat.send("بازگشت")
    assert (shown(at_first), shown(again)) == (T.FORM_AT_FIRST, shown(first))

    await chat.send("مریم احمدی")
    [asked] = await chat.tap(T.FORM_BACK_BUTTON)
    assert shown(asked).startswith(question(1, 4, "نام و نام خانوادگی"))
    assert (await draft(chat))[:2] == (0, {"full_name": "مریم احمدی"})
    await chat.send("مریم احمدی")
    await chat.send(CODES[0])

    [asked] = await chat.send(T.FORM_BACK_WORD)  # the reply-keyboard button under the mobile question
    assert shown(asked).startswith(question(2, 4, "کد ملی"))
    await chat.send(CODES[0])
    await chat.send("09121234567")
    await chat.tap("تهران")

    [asked] = await chat.send("برگشت")  # from the summary: the last question
    assert shown(asked).startswith(question(4, 4, "استان محل سکونت"))
    [summary] = await chat.tap("قم")
    assert "• استان محل سکونت: قم\n" in shown(summary)


async def test_an_answer_changed_from_the_summary_returns_to_the_summary(chat: Chat) -> None:
    await chat.send("میخوام برای وام کارا ثبت نام کنم")
    for text in ("مریم احمدی", CODES[0], "09121234567", "تهران"):
        await chat.send(text)

    [asked] = await chat.tap(T.FORM_EDIT.format(label="کد ملی"))
    assert shown(asked).startswith(question(2, 4, "کد ملی"))
    await refused(chat, WRONG_CHECK, ids.MSG_NC_CHECKSUM)
    [summary] = await chat.send(CODES[5].translate(AR))
    assert f"• کد ملی: {fa(CODES[5])}\n" in shown(summary)
    assert "• نام و نام خانوادگی: مریم احمدی\n" in shown(summary)

    await chat.tap(T.FORM_EDIT.format(label="شماره همراه"))
    saved, summary = await chat.send("09351112233")
    assert saved["reply_markup"] == {"remove_keyboard": True}
    assert "• شماره همراه: ۰۹۳۵۱۱۱۲۲۳۳\n" in shown(summary)

    await chat.tap(T.FORM_EDIT.format(label="نام و نام خانوادگی"))
    [summary] = await chat.tap(T.FORM_BACK_BUTTON)  # changed their mind: the summary, unchanged
    assert "• نام و نام خانوادگی: مریم احمدی\n" in shown(summary)

    code = code_in((await chat.tap(T.FORM_CONFIRM))[0])
    request = await chat.rt.db.requests.get(code)
    assert (request.national_code, request.mobile) == (CODES[5], "09351112233")


async def at_first_question(chat: Chat) -> None:
    await chat.send("میخوام برای وام کارا ثبت نام کنم")


async def at_mobile_question(chat: Chat) -> None:
    await chat.send("میخوام برای وام کارا ثبت نام کنم")
    await chat.send("مریم احمدی")
    await chat.send(CODES[0])


async def at_summary(chat: Chat) -> None:
    await at_mobile_question(chat)
    await chat.send("09121234567")
    await chat.send("تهران")


CANCELS: dict[str, Callable[[Chat], Awaitable[list[Message]]]] = {
    "command": lambda chat: chat.send("/cancel"),
    "typed": lambda chat: chat.send("انصراف"),
    "button": lambda chat: chat.tap(T.FORM_CANCEL_BUTTON),
}
PLACES = {"first": at_first_question, "mobile": at_mobile_question, "summary": at_summary}


@pytest.mark.parametrize(
    ("how", "where"),
    [(h, w) for h in CANCELS for w in PLACES if (h, w) != ("button", "mobile")],  # no inline buttons there
)
async def test_cancel_at_any_time_forgets_the_form(chat: Chat, how: str, where: str) -> None:
    await PLACES[where](chat)
    [answer] = await CANCELS[how](chat)
    assert shown(answer) == T.FORM_CANCELLED
    assert answer["reply_markup"] == {"remove_keyboard": True}
    assert await draft(chat) is None
    assert await request_count(chat) == 0
    assert title_line(await chat.answer("وام کارا")).startswith("ارائه معرفی‌نامه")  # a search again
    assert shown(await chat.answer("/cancel")) == T.CANCELLED


# --------------------------------------------------------------------------------------------------
# Stale and forged form buttons
# --------------------------------------------------------------------------------------------------


async def stale(chat: Chat, data: str, message_id: int | None = None) -> None:
    """A form button that does not belong to the question asked: a polite answer, nothing changed."""
    before = await draft(chat)
    got = await chat.tap_data(data, message_id)
    assert [shown(m) for m in got] == [T.STALE_BUTTON], data
    assert chat.callback_answer() is not None  # the spinner stops
    assert await draft(chat) == before


async def test_stale_and_forged_form_buttons_change_nothing(chat: Chat) -> None:
    _, first = await chat.send("میخوام برای وام کارا ثبت نام کنم")
    await chat.send("مریم احمدی")
    await chat.send(CODES[0])
    assert (await draft(chat))[0] == 2
    for data in ("f:c:0:1", "f:c:99:0", "f:e:nonexistent", "f:ok", "f:s:2"):  # under question 1, still shown
        await stale(chat, data, first["message_id"])
    await chat.send("/cancel")

    await chat.send("میخوام برای دوره فنی حرفه ای ثبت نام کنم")
    for text in ("زهرا کریمی", CODES[2], "09121112233", "۱۳۸۰/۰۶/۳۱"):
        await chat.send(text)
    education = chat.peer.sent(USER)[-1]
    await chat.tap("کارشناسی")
    assert (await draft(chat))[0] == 5

    await stale(chat, "f:c:4:1", education["message_id"])  # the old question's button, tapped again
    for data in ("f:c:0:1", "f:c:99:0", "f:c:5:99", "f:s:5", "f:s:0", "f:e:nonexistent", "f:e:full_name",
                 "f:ok", "f:c:x:y", "f:"):
        await stale(chat, data)
    [asked] = await chat.tap("فارس")  # the real buttons still work
    assert T.HINT_CITY.format(province="فارس") in shown(asked)
    await stale(chat, "f:c:5:3")  # the province buttons are gone once the city is asked

    await chat.send("شیراز")
    await chat.tap("بله")
    await stale(chat, "f:e:nonexistent")  # at the summary
    await stale(chat, "f:c:6:0")
    await chat.send("/cancel")
    for data in ("f:resume", "f:ok", "f:b", "f:x", "f:c:0:0"):  # no form at all
        await stale(chat, data)
    assert await request_count(chat) == 0


async def test_a_button_left_from_another_services_form_is_stale(chat: Chat) -> None:
    await at_mobile_question(chat)
    await chat.send("09121234567")
    provinces = chat.peer.sent(USER)[-1]  # question 4 of 4: the province buttons, f:c:3:*
    await chat.send("/cancel")
    await chat.send("میخوام برای آموزش شهرداران ثبت نام کنم")
    for text in ("حسین مرادی", CODES[3], "09123456789"):
        await chat.send(text)
    [asked] = chat.peer.sent(USER)[-1:]
    assert shown(asked).startswith(question(4, 6, "سمت"))
    await stale(chat, "f:c:3:1", provinces["message_id"])  # «آذربایجان غربی» is no «سمت»


# --------------------------------------------------------------------------------------------------
# Drafts survive a restart; /start sets a form aside
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", ["telegram", "bale"])
async def test_a_half_filled_form_survives_a_restart(tmp_path: Path, clock, platform: str) -> None:
    peer = BotApiPeer(platform)
    database = tmp_path / "bot.db"
    async with running_bot(peer, database, clock=clock) as chat:
        await chat.send("میخوام برای دوره فنی حرفه ای ثبت نام کنم")
        for text in ("زهرا کریمی", CODES[2], "09121112233", "۱۳۸۰/۰۶/۳۱", "کارشناسی"):
            await chat.send(text)
        await chat.tap("فارس")  # half of question 6: the province, the city not yet
    assert_conversation_was_clean(chat)  # the application is shut down and the database closed
    answered_before = len(peer.outbox(USER))

    async with running_bot(peer, database, clock=clock) as chat:
        [asked] = await chat.send("شیراز")
        assert shown(asked).startswith(question(7, 7, "آیا پیش‌تر گواهینامه مهارت گرفته‌اید؟"))
        [summary] = await chat.tap("خیر")
        assert "• استان و شهر محل آموزش: فارس، شیراز\n" in shown(summary)
        assert "• کد ملی: " + fa(CODES[2]) in shown(summary)
        code = code_in((await chat.tap(T.FORM_CONFIRM))[0])
        assert (await chat.rt.db.requests.get(code)).data["birth_date"] == "2001-09-22"
        # Three answers to three actions: nothing handled before the restart was handled again.
        assert len(peer.outbox(USER)) == answered_before + 3
    assert_conversation_was_clean(chat)


async def test_start_sets_the_form_aside_and_a_search_is_a_search(chat: Chat) -> None:
    await at_mobile_question(chat)
    menu, paused = await chat.send("/start")
    assert shown(menu).startswith("سلام علی!")
    assert shown(paused) == T.FORM_PAUSED.format(title="ارائه معرفی‌نامه دریافت تسهیلات طرح کارا")
    assert labels(paused) == [T.FORM_RESUME_BUTTON, T.FORM_CANCEL_BUTTON]

    card = await chat.answer("سمینار خودکفایی امداد")  # not taken as the mobile number
    assert title_line(card).startswith("حمایت از اشتغال نیازمندان")
    assert (await draft(chat))[0] == 2

    resumed, asked = await chat.tap(T.FORM_RESUME_BUTTON)
    assert shown(resumed) == T.FORM_RESUME.format(title="ارائه معرفی‌نامه دریافت تسهیلات طرح کارا")
    assert shown(asked).startswith(question(3, 4, "شماره همراه"))
    _, asked = await chat.send("09121234567")
    assert shown(asked).startswith(question(4, 4, "استان محل سکونت"))


async def test_a_set_aside_form_can_be_dropped_and_its_buttons_are_stale(chat: Chat) -> None:
    await at_summary(chat)
    await chat.send("/start")
    await stale(chat, "f:ok")  # the old summary's confirm does nothing while the form is set aside
    [answer] = await chat.tap(T.FORM_CANCEL_BUTTON)  # under «ثبت‌نام نیمه‌تمام ... محفوظ است»
    assert shown(answer) == T.FORM_CANCELLED
    assert await draft(chat) is None and await request_count(chat) == 0


async def test_resuming_while_changing_an_answer_returns_to_the_summary(chat: Chat) -> None:
    await at_summary(chat)
    await chat.tap(T.FORM_EDIT.format(label="نام و نام خانوادگی"))
    await chat.send("/start")
    await chat.tap(T.FORM_RESUME_BUTTON)
    [summary] = await chat.send("زهرا کریمی")
    assert shown(summary).startswith(T.FORM_SUMMARY.format(title="ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"))


# --------------------------------------------------------------------------------------------------
# Duplicates and double taps
# --------------------------------------------------------------------------------------------------


async def register(chat: Chat, code: str, in_words: str = "میخوام برای وام کارا ثبت نام کنم") -> Message:
    """The default form, quickly; returns what the bot answers to the confirmation."""
    await chat.send(in_words)
    for text in ("مریم احمدی", code, "09121234567", "تهران"):
        await chat.send(text)
    [answer] = await chat.tap(T.FORM_CONFIRM)
    return answer


async def test_registering_twice_gives_back_the_same_code(chat: Chat) -> None:
    code = code_in(await register(chat, CODES[0]))
    again = await register(chat, CODES[0].translate(FA))
    assert shown(again).startswith(
        T.REGISTERED_DUPLICATE.format(title="ارائه معرفی‌نامه دریافت تسهیلات طرح کارا", code=fa(code))
    )
    assert await request_count(chat) == 1 and await draft(chat) is None

    # Another account with the same national code: registered like anyone (nothing tells it the code was
    # used), flagged for staff as a possible duplicate (tests/test_security.py).
    other = code_in(await register(chat.other_citizen(USER + 1), CODES[0]))
    assert other != code and await request_count(chat) == 2

    # Another service, or the same once the request is closed: a new request.
    code_b = code_in(await register(chat, CODES[0], "میخوام برای خوشه کسب و کار ثبت نام کنم"))
    await chat.rt.db.requests.set_status(code, DONE)
    code_c = code_in(await register(chat, CODES[0]))
    assert len({code, other, code_b, code_c}) == 4 and await request_count(chat) == 4


async def test_a_double_tap_on_confirm_registers_once(chat: Chat) -> None:
    await at_summary(chat)
    summary = chat.peer.sent(USER)[-1]
    confirm = data_of(summary, T.FORM_CONFIRM)
    shown_ = await chat.tap_twice(confirm, summary["message_id"])
    assert sum(bool(CODE_SHOWN.search(shown(m))) for m in shown_) == 1
    assert [shown(m) for m in shown_][1:] == [T.STALE_BUTTON]
    assert await request_count(chat) == 1


# --------------------------------------------------------------------------------------------------
# Tracking
# --------------------------------------------------------------------------------------------------


def status_lines(code: str, status: str, history: list[str]) -> str:
    """The status reply as the citizen reads it."""
    return "\n".join(
        [
            T.TRACK_TITLE.format(code=fa(code)),
            T.TRACK_SERVICE.format(title="ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"),
            T.TRACK_STATUS.format(status=status),
            T.TRACK_CREATED.format(date=REGISTERED_AT),
            "",
            T.TRACK_HISTORY,
            *history,
        ]
    )


async def test_only_the_owner_can_track_a_request_however_the_code_is_typed(chat: Chat) -> None:
    code = code_in(await register(chat, CODES[0]))
    expected = status_lines(code, "ثبت شده", [f"• {REGISTERED_AT}: ثبت شده"])
    spaced = " ".join(code[i : i + 4] for i in range(0, 12, 4))
    ways = [f"پیگیری {fa(code)}", code, f"کد رهگیری {spaced.translate(FA)}", spaced.replace(" ", "-"),
            f"پیگیری درخواست {code.translate(AR)}"]
    for typed_code in ways:
        assert shown(await chat.answer(typed_code)) == expected, typed_code
    assert shown(await chat.tap_for_one(T.TRACK_BUTTON)) == expected

    stranger = chat.other_citizen(USER + 1)
    for typed_code in ways[:2]:
        assert shown(await stranger.answer(typed_code)) == T.TRACK_NOT_FOUND

    mistyped = code[:5] + str((int(code[5]) + 1) % 10) + code[6:]
    assert shown(await chat.answer(f"پیگیری {fa(mistyped)}")) == T.TRACK_MISTYPED
    swapped = code[:3] + code[4] + code[3] + code[5:]
    if swapped != code:
        assert shown(await chat.answer(f"پیگیری {swapped}")) == T.TRACK_MISTYPED


async def test_repeated_failed_lookups_slow_down_only_that_citizen(chat: Chat, clock) -> None:
    code = code_in(await register(chat, CODES[0]))
    guesser = chat.other_citizen(USER + 1)
    for _ in range(3):
        assert shown(await guesser.answer(f"پیگیری {code}")) == T.TRACK_NOT_FOUND
    for _ in range(2):
        assert shown(await guesser.answer("پیگیری ۱۲۳۴۵۶۷۸۹۰۱۲")) == T.TRACK_MISTYPED
    assert shown(await guesser.answer(f"پیگیری {code}")) == T.TRACK_WAIT.format(seconds="۳۰")
    clock.advance(seconds=12)
    assert shown(await guesser.answer(f"پیگیری {code}")) == T.TRACK_WAIT.format(seconds="۱۸")

    # The owner, and anyone else, are not slowed down by the guesser.
    assert shown(await chat.answer(code)).startswith(T.TRACK_TITLE.format(code=fa(code)))
    assert shown(await chat.other_citizen(USER + 2).answer(code)) == T.TRACK_NOT_FOUND

    clock.advance(seconds=19)
    assert shown(await guesser.answer(f"پیگیری {code}")) == T.TRACK_NOT_FOUND  # may try again
    assert shown(await guesser.answer(f"پیگیری {code}")) == T.TRACK_WAIT.format(seconds="۶۰")  # and waits longer


# --------------------------------------------------------------------------------------------------
# Status changes
# --------------------------------------------------------------------------------------------------


@pytest.fixture(params=["telegram", "bale"])
async def quiet_chat(request: pytest.FixtureRequest, tmp_path: Path, clock) -> Chat:
    """Like `chat`, without the status-notice loop: the test delivers notices (deliver_notices) itself."""
    peer = BotApiPeer(request.param)
    async with running_bot(peer, tmp_path / "bot.db", clock=clock, notices=False, flood_burst=FLOOD_BURST_FOR_TESTS) as citizen:
        yield citizen
    assert_conversation_was_clean(citizen)


CHANGES = [
    (UNDER_REVIEW, "کارشناس استان پرونده را بررسی می‌کند", "۱ فروردین ۱۴۰۴، ساعت ۱۱:۳۰"),
    (NEEDS_DOCUMENTS, "تصویر کارت ملی را در سامانه بارگذاری کنید", "۲ فروردین ۱۴۰۴، ساعت ۱۱:۳۰"),
    (APPROVED, "معرفی‌نامه صادر شد", "۳ فروردین ۱۴۰۴، ساعت ۱۱:۳۰"),
    (DONE, "معرفی‌نامه به بانک عامل فرستاده شد", "۴ فروردین ۱۴۰۴، ساعت ۱۱:۳۰"),
]


async def test_each_status_change_reaches_the_citizen_once_and_tracking_shows_the_history(
    quiet_chat: Chat, clock
) -> None:
    chat = quiet_chat
    code = code_in(await register(chat, CODES[0]))
    assert await deliver_notices(chat.app) == 0  # the confirmation itself is no notice

    for status, note, _ in CHANGES:
        clock.advance(days=1)
        await chat.rt.db.requests.set_status(code, status, note=note, actor="کارشناس")
        before = len(chat.peer.outbox(USER))
        assert await deliver_notices(chat.app) == 1
        assert await deliver_notices(chat.app) == 0
        [notice] = chat.peer.outbox(USER)[before:]
        assert shown(notice) == T.STATUS_CHANGED.format(
            code=fa(code), title="ارائه معرفی‌نامه دریافت تسهیلات طرح کارا", status=STATUS_LABELS[status],
            note=f"\n{note}",
        )
        assert labels(notice) == [T.TRACK_BUTTON]

    history = [f"• {REGISTERED_AT}: ثبت شده"] + [
        f"• {when}: {STATUS_LABELS[status]} — {note}" for status, note, when in CHANGES
    ]
    expected = status_lines(code, "انجام شده", history)
    assert shown(await chat.answer(fa(code))) == expected
    assert shown(await chat.tap_for_one(T.TRACK_BUTTON)) == expected  # the notice's button


async def test_a_notice_that_fails_is_retried_and_one_for_a_citizen_who_blocked_the_bot_is_dropped(
    quiet_chat: Chat, clock
) -> None:
    chat = quiet_chat
    code = code_in(await register(chat, CODES[0]))
    await chat.rt.db.requests.set_status(code, UNDER_REVIEW)
    before = len(chat.peer.outbox(USER))
    chat.peer.fail_next("sendMessage", 502)  # once: retried at once
    assert await deliver_notices(chat.app) == 1
    assert len(chat.peer.outbox(USER)) == before + 1

    await chat.rt.db.requests.set_status(code, NEEDS_DOCUMENTS)
    chat.peer.fail_next("sendMessage", 502, times=4)  # again and again: it waits in the outbox
    assert await deliver_notices(chat.app) == 1
    assert len(chat.peer.outbox(USER)) == before + 1
    clock.advance(seconds=QUEUE_RETRY + 1)
    assert await drain_outbox(chat.rt, chat.app.bot) == 1
    assert len(chat.peer.outbox(USER)) == before + 2
    assert STATUS_LABELS[NEEDS_DOCUMENTS] in shown(chat.peer.sent(USER)[-1])

    await chat.rt.db.requests.set_status(code, APPROVED)
    chat.peer.block(USER)
    assert await deliver_notices(chat.app) == 1  # given up for good, not retried
    assert await chat.rt.db.requests.undelivered(chat.platform) == []
    assert len(chat.peer.outbox(USER)) == before + 2


async def test_a_confirmation_that_could_not_be_sent_is_delivered_later_with_its_code(
    quiet_chat: Chat, clock
) -> None:
    chat = quiet_chat
    await at_summary(chat)
    chat.peer.fail_next("sendMessage", 502, times=4)  # the confirmation and its retries
    shown_now = await chat.tap(T.FORM_CONFIRM)
    assert shown_now == []  # nothing yet, and no apology: the confirmation waits in the outbox
    [request] = await chat.rt.db.requests.list()
    assert await draft(chat) is None

    assert await deliver_notices(chat.app) == 0  # the outbox has it: the notices do not send it again
    clock.advance(seconds=QUEUE_RETRY + 1)
    assert await drain_outbox(chat.rt, chat.app.bot) == 1
    clock.advance(seconds=CONFIRMATION_GRACE_SECONDS + 1)
    assert await deliver_notices(chat.app) == 0
    later = chat.peer.sent(USER)[-1]
    assert code_in(later) == request.tracking_code
    assert shown(later).startswith(
        T.REGISTERED.format(title="ارائه معرفی‌نامه دریافت تسهیلات طرح کارا", code=fa(request.tracking_code),
                            date=REGISTERED_AT)
    )
    assert [m for m in chat.peer.sent(USER) if CODE_SHOWN.search(shown(m))] == [later]  # once


async def test_a_confirmation_held_up_by_flood_control_is_not_sent_twice(
    quiet_chat: Chat, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = quiet_chat
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22.8 otherwise warns while building RetryAfter
    await at_summary(chat)
    chat.peer.fail_next("sendMessage", 429, retry_after=1)
    confirm = chat.peer.user_taps_button(USER, T.FORM_CONFIRM)
    chat.query_ids.append(confirm["callback_query"]["id"])
    deadline = time.monotonic() + 5
    while not await chat.rt.db.requests.list():  # stored; the bot now waits out the flood control
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    clock.advance(seconds=CONFIRMATION_GRACE_SECONDS + 1)  # (standing for a long retry_after)
    await deliver_notices(chat.app)
    await chat.handled([confirm])
    confirmations = [m for m in chat.peer.sent(USER) if CODE_SHOWN.search(shown(m))]
    assert len(confirmations) == 1


async def test_a_write_cancelled_as_it_begins_leaves_the_database_usable(db) -> None:
    pruning = asyncio.create_task(db.drafts.prune(30))  # what the notice loop does first
    await asyncio.sleep(0)  # it now waits for its BEGIN IMMEDIATE
    pruning.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await pruning
    await db.drafts.save("telegram", USER, "13011031101", 1, {"full_name": "مریم احمدی"})
    assert (await db.drafts.get("telegram", USER)).step == 1


async def test_the_running_bot_delivers_a_status_change_by_itself(chat: Chat) -> None:
    code = code_in(await register(chat, CODES[0]))
    before = len(chat.peer.outbox(USER))
    await chat.rt.db.requests.set_status(code, UNDER_REVIEW)
    deadline = time.monotonic() + 5  # the notice loop looks every 2 s
    while len(chat.peer.outbox(USER)) == before:
        assert time.monotonic() < deadline, "no status notice within 5 s"
        await chat.peer._wait_change(0.1)
    [notice] = chat.peer.outbox(USER)[before:]
    assert STATUS_LABELS[UNDER_REVIEW] in shown(notice) and fa(code) in shown(notice)
    while await chat.rt.db.requests.undelivered(chat.platform):  # marked delivered just after sending
        assert time.monotonic() < deadline, "the notice was sent but not marked delivered"
        await chat.peer._wait_change(0.05)


# --------------------------------------------------------------------------------------------------
# Many citizens at once
# --------------------------------------------------------------------------------------------------


async def test_two_hundred_citizens_registering_at_once_get_two_hundred_codes(chat: Chat) -> None:
    """200 citizens fill in the default form at the same time: every message of every citizen is queued
    before the bot handles the first (citizens shuffled within each round), so the bot handles different
    citizens concurrently while each citizen's answers must still reach the form in order."""
    citizens = [chat.other_citizen(USER + 1 + i) for i in range(200)]
    codes = dict(zip((c.user_id for c in citizens), national_codes(200, seed=9), strict=True))
    rng = random.Random(7)

    def each(action: Callable[[Chat], dict[str, Any]]) -> list[dict[str, Any]]:
        """Each citizen does `action`, in a shuffled order; returns the updates (not yet handled)."""
        order = citizens[:]
        rng.shuffle(order)
        updates = [action(c) for c in order]
        for c, update in zip(order, updates, strict=True):
            if "callback_query" in update:
                c.query_ids.append(update["callback_query"]["id"])
        return updates

    started = time.perf_counter()
    queued = [
        *each(lambda c: c.peer.user_sends(c.user_id, "میخوام برای وام کارا ثبت نام کنم")),
        *each(lambda c: c.peer.user_sends(c.user_id, "مریم احمدی")),
        *each(lambda c: c.peer.user_sends(c.user_id, codes[c.user_id].translate(FA))),
        *each(lambda c: c.peer.user_sends(c.user_id, f"0912{c.user_id % 10_000_000:07d}")),
        *each(lambda c: c.peer.user_sends(c.user_id, "تهران")),
    ]
    await chat.handled(queued, timeout=60)
    assert all(shown(c.peer.sent(c.user_id)[-1]).startswith(T.FORM_SUMMARY.split("«")[0]) for c in citizens)
    def confirm(c: Chat) -> dict:
        summary = c.peer.sent(c.user_id)[-1]
        return c.peer.user_taps(c.user_id, summary["message_id"], data_of(summary, T.FORM_CONFIRM))

    await chat.handled(each(confirm), timeout=60)
    elapsed = time.perf_counter() - started

    shown_codes = {c.user_id: code_in(c.peer.sent(c.user_id)[-1]) for c in citizens}
    assert len(set(shown_codes.values())) == 200
    assert all(is_well_formed(code) for code in shown_codes.values())
    requests = await chat.rt.db.requests.list(limit=1000)
    assert len(requests) == 200
    assert {r.user_id: (r.tracking_code, r.national_code) for r in requests} == {
        uid: (shown_codes[uid], codes[uid]) for uid in shown_codes
    }
    assert all(T.ERROR not in [m["plain"] for m in c.peer.outbox(c.user_id)] for c in citizens)
    print(f"200 registrations (1200 updates) through the bot on {chat.platform}: {elapsed:.1f} s")
    assert elapsed < 60


async def test_requests_created_at_the_same_moment_get_distinct_codes_and_one_per_person(db) -> None:
    """Below the bot: 200 coroutines creating at once (interleaved at every await, serialized only by the
    database's write lock), and 20 taps of one person's «send» at once."""
    created = await asyncio.gather(
        *(db.requests.create("13011031101", "telegram", 10_000 + i, 10_000 + i, code, "09121234567", {"n": i})
          for i, code in enumerate(national_codes(200, seed=11)))
    )
    assert len({c.tracking_code for c in created}) == 200 and not any(c.duplicate for c in created)
    assert all(is_well_formed(c.tracking_code) for c in created)

    same = await asyncio.gather(
        *(db.requests.create("business-clusters", "bale", 7, 7, CODES[0], "09121234567", {}) for _ in range(20))
    )
    assert len({c.tracking_code for c in same}) == 1
    assert [c.duplicate for c in same].count(False) == 1
    assert (await db.requests.count_by_status())["submitted"] == 201


async def test_a_citizen_flooding_the_form_is_slowed_down_without_losing_the_form(tmp_path: Path, clock) -> None:
    """Production flood settings (a burst of 30, then 5 a second): the updates over the burst are dropped
    with one «slow down»; what was handled kept its order, and a neighbour is served as usual."""
    async with running_bot(BotApiPeer("telegram"), tmp_path / "bot.db", clock=clock) as chat:
        await chat.send("میخوام برای وام کارا ثبت نام کنم")
        flood = [chat.peer.user_sends(USER, "مریم") for _ in range(40)]
        neighbour = chat.other_citizen(USER + 1)
        assert title_line(await neighbour.answer("وام کارا")).startswith("ارائه معرفی‌نامه")
        await chat.handled(flood[:25])
        deadline = time.monotonic() + 5
        while T.SLOW_DOWN not in [m["plain"] for m in chat.peer.outbox(USER)]:
            assert time.monotonic() < deadline, "no «slow down» within 5 s"
            await chat.peer._wait_change(0.1)
        seen = [m["plain"] for m in chat.peer.outbox(USER)]
        assert seen.count(T.SLOW_DOWN) == 1
        assert 25 <= seen.count(T.FORM_NAME_FULL) < 40  # some handled, in order, the rest dropped
        assert (await draft(chat))[0] == 0
        await asyncio.sleep(0.5)  # tokens come back at 5 a second
        [asked] = await chat.send("مریم احمدی")
        assert shown(asked).startswith(question(2, 4, "کد ملی"))
    assert_conversation_was_clean(chat)
