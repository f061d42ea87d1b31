"""Importer: the text of a service identity card (شناسنامه خدمت) turned into a knowledge file draft.

Cards reach us as text extracted from PDF or Word: tables flattened to tab-separated lines (sometimes with
the cells of a right-to-left row in reverse order), checkboxes as `<input ... checked>` or `[x]`, letters
and digits in Arabic, Persian or Latin forms, and words lost or glued by the extraction. The form itself
never changes, so the importer works from the form's fixed labels, not from positions: a field's value is
the text between its label and the next label of the form, and a checkbox is read from the box mark and
the option printed beside it, matched loosely against the model's vocabularies.

The importer may be wrong, and a wrong draft that looks right is worse than a gap. So every value it is
not sure of is either left out or kept with a review note (`review: [{field, reason, raw}]`) that shows the
raw text it saw; nothing is guessed silently. Only `id`, `title` and `provider` are always written, because
a knowledge file needs them: when they cannot be read they get a placeholder and a review note.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml
from pydantic import AnyHttpUrl, TypeAdapter, ValidationError
from rapidfuzz import fuzz

from bot.knowledge import (
    CHANNELS,
    IN_PERSON_REASONS,
    LEVELS,
    LIFE_EVENTS,
    NATURES,
    PERIODS,
    SERVICE_TYPES,
    START_TRIGGERS,
    VISIT_LEVELS,
    Service,
)
from bot.persian import strip_invisibles, to_latin_digits, to_persian_digits
from bot.textnorm import fold

ZWNJ = "\u200c"
CHECKED, UNCHECKED = "☑", "☐"
BOXES = CHECKED + UNCHECKED
STAGE_NAMES = ("information", "request", "production", "delivery")

# Field names of the card, in the model's order; the bot-only fields (aliases, faq, registration) are not
# the importer's business.
CARD_FIELDS = tuple(f for f in Service.model_fields if f not in ("aliases", "faq", "registration", "review"))


# --------------------------------------------------------------------------------------------------
# Text preparation
# --------------------------------------------------------------------------------------------------

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹")
_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "\u00a0": " ", "\u2003": " ", "\u2002": " ", "\r": ""})
_MARKS = str.maketrans({"☒": CHECKED, "✅": CHECKED, "☑": CHECKED, "□": UNCHECKED, "❏": UNCHECKED, "☐": UNCHECKED})

# Where the form ends: the explanation of the form's headings, and the unrelated licence tables that some
# agencies append, repeat the form's labels and must not be read as values.
_END_MARKERS = ("توضیح عناوین مندرج", "فرم شماره یک", "لیست اطلاعات مجوزهای")

_FILLED_BY_PMO = re.compile(
    r"\(?\s*این[\s\u200c]*فیلد[\s\u200c]*توسط[\s\u200c]*سازمان[^()\n]{0,80}?تکمیل[\s\u200c]*می[\s\u200c]*شود\s*\.?\s*\)?"
)


def _checkbox(match: re.Match) -> str:
    return f" {CHECKED} " if re.search(r"\bchecked\b", match.group(0), re.I) else f" {UNCHECKED} "


def _link(match: re.Match) -> str:
    href, inner = match.group(1).strip(), re.sub(r"<[^>]+>", "", match.group(2)).strip()
    return f" {inner} " if inner == href or not href.lower().startswith("http") else f" {inner} {href} "


def prepare(text: str) -> str:
    """Card text with one spelling for everything the parser compares: box marks as ☑/☐, HTML and markdown
    table syntax as tabs and lines, Persian letters, Persian or Latin digits. The words are left as the
    card wrote them."""
    text = re.sub(r"<input\b[^>]*>", _checkbox, text, flags=re.I)
    text = re.sub(r"<a\b[^>]*href=[\"']([^\"']*)[\"'][^>]*>(.*?)</a>", _link, text, flags=re.I | re.S)
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    text = re.sub(r"</t[dh]\s*>", "\t", text, flags=re.I)
    text = re.sub(r"</(?:tr|p|li|h\d)\s*>", "\n", text, flags=re.I)
    text = re.sub(r"<[^>]+>", " ", text)
    text = html.unescape(text)
    text = re.sub(r"\[\s*[xX✓✔×*]\s*\]", f" {CHECKED} ", text)
    text = re.sub(r"\[\s?\]", f" {UNCHECKED} ", text)
    text = re.sub(r"[√✓✔](?=[ \t]*[\u0600-\u06ff])", f" {CHECKED} ", text)
    # Word's Wingdings boxes come out as letters: R or þ checked, £ or ¨ empty (only before a Persian label).
    wingdings = r"(?<![A-Za-z0-9])([RþýÞ£¨])(?=[ \t]*[\u0600-\u06ff])"
    if len(re.findall(wingdings, text)) >= 2:
        text = re.sub(wingdings, lambda m: f" {UNCHECKED if m.group(1) in '£¨' else CHECKED} ", text)
    text = strip_invisibles(text.translate(_MARKS).translate(_LETTERS)).translate(_ARABIC_DIGITS)
    lines = []
    for line in text.split("\n"):
        if re.fullmatch(r"[\s|:\-–—=*_]*", line) and "-" in line:
            continue  # a markdown table rule
        line = re.sub(r"^\s*#+\s*", "", line).replace("**", "").replace("|", "\t")
        lines.append(line)
    text = "\n".join(lines)
    text = _FILLED_BY_PMO.sub(" ", text)
    folded_end = min((m.start() for marker in _END_MARKERS for m in re.finditer(_label_pattern(marker), text)),
                     default=len(text))
    return text[:folded_end]


# --------------------------------------------------------------------------------------------------
# Loose comparison
# --------------------------------------------------------------------------------------------------


def key(text: str) -> str:
    """The comparison key of a label: folded letters and digits, no punctuation, no spaces or ZWNJ."""
    return fold(text).replace(" ", "")


_CHAR_CLASS = {
    "ی": "[یئ]", "ئ": "[ئی]", "ا": "[اآأإ]", "آ": "[آا]", "ه": "[هةۀ]", "ک": "[کك]", "(": r"[()]?", ")": r"[()]?",
    ":": r"\s*[:：]",
}
_GAP = r"[\s\u200c]*"
_SOFT = r"[ \u200c]?"


@lru_cache(maxsize=512)
def _label_pattern(label: str) -> str:
    """A regex for a printed label, tolerant to ZWNJ/space variations and alef/ye/he forms. Parts in {}
    are optional (the form prints long labels that extraction often cuts). The pattern never starts or
    ends with whitespace, so a label does not swallow the gap before the next one."""
    out: list[str] = []
    for part in re.split(r"(\{[^}]*\})", label):
        if part.startswith("{"):
            inner = _label_pattern(part[1:-1].strip())
            out.append(f"(?:{inner}{_GAP})?" if not out else f"(?:{_GAP}{inner})?")
            continue
        for ch in part:
            if ch in " " + ZWNJ:
                if not out or out[-1].endswith(f"{_GAP})?"):
                    continue
                if out[-1] == _SOFT:
                    out[-1] = _GAP
                elif out[-1] != _GAP:
                    out.append(_GAP)
            else:
                if out and out[-1] not in (_GAP, _SOFT) and "\u0600" <= ch <= "\u06ff":
                    out.append(_SOFT)  # a half-space or space inside a word («فرایند‌های»)
                out.append(_CHAR_CLASS.get(ch, re.escape(ch)))
    while out and out[-1] in (_GAP, _SOFT):
        out.pop()
    return "".join(out)


def similarity(text_key: str, label_key: str) -> float:
    """How surely `text_key` is the printed label `label_key` (0 = not it). Extraction drops the first
    letters of a cell (لیات for مالیات) and its last (پیام کو for پیام کوتاه), so a long enough head or
    tail of a label counts; short labels (ملی, سال) must be exact."""
    if text_key == label_key:
        return 1.0
    size = len(label_key)
    if size <= 4 or not text_key:
        return 0.0
    ratio = fuzz.ratio(text_key, label_key) / 100
    if ratio >= (0.8 if size <= 8 else 0.75):
        return ratio
    if len(text_key) >= 3 and len(text_key) >= 0.5 * size and (label_key.endswith(text_key) or label_key.startswith(text_key)):
        return 0.8
    return 0.0


@dataclass(frozen=True)
class Option:
    """One printed label of a box group: what it means (`kind`, `code`) and its comparison key."""

    kind: str  # the vocabulary ("channel", "reason", ...) or "noise" for headings that are not options
    code: str
    label: str
    key: str


def _vocab(kind: str, labels: dict[str, str | tuple[str, ...]]) -> list[Option]:
    out = []
    for code, label in labels.items():
        for variant in (label,) if isinstance(label, str) else label:
            out.append(Option(kind, code, variant, key(variant)))
    return out


def _noise(*labels: str) -> list[Option]:
    return [Option("noise", "", label, key(label)) for label in labels]


def _with(base: dict[str, str], extra: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {code: (label, *extra.get(code, ())) for code, label in base.items()}


# The options of each box group as the form prints them (the model's labels plus the form's longer
# wordings). «سایر» of a reason list is the bare word; the channel list's is «سایر (با ذکر نحوه دسترسی)».
VOCAB: dict[str, list[Option]] = {
    "service_types": _vocab("service_types", {
        code: (label, f"{label} ({code})", code) for code, label in SERVICE_TYPES.items()
    }),
    "nature": _vocab("nature", NATURES),
    "levels": _vocab("levels", LEVELS),
    "life_events": _vocab("life_events", LIFE_EVENTS),
    "start_triggers": _vocab("start_triggers", START_TRIGGERS),
    "period": _vocab("period", PERIODS) + _noise("خدمت گیرندگان در"),
    "frequency": _vocab("period", PERIODS) + _vocab("frequency", {
        "once_forever": ("یکبار برای همیشه", "یک بار برای همیشه"),
        "continuous": ("بطور مداوم در", "به طور مداوم در", "بطور مداوم"),
    }),
    "stage": (
        _vocab("electronic", {"yes": "الکترونیکی", "no": ("غیر الکترونیکی", "غیرالکترونیک")})
        + _vocab("channel", _with({c: label for c, label in CHANNELS.items() if c != "other"}, {
            "web": ("اینترنتی (مانند وبگاه دستگاه)", "اینترنتی (مانند درگاه دستگاه)", "اینترنتی"),
            "mobile_app": ("تلفن همراه",),
            "call_center": ("تلفن گویا یا مرکز تماس",),
            "similar_offices": ("عنوان مشابه دفاتر پیشخوان",),
            "intranet": ("اینترنتی (مانند اینترانت داخلی دستگاه یا ERP)", "اینترانتی (مانند اینترانت داخلی دستگاه یا ERP)"),
        }) | {"other": ("سایر (با ذکر نحوه دسترسی)",)})
        + _vocab("reason", _with(IN_PERSON_REASONS, {
            "identity_verification": ("جهت احراز اصالت فرد",),
            "document_verification": ("جهت احراز اصالت مدرک",),
        }))
        + _vocab("visit_level", VISIT_LEVELS)
        + _vocab("stage", {
            "information": ("در مرحله اطلاع رسانی خدمت", "مرحله اطلاع رسانی خدمت"),
            "request": ("در مرحله درخواست خدمت", "مرحله درخواست خدمت"),
            "production": ("مرحله تولید خدمت (فرایند داخل دستگاه یا ارتباط با دیگر دستگاه ها)", "مرحله تولید خدمت"),
            "delivery": ("در مرحله ارائه خدمت", "مرحله ارائه خدمت"),
        })
        + _noise("ذکر ضرورت مراجعه حضوری", "در صورت مراجعه حضوری", "مراجعه به دستگاه",
                 "شماره قرارداد واگذاری خدمات به دفاتر پیشخوان", "رسانه ارتباطی خدمت", "نوع ارائه", "مراحل خدمت",
                 "نحوه دسترسی به خدمت")
    ),
    "offline_by": _vocab("offline_by", {"agency": "دستگاه", "applicant": "مراجعه کننده"}),
}
_MAX_WORDS = 14  # the longest printed option, in words


# --------------------------------------------------------------------------------------------------
# Boxes and their labels
# --------------------------------------------------------------------------------------------------


@dataclass
class Token:
    """A box, a recognised option, or free text, in the order the card shows them."""

    type: str  # "box", "option", "text"
    text: str
    checked: bool = False
    option: Option | None = None
    score: float = 0.0


@dataclass
class Mark:
    """A box and the option it was paired with (None when no printed option is next to it), plus any text
    written after the option (the «سایر: ...» note)."""

    checked: bool
    option: Option | None
    note: str = ""
    raw: str = ""
    score: float = 1.0


def _segment_words(text: str, vocab: list[Option]) -> list[Token]:
    """Splits text between boxes into options and free text, choosing the split that covers the most label
    letters with the fewest pieces (a cell may hold two options when a box was lost)."""
    words = text.split()
    n = len(words)
    if not n:
        return []
    best: list[tuple[float, int, Option | None, float]] = [(0.0, -1, None, 0.0)] + [(-1e9, -1, None, 0.0)] * n
    cache: dict[str, tuple[Option | None, float]] = {}
    for j in range(1, n + 1):
        best[j] = (best[j - 1][0], j - 1, None, 0.0)
        for i in range(max(0, j - _MAX_WORDS), j):
            k = key(" ".join(words[i:j]))
            if not k:
                continue
            if k not in cache:
                scored = [(similarity(k, o.key), o) for o in vocab]
                top = max(scored, key=lambda s: (s[0], len(s[1].key)), default=(0.0, None))
                cache[k] = (top[1], top[0]) if top[0] > 0 else (None, 0.0)
            option, sim = cache[k]
            if option is None:
                continue
            score = best[i][0] + sim * min(len(k), len(option.key)) - 0.5
            if score > best[j][0] + 1e-9:
                best[j] = (score, i, option, sim)
    tokens: list[Token] = []
    j = n
    while j > 0:
        _, i, option, sim = best[j]
        piece = " ".join(words[i:j])
        if option is None:
            if tokens and tokens[-1].type == "text":
                tokens[-1].text = piece + " " + tokens[-1].text
            else:
                tokens.append(Token("text", piece))
        else:
            tokens.append(Token("option", piece, option=option, score=sim))
        j = i
    tokens.reverse()
    return tokens


def tokenize(text: str, vocab: list[Option]) -> list[Token]:
    """Boxes and the options and text between them."""
    tokens: list[Token] = []
    for part in re.split(f"([{BOXES}])", text):
        if part in (CHECKED, UNCHECKED):
            tokens.append(Token("box", part, checked=part == CHECKED))
        elif part.strip():
            tokens.extend(_segment_words(part, vocab))
    return tokens


def pair_boxes(tokens: list[Token]) -> tuple[list[Mark], list[Token]]:
    """Pairs each box with the option printed beside it. Usually the option follows its box, but some
    extractions put it before (ملی ☐ استانی ☐), and a lost box or label shifts the rest; so the pairing
    that pairs the most boxes wins, and among those the one with the most box-then-option pairs. Returns
    the marks and the options left without a box."""
    seq = [t for t in tokens if t.type == "box" or (t.type == "option" and t.option.kind != "noise")]
    n = len(seq)
    # best[i] = (pairs, forward pairs, choice) over seq[:i]
    best: list[tuple[int, int, int]] = [(0, 0, 0)] * (n + 1)
    for i in range(1, n + 1):
        best[i] = (best[i - 1][0], best[i - 1][1], 0)
        if i >= 2 and {seq[i - 2].type, seq[i - 1].type} == {"box", "option"}:
            forward = 1 if seq[i - 2].type == "box" else 0
            cand = (best[i - 2][0] + 1, best[i - 2][1] + forward, 1)
            if cand[:2] > best[i][:2]:
                best[i] = cand
    pairs: dict[int, int] = {}  # id(box token) -> id(option token)
    i = n
    while i > 0:
        if best[i][2]:
            a, b = seq[i - 2], seq[i - 1]
            box, opt = (a, b) if a.type == "box" else (b, a)
            pairs[id(box)] = id(opt)
            i -= 2
        else:
            i -= 1
    paired_options = set(pairs.values())
    by_id = {id(t): t for t in tokens}
    marks: list[Mark] = []
    for index, token in enumerate(tokens):
        if token.type != "box":
            continue
        opt = by_id.get(pairs.get(id(token), -1))
        note = _note_after(tokens, tokens.index(opt) if opt else index)
        raw = " ".join(t.text for t in tokens[index : index + 3])
        marks.append(Mark(token.checked, opt.option if opt else None, note, raw, opt.score if opt else 0.0))
    loose = [t for t in tokens if t.type == "option" and t.option.kind != "noise" and id(t) not in paired_options]
    return marks, loose


def _note_after(tokens: list[Token], index: int) -> str:
    """The free text written right after an option (or its box), up to the next box or option."""
    out = []
    for t in tokens[index + 1 :]:
        if t.type == "box" or (t.type == "option" and t.option.kind != "noise"):
            break
        if t.type == "text":
            out.append(t.text)
    return _clean_note(" ".join(out))


def _clean_note(text: str) -> str:
    text = re.sub(r"[.…]{2,}|…", " ", text)
    text = text.strip(" \t:：-–—،,.()")
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------------

_UNITS = {
    "صفر": 0, "یک": 1, "یه": 1, "دو": 2, "سه": 3, "چهار": 4, "پنج": 5, "شش": 6, "شیش": 6, "هفت": 7, "هشت": 8,
    "نه": 9, "ده": 10, "یازده": 11, "دوازده": 12, "سیزده": 13, "چهارده": 14, "پانزده": 15, "پونزده": 15,
    "شانزده": 16, "هفده": 17, "هجده": 18, "هیجده": 18, "نوزده": 19, "بیست": 20, "سی": 30, "چهل": 40,
    "پنجاه": 50, "شصت": 60, "هفتاد": 70, "هشتاد": 80, "نود": 90, "صد": 100, "یکصد": 100, "دویست": 200,
    "سیصد": 300, "چهارصد": 400, "پانصد": 500, "ششصد": 600, "هفتصد": 700, "هشتصد": 800, "نهصد": 900,
}
# Thousands may be separated by «,», «٬», «'», «.» or «/» («۲۰۰.۰۰۰ ریال», «100/000»).
_AMOUNT = r"\d{1,3}(?:[,٬'./]\d{3})+|\d+"
_SCALES = {"هزار": 1_000, "میلیون": 1_000_000, "ملیون": 1_000_000, "میلیارد": 1_000_000_000}


def parse_number(text: str) -> tuple[int, str] | None:
    """The first number written in digits and/or words («۱ میلیون و ۳۰۰ هزار», «یک», «20,000»), with the
    exact text it was read from; None when there is none."""
    words = to_latin_digits(text).replace(ZWNJ, " ").split()
    for start, word in enumerate(words):
        if not (_is_digits(word) or word in _UNITS):
            continue
        total, current, used, end = 0, 0, False, start
        for pos in range(start, len(words)):
            w = words[pos].strip("،,.:")
            if _is_digits(w):
                current += int(re.sub(r"\D", "", w))
            elif w in _UNITS:
                current += _UNITS[w]
            elif w in _SCALES:
                total += max(current, 1) * _SCALES[w]
                current = 0
            elif w == "و" and used:
                continue
            else:
                break
            used, end = True, pos
        return total + current, " ".join(text.replace(ZWNJ, " ").split()[start : end + 1])
    return None


def _is_digits(word: str) -> bool:
    return bool(re.fullmatch(_AMOUNT, word.strip("،,.:")))


# --------------------------------------------------------------------------------------------------
# Text values
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _normalizer():
    from hazm import Normalizer

    return Normalizer()


def tidy(text: str) -> str:
    """A value as a person would write it: spacing and half-spaces fixed (hazm), Persian digits, without the
    form's section numbers, placeholders («...») and stray punctuation at its ends."""
    text = text.replace(CHECKED, " ").replace(UNCHECKED, " ")
    text = " ".join(text.split())
    text = re.sub(r"^(?:[.…]\s*){2,}|(?:\s*[.…]){2,}$", "", text)
    if re.fullmatch(r"[.…\s]*", text):
        return ""
    text = re.sub(r"^(?:[\d۰-۹]{1,2}\s*[-–.)]\s*)+", "", text)
    text = re.sub(r"(?:\s+[\d۰-۹]{1,2}\s*[-–])+$", "", text)
    text = text.strip(" \t:：-–—،,؛;|*#")
    if not text or not re.search(r"[\u0600-\u06ffA-Za-z0-9]", text):
        return ""
    if re.search(r"://|www\.|@", text, re.I):
        return text
    text = _normalizer().normalize(text)
    return text.strip(" :：-–—،,؛;")


