"""Finding the parts of the form by its printed labels, never by position: the field labels, where the
header, section 6 (delivery stages) and the tail (link tables, process titles, contact) begin, and the
text between one field label and the next."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.importer.boxes import VOCAB, tokenize
from bot.importer.text import BOXES, CHECKED, UNCHECKED, _label_pattern, key, similarity
from bot.importer.values import tidy

# --------------------------------------------------------------------------------------------------
# Labels of the form
# --------------------------------------------------------------------------------------------------

# (field, printed label). The first group are fields; the rest only end the field before them.
FIELD_LABELS: tuple[tuple[str, str], ...] = (
    ("title", "عنوان خدمت"),
    ("id", "شناسه خدمت"),
    ("provider", "نام دستگاه اجرایی"),
    ("parent_agency", "نام دستگاه مادر"),
    ("description", "شرح خدمت"),
    ("audience", "مخاطبین{ خدمت}"),
    ("audience", "مخاطبان{ خدمت}"),
    ("audience", "خدمت گیرندگان"),  # older form; not «... خدمت گیرندگان در:» of the statistics
    ("service_types", "نوع خدمت"),
    ("nature", "ماهیت خدمت"),
    ("levels", "سطح خدمت"),
    ("life_events", "رویداد مرتبط{ با}"),
    ("start_triggers", "نحوه آغاز خدمت"),
    ("documents", "مدارک لازم{ برای انجام خدمت}"),
    ("laws", "قوانین و مقررات{ بالادستی}"),
    ("recipients", "آمار تعداد خدمت گیرندگان"),
    ("duration", "متوسط مدت زمان{ ارائه خدمت}"),
    ("frequency", "تواتر"),
    ("in_person_visits", "تعداد{ دفعات}{ بار} مراجعه حضوری"),
    ("costs", "هزینه ارائه خدمت{ (ریال)}{ به خدمت گیرندگان}"),
    ("websites", "{آدرس} دقیق و مستقیم خدمت در وبگاه{ در صورت الکترونیکی بودن همه یا بخشی از آن}"),
    ("system_name", "نام سامانه مربوط به خدمت{ در صورت الکترونیکی بودن همه یا بخشی از آن}"),
)
STOP_LABELS: tuple[str, ...] = (
    "ارائه دهنده خدمت", "عنوان فرایند", "مشخصات خدمت", "جزئیات خدمت", "نحوه دسترسی به خدمت", "مراحل خدمت", "مرحل خدمت",
    "نوع ارائه", "رسانه ارتباطی خدمت", "در مرحله اطلاع رسانی خدمت", "در مرحله درخواست خدمت", "مرحله تولید خدمت",
    "در مرحله ارائه خدمت", "ارتباط خدمت با سایر", "عناوین فرایندهای خدمت", "واحد مربوط", "فرم شناسنامه خدمت",
)
_NUMBERING = r"(?:[\d۰-۹]{1,2}\s*[-–.)]\s*)?"
_SECTION6 = ("مراحل خدمت", "مرحل خدمت", "نوع ارائه", "رسانه ارتباطی خدمت", "مرحله اطلاع رسانی خدمت",
             "مرحله درخواست خدمت", "مرحله تولید خدمت", "مرحله ارائه خدمت")
_TABLES = ("ارتباط خدمت با سایر", "نام سامانه های دیگر", "نام سامانه های دستگاه دیگر", "نام دستگاه دیگر",
           "فیلدهای مورد تبادل", "استعلام")
_STEPS_HEADING = "عناوین فرایندهای خدمت"
_CONTACT = (("unit", "واحد مربوط"), ("email", "پست الکترونیک"), ("phone", "تلفن"),
            ("completed_by", "نام و نام خانوادگی تکمیل کننده{ فرم}"), ("address", "نشانی"))
# Column headings of the cost table: not part of any amount's purpose.
_COST_HEADINGS = ("مبلغ (مبالغ)", "شماره حساب (های) بانکی", "پرداخت بصورت الکترونیک", "پرداخت به صورت الکترونیک",
                  "(ریال)", "به خدمت گیرندگان")


@lru_cache(maxsize=256)
def _compiled(label: str, numbered: bool = True) -> re.Pattern:
    return re.compile((_NUMBERING if numbered else "") + _label_pattern(label) + r"(?:\s*[:：])?")


def _find_all(text: str, label: str, start: int = 0, end: int | None = None) -> list[re.Match]:
    end = len(text) if end is None else end
    return list(_compiled(label).finditer(text, start, end))


def _first(text: str, labels: tuple[str, ...], start: int = 0, end: int | None = None) -> int | None:
    found = [m.start() for label in labels for m in _find_all(text, label, start, end)]
    return min(found) if found else None


def _ends_section6(line: str) -> bool:
    """The first line after the delivery stages: a link table, the process titles or the contact block
    (a numbered line is a process title unless it names something of section 6, as card 004 numbers
    its section 6 rows)."""
    if any(_find_all(line, label) for label in _TABLES):
        return True
    cells = [c for c in line.split("\t") if c.strip()]
    if any(_is_steps_heading(c) for c in cells) or _first(line, tuple(label + ":" for _, label in _CONTACT[:4])) is not None:
        return True
    if re.match(r"^\s*[\d۰-۹]{1,2}\s*[-–.)]", line) and not any(b in line for b in BOXES):
        tokens = tokenize(line, VOCAB["stage"])
        return not any(t.type == "option" for t in tokens)
    return False


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _regions(body: str) -> tuple[int, int | None, int]:
    """Where the header fields end, where section 6 (the delivery stages) starts, and where the rest (link
    tables, process titles, contact) starts. Section numbers are not trusted (card 004 numbers its rows
    1 to 13), only the form's headings."""
    s6 = _first(body, _SECTION6)
    if s6 is not None:
        start = _line_start(body, s6)
        offset = start
        for line in body[start:].split("\n"):
            if _ends_section6(line):
                return s6, start, offset
            offset += len(line) + 1
        return s6, start, len(body)
    contact = tuple(label + ":" for _, label in _CONTACT[:4])
    found = [p for p in (_first(body, _TABLES[:5]), _first(body, (_STEPS_HEADING,)), _first(body, contact)) if p is not None]
    if not found:
        return len(body), None, len(body)
    return min(found), None, _line_start(body, min(found))


