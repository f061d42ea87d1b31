"""Small Persian text helpers shared by every layer: digits, money, dates.

Everything a citizen sees goes through these so digits are Persian, rials carry thousands separators and
dates are Jalali, whatever the platform.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata

import jdatetime

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
LATIN_DIGITS = "0123456789"

_TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, LATIN_DIGITS * 2)
_TO_PERSIAN = str.maketrans(LATIN_DIGITS + ARABIC_DIGITS, PERSIAN_DIGITS * 2)

# Persian thousands separator (U+066C ARABIC THOUSANDS SEPARATOR renders as «٬» in RTL text).
THOUSANDS_SEP = "٬"

JALALI_MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)


def to_latin_digits(text: str) -> str:
    """Persian and Arabic-Indic digits become ASCII digits; nothing else changes."""
    return text.translate(_TO_LATIN)


def to_persian_digits(text: str | int) -> str:
    """ASCII and Arabic-Indic digits become Persian digits, for display."""
    return str(text).translate(_TO_PERSIAN)


def only_digits(text: str) -> str:
    """The digits of `text` in ASCII, in order, whatever script they were typed in."""
    return "".join(ch for ch in to_latin_digits(text) if ch.isascii() and ch.isdigit())


def group_thousands(n: int) -> str:
    """`1234567` → «۱٬۲۳۴٬۵۶۷»."""
    return to_persian_digits(f"{n:,}".replace(",", THOUSANDS_SEP))


def format_rials(amount: int) -> str:
    """An amount in rials as a citizen reads it, with the toman equivalent when it is a whole number."""
    if amount == 0:
        return "رایگان"
    text = f"{group_thousands(amount)} ریال"
    if amount >= 10 and amount % 10 == 0:
        text += f" (معادل {group_thousands(amount // 10)} تومان)"
    return text


TEHRAN = _dt.timezone(_dt.timedelta(hours=3, minutes=30), "Asia/Tehran")  # Iran keeps no daylight saving


def jalali_date(when: _dt.date | _dt.datetime) -> str:
    """A Gregorian date or datetime as a Jalali date in words: «۳۰ آبان ۱۴۰۵» (aware times in Tehran time)."""
    if isinstance(when, _dt.datetime):
        when = (when.astimezone(TEHRAN) if when.tzinfo else when).date()
    j = jdatetime.date.fromgregorian(date=when)
    return to_persian_digits(f"{j.day} {JALALI_MONTHS[j.month - 1]} {j.year}")


def jalali_datetime(when: _dt.datetime) -> str:
    """A datetime as «۳۰ آبان ۱۴۰۵، ساعت ۱۴:۰۵»; stored times are UTC and citizens read Tehran time."""
    if when.tzinfo:
        when = when.astimezone(TEHRAN)
    return f"{jalali_date(when)}، ساعت {to_persian_digits(when.strftime('%H:%M'))}"


_JALALI_RE = re.compile(r"^\s*(\d{2,4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*$")


def parse_jalali_date(text: str) -> _dt.date | None:
    """«۱۴۰۳/۰۵/۲۱» or «1403-5-21» (two-digit years are 14xx) to a Gregorian date; None if not a date."""
    m = _JALALI_RE.match(to_latin_digits(text))
    if not m:
        return None
    year, month, day = (int(g) for g in m.groups())
    if year < 100:
        year += 1400 if year < 50 else 1300
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError:
        return None


def strip_invisibles(text: str) -> str:
    """Drops format characters (bidi marks, zero-width joiners other than ZWNJ) and control characters."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\u200c" or ch in "\n\t":
            out.append(ch)
        elif cat in ("Cf", "Cc", "Cs", "Co"):
            continue
        else:
            out.append(ch)
    return "".join(out)