def split_items(text: str) -> list[str]:
    """A list cell (documents, laws) as items: the card separates them with «،», «-», «;» or numbers."""
    text = text.replace(CHECKED, " ").replace(UNCHECKED, " ")
    text = re.sub(r"(?:(?<=\s)|^)[\d۰-۹]{1,2}\s*[-–.)]\s+", "\n", text)
    parts = re.split(r"[،,؛;\n\t]|(?<=\S)\s*[-–—]\s*(?=\S)|^\s*[-–—•*]\s*|\s[-–—•*]\s", text)
    return [p for p in (tidy(x or "") for x in parts) if p]


# Document names that open an item; two of them in one item usually mean a lost separator.
_ITEM_HEADS = {
    key(w) for w in (
        "مصوبات", "مصوبه", "ابلاغیه", "ابلاغیه‌های", "بخشنامه", "بخشنامه‌های", "دستورالعمل", "آیین‌نامه", "تصویر",
        "کپی", "گواهی", "گواهینامه", "معرفی‌نامه", "مدارک", "مستندات", "پروانه", "مجوز", "قرارداد", "تعهدنامه",
        "فیش", "شناسنامه",
    )
}
_CONNECTORS = {key(w) for w in ("و", "یا", "از", "به", "با", "در", "برای", "جهت", "توسط", "شامل", "اصل", "تصویر", "کپی")}


