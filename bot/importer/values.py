"""Field values: numbers in digits or words (`parse_number`), text tidied as a person would write it
(`tidy`), list cells cut into items, and web addresses."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import AnyHttpUrl, TypeAdapter

from bot.importer.text import CHECKED, UNCHECKED, ZWNJ, key
from bot.persian import to_latin_digits

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
