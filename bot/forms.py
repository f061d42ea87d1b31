"""Registration forms: one question at a time, every answer checked, a summary before anything is sent.

Plain Python: a `FormState` goes in, a new state and the replies to show come out. The bot stores the
state (a draft) after every step, so a half-filled form survives a restart.

Form buttons carry the form's token and the step they were shown for (bot.payload), so a button left
over from an earlier question is recognised as stale instead of answering the wrong question.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz, process

from bot import payload
from bot import texts as T
from bot.folding import fold
from bot.identifiers import mobile_problem, national_code_problem, normalize_mobile, normalize_national_code
from bot.knowledge import FormField, Service
from bot.payload import FormOp
from bot.persian import jalali_date, parse_jalali_date, to_latin_digits, to_persian_digits
from bot.places import PROVINCES
from bot.reply import Button, Reply, bold
from bot.textnorm import clean

_PROVINCE_KEYS = [fold(p).replace(" ", "") for p in PROVINCES]

DEFAULT_FIELDS = (
    FormField(name="full_name", label="نام و نام خانوادگی", type="person_name"),
    FormField(name="national_code", label="کد ملی", type="national_code"),
    FormField(name="mobile", label="شماره همراه", type="mobile"),
    FormField(name="province", label="استان محل سکونت", type="province"),
)

YES = {"بله", "بلی", "اره", "آره", "اری", "اوهوم", "اوکی", "yes", "y", "بلع", "حتما"}
NO = {"نه", "خیر", "نخیر", "no", "n"}
BACK_WORDS = {"بازگشت", "برگشت", "قبلی", "سوال قبلی", "عقب", "back"}
CANCEL_WORDS = {"انصراف", "لغو", "cancel", "منصرف شدم"}

_YES, _NO = frozenset(fold(w) for w in YES), frozenset(fold(w) for w in NO)
_BACK, _CANCEL = frozenset(fold(w) for w in BACK_WORDS), frozenset(fold(w) for w in CANCEL_WORDS)

MAX_TEXT_ANSWER = 300
_PLACE_SEP = re.compile(r"\s*[،,/\-–]\s*")
_NAME_RE = re.compile(r"^[\u0600-\u06FFa-zA-Z\u200c' .-]+$")


@dataclass(frozen=True)
class FormState:
    """A form in progress: which question is asked (len(fields) = the summary), the answers so far, and
    the field being changed from the summary, if any."""

    service_id: str
    step: int = 0
    answers: dict[str, Any] = field(default_factory=dict)
    editing: str | None = None


@dataclass(frozen=True)
class Step:
    """What one citizen action did to the form."""

    state: FormState | None  # None: the form is over (cancelled)
    replies: tuple[Reply, ...]
    confirmed: bool = False  # the citizen confirmed the summary: submit now


def token(service: Service) -> str:
    """A short mark of the form a button belongs to, so a button of one service's form is stale in another's."""
    return hashlib.sha1(service.id.encode()).hexdigest()[:4]


def fields_of(service: Service) -> tuple[FormField, ...]:
    """The questions of a service's form: its own, or the default form."""
    if service.registration and service.registration.fields:
        return tuple(service.registration.fields)
    return DEFAULT_FIELDS


def start(service: Service) -> Step:
    """Opens the form at its first question."""
    state = FormState(service_id=service.id)
    intro = Reply(T.FORM_INTRO.format(title=bold(service.title), count=to_persian_digits(len(fields_of(service)))))
    return Step(state, (intro, *prompt(service, state)))


def aligned(service: Service, state: FormState) -> FormState:
    """The form in progress against the service's form as it is now: an admin may have added, removed or
    moved questions since the citizen started (the bot reloads published knowledge at once). Every question
    before the current one has an answer (a skipped one is stored as None); where that no longer holds,
    the first question without an answer is asked, and a summary past the end is the summary."""
    fields = fields_of(service)
    if state.editing is not None and state.editing not in {f.name for f in fields}:
        state = replace(state, step=len(fields), editing=None)
    step = min(state.step, len(fields))
    missing = next((i for i, f in enumerate(fields[:step]) if f.name not in state.answers), None)
    if missing is not None:
        return replace(state, step=missing, editing=None)
    return state if step == state.step else replace(state, step=step)