def split_run_together(item: str) -> list[str]:
    """An item in which a second document name starts after a complete phrase («درخواست شهرداری مصوبات
    کمیته ...») is two items whose separator was lost. The caller flags every such split for review."""
    words = item.split()
    for pos in range(2, len(words) - 1):
        w = key(words[pos])
        if w in _ITEM_HEADS and key(words[pos - 1]) not in _CONNECTORS and key(words[pos - 1]) not in _ITEM_HEADS:
            return [" ".join(words[:pos]), *split_run_together(" ".join(words[pos:]))]
    return [item]


_URL = re.compile(r"/?(?:https?://|www\.)[^\s<>\"'«»،]*", re.I)
_URL_ADAPTER = TypeAdapter(AnyHttpUrl)


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


# --------------------------------------------------------------------------------------------------
# The draft
# --------------------------------------------------------------------------------------------------


@dataclass
class Draft:
    """A card read into the knowledge model's fields, with the doubts a person must check."""

    source: str
    data: dict[str, Any] = field(default_factory=dict)
    review: list[dict[str, str]] = field(default_factory=list)
    scrambled: bool = False
    official_id: bool = False
    only_checked: bool = False  # the extraction kept the marks of checked boxes only

    def flag(self, field_name: str, reason: str, raw: str | None = None) -> None:
        """Records a doubt about a field, with the raw text it came from."""
        note = {"field": field_name, "reason": reason}
        if raw is not None and raw.strip():
            note["raw"] = " ".join(raw.split())[:300]
        if note not in self.review:
            self.review.append(note)

    @property
    def fields_found(self) -> list[str]:
        """The card fields the draft fills, in the model's order (for the report)."""
        return [f for f in CARD_FIELDS if f in self.data]

    @property
    def fields_flagged(self) -> list[str]:
        """The top-level fields with at least one review note, in the order they were flagged."""
        out: list[str] = []
        for note in self.review:
            top = re.split(r"[.\[ /]", note["field"])[0]
            if top not in out:
                out.append(top)
        return out

    def service_data(self) -> dict[str, Any]:
        """The fields in the model's order, review notes last."""
        out = {f: self.data[f] for f in CARD_FIELDS if f in self.data}
        if self.review:
            out["review"] = self.review
        return out


def import_card(text: str, source: str = "") -> Draft:
    """Reads one card's text into a draft. Never raises on odd input: what cannot be read is flagged."""
    draft = Draft(source=source)
    body = prepare(text)
    draft.scrambled = _is_scrambled(body)
    has_boxes = CHECKED in body or UNCHECKED in body
    draft.only_checked = CHECKED in body and UNCHECKED not in body
    if draft.only_checked:
        draft.flag("(card)", "در متن فقط علامت گزینه‌های تیک‌خورده مانده و جای خانه‌های خالی پیدا نیست؛ گزینه‌های بی‌علامت "
                   "تیک‌نخورده خوانده شدند.")

    header_end, section6, tail = _regions(body)
    if draft.scrambled:
        _read_scrambled_header(draft, body[:header_end], has_boxes)
    else:
        _read_header(draft, body[:header_end], has_boxes)
    if section6 is not None:
        _read_delivery(draft, body[section6:tail], has_boxes)
    _read_tail(draft, body[tail:], has_boxes)
    _finish(draft)
    return draft


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


# --------------------------------------------------------------------------------------------------
# Header fields (sections 1-5)
# --------------------------------------------------------------------------------------------------


def _segments(text: str) -> dict[str, list[str]]:
    """For each field label found, the text between it and the next label of the form (all occurrences)."""
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


def _read_header(draft: Draft, text: str, has_boxes: bool) -> None:
    """Sections 1-5, by label: rows may come in any order and several labels may share one line."""
    seg = _segments(text)
    d = draft.data

    raw_id = _pick(seg, "id")
    if raw_id is not None:
        digits = re.findall(r"\d{5,}", to_latin_digits(raw_id))
        if len(digits) == 1:
            d["id"] = digits[0]
            draft.official_id = True
        elif digits:
            draft.flag("id", "بیش از یک عدد در جای شناسه خدمت آمده؛ شناسه ساخته شد.", raw_id)
    for name in ("title", "provider", "parent_agency", "description", "audience", "duration", "system_name"):
        raw = _pick(seg, name)
        if raw is None:
            continue
        value = tidy(raw)
        if value:
            d[name] = _as_lines(value) if name == "description" else value
    if "title" in d and (m := re.search(r"\(\s*[^)]*شناسه[^)]*\)", d["title"])):
        d["title"] = tidy(d["title"].replace(m.group(0), ""))

    for name, vocab in (("service_types", "service_types"), ("nature", "nature"), ("levels", "levels"),
                        ("life_events", "life_events"), ("start_triggers", "start_triggers")):
        raw = _pick(seg, name, boxes=True)
        if raw is not None:
            _read_choices(draft, name, raw, VOCAB[vocab], has_boxes)

    for name in ("documents", "laws"):
        raw = _pick(seg, name)
        if raw is not None and tidy(raw):
            _read_list(draft, name, raw)

    raw = _pick(seg, "recipients", boxes=True)
    if raw is not None:
        _read_recipients(draft, raw, has_boxes)
    raw = _pick(seg, "frequency", boxes=True)
    if raw is not None:
        _read_frequency(draft, raw, has_boxes)
    raw = _pick(seg, "in_person_visits")
    if raw is not None:
        _read_visits(draft, raw)
    raw = _pick(seg, "costs", boxes=True)
    if raw is not None:
        _read_costs(draft, raw)
    raw = _pick(seg, "websites")
    if raw is not None:
        _read_websites(draft, raw)