def _anchors(text: str) -> list[tuple[int, int, str | None]]:
    """Every label of the form in the text, in order: (start, end, field), field None for a label that only
    ends the field before it. A label inside a longer one found at the same place is not counted."""
    anchors: list[tuple[int, int, str | None]] = []
    for name, label in FIELD_LABELS:
        for m in _find_all(text, label):
            if label == "خدمت گیرندگان" and (
                re.match(r"\s*در", text[m.end() :]) or re.search(r"(?:تعداد|به)\s*$", text[: m.start()])
            ):
                continue
            anchors.append((m.start(), m.end(), name))
    for label in STOP_LABELS:
        anchors += [(m.start(), m.end(), None) for m in _find_all(text, label)]
    anchors.sort(key=lambda a: (a[0], -(a[1] - a[0])))
    kept: list[tuple[int, int, str | None]] = []
    for a in anchors:
        if kept and a[0] < kept[-1][1]:
            continue  # inside a longer label found at the same place
        kept.append(a)
    return kept


def _segments(text: str) -> dict[str, list[str]]:
    """For each field label found, the text between it and the next label of the form (all occurrences)."""
    kept = _anchors(text)
    out: dict[str, list[str]] = {}
    for i, (_, end, name) in enumerate(kept):
        if name is None:
            continue
        stop = kept[i + 1][0] if i + 1 < len(kept) else len(text)
        out.setdefault(name, []).append(text[end:stop])
    return out


def _pick(segments: dict[str, list[str]], name: str, boxes: bool = False) -> str | None:
    """The first non-empty occurrence of a field (some extractions print a label twice, once empty)."""
    values = segments.get(name)
    if values is None:
        return None
    for value in values:
        if (boxes and any(b in value for b in BOXES)) or tidy(value):
            return value
    return values[0]


_TABLE_HEADINGS = [
    key(h) for h in (
        "نام سامانه های دیگر", "نام سامانه های دستگاه دیگر", "نام دستگاه دیگر", "فیلدهای مورد تبادل",
        "مبلغ (در صورت پرداخت هزینه)", "استعلام الکترونیکی", "استعلام غیر الکترونیکی", "استعلام",
        "اگر استعلام غیر الکترونیکی است، استعلام توسط", "استعلام غیر الکترونیکی، اگر استعلام غیر الکترونیکی است، استعلام توسط",
        "برخط online", "برخط", "online", "دسته ای (Batch)", "دستی (Batch)", "Batch", "دستی", "دستگاه", "مراجعه کننده",
        "دستگاه مراجعه کننده", "برخط: دسته ای (Batch):",
    )
]


def _is_heading(cell: str) -> bool:
    k = key(cell.replace(CHECKED, " ").replace(UNCHECKED, " "))
    if not k:
        return True
    if re.match(r"^\d{0,2}ارتباطخدمتباسایر", k):
        return True
    return any(k == h or (len(h) > 8 and similarity(k, h) >= 0.85) for h in _TABLE_HEADINGS)


def _is_steps_heading(cell: str) -> bool:
    k = re.sub(r"^\d+", "", key(cell))
    return bool(k) and similarity(k, key(_STEPS_HEADING)) >= 0.75
