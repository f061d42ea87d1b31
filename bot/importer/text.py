"""Reading the card's text: one spelling for box marks, table syntax, letters and digits (`prepare`), and
the loose comparison of printed labels (`key`, `similarity`, label patterns tolerant to extraction)."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from rapidfuzz import fuzz

from bot.folding import fold
from bot.persian import strip_invisibles

ZWNJ = "\u200c"
CHECKED, UNCHECKED = "☑", "☐"
BOXES = CHECKED + UNCHECKED


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