def _as_lines(value: str) -> str:
    """A description that lists items after a colon («...: - الف - ب») keeps one item per line."""
    head, sep, rest = value.partition(": -")
    if not sep:
        return value
    items = [i.strip() for i in re.split(r"\s-\s", " " + rest) if i.strip()]
    return head + ":\n" + "\n".join(f"- {i}" for i in items)


def _read_choices(draft: Draft, name: str, raw: str, vocab: list[Option], has_boxes: bool) -> None:
    """A box group of the header: the codes of the checked options, and the «سایر» note."""
    tokens = tokenize(raw, vocab)
    marks, loose = pair_boxes(tokens)
    if not marks:
        if (loose or tidy(raw)) and not draft.only_checked:
            reason = ("علامت چک‌باکس‌ها در متن استخراج‌شده از دست رفته؛ گزینه تیک‌خورده خوانا نیست." if not has_boxes
                      else "کنار گزینه‌های این بخش هیچ چک‌باکسی نیامده؛ گزینه تیک‌خورده خوانا نیست.")
            draft.flag(name, reason, raw)
        return
    codes: list[str] = []
    note = ""
    for mark in marks:
        if not mark.checked:
            if mark.option and mark.option.code == "other" and mark.note:
                draft.flag(name, f"کنار «سایر» متن «{mark.note}» نوشته شده ولی تیک نخورده؛ نوشته نشد.", mark.raw)
            continue
        option = mark.option or _guess_option(draft, name, mark, vocab)
        if option is None:
            continue
        if option.code not in codes:
            codes.append(option.code)
        if option.code == "other" and mark.note:
            note = mark.note
    if loose and not draft.only_checked:
        draft.flag(name, "این گزینه‌ها در متن چک‌باکس ندارند و تیک‌خوردن یا نخوردنشان معلوم نیست: "
                   + "، ".join(f"«{t.text}»" for t in loose), raw)
    if codes:
        draft.data[name] = codes
    if note:
        draft.data[{"life_events": "life_events_note", "start_triggers": "start_note"}.get(name, name + "_note")] = tidy(note)
    _flag_typos(draft, name, marks)


def _guess_option(draft: Draft, name: str, mark: Mark, vocab: list[Option]) -> Option | None:
    """A checked box whose label is cut to a letter or two («م» for ماه): read only when exactly one
    option starts that way, and flagged."""
    label = key(mark.note)
    matches = {o.code: o for o in vocab if o.kind != "noise" and label and o.key.startswith(label)}
    if len(matches) == 1:
        option = next(iter(matches.values()))
        draft.flag(name, f"برچسب گزینه تیک‌خورده در متن بریده شده («{mark.note}») و «{option.label}» خوانده شد.", mark.raw)
        return option
    draft.flag(name, "گزینه‌ای تیک خورده که برچسبش خوانا نیست؛ نوشته نشد.", mark.raw)
    return None


def _flag_typos(draft: Draft, name: str, marks: list[Mark]) -> None:
    """A checked option read from a damaged label («قاضای» for تقاضای) is right often enough to keep, but a
    person should see it."""
    for mark in marks:
        if mark.checked and mark.option is not None and mark.score < 0.9:
            draft.flag(name, f"برچسب گزینه تیک‌خورده در متن آسیب دیده و «{mark.option.label}» خوانده شد.", mark.raw)


def _read_list(draft: Draft, name: str, raw: str) -> None:
    """Documents or laws, one item per separator; «به استناد» before a law's name is not part of it."""
    items: list[str] = []
    for item in split_items(raw):
        if name == "laws":
            item = re.sub(r"^(?:به[\s\u200c]*استناد|براساس|بر[\s\u200c]*اساس|طبق|مطابق)\s+", "", item)
        parts = split_run_together(item)
        if len(parts) > 1:
            draft.flag(name, "دو مورد بی‌جداکننده پشت هم آمده‌اند و جدا خوانده شدند: "
                       + " | ".join(f"«{p}»" for p in parts), item)
        items.extend(tidy(p) for p in parts)
    if items:
        draft.data[name] = [i for i in items if i]


def _read_recipients(draft: Draft, raw: str, has_boxes: bool) -> None:
    """The count (digits or words, «در حدود ۱ میلیون و ۳۰۰ هزار نفر» kept as the note when it says more
    than the number) and the checked period."""
    m = re.search(r"خدمت[\s\u200c]*گیرندگان[\s\u200c]*در\s*:?", raw)
    head, periods = (raw[: m.start()], raw[m.end() :]) if m else (raw, raw)
    out: dict[str, Any] = {}
    count_text = tidy(head.split(CHECKED)[0].split(UNCHECKED)[0])
    number = parse_number(count_text) if count_text else None
    if number is not None:
        out["count"] = number[0]
        rest = key(count_text.replace(number[1], ""))
        if rest and rest not in (key("نفر"), key("مورد"), key("خدمت گیرنده")):
            out["note"] = count_text
    elif count_text:
        draft.flag("recipients.count", "تعداد خدمت‌گیرندگان عدد خوانایی نیست.", count_text)
    period = _read_period(draft, "recipients", periods, has_boxes)
    if period:
        out["period"] = period
    if out:
        draft.data["recipients"] = out


def _read_period(draft: Draft, name: str, raw: str, has_boxes: bool) -> str | None:
    """The one checked period (ماه / فصل / سال); none when no box or more than one is checked."""
    tokens = tokenize(raw, VOCAB["frequency"] if name == "frequency" else VOCAB["period"])
    marks, loose = pair_boxes(tokens)
    periods = [t for t in tokens if t.type == "option" and t.option.kind == "period"]
    if not marks and periods and not draft.only_checked:
        reason = ("علامت چک‌باکس‌ها در متن استخراج‌شده از دست رفته؛ دوره (ماه/فصل/سال) خوانا نیست." if not has_boxes
                  else "کنار ماه/فصل/سال چک‌باکسی نیامده؛ دوره‌ای نوشته نشد.")
        draft.flag(f"{name}.period", reason, raw)
        return None
    chosen: list[str] = []
    checked_period = any(m.checked and m.option and m.option.kind == "period" for m in marks)
    if not draft.only_checked and not checked_period and any(t.option.kind == "period" for t in loose):
        draft.flag(f"{name}.period", "کنار ماه/فصل/سال چک‌باکسی نیامده؛ دوره‌ای نوشته نشد.", raw)
    for mark in marks:
        if not mark.checked:
            continue
        option = mark.option
        if option is None:
            option = _guess_option(draft, f"{name}.period", mark, [o for o in VOCAB["period"] if o.kind == "period"])
        if option is not None and option.kind == "period" and option.code not in chosen:
            chosen.append(option.code)
    if len(chosen) > 1:
        draft.flag(f"{name}.period", "بیش از یک دوره تیک خورده؛ دوره‌ای نوشته نشد.", raw)
        return None
    return chosen[0] if chosen else None


def _read_frequency(draft: Draft, raw: str, has_boxes: bool) -> None:
    """«یکبار برای همیشه», «N بار در» a period, or «بطور مداوم در» a period: a period checked under the
    «مداوم» heading is what makes the service continuous."""
    out: dict[str, Any] = {}
    tokens = tokenize(raw, VOCAB["frequency"])
    marks, _ = pair_boxes(tokens)
    for mark in marks:
        if mark.checked and mark.option is not None and mark.option.kind == "frequency":
            out[mark.option.code] = True
    plain = to_latin_digits(raw).replace(UNCHECKED, " ").replace(CHECKED, " ")
    times = re.search(r"(\S+(?:\s+و\s+\S+)?)\s*بار[\s\u200c]*در\b", plain)
    if times:
        number = parse_number(times.group(1))
        if number is not None and number[0] >= 1:
            out["times"] = number[0]
    period = _read_period(draft, "frequency", raw, has_boxes)
    if period:
        out["period"] = period
        if "times" not in out and re.search(r"مداوم", raw) and not out.get("once_forever"):
            out["continuous"] = True
    if out.get("once_forever") and (out.get("continuous") or period):
        draft.flag("frequency", "هم «یکبار برای همیشه» و هم دوره‌ای تیک خورده.", raw)
    if not out and any(m.checked for m in marks):
        draft.flag("frequency", "در بخش تواتر گزینه‌ای تیک خورده که خوانا نیست.", raw)
    if out:
        draft.data["frequency"] = {k: out[k] for k in ("once_forever", "continuous", "times", "period") if k in out}