def prompt(service: Service, state: FormState) -> tuple[Reply, ...]:
    """The current question (or the summary), with its buttons."""
    fields = fields_of(service)
    if state.step >= len(fields):
        return (summary(service, state),)
    f = fields[state.step]
    lines = [T.FORM_QUESTION.format(n=to_persian_digits(state.step + 1), total=to_persian_digits(len(fields)),
                                    label=bold(f.label))]
    if f.help:
        lines.append(f.help)
    hint = _hint(f, state)
    if hint:
        lines.append(hint)
    if not f.required:
        lines.append(T.FORM_OPTIONAL)
    text = "\n".join(lines)
    nav = _nav_row(state)
    if f.type == "mobile":  # the platform's share-contact button saves typing (and typos)
        return (Reply(text, request_contact=T.FORM_SHARE_CONTACT, keyboard=((T.FORM_BACK_WORD, T.FORM_CANCEL_WORD),)),)
    rows: list[tuple[Button, ...]] = []
    options = _options(f, state)
    if options:
        per_row = 3 if len(options) > 8 else 2
        buttons = [Button(o, payload.form(FormOp.CHOOSE, token(service), state.step, i)) for i, o in enumerate(options)]
        rows += [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]
    if not f.required:
        rows.append((Button(T.FORM_SKIP, payload.form(FormOp.SKIP, token(service), state.step)),))
    rows.append(nav)
    return (Reply(text, tuple(rows)),)


def answer(service: Service, state: FormState, text: str) -> Step:
    """A typed answer to the current question (or a typed «بازگشت» / «انصراف»)."""
    words = fold(text)
    if words in _CANCEL:
        return cancel()
    if words in _BACK:
        return back(service, state)
    fields = fields_of(service)
    if state.step >= len(fields):
        return Step(state, (Reply(T.FORM_USE_BUTTONS), summary(service, state)))
    f = fields[state.step]
    if f.type in ("province", "province_city") and f"{f.name}__province" not in state.answers:
        place = _province_and_city(clean(text))  # «فارس، مرودشت» answers both at once
        if place is not None:
            province, city = place
            if f.type == "province":
                return _store(service, state, f, province)
            return _store(service, state, f, f"{province}، {city}")
    value, problem = check(f, text, state)
    if problem:
        return Step(state, (Reply(problem), *prompt(service, state)))
    if f.type == "province_city" and f"{f.name}__province" not in state.answers:
        return _store_partial(service, state, f, value)  # a typed province: now the city
    return _store(service, state, f, value)


def choose(service: Service, state: FormState, step: int, index: int) -> Step | None:
    """A tapped option; None when the button belongs to another question (stale)."""
    fields = fields_of(service)
    if step != state.step or step >= len(fields):
        return None
    f = fields[step]
    options = _options(f, state)
    if not 0 <= index < len(options):
        return None
    value: Any = options[index]
    if f.type == "yes_no":
        value = index == 0
    if f.type == "province_city":
        return _store_partial(service, state, f, options[index])
    return _store(service, state, f, value)


def skip(service: Service, state: FormState, step: int) -> Step | None:
    """Leaves an optional question empty."""
    fields = fields_of(service)
    if step != state.step or step >= len(fields) or fields[step].required:
        return None
    return _store(service, state, fields[step], None)


def back(service: Service, state: FormState) -> Step:
    """Goes back to the previous question (from the summary: to the last one)."""
    if state.editing:
        new = replace(state, step=len(fields_of(service)), editing=None)
        return Step(new, prompt(service, new))
    if state.step == 0:
        return Step(state, (Reply(T.FORM_AT_FIRST), *prompt(service, state)))
    fields = fields_of(service)
    if state.step >= len(fields):  # from the summary: the last question again
        new = replace(state, step=len(fields) - 1)
        return Step(new, prompt(service, new))
    f = fields[state.step]
    answers = {k: v for k, v in state.answers.items() if k != f"{f.name}__province"}
    new = replace(state, step=state.step - 1, answers=answers)
    return Step(new, prompt(service, new))


def edit(service: Service, state: FormState, name: str) -> Step | None:
    """From the summary, asks one answer again; after it the summary comes back."""
    fields = fields_of(service)
    names = [f.name for f in fields]
    if state.step < len(fields) or name not in names:
        return None
    new = replace(state, step=names.index(name), editing=name)
    return Step(new, prompt(service, new))


def cancel() -> Step:
    """Drops the form."""
    return Step(None, (Reply(T.FORM_CANCELLED, remove_keyboard=True),))


def confirm(service: Service, state: FormState) -> Step | None:
    """The citizen confirmed the summary; None unless the summary is what is shown."""
    if state.step < len(fields_of(service)):
        return None
    return Step(state, (), confirmed=True)


