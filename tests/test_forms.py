"""The registration form as plain Python (bot.forms): a state goes in, a new state and the replies come out.

No bot, no database: what the citizen would read is the text of the returned replies. The conversation
tests (test_registration.py) drive the same forms through the real bot.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot import forms
from bot import identifiers as ids
from bot import texts as T
from bot.knowledge import FormField, Registration, Service, load_knowledge
from bot.reply import Reply, render_plain
from tests.support.botchat import KNOWLEDGE_DIR
from tests.support.identity import national_code

KNOWLEDGE = load_knowledge(KNOWLEDGE_DIR)
DEFAULT_FORM_SERVICES = ("13011031101", "13012712105", "business-clusters")
ALL_SERVICES = (*DEFAULT_FORM_SERVICES, "tvto-skill-training", "municipal-training")

FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
AR = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def service(service_id: str) -> Service:
    found = KNOWLEDGE.get(service_id)
    assert found is not None, service_id
    return found


def with_fields(*fields: FormField) -> Service:
    """A service whose form asks exactly `fields` (for field types no real service uses yet)."""
    return service("business-clusters").model_copy(update={"registration": Registration(fields=list(fields))})


VALID_CODE = national_code("001234567")  # starts with zeros: typed with 8 digits it must still be found
WRONG_CHECK = VALID_CODE[:-1] + str((int(VALID_CODE[-1]) + 1) % 10)


def text_of(replies: tuple[Reply, ...]) -> list[str]:
    """What the citizen reads, message by message."""
    return [render_plain(r.text) for r in replies]


def question(n: int, total: int, label: str) -> str:
    return T.FORM_QUESTION.format(n=str(n).translate(FA), total=str(total).translate(FA), label=label)


def data_buttons(reply: Reply) -> list[str]:
    return [b.data for row in reply.buttons for b in row if b.data]


def fill(svc: Service, *answers: str) -> forms.FormState:
    """The state after typing `answers` one by one, each of which must be accepted."""
    state = forms.start(svc).state
    for text in answers:
        step = forms.answer(svc, state, text)
        assert step.state is not None and step.state.step == state.step + 1, text_of(step.replies)
        state = step.state
    return state


DEFAULT_ANSWERS = ("مریم احمدی", VALID_CODE, "09121234567", "تهران")
VALID_TYPED = {
    "person_name": "مریم احمدی", "national_code": VALID_CODE, "mobile": "09121234567", "jalali_date": "۱۳۸۰/۰۶/۳۱",
    "province": "تهران", "province_city": "تهران", "text": "شهرداری تهران", "yes_no": "بله", "number": "۱",
}


# ------------------------------------------------------------------------------------ which questions


@pytest.mark.parametrize("service_id", DEFAULT_FORM_SERVICES)
def test_a_service_without_its_own_form_asks_the_default_questions(service_id: str) -> None:
    assert forms.fields_of(service(service_id)) == forms.DEFAULT_FIELDS
    assert [f.type for f in forms.DEFAULT_FIELDS] == ["person_name", "national_code", "mobile", "province"]


def test_services_with_their_own_form_ask_their_own_questions() -> None:
    assert [f.name for f in forms.fields_of(service("tvto-skill-training"))] == [
        "full_name", "national_code", "mobile", "birth_date", "education", "location", "has_certificate",
    ]
    assert [f.name for f in forms.fields_of(service("municipal-training"))] == [
        "full_name", "national_code", "mobile", "position", "municipality", "location",
    ]


@pytest.mark.parametrize("service_id", ALL_SERVICES)
def test_the_form_opens_with_an_intro_and_only_the_first_question(service_id: str) -> None:
    svc = service(service_id)
    fields = forms.fields_of(svc)
    step = forms.start(svc)
    assert step.state == forms.FormState(service_id)
    intro, first = text_of(step.replies)
    assert intro == T.FORM_INTRO.format(title=svc.title, count=str(len(fields)).translate(FA))
    assert first.startswith(question(1, len(fields), fields[0].label))
    assert "پرسش ۲" not in first
    # The first question has nowhere to go back to: only «انصراف».
    assert data_buttons(step.replies[1]) == ["f:x"]


@pytest.mark.parametrize("service_id", ALL_SERVICES)
def test_every_button_of_every_question_fits_the_callback_data_limit(service_id: str) -> None:
    """callback_data is at most 64 bytes on both platforms (PLATFORMS.md)."""
    svc = service(service_id)
    fields = forms.fields_of(svc)
    state = forms.start(svc).state
    shown: list[Reply] = [*forms.prompt(svc, state)]
    for f in fields:
        if f.type == "province_city":
            shown += forms.choose(svc, state, state.step, 0).replies  # the city, after the province
            state = forms.answer(svc, state, "تهران").state  # a typed province: the city is asked next
            shown += forms.prompt(svc, state)
            state = forms.answer(svc, state, "شهریار").state
        else:
            state = forms.answer(svc, state, f.choices[0] if f.choices else VALID_TYPED[f.type]).state
        shown += forms.prompt(svc, state)
    assert state.step == len(fields)  # the summary, with every edit button
    for reply in shown:
        for data in data_buttons(reply):
            assert data.isascii() and 1 <= len(data.encode()) <= 64, data


# ------------------------------------------------------------------------------------ one at a time


def test_the_default_form_goes_question_by_question_to_a_summary_and_a_confirmation() -> None:
    svc = service("13011031101")
    state = forms.start(svc).state
    typed = ("  مریم   احمدی ", VALID_CODE.translate(FA), "+98 912 123 4567", "تهرن")
    for n, text in enumerate(typed, 1):
        step = forms.answer(svc, state, text)
        assert step.state.step == n and not step.confirmed
        shown = text_of(step.replies)
        if n < 4:
            assert shown[-1].startswith(question(n + 1, 4, forms.DEFAULT_FIELDS[n].label))
        if n == 3:  # the mobile: the answer is read back and the share-contact keyboard taken away
            assert shown[0] == T.FORM_SAVED.format(label="شماره همراه", value="۰۹۱۲۱۲۳۴۵۶۷")
            assert step.replies[0].remove_keyboard
        state = step.state
    assert state.answers == {
        "full_name": "مریم احمدی", "national_code": VALID_CODE, "mobile": "09121234567", "province": "تهران",
    }
    [summary] = text_of(step.replies)
    assert summary.startswith(T.FORM_SUMMARY.format(title=svc.title))
    for line in ("• نام و نام خانوادگی: مریم احمدی", f"• کد ملی: {VALID_CODE.translate(FA)}",
                 "• شماره همراه: ۰۹۱۲۱۲۳۴۵۶۷", "• استان محل سکونت: تهران"):
        assert line in summary
    assert data_buttons(step.replies[0])[0] == f"f:ok:{forms.token(svc)}"
    assert forms.confirm(svc, state) == forms.Step(state, (), confirmed=True)
    assert forms.submitted_identity(svc, state.answers) == (VALID_CODE, "09121234567")


def test_the_mobile_question_offers_the_share_contact_button_and_typed_navigation() -> None:
    svc = service("13011031101")
    state = fill(svc, *DEFAULT_ANSWERS[:2])
    [asked] = forms.prompt(svc, state)
    assert asked.request_contact == T.FORM_SHARE_CONTACT
    assert asked.keyboard == ((T.FORM_BACK_WORD, T.FORM_CANCEL_WORD),)
    assert forms.store_mobile(svc, state, "09121234567").state.answers["mobile"] == "09121234567"
    assert forms.store_mobile(svc, replace(state, step=0), "09121234567") is None  # not asking for a mobile


# ------------------------------------------------------------------------------------ every check


def check(field_type: str, text: str, **extra) -> tuple[object, str | None]:
    return forms.check(FormField(name="f", label="پرسش", type=field_type, **extra), text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1234567", ids.MSG_NC_LENGTH.format(count="۷")),
        ("۱۲۳۴۵۶۷۸۹۰۱", ids.MSG_NC_LENGTH.format(count="۱۱")),
        ("12345abcde", ids.MSG_NC_NOT_DIGITS),
        ("کد ملی من", ids.MSG_NC_NOT_DIGITS),
        (WRONG_CHECK, ids.MSG_NC_CHECKSUM),
        ("1111111111", ids.MSG_NC_REPEATED),
        ("۰۰۰۰۰۰۰۰۰۰", ids.MSG_NC_REPEATED),
        ("   ", T.FORM_EMPTY),
    ],
)
def test_a_wrong_national_code_is_refused_with_what_to_fix(text: str, problem: str) -> None:
    assert check("national_code", text) == (None, problem)


@pytest.mark.parametrize(
    "typed",
    [VALID_CODE, VALID_CODE.translate(FA), VALID_CODE.translate(AR), VALID_CODE[2:],
     f"{VALID_CODE[:3]}-{VALID_CODE[3:9]}-{VALID_CODE[9]}", f" {VALID_CODE[:5]} {VALID_CODE[5:]} "],
    ids=["latin", "persian", "arabic", "leading-zeros-dropped", "dashes", "spaces"],
)
def test_a_valid_national_code_is_kept_as_ten_latin_digits(typed: str) -> None:
    assert check("national_code", typed) == (VALID_CODE, None)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("08121234567", ids.MSG_MOBILE_PREFIX),
        ("02188776655", ids.MSG_MOBILE_PREFIX),
        ("0912123456", ids.MSG_MOBILE_LENGTH.format(count="۱۰")),
        ("۰۹۱۲۱۲۳", ids.MSG_MOBILE_LENGTH.format(count="۷")),
        ("+14155552671", ids.MSG_MOBILE_FOREIGN),
        ("00447911123456", ids.MSG_MOBILE_FOREIGN),
        ("0912abc4567", ids.MSG_MOBILE_NOT_DIGITS),
    ],
)
def test_a_wrong_mobile_is_refused_with_what_to_fix(text: str, problem: str) -> None:
    assert check("mobile", text) == (None, problem)


@pytest.mark.parametrize(
    "typed",
    ["09121234567", "۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧", "+989121234567", "00989121234567", "989121234567",
     "9121234567", "0912 123 4567", "0912-123-4567", "(0912) 123 4567"],
)
def test_a_mobile_in_any_accepted_form_is_kept_as_09_and_nine_digits(typed: str) -> None:
    assert check("mobile", typed) == ("09121234567", None)


@pytest.mark.parametrize(
    ("field_type", "text", "extra", "expected"),
    [
        # names
        ("person_name", "مریم احمدی", {}, ("مریم احمدی", None)),
        ("person_name", "علي رضايي", {}, ("علي رضايي", None)),
        ("person_name", "Maryam Ahmadi", {}, ("Maryam Ahmadi", None)),
        ("person_name", "مریم ۲ احمدی", {}, (None, T.FORM_NAME_LETTERS)),
        ("person_name", "Maryam2 Ahmadi", {}, (None, T.FORM_NAME_LETTERS)),
        ("person_name", "مریم_احمدی", {}, (None, T.FORM_NAME_LETTERS)),
        ("person_name", "مریم", {}, (None, T.FORM_NAME_FULL)),
        ("person_name", "مریم " + "الف" * 30, {}, (None, T.FORM_TOO_LONG.format(limit="۸۰"))),
        # numbers
        ("number", "۲۵", {"min": 1, "max": 500}, (25, None)),
        ("number", "1,200", {}, (1200, None)),
        ("number", "بیست", {}, (None, T.FORM_NUMBER)),
        ("number", "۰", {"min": 1, "max": 500}, (None, T.FORM_NUMBER_MIN.format(min="۱"))),
        ("number", "٥٠١", {"min": 1, "max": 500}, (None, T.FORM_NUMBER_MAX.format(max="۵۰۰"))),
        ("number", "-3", {"min": 1}, (None, T.FORM_NUMBER)),
        # yes / no
        ("yes_no", "بله", {}, (True, None)),
        ("yes_no", "آره", {}, (True, None)),
        ("yes_no", "اره", {}, (True, None)),
        ("yes_no", "نه", {}, (False, None)),
        ("yes_no", "خیر", {}, (False, None)),
        ("yes_no", "شاید", {}, (None, T.FORM_YES_NO)),
        # Jalali dates
        ("jalali_date", "۱۳۸۰/۰۶/۳۱", {}, ("2001-09-22", None)),
        ("jalali_date", "1380-6-31", {}, ("2001-09-22", None)),
        ("jalali_date", "٨٠/٦/٣١", {}, ("2001-09-22", None)),
        ("jalali_date", "۱۴۰۳/۱۲/۳۰", {}, ("2025-03-20", None)),  # 1403 is a leap year
        ("jalali_date", "۱۴۰۴/۱۲/۳۰", {}, (None, T.FORM_DATE)),  # 1404 is not
        ("jalali_date", "۱۴۰۳/۱۳/۴۰", {}, (None, T.FORM_DATE)),
        ("jalali_date", "۳۱ شهریور", {}, (None, T.FORM_DATE)),
        ("jalali_date", "1380/6", {}, (None, T.FORM_DATE)),
        # provinces: a slip of the finger is forgiven, a wrong word is not
        ("province", "تهرن", {}, ("تهران", None)),
        ("province", "مازندرن", {}, ("مازندران", None)),
        ("province", "آذربایجان شرقي", {}, ("آذربایجان شرقی", None)),
        ("province", "کرمانشا", {}, ("کرمانشاه", None)),
        ("province", "سلام", {}, (None, T.FORM_PROVINCE)),
        ("province", "خراسان", {}, (None, T.FORM_PROVINCE)),  # three provinces: ask, do not guess
        ("province", "asdf", {}, (None, T.FORM_PROVINCE)),
        # free text
        ("text", "شهرداری منطقه ۳", {"min": 3, "max": 100}, ("شهرداری منطقه ۳", None)),
        ("text", "شم", {"min": 3}, (None, T.FORM_TEXT_MIN.format(min="۳"))),
        ("text", "ب" * 101, {"max": 100}, (None, T.FORM_TOO_LONG.format(limit="۱۰۰"))),
        # any type: empty or longer than any answer
        ("text", "\u200f \u200e", {}, (None, T.FORM_EMPTY)),
        ("person_name", "الف " * 101, {}, (None, T.FORM_TOO_LONG.format(limit="۳۰۰"))),
    ],
)
def test_each_answer_type_is_checked(field_type: str, text: str, extra: dict, expected: tuple) -> None:
    assert check(field_type, text, **extra) == expected


EDUCATION = ["زیر دیپلم", "دیپلم", "کاردانی", "کارشناسی", "کارشناسی ارشد و بالاتر"]


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [("کارشناسی", "کارشناسی"), ("كارشناسي", "کارشناسی"), ("دیپلوم", "دیپلم"), ("۲", "دیپلم"),
     ("٣", "کاردانی"), ("کارشناسی ارشد و بالاتر", "کارشناسی ارشد و بالاتر")],
)
def test_a_typed_choice_that_matches_an_option_is_accepted(typed: str, chosen: str) -> None:
    assert check("choice", typed, choices=EDUCATION) == (chosen, None)


@pytest.mark.parametrize("typed", ["دکترا", "۶", "0", "بله"])
def test_a_typed_choice_not_in_the_list_is_refused(typed: str) -> None:
    assert check("choice", typed, choices=EDUCATION) == (None, T.FORM_CHOICE)


def test_a_typed_choice_that_is_the_start_of_exactly_one_option_is_accepted() -> None:
    assert check("choice", "کارشناسی ارشد", choices=EDUCATION) == ("کارشناسی ارشد و بالاتر", None)


def test_an_invalid_answer_repeats_the_problem_and_the_same_question_and_keeps_the_state() -> None:
    svc = service("13011031101")
    state = fill(svc, "مریم احمدی")
    [asked] = forms.prompt(svc, state)
    step = forms.answer(svc, state, "1234567")
    assert step.state == state
    assert step.replies == (Reply(ids.MSG_NC_LENGTH.format(count="۷")), asked)


# ------------------------------------------------------------------------------------ buttons


def test_choice_yes_no_and_skip_buttons() -> None:
    svc = service("tvto-skill-training")
    state = fill(svc, "مریم احمدی", VALID_CODE, "09121234567", "۱۳۸۰/۰۶/۳۱")
    assert forms.choose(svc, state, 4, 3).state.answers["education"] == "کارشناسی"
    assert forms.choose(svc, state, 4, 5) is None  # no sixth option
    assert forms.choose(svc, state, 3, 0) is None  # a button of the question before
    state = forms.choose(svc, state, 4, 3).state

    # Province and city: the province button keeps the question open and asks for the city.
    picked = forms.choose(svc, state, 5, PROVINCES_INDEX["فارس"])
    assert picked.state.step == 5
    assert T.HINT_CITY.format(province="فارس") in text_of(picked.replies)[0]
    assert forms.choose(svc, picked.state, 5, 0) is None  # the province buttons are gone
    assert forms.answer(svc, picked.state, "۱۲").replies[0].text == T.FORM_CITY
    state = forms.answer(svc, picked.state, "شیراز").state
    assert state.answers["location"] == "فارس، شیراز" and "location__province" not in state.answers

    assert forms.skip(svc, state, 5) is None  # not the current question
    assert forms.choose(svc, state, 6, 0).state.answers["has_certificate"] is True
    assert forms.choose(svc, state, 6, 1).state.answers["has_certificate"] is False
    skipped = forms.skip(svc, state, 6)
    assert skipped.state.answers["has_certificate"] is None and skipped.state.step == 7
    assert "• آیا پیش‌تر گواهینامه مهارت گرفته‌اید؟: —" in text_of(skipped.replies)[0]
    assert forms.skip(svc, replace(state, step=0), 0) is None  # a required question cannot be skipped


PROVINCES_INDEX = {p: i for i, p in enumerate(forms.PROVINCES)}


def test_a_typed_province_at_a_province_and_city_question_still_asks_for_the_city() -> None:
    svc = service("tvto-skill-training")
    state = fill(svc, "مریم احمدی", VALID_CODE, "09121234567", "۱۳۸۰/۰۶/۳۱", "کارشناسی")
    step = forms.answer(svc, state, "فارس")
    assert step.state.step == 5
    assert T.HINT_CITY.format(province="فارس") in text_of(step.replies)[-1]


def test_stale_and_forged_buttons_change_nothing() -> None:
    svc = service("13011031101")
    state = fill(svc, "مریم احمدی", VALID_CODE)
    assert forms.choose(svc, state, 0, 1) is None
    assert forms.choose(svc, state, 99, 0) is None
    assert forms.choose(svc, state, 2, 0) is None  # the mobile question has no options
    assert forms.edit(svc, state, "full_name") is None  # only from the summary
    assert forms.confirm(svc, state) is None
    done = fill(svc, *DEFAULT_ANSWERS)
    assert forms.edit(svc, done, "nonexistent") is None
    assert forms.choose(svc, done, 3, 0) is None  # the province is answered: its buttons are stale


# ------------------------------------------------------------------------------------ back, edit, cancel


def test_back_goes_to_the_previous_question_and_says_so_at_the_first() -> None:
    svc = service("13011031101")
    first = forms.start(svc).state
    at_first = forms.back(svc, first)
    assert at_first.state == first
    assert text_of(at_first.replies)[0] == T.FORM_AT_FIRST
    assert text_of(at_first.replies)[1].startswith(question(1, 4, "نام و نام خانوادگی"))

    state = fill(svc, "مریم احمدی", VALID_CODE)
    back = forms.back(svc, state)
    assert back.state.step == 1 and back.state.answers == state.answers  # answers are kept
    assert text_of(back.replies)[0].startswith(question(2, 4, "کد ملی"))
    for word in ("بازگشت", "برگشت", "back"):
        assert forms.answer(svc, state, word).state.step == 1

    done = fill(svc, *DEFAULT_ANSWERS)
    from_summary = forms.answer(svc, done, "بازگشت")
    assert from_summary.state.step == 3
    assert text_of(from_summary.replies)[0].startswith(question(4, 4, "استان محل سکونت"))


def test_an_answer_changed_from_the_summary_leads_back_to_the_summary() -> None:
    svc = service("13011031101")
    done = fill(svc, *DEFAULT_ANSWERS)
    editing = forms.edit(svc, done, "full_name")
    assert editing.state.step == 0 and editing.state.editing == "full_name"
    assert data_buttons(editing.replies[0]) == ["f:b", "f:x"]  # back returns to the summary
    changed = forms.answer(svc, editing.state, "زهرا کریمی")
    assert changed.state.step == 4 and changed.state.editing is None
    assert changed.state.answers == {**done.answers, "full_name": "زهرا کریمی"}
    assert "• نام و نام خانوادگی: زهرا کریمی" in text_of(changed.replies)[0]
    # «بازگشت» while changing an answer: back to the summary, nothing changed.
    untouched = forms.back(svc, editing.state)
    assert untouched.state == done
    assert text_of(untouched.replies)[0].startswith(T.FORM_SUMMARY.format(title=svc.title))


def test_typing_at_the_summary_asks_for_its_buttons() -> None:
    svc = service("13011031101")
    done = fill(svc, *DEFAULT_ANSWERS)
    step = forms.answer(svc, done, "بله درسته")
    assert step.state == done
    assert text_of(step.replies)[0] == T.FORM_USE_BUTTONS
    assert text_of(step.replies)[1].startswith(T.FORM_SUMMARY.format(title=svc.title))


@pytest.mark.parametrize("word", ["انصراف", "لغو", "منصرف شدم", "cancel"])
def test_a_cancel_word_ends_the_form_at_any_question(word: str) -> None:
    svc = service("tvto-skill-training")
    for state in (forms.start(svc).state, fill(svc, "مریم احمدی", VALID_CODE)):
        step = forms.answer(svc, state, word)
        assert step.state is None and not step.confirmed
        assert step.replies == (Reply(T.FORM_CANCELLED, remove_keyboard=True),)


def test_a_number_question_through_the_state_machine() -> None:
    svc = with_fields(
        FormField(name="staff", label="تعداد کارکنان", type="number", min=1, max=500),
        FormField(name="note", label="توضیح", type="text", required=False),
    )
    state = forms.start(svc).state
    assert forms.answer(svc, state, "۹۰۰").replies[0].text == T.FORM_NUMBER_MAX.format(max="۵۰۰")
    state = forms.answer(svc, state, "۴۲").state
    assert state.answers == {"staff": 42}
    [asked] = forms.prompt(svc, state)
    assert T.FORM_OPTIONAL in asked.text and any(d.startswith("f:s:") and d.endswith(":1") for d in data_buttons(asked))
    assert "• تعداد کارکنان: ۴۲" in render_plain(forms.skip(svc, state, 1).replies[0].text)


def test_a_form_in_progress_follows_questions_removed_moved_or_added_by_an_admin() -> None:
    a, b, c, d = (FormField(name=n, label=n, type="text") for n in "abcd")
    old = with_fields(a, b, c, d)
    at_c = forms.FormState(old.id, 2, {"a": "۱", "b": "۲"})
    assert forms.aligned(old, at_c) == at_c  # nothing changed: nothing moves
    assert forms.aligned(with_fields(b, c, d), at_c).step == 1  # «a» removed: still «c»
    assert forms.aligned(with_fields(a, d, b, c), at_c).step == 1  # «d» moved up: it is asked first
    summary = forms.FormState(old.id, 4, {"a": "۱", "b": "۲", "c": "۳", "d": "۴"})
    assert forms.aligned(with_fields(a, b, c), summary).step == 3  # the summary stays the summary
    added = with_fields(a, b, c, d, FormField(name="e", label="e", type="text"))
    assert forms.aligned(added, summary).step == 4 and forms.confirm(added, forms.aligned(added, summary)) is None
    editing = replace(summary, step=1, editing="b")
    assert forms.aligned(with_fields(a, c, d), editing) == replace(summary, step=3, editing=None)