def _read_visits(draft: Draft, raw: str) -> None:
    """A number of visits; «ندارد» is 0, «-» or nothing is not stated."""
    value = tidy(raw)
    if not value:
        return
    if key(value) in (key("ندارد"), key("صفر"), key("نیاز ندارد"), key("بدون مراجعه")):
        draft.data["in_person_visits"] = 0
        return
    number = parse_number(value)
    if number is None:
        draft.flag("in_person_visits", "تعداد بار مراجعه حضوری عدد خوانایی نیست.", raw)
        return
    draft.data["in_person_visits"] = number[0]
    if len(key(value)) > len(key(number[1])) + len(key("بار")) + 2:
        draft.flag("in_person_visits", "کنار تعداد بار مراجعه متن دیگری هم آمده.", raw)


def _read_costs(draft: Draft, raw: str, quiet: bool = False) -> None:
    """Each row of the cost table: an amount in rials, what it is for, the account and the «electronic»
    box. «رایگان» is an amount of 0; an empty table is not free, it is not stated."""
    text = raw
    for heading in _COST_HEADINGS:
        text = re.sub(_label_pattern(heading), " ", text)
    costs: list[dict[str, Any]] = []
    for line in text.split("\n"):
        cells = [c.strip() for c in line.split("\t")]
        if len([c for c in cells if c]) >= 2 and all(re.fullmatch(r"[\d۰-۹]{1,2}", c) for c in cells if c):
            continue  # stray section numbers of the form («۶ ۱»)
        plain = line.replace(CHECKED, " ").replace(UNCHECKED, " ")
        if re.search(r"رایگان", plain):
            costs.append({"amount": 0})
            continue
        latin = to_latin_digits(plain)
        account = re.search(r"IR\s?\d[\d\s]{20,}|\b\d[\d-]{9,}\d\b", latin)
        rest = latin.replace(account.group(0), " ") if account else latin
        amount = re.search(rf"({_AMOUNT})\s*(ریال|تومان)?", rest)
        if not amount:
            if tidy(plain) and not quiet:
                draft.flag("costs", "در جدول هزینه متنی بدون مبلغ آمده؛ نوشته نشد.", line)
            continue
        value = int(re.sub(r"\D", "", amount.group(1)))
        cost: dict[str, Any] = {"amount": value}
        if amount.group(2) == "تومان":
            cost["amount"] = value * 10
            draft.flag("costs", "مبلغ به تومان نوشته شده و به ریال (×۱۰) برگردانده شد.", line)
        purpose = tidy(rest.replace(amount.group(0), " ", 1))
        if purpose:
            cost["purpose"] = purpose
        if account:
            cost["bank_account"] = to_persian_digits(" ".join(account.group(0).split()))
        if CHECKED in line:
            cost["electronic"] = True
        costs.append(cost)
    if costs:
        if any(c["amount"] == 0 for c in costs) and any(c["amount"] > 0 for c in costs):
            draft.flag("costs", "هم «رایگان» و هم مبلغ آمده.", raw)
        draft.data["costs"] = costs


def _read_websites(draft: Draft, raw: str) -> None:
    """Only real http(s) addresses: «WWW.» alone is a placeholder, and a bare «www.x.ir» gets http:// with a
    note, because the model (and a citizen's browser) needs a scheme."""
    urls: list[str] = []
    for found in _URL.findall(raw):
        url = found.rstrip(".,،;)")
        if url.startswith("/") or found.startswith("/"):
            url = url.lstrip("/")
        if not url.lower().startswith("http"):
            host = url[4:]
            if not re.fullmatch(r"[\w-]+(\.[\w-]+)+(/\S*)?", host):
                draft.flag("websites", "به جای نشانی وبگاه فقط «WWW.» یا نشانی ناقص آمده؛ وبگاهی ثبت نشد.", found)
                continue
            draft.flag("websites", f"نشانی «{url}» بی http:// آمده و http:// به آن افزوده شد.", found)
            url = "http://" + url
        try:
            _URL_ADAPTER.validate_python(url)
        except ValidationError:
            draft.flag("websites", "نشانی وبگاه معتبر نیست؛ ثبت نشد.", found)
            continue
        if url not in urls:
            urls.append(url)
    if urls:
        draft.data["websites"] = urls
    elif tidy(raw) and not any(r["field"] == "websites" for r in draft.review):
        draft.flag("websites", "در جای نشانی وبگاه متنی آمده که نشانی نیست.", raw)


# --------------------------------------------------------------------------------------------------
# Section 6: how each stage is reached
# --------------------------------------------------------------------------------------------------


@dataclass
class _Item:
    """A mark or loose text of section 6, with the cell it was found in."""

    mark: Mark | None
    text: str
    cell: int
    cell_kinds: frozenset[str]


def _stage_of(tokens: list[Token]) -> str | None:
    stages = [t.option.code for t in tokens if t.type == "option" and t.option.kind == "stage"]
    return stages[0] if stages else None


def _read_delivery(draft: Draft, text: str, has_boxes: bool) -> None:
    """Section 6 is a table of four stages, each two rows (electronic, and in person); extraction may put a
    stage's name before or after its cells, so a line belongs to the stage named in it, a line naming none
    to the stage named last (or, before any name, to the first named after it)."""
    if not has_boxes:
        if text.strip():
            draft.flag("delivery", "علامت چک‌باکس‌ها در متن استخراج‌شده از دست رفته؛ برای هیچ مرحله الکترونیکی‌بودن، "
                       "رسانه ارتباطی، دلیل مراجعه حضوری یا سطح مراجعه خوانا نیست.")
        return
    vocab = VOCAB["stage"]
    per_stage: dict[str, list[_Item]] = {s: [] for s in STAGE_NAMES}
    pending: list[_Item] = []
    current: str | None = None
    cell_no = 0
    for line in text.split("\n"):
        cells = [c for c in line.split("\t") if c.strip()]
        line_tokens = [tokenize(c, vocab) for c in cells]
        named = next((s for s in (_stage_of(t) for t in line_tokens) if s), None)
        if named:
            if current is None and pending:
                per_stage[named].extend(pending)
                pending = []
            current = named
        for cell, tokens in zip(cells, line_tokens, strict=True):
            cell_no += 1
            kinds = frozenset(t.option.kind + ":" + t.option.code for t in tokens if t.type == "option")
            stage = current
            if any(k in kinds for k in ("channel:intranet",)) or re.search(r"درگاه|اینترانت|ERP", cell):
                stage = "production"
            marks, _ = pair_boxes(tokens)
            items = [_Item(m, "", cell_no, kinds) for m in marks]
            free = " ".join(t.text for t in tokens if t.type == "text" and not _attached(tokens, t))
            if free.strip():
                items.append(_Item(None, _clean_note(free), cell_no, kinds))
            if stage is None:
                pending.extend(items)
            else:
                per_stage[stage].extend(items)
    if pending and current is None:
        draft.flag("delivery", "هیچ نام مرحله‌ای در بخش نحوه دسترسی پیدا نشد.", text[:300])
        return
    delivery: dict[str, Any] = {}
    for stage in STAGE_NAMES:
        value = _read_stage(draft, stage, per_stage[stage])
        if value:
            delivery[stage] = value
    if delivery:
        draft.data["delivery"] = delivery


def _attached(tokens: list[Token], token: Token) -> bool:
    """True when free text is the note of the option (or box) right before it."""
    index = tokens.index(token)
    for t in reversed(tokens[:index]):
        if t.type == "box":
            return True
        if t.type == "option":
            return t.option.kind != "noise" and t.option.kind != "stage"
    return False