def summary(service: Service, state: FormState) -> Reply:
    """Every answer, to check before sending, with a button to change each and one to confirm."""
    lines = [T.FORM_SUMMARY.format(title=bold(service.title))]
    for f in fields_of(service):
        lines.append(f"• {f.label}: {display(f, state.answers.get(f.name))}")
    lines += ["", T.FORM_SUMMARY_ASK]
    tok = token(service)
    rows: list[tuple[Button, ...]] = [(Button(T.FORM_CONFIRM, payload.form(FormOp.CONFIRM, tok)),)]
    edits = [Button(T.FORM_EDIT.format(label=_short(f.label)), payload.form(FormOp.EDIT, tok, f.name))
             for f in fields_of(service)]
    rows += [tuple(edits[i : i + 2]) for i in range(0, len(edits), 2)]
    rows.append((Button(T.FORM_CANCEL_BUTTON, payload.form(FormOp.CANCEL)),))
    return Reply("\n".join(lines), tuple(rows), log_as=T.LOG_FORM_SUMMARY)


def display(f: FormField, value: Any) -> str:
    """An answer as the citizen reads it (digits in Persian, dates in the Jalali calendar)."""
    if value is None:
        return "—"
    if f.type == "yes_no":
        return "بله" if value else "خیر"
    if f.type == "jalali_date":
        from datetime import date

        return jalali_date(date.fromisoformat(value))
    return to_persian_digits(str(value))


# ------------------------------------------------------------------------------------------- checks


def check(f: FormField, text: str, state: FormState | None = None) -> tuple[Any, str | None]:
    """Validates one typed answer: (canonical value, None) or (None, a specific Persian message)."""
    text = clean(text)
    if not text:
        return None, T.FORM_EMPTY
    if len(text) > MAX_TEXT_ANSWER:
        return None, T.FORM_TOO_LONG.format(limit=to_persian_digits(MAX_TEXT_ANSWER))
    kind = f.type
    if kind == "national_code":
        problem = national_code_problem(text)
        return (None, problem) if problem else (normalize_national_code(text), None)
    if kind == "mobile":
        problem = mobile_problem(text)
        return (None, problem) if problem else (normalize_mobile(text), None)
    if kind == "person_name":
        if any(ch.isdigit() for ch in text) or not _NAME_RE.match(text):
            return None, T.FORM_NAME_LETTERS
        if len(text.split()) < 2 or len(text) < 5:
            return None, T.FORM_NAME_FULL
        if len(text) > 80:
            return None, T.FORM_TOO_LONG.format(limit=to_persian_digits(80))
        return text, None
    if kind == "number":
        digits = to_latin_digits(text).replace(",", "").replace("٬", "").strip()
        if not re.fullmatch(r"\d{1,12}", digits):
            return None, T.FORM_NUMBER
        n = int(digits)
        if f.min is not None and n < f.min:
            return None, T.FORM_NUMBER_MIN.format(min=to_persian_digits(f.min))
        if f.max is not None and n > f.max:
            return None, T.FORM_NUMBER_MAX.format(max=to_persian_digits(f.max))
        return n, None
    if kind == "yes_no":
        word = fold(text)
        if word in _YES:
            return True, None
        if word in _NO:
            return False, None
        return None, T.FORM_YES_NO
    if kind == "choice":
        match = _closest(text, list(f.choices))
        return (match, None) if match else (None, T.FORM_CHOICE)
    if kind in ("province", "province_city"):
        if kind == "province_city" and state is not None and f"{f.name}__province" in state.answers:
            if len(text) < 2 or any(ch.isdigit() for ch in text):
                return None, T.FORM_CITY
            return f"{state.answers[f'{f.name}__province']}، {text}", None
        key = fold(text).replace(" ", "")
        hit = process.extractOne(key, _PROVINCE_KEYS, scorer=fuzz.ratio, score_cutoff=80)
        if hit is None:
            return None, T.FORM_PROVINCE
        return PROVINCES[hit[2]], None
    if kind == "jalali_date":
        when = parse_jalali_date(text)
        if when is None:
            return None, T.FORM_DATE
        return when.isoformat(), None
    # text
    if f.min is not None and len(text) < f.min:
        return None, T.FORM_TEXT_MIN.format(min=to_persian_digits(f.min))
    if f.max is not None and len(text) > f.max:
        return None, T.FORM_TOO_LONG.format(limit=to_persian_digits(f.max))
    return text, None


def field_at(service: Service, state: FormState) -> str | None:
    """The name of the field the form is asking for now; None at the summary."""
    fields = fields_of(service)
    return fields[state.step].name if state.step < len(fields) else None


def submitted_identity(service: Service, answers: dict[str, Any]) -> tuple[str | None, str | None]:
    """The national code and mobile of a submitted form (the first fields of those types), which the
    requests table keeps in their own columns (for duplicates and for staff)."""
    code = mobile = None
    for f in fields_of(service):
        if f.type == "national_code" and code is None:
            code = answers.get(f.name)
        if f.type == "mobile" and mobile is None:
            mobile = answers.get(f.name)
    return code, mobile