def _read_stage(draft: Draft, stage: str, items: list[_Item]) -> dict[str, Any]:
    """One stage from its marks. The hard part is «الکترونیکی»: it is the stage's own electronic box, but
    extraction also prints the «غیر الکترونیکی» box and the channel list's «اینترنتی» that way; which one
    it is follows from the cell it sits in and its neighbours, and each such reading is flagged."""
    where = f"delivery.{stage}"
    marks = [i for i in items if i.mark is not None]
    e_items = [i for i in marks if i.mark.option and i.mark.option.kind == "electronic" and i.mark.option.code == "yes"]
    n_items = [i for i in marks if i.mark.option and i.mark.option.kind == "electronic" and i.mark.option.code == "no"]
    # «الکترونیکی» followed by the in-person heading is the «غیر الکترونیکی» box with «غیر» lost.
    for item in list(e_items):
        if "ذکر ضرورت" in item.mark.raw or "ضرورت" in item.mark.note:
            e_items.remove(item)
            n_items.append(item)
            if item.mark.checked:
                draft.flag(f"{where}.electronic", "«الکترونیکی ذکر ضرورت مراجعه حضوری» (بی «غیر») تیک خورده و "
                           "گزینه «غیر الکترونیکی» خوانده شد.", item.mark.raw)
    nature_cells = {i.cell for i in e_items + n_items
                    if all(k.startswith("electronic:") or k.startswith("stage:") or k.startswith("noise:") for k in i.cell_kinds)}
    electronic_boxes: list[_Item] = []
    web_glitch: list[_Item] = []
    previous: _Item | None = None
    for item in e_items:
        in_nature = item.cell in nature_cells
        has_web = "channel:web" in item.cell_kinds
        if in_nature:
            if previous is not None and previous.cell == item.cell and previous in electronic_boxes:
                n_items.append(item)  # «الکترونیکی ☐ الکترونیکی»: the second is «غیر الکترونیکی»
                if item.mark.checked:
                    draft.flag(f"{where}.electronic", "دومین «الکترونیکی» کنار هم تیک خورده و «غیر الکترونیکی» "
                               "خوانده شد («غیر» در متن نیامده).", item.mark.raw)
            else:
                electronic_boxes.append(item)
        elif nature_cells and not has_web:
            web_glitch.append(item)  # the channel list's first option, «اینترنتی», printed as «الکترونیکی»
        elif not electronic_boxes or has_web:
            electronic_boxes.append(item)
        elif item.mark.checked:
            draft.flag(f"{where}.electronic", "گزینه «الکترونیکی» دیگری تیک خورده که معلوم نیست «غیر الکترونیکی» "
                       "است یا «اینترنتی»؛ نوشته نشد.", item.mark.raw)
        previous = item
    out: dict[str, Any] = {}
    yes = any(i.mark.checked for i in electronic_boxes)
    no = any(i.mark.checked for i in n_items)
    if yes:
        out["electronic"] = True
        if no:
            draft.flag(f"{where}.electronic", "هم «الکترونیکی» و هم «غیر الکترونیکی» تیک خورده؛ الکترونیکی نوشته شد.")
    elif no:
        out["electronic"] = False

    channels: list[str] = []
    channels_note = ""
    for item in web_glitch:
        if item.mark.checked:
            channels.append("web")
            draft.flag(f"{where}.channels", "نخستین گزینه فهرست رسانه‌ها به شکل «الکترونیکی» آمده و تیک خورده؛ "
                       "«اینترنتی (وبگاه دستگاه)» خوانده شد.", item.mark.raw)
    reasons: list[str] = []
    person_note = ""
    levels: list[str] = []
    for item in marks:
        option = item.mark.option
        if option is None:
            if item.mark.checked:
                draft.flag(where, "گزینه‌ای تیک خورده که برچسبش خوانا نیست.", item.mark.raw)
            continue
        if not item.mark.checked:
            if option.code == "other" and option.kind in ("channel", "reason") and item.mark.note:
                draft.flag(where, f"کنار «سایر» متن «{item.mark.note}» نوشته شده ولی تیک نخورده.", item.mark.raw)
            continue
        if option.kind == "channel":
            if option.code not in channels:
                channels.append(option.code)
            if option.code == "other" and item.mark.note:
                channels_note = item.mark.note
        elif option.kind in ("reason", "visit_level") and stage == "production":
            # The form asks neither for reasons nor for levels in this stage: the mark belongs to a
            # neighbouring row that the extraction printed on this stage's line.
            draft.flag(where, f"گزینه «{option.label}» در این مرحله در فرم نیست و تیک خورده؛ احتمالاً مال مرحله "
                       "کناری است و نوشته نشد.", item.mark.raw)
        elif option.kind == "reason":
            if option.code not in reasons:
                reasons.append(option.code)
            if option.code == "other" and item.mark.note:
                person_note = item.mark.note
        elif option.kind == "visit_level" and option.code not in levels:
            levels.append(option.code)
    free = [i.text for i in items if i.mark is None and i.text and len(i.text.split()) >= 2]
    if not person_note and free:
        person_note = " ".join(free)
    if "electronic" in out or channels or reasons or levels or person_note:
        if "electronic" not in out and (channels or reasons or levels or person_note):
            draft.flag(f"{where}.electronic", "گزینه‌ای از این مرحله تیک خورده ولی نه «الکترونیکی» تیک خورده نه "
                       "«غیر الکترونیکی»؛ نوع ارائه نوشته نشد.")
        if channels:
            out["channels"] = channels
        if channels_note:
            out["channels_note"] = tidy(channels_note)
        if reasons:
            out["in_person_reasons"] = reasons
        if person_note:
            out["in_person_note"] = tidy(person_note)
        if levels:
            out["visit_levels"] = levels
    return out


# --------------------------------------------------------------------------------------------------
# Sections 7-9 and contact
# --------------------------------------------------------------------------------------------------

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


def _read_tail(draft: Draft, text: str, has_boxes: bool) -> None:
    """Sections 7 and 8 (tables of links), 9 (process titles) and the contact block."""
    contact_at = _first(text, tuple(label + ":" for _, label in _CONTACT[:4]))
    contact_at = _line_start(text, contact_at) if contact_at is not None else len(text)
    tables_text, contact_text = text[:contact_at], text[contact_at:]
    lines = tables_text.split("\n")

    step_lines, table_lines = _split_steps(draft, lines)
    _read_links(draft, table_lines, has_boxes)
    steps = [s for s in step_lines if s]
    after_contact = _read_contact(draft, contact_text)
    extra = [tidy(re.sub(r"^\s*مرحله\s+", "", line)) for line in after_contact if re.match(r"^\s*مرحله\s+\S", line)]
    for step in extra:
        draft.flag("steps", "این مرحله پس از جدول فرم (زیر بخش تماس) آمده و به فهرست فرایندها افزوده شد.", step)
    steps += [s for s in extra if s]
    if steps:
        draft.data["steps"] = steps


def _split_steps(draft: Draft, lines: list[str]) -> tuple[list[str], list[str]]:
    """Separates the process titles (section 9) from the lines of the link tables."""
    numbered: list[tuple[int, int, str]] = []
    heading_at: int | None = None
    step_index: set[int] = set()
    for index, line in enumerate(lines):
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        if any(_is_steps_heading(c) for c in cells):
            heading_at = index
            if all(_is_steps_heading(c) for c in cells):
                step_index.add(index)
                continue
        if not cells or any(b in line for b in BOXES):
            continue
        first = cells[0]
        if m := re.match(r"^([\d۰-۹]{1,2})\s*[-–.)]\s*(.*)$", first):
            if not _is_steps_heading(first) and not re.search(r"ارتباط[\s\u200c]*خدمت", first):
                numbered.append((index, int(to_latin_digits(m.group(1))), m.group(2)))
        elif draft.scrambled and (m := re.match(r"^(.*\S)\s*[-–]\s*([\d۰-۹]{1,2})\s*$", " ".join(cells))):
            numbered.append((index, int(to_latin_digits(m.group(2))), m.group(1)))  # «عنوان -1», read right to left
    steps: list[str] = []
    if numbered:
        order = [n for _, n, _ in numbered]
        if order != sorted(order):
            draft.flag("steps", "شماره‌های عناوین فرایندها به ترتیب نیامده بود؛ به ترتیب شماره مرتب شد.",
                       " ".join(str(n) for n in order))
        for index, _, title in sorted(numbered, key=lambda x: x[1]):
            step_index.add(index)
            value = tidy(title)
            if not value:
                continue
            if draft.scrambled and _looks_scrambled(value):
                draft.flag("steps", "این عنوان از متن راست‌به‌چپِ به‌هم‌ریخته خوانده شد؛ ترتیب واژه‌ها شاید درست نباشد.",
                           lines[index])
            steps.append(value)
    elif heading_at is not None:
        # Unnumbered titles: the lines from the heading on (the heading may share the first title's row).
        for index in range(heading_at, len(lines)):
            cells = [c.strip() for c in lines[index].split("\t") if c.strip()]
            if any(b in lines[index] for b in BOXES):
                break
            titles = [c for c in cells if not _is_steps_heading(c) and not _is_heading(c)]
            if index > heading_at and not titles and steps:
                continue
            step_index.add(index)
            steps.extend(tidy(c) for c in titles)
        if not steps:
            # The heading after the titles: the text lines right above it.
            index = heading_at - 1
            found: list[str] = []
            while index >= 0 and lines[index].strip() and not any(b in lines[index] for b in BOXES):
                cells = [c.strip() for c in lines[index].split("\t") if c.strip()]
                if any(_is_heading(c) for c in cells):
                    break
                found[:0] = [tidy(c) for c in cells]
                step_index.add(index)
                index -= 1
            steps = found
    table_lines = [line for i, line in enumerate(lines) if i not in step_index]
    return steps, table_lines


def _read_links(draft: Draft, lines: list[str], has_boxes: bool) -> None:
    """Section 7 (other systems of the agency) and 8 (other agencies): one row per link. The box columns
    are named in the table's heading rows, in the order the extraction printed them."""
    section: str | None = None
    columns: dict[str, list[str]] = {"7": [], "8": []}
    groups: dict[str, list[str]] = {"7": [], "8": []}
    system_links: list[dict[str, Any]] = []
    agency_links: list[dict[str, Any]] = []
    notes: list[str] = []
    for line in lines if has_boxes else []:
        if not line.strip():
            continue
        k = key(line)
        is7 = bool(re.search(r"نامسامانههایدیگر(?!دستگاه)|ارتباطخدمتباسایرسامانهها", k)) and "نامدستگاهدیگر" not in k
        is8 = "نامدستگاهدیگر" in k or "نامسامانههایدستگاهدیگر" in k or bool(re.search(r"ارتباطخدمتباسایردستگاه", k))
        if is7 != is8:
            section = "7" if is7 else "8"
        if section is None:
            section = "7"
        cells = line.split("\t")
        if CHECKED not in line and all(_is_heading(c) for c in cells):
            order, groups[section] = _box_columns(line, section, groups[section])
            if order:
                columns[section] = order
            continue
        row = _link_row(draft, cells, section, columns[section])
        if row is None:
            continue
        if "note" in row:
            notes.append(row["note"])
        elif section == "7":
            system_links.append(row)
        else:
            agency_links.append(row)
    if system_links:
        draft.data["system_links"] = system_links
    if agency_links:
        draft.data["agency_links"] = agency_links
    if notes:
        draft.data["agency_links_note"] = tidy(" ".join(notes))
    if not has_boxes and any(line.strip() for line in lines):
        draft.flag("system_links / agency_links", "جدول‌های ارتباط با سامانه‌ها و دستگاه‌های دیگر در متن استخراج‌شده "
                   "خالی‌اند؛ معلوم نیست فرم واقعاً خالی بوده یا علامت‌ها از دست رفته‌اند.")