def shared_mobile(phone_number: str) -> tuple[str | None, str | None]:
    """A phone number from the share-contact button, checked like a typed one."""
    problem = mobile_problem(phone_number)
    return (None, problem) if problem else (normalize_mobile(phone_number), None)


def store_mobile(service: Service, state: FormState, value: str) -> Step | None:
    """Stores a shared contact's number if the current question asks for a mobile."""
    fields = fields_of(service)
    if state.step >= len(fields) or fields[state.step].type != "mobile":
        return None
    return _store(service, state, fields[state.step], value)


# --------------------------------------------------------------------------------------------- helpers


def _store(service: Service, state: FormState, f: FormField, value: Any) -> Step:
    answers = {k: v for k, v in state.answers.items() if k != f"{f.name}__province"}
    answers[f.name] = value
    fields = fields_of(service)
    step = len(fields) if state.editing else state.step + 1
    new = FormState(service.id, step, answers, None)
    replies: list[Reply] = []
    if f.type == "mobile":  # take the share-contact keyboard away
        replies.append(Reply(T.FORM_SAVED.format(label=f.label, value=display(f, value)), remove_keyboard=True,
                             log_as=T.LOG_FORM_SAVED.format(field=f.name)))
    return Step(new, (*replies, *prompt(service, new)))


def _store_partial(service: Service, state: FormState, f: FormField, province: str) -> Step:
    answers = dict(state.answers)
    answers[f"{f.name}__province"] = province
    new = replace(state, answers=answers)
    return Step(new, prompt(service, new))


def _province_and_city(text: str) -> tuple[str, str] | None:
    """A province followed by a city in one answer («فارس، مرودشت», «خراسان رضوی - مشهد», «فارس مرودشت»):
    the province's canonical name and the city as typed; None when the text is not such a pair."""
    parts = [p.strip() for p in _PLACE_SEP.split(text, maxsplit=1)]
    splits = [tuple(parts)] if len(parts) == 2 and all(parts) else []
    words = text.split()
    splits += [(" ".join(words[:n]), " ".join(words[n:])) for n in (2, 1) if len(words) > n]
    for head, city in splits:
        key = fold(head).replace(" ", "")
        hit = process.extractOne(key, _PROVINCE_KEYS, scorer=fuzz.ratio, score_cutoff=90)
        if hit is not None and len(city) >= 2 and not any(ch.isdigit() for ch in city) and len(city) <= 40:
            return PROVINCES[hit[2]], city
    return None


def _options(f: FormField, state: FormState) -> list[str]:
    if f.type == "choice":
        return list(f.choices)
    if f.type == "yes_no":
        return ["بله", "خیر"]
    if f.type == "province":
        return list(PROVINCES)
    if f.type == "province_city" and f"{f.name}__province" not in state.answers:
        return list(PROVINCES)
    return []


def _hint(f: FormField, state: FormState) -> str:
    hints = {
        "national_code": T.HINT_NATIONAL_CODE,
        "person_name": T.HINT_NAME,
        "number": T.HINT_NUMBER,
        "jalali_date": T.HINT_DATE,
        "province": T.HINT_PROVINCE,
    }
    if f.type == "province_city":
        if f"{f.name}__province" in state.answers:
            return T.HINT_CITY.format(province=state.answers[f"{f.name}__province"])
        return T.HINT_PROVINCE
    return hints.get(f.type, "")


def _nav_row(state: FormState) -> tuple[Button, ...]:
    row = []
    if state.step > 0 or state.editing:
        row.append(Button(T.FORM_BACK_BUTTON, payload.form(FormOp.BACK)))
    row.append(Button(T.FORM_CANCEL_BUTTON, payload.form(FormOp.CANCEL)))
    return tuple(row)


def _closest(text: str, choices: list[str]) -> str | None:
    key = fold(text)
    folded = [fold(c) for c in choices]
    if key in folded:
        return choices[folded.index(key)]
    if key.isdigit() and 1 <= int(key) <= len(choices):  # «۲» for the second option
        return choices[int(key) - 1]
    starting = [c for c, f in zip(choices, folded, strict=True) if f.startswith(key) and len(key) >= 3]
    if len(starting) == 1:  # «کارشناسی ارشد» for «کارشناسی ارشد و بالاتر»
        return starting[0]
    hit = process.extractOne(key, folded, scorer=fuzz.ratio, score_cutoff=85)
    return choices[hit[2]] if hit else None


def _short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