def _box_columns(line: str, section: str, groups: list[str]) -> tuple[list[str] | None, list[str]]:
    """The meaning of the box columns from a heading row: a first row names the groups («استعلام غیر
    الکترونیکی», «استعلام الکترونیکی»), a second the electronic sub-columns (online, Batch), in the order
    the extraction printed them. Returns the columns (None when this row does not give them) and the groups."""
    found: list[str] = []
    for m in re.finditer(r"online|برخط|batch|دسته|دستی|غیر[\s\u200c]*الکترونیکی|الکترونیکی", line, re.I):
        word = m.group(0).lower()
        if word.startswith("غیر"):
            if section == "8":
                continue  # section 8 names who makes an offline inquiry with labelled boxes instead
            kind = "offline"
        elif word == "الکترونیکی":
            kind = "electronic"
        else:
            kind = "online" if word in ("online", "برخط") else "batch"
        if not found or found[-1] != kind:
            found.append(kind)
    electronic = [k for k in found if k in ("online", "batch")]
    if not electronic:
        return None, found or groups
    if "offline" in found or "offline" not in groups:
        return [k for k in found if k != "electronic"], groups
    columns: list[str] = []
    for group in groups:
        columns.extend(electronic if group == "electronic" else [group])
    return columns, groups


def _link_row(draft: Draft, cells: list[str], section: str, columns: list[str]) -> dict[str, Any] | None:
    """One data row of a link table, read from the side of its boxes: next to the boxes come the amount
    (section 8), the exchanged fields, the system, and last the agency."""
    field_name = "system_links" if section == "7" else "agency_links"
    box_cells = [i for i, c in enumerate(cells) if any(b in c for b in BOXES)]
    offline_by: str | None = None
    mode_boxes: list[bool] = []
    for i in box_cells:
        cell = cells[i]
        if section == "8" and re.search(r"دستگاه|مراجعه", cell):
            marks, _ = pair_boxes(tokenize(cell, VOCAB["offline_by"]))
            for mark in marks:
                if mark.checked and mark.option is not None:
                    offline_by = mark.option.code
            continue
        mode_boxes.extend(ch == CHECKED for ch in cell if ch in BOXES)
    texts = [(i, c.strip()) for i, c in enumerate(cells) if c.strip() and i not in box_cells and not _is_heading(c)]
    raw = " | ".join(c.strip() for c in cells if c.strip())
    if len(texts) == 1 and (len(texts[0][1].split()) > 12 or texts[0][1].rstrip().endswith(".")) and section == "8":
        return {"note": texts[0][1]}
    mode = None
    if any(mode_boxes):
        checked = [i for i, v in enumerate(mode_boxes) if v]
        if len(columns) == len(mode_boxes) and len(checked) == 1:
            mode = columns[checked[0]]
        elif len(checked) == 1 and len(mode_boxes) == 2 and set(columns) >= {"online", "batch"}:
            mode = [c for c in columns if c != "offline"][checked[0]]
        else:
            draft.flag(field_name, "نوع استعلام تیک خورده ولی ستونش خوانا نیست.", raw)
    if not texts:
        if any(mode_boxes) or offline_by:
            draft.flag(field_name, "در جدول گزینه‌ای تیک خورده ولی نامی نوشته نشده؛ ردیفی ثبت نشد.", raw)
        return None
    if box_cells:
        after = [t for t in texts if t[0] > box_cells[-1]]
        before = [t for t in texts if t[0] < box_cells[0]]
        reversed_row = len(after) >= len(before)
        side = after if reversed_row else list(reversed(before))
        anchor = box_cells[-1] if reversed_row else box_cells[0]
        positions = {abs(i - anchor): t for i, t in side}
    else:
        draft.flag(field_name, "ردیفی بی چک‌باکس؛ جای ستون‌ها حدس زده شد.", raw)
        side = texts
        positions = {n + 1: t for n, (_, t) in enumerate(texts)}
    last = side[-1][1]
    row: dict[str, Any] = {}
    if section == "7":
        row["system"] = tidy(last)
        fields = positions.get(1)
        if fields and fields != last:
            row["fields"] = tidy(fields)
        extra = [t for _, t in side if t not in (last, fields)]
    else:
        row["agency"] = tidy(last)
        amount, fields, system = positions.get(1), positions.get(2), positions.get(3)
        if amount and amount != last:
            number = parse_number(amount)
            if number is not None:
                row["amount"] = number[0]
            else:
                fields, system = amount, fields  # no amount column in this row
        if system and system != last:
            row["system"] = tidy(system)
        if fields and fields != last:
            row["fields"] = tidy(fields)
        extra = [t for _, t in side if t not in (last, amount, fields, system)]
    if extra:
        draft.flag(field_name, "در این ردیف متنی بیش از ستون‌های جدول آمده؛ نوشته نشد.", raw)
    if not row.get("system" if section == "7" else "agency"):
        return None
    if mode:
        row["mode"] = mode
    if offline_by:
        row["offline_by"] = offline_by
        row.setdefault("mode", "offline")
    return {k: v for k, v in row.items() if v not in ("", None)}


def _read_contact(draft: Draft, text: str) -> list[str]:
    """The contact block; returns the lines after it (some cards add process steps there)."""
    contact: dict[str, str] = {}
    lines = text.split("\n")
    last = -1
    for index, line in enumerate(lines):
        found = False
        for name, label in _CONTACT:
            for m in _compiled(label + ":", False).finditer(line):
                found = True
                rest = line[m.end():]
                stops = [s.start() for _, other in _CONTACT for s in _compiled(other + ":", False).finditer(rest)]
                value = rest[: min(stops)] if stops else rest
                value = value.split("\t")[0] if "\t" in value.strip() else value
                value = tidy(value) if name not in ("email", "phone") else " ".join(value.split()).strip(" -–|")
                if value:
                    contact[name] = value
        if found:
            last = index
    if "email" in contact and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact["email"]):
        draft.flag("contact.email", "نشانی پست الکترونیک معتبر نیست؛ نوشته نشد.", contact.pop("email"))
    if "phone" in contact:
        contact["phone"] = to_persian_digits(contact["phone"])
    if contact:
        draft.data["contact"] = {k: contact[k] for k in ("unit", "email", "phone", "address", "completed_by") if k in contact}
    return lines[last + 1 :] if last >= 0 else []


# --------------------------------------------------------------------------------------------------
# Cards extracted right to left with scrambled word order
# --------------------------------------------------------------------------------------------------


def _is_scrambled(text: str) -> bool:
    """Text extracted from a right-to-left PDF in visual order shows itself by mirrored parentheses
    «)ره(» and by numbered labels written after their value («... :عنوان خدمت -1»)."""
    mirrored = len(re.findall(r"\)[\u0600-\u06ff\s]{1,20}\(", text))
    trailing = len(re.findall(r"[\u0600-\u06ff]\s*[-–]\s*[\d۰-۹]{1,2}\s*$", text, re.M))
    value_first = len(re.findall(r"\S\s*:\s*(?:عنوان|شناسه)[\s\u200c]*خدمت", text))
    return mirrored + trailing + value_first >= 3


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    from hazm.utils import words_list

    return frozenset(fold(w[0]) for w in words_list())


def _known(word: str) -> bool:
    words = _dictionary()
    w = fold(word)
    if not w or w.isdigit() or w in words:
        return True
    for suffix in ("هایی", "های", "ها", "یان", "ین", "ی", "ان", "ات"):
        if w.endswith(suffix) and w[: -len(suffix)] in words:
            return True
    return False


def _looks_scrambled(value: str) -> bool:
    if re.search(r"\)[^()]*\(|^و\s|\sو$", value):
        return True
    return any(not _known(w) for w in fold(value).split() if len(w) >= 3)


def _bag_label(line: str, label: str) -> tuple[int, int] | None:
    """Where a label's words are in a scrambled line: in any order, close together, possibly glued to a
    neighbour («بالادستیقوانین و مقررات», «مدتمتوسط»); the span of tokens they cover, or None."""
    tokens = [key(t) for t in line.replace(":", " ").split()]
    words = [key(w) for w in re.sub(r"\{[^}]*\}", " ", label).split() if key(w)]
    if not words or not tokens:
        return None
    spots: list[list[int]] = []
    for w in words:
        hits = [i for i, t in enumerate(tokens)
                if t == w or (len(w) >= 3 and len(t) > len(w) and (t.startswith(w) or t.endswith(w)))]
        if not hits:
            return None
        spots.append(hits)
    best: tuple[int, int] | None = None
    for first in spots[0]:
        chosen = [min(hits, key=lambda i: abs(i - first)) for hits in spots]
        start, end = min(chosen), max(chosen)
        if end - start <= len(words) + 1 and (best is None or end - start < best[1] - best[0]):
            best = (start, end)
    return best


def _unmirror(text: str) -> str:
    """Mirrored parentheses put back, and runs separated by wide gaps put back in reading order."""
    runs = [r for r in re.split(r"\s{2,}", text.strip()) if r.strip()]
    text = " ".join(reversed(runs)) if len(runs) > 1 else text
    text = re.sub(r"\)([^()]*)\(", r"(\1)", text)
    return text


def _read_scrambled_header(draft: Draft, text: str, has_boxes: bool) -> None:
    """Best effort on a scrambled card: a label is found by its words on a line, its value is the rest of
    the line (or the lines below it when the label stands alone); every value that still looks scrambled is
    flagged with the line it came from."""
    lines = [line for line in text.split("\n")]
    found: list[tuple[int, str, str]] = []  # (line index, field, label)
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        matches = [(name, label) for name, label in FIELD_LABELS
                   if label != "خدمت گیرندگان" and _bag_label(line, label)]  # that one is also part of others
        if matches:
            name, label = max(matches, key=lambda m: len(key(re.sub(r"\{[^}]*\}", " ", m[1]))))
            found.append((index, name, label))
    label_lines = {i for i, _, _ in found}
    stops = {i for i, line in enumerate(lines) for s in STOP_LABELS if _bag_label(line, s)}
    seen: set[str] = set()
    for index, name, label in found:
        if name in seen:
            continue
        seen.add(name)
        line = lines[index]
        following = []
        for j in range(index + 1, len(lines)):
            if j in label_lines or j in stops:
                break
            following.append(lines[j])
        below = "\n".join(following)
        raw = line + " / " + " / ".join(x.strip() for x in following if x.strip())
        value = _value_from_line(line, label)
        if name == "title":
            raw = line + " / " + " / ".join(x.strip() for x in following if x.strip())
        if name in ("costs", "in_person_visits", "recipients", "frequency") and not re.search(r"[\d۰-۹]", value):
            value = value + "\n" + below
        elif not key(value):
            value = below
        elif name != "title":
            raw = line
        _scrambled_field(draft, name, value, raw, has_boxes, lines, index)


def _value_from_line(line: str, label: str) -> str:
    """A scrambled line without its label: the label's words (also where they are glued to a neighbour)
    and the cut-off pieces of its long form next to it («ز آن:اخشی ب» of «بخشی از آن:») are dropped; the
    rest keeps its spacing, which tells the reversed runs apart."""
    spans = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[^\s:]+", line)]
    where = _bag_label(line, label)
    if where is None:
        return line
    start, end = where
    words = [key(w) for w in re.sub(r"\{[^}]*\}", " ", label).split() if key(w)]
    texts = [t for _, _, t in spans]
    for w in words:
        for i in range(start, end + 1):
            k = key(texts[i])
            if k == w:
                texts[i] = ""
                break
            if len(w) >= 3 and k.startswith(w):
                texts[i] = re.sub("^" + _label_pattern(w), "", texts[i])
                break
            if len(w) >= 3 and k.endswith(w):
                texts[i] = re.sub(_label_pattern(w) + "$", "", texts[i])
                break
    full = key(label.replace("{", " ").replace("}", " "))
    for direction in (range(start - 1, -1, -1), range(end + 1, len(texts))):
        for i in direction:
            if not _label_fragment(key(texts[i]), full):
                break
            texts[i] = ""
    for i in range(start, end + 1):
        if _label_fragment(key(texts[i]), full):
            texts[i] = ""
    out, last_end = "", None
    for (s, e, _), text in zip(spans, texts, strict=True):
        if not text:
            last_end = None if out else last_end
            continue
        if out:
            out += line[last_end:s] if last_end is not None else " "
        out += text
        last_end = e
    return out


def _label_fragment(k: str, full: str) -> bool:
    return not k or k in full or (len(k) >= 3 and fuzz.partial_ratio(k, full) >= 75)


def _scrambled_field(draft: Draft, name: str, value: str, raw: str, has_boxes: bool, lines: list[str], index: int) -> None:
    d = draft.data
    scrambled_reason = "از متن راست‌به‌چپِ به‌هم‌ریخته خوانده شد؛ ترتیب واژه‌ها شاید درست نباشد."
    if name == "id":
        digits = re.findall(r"\d{5,}", to_latin_digits(value))
        if len(digits) == 1:
            d["id"] = digits[0]
            draft.official_id = True
        return
    if name in ("service_types", "nature", "levels", "life_events", "start_triggers"):
        _read_choices(draft, name, value, VOCAB[name], has_boxes)
        return
    if name == "recipients":
        _read_recipients(draft, value, has_boxes)
        return
    if name == "frequency":
        _read_frequency(draft, value, has_boxes)
        return
    if name == "in_person_visits":
        _read_visits(draft, _value_from_line(value, "بار"))
        return
    if name == "costs":
        _read_costs(draft, value, quiet=True)
        if "costs" in d and not has_boxes:
            for i, _ in enumerate(d["costs"]):
                draft.flag(f"costs[{i}].electronic", "مبلغ خوانا است ولی علامت «پرداخت بصورت الکترونیک» از دست رفته.", raw)
        return
    if name == "websites":
        _read_websites(draft, lines[index] + "\n" + value)
        if "websites" in d and re.search(r"/https?://", lines[index]):
            draft.flag("websites", "نشانی در متن واژگونه آمده («/https://...») و «/» پایانی به جای خود برگردانده شد.",
                       lines[index])
            d["websites"] = [u if u.endswith("/") else u + "/" for u in d["websites"]]
        return
    if name in ("documents", "laws"):
        items = split_items(_unmirror(value))
        if items:
            d[name] = items
            if any(_looks_scrambled(i) for i in items):
                draft.flag(name, scrambled_reason, raw)
        return
    text = tidy(_unmirror(value))
    if name == "title":
        text = _best_piece(value) or text
        draft.flag("title", "عنوان از تکه‌های واژگونه بازسازی شد؛ با فرم اصلی مقایسه شود.", raw)
    if not text:
        return
    d[name] = text
    if name != "title" and (_looks_scrambled(text) or len(re.split(r"\s{2,}", value.strip())) > 1):
        draft.flag(name, scrambled_reason, raw)


def _best_piece(value: str) -> str:
    """Of the pieces of a scrambled line, the longest one made only of real words."""
    pieces = [tidy(p) for p in re.split(r"[()\-:؛]", value)]
    good = [p for p in pieces if p and all(_known(w) for w in fold(p).split())]
    return max(good, key=len) if good else ""


# --------------------------------------------------------------------------------------------------
# Required fields, ids
# --------------------------------------------------------------------------------------------------


def slug_id(title: str) -> str:
    """A stable ASCII id for a card without an official one: the same title (however spaced or spelled
    with Arabic letters) always gives the same id."""
    return "card-" + hashlib.sha1(fold(title).encode("utf-8")).hexdigest()[:10]


def _finish(draft: Draft) -> None:
    """The three fields a knowledge file cannot do without, with a placeholder and a note when unread."""
    d = draft.data
    if "title" not in d:
        d["title"] = f"(عنوان خوانده نشد: {draft.source or 'card'})"
        draft.flag("title", "عنوان خدمت خوانا نیست؛ عنوان موقت گذاشته شد.")
    if "provider" not in d:
        if "parent_agency" in d:
            d["provider"] = d["parent_agency"]
            draft.flag("provider", "نام دستگاه اجرایی خوانا نیست؛ نام دستگاه مادر به جای آن گذاشته شد.")
        else:
            d["provider"] = "نامشخص"
            draft.flag("provider", "نام دستگاه اجرایی خوانا نیست؛ «نامشخص» گذاشته شد.")
    if "id" not in d:
        d["id"] = slug_id(d["title"])
        draft.flag("id", "فرم شناسه رسمی ندارد؛ شناسه از روی عنوان ساخته شد (می‌توان نام گویاتری گذاشت).")


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def draft_yaml(draft: Draft) -> str:
    """The draft as a knowledge file: a header that says it is a draft and lists what to check, then the
    fields (with the same review notes in `review:`, so `validate` and the bot keep them)."""
    head = [
        f"# پیش‌نویس خودکار از شناسنامه خدمت ({draft.source or 'card'}) با `python -m bot import-card`.",
        "# پیش از انتشار با فرم اصلی مقایسه شود؛ نام‌های جست‌وجو (aliases) و پرسش‌های رایج را هم بیفزایید.",
    ]
    if draft.review:
        head.append(f"# {len(draft.review)} مورد نیاز به بازبینی دارد:")
        for note in draft.review:
            head.append(f"#  - {note['field']}: {note['reason']}")
    else:
        head.append("# موردی برای بازبینی علامت نخورد.")
    body = yaml.dump(draft.service_data(), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)
    return "\n".join(head) + "\n" + body
