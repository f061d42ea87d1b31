"""Checking the national code (کد ملی) and mobile number a citizen types, and masking them for display.

Citizens type these on Persian, Arabic or Latin keyboards, with spaces or dashes, and the most common
mistakes are a missing digit or a wrong one. So each check comes in two forms: ``normalize_*`` gives the
canonical value or None (for code), ``*_problem`` gives the Persian sentence that tells the citizen exactly
what to fix (for the reply). Both share one implementation, so they never disagree.

Rules are those of the shared PLATFORMS.md ("Iranian identifiers"). The messages are collected at the top
of the module so their wording can be reviewed in one place.
"""

from __future__ import annotations

from bot.persian import strip_invisibles, to_latin_digits, to_persian_digits

MSG_NC_EMPTY = "لطفاً کد ملی ۱۰ رقمی را بنویسید."
MSG_NC_NOT_DIGITS = "کد ملی فقط از رقم تشکیل می‌شود؛ لطفاً حروف و نشانه‌ها را از آن حذف کنید."
MSG_NC_LENGTH = "کد ملی باید ۱۰ رقم باشد؛ شما {count} رقم نوشتید."
MSG_NC_REPEATED = "این کد ملی معتبر نیست؛ کد ملی با ده رقم یکسان صادر نمی‌شود."
MSG_NC_CHECKSUM = "رقم کنترل کد ملی درست نیست؛ لطفاً دوباره بررسی کنید."

MSG_MOBILE_EMPTY = "لطفاً شماره همراه را بنویسید؛ ۱۱ رقم که با ۰۹ شروع می‌شود."
MSG_MOBILE_NOT_DIGITS = "شماره همراه فقط از رقم تشکیل می‌شود؛ لطفاً حروف و نشانه‌ها را از آن حذف کنید."
MSG_MOBILE_FOREIGN = "فقط شماره همراه ایران پذیرفته می‌شود؛ شماره‌ای که با ۰۹ یا ‎+۹۸ شروع می‌شود."
MSG_MOBILE_PREFIX = "شماره همراه باید با ۰۹ شروع شود."
MSG_MOBILE_LENGTH = "شماره همراه باید ۱۱ رقم باشد و با ۰۹ شروع شود؛ شما {count} رقم نوشتید."
MSG_MOBILE_INCOMPLETE = "شماره همراه کامل نیست یا رقم اضافه دارد؛ لطفاً آن را ۱۱ رقمی و با ۰۹ بنویسید."

# Spaces, dashes and the like, which people put between digit groups and which mean nothing.
_SEPARATORS = frozenset(" \t\n\u00a0\u2009\u202f\u200c-_\u2010\u2011\u2012\u2013\u2014\u2212")
_MOBILE_EXTRA = frozenset("()")

# A left-to-right mark before a masked number. Persian digits after Persian letters are laid out right to
# left as groups, so «۰۹۱۲***۴۵۶۷» would show as «۴۵۶۷***۰۹۱۲» inside a Persian sentence; the mark keeps
# the number in reading order on every client.
LRM = "\u200e"


def _clean(text: str | None, extra: frozenset[str] = frozenset()) -> str:
    """`text` in ASCII digits without invisible marks and separators; other characters are kept."""
    text = to_latin_digits(strip_invisibles(text or "")).strip()
    return "".join(ch for ch in text if ch not in _SEPARATORS and ch not in extra)


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _national_code_check(text: str | None) -> tuple[str | None, str | None]:
    digits = _clean(text)
    if not digits:
        return None, MSG_NC_EMPTY
    if not _is_digits(digits):
        return None, MSG_NC_NOT_DIGITS
    if not 8 <= len(digits) <= 10:
        return None, MSG_NC_LENGTH.format(count=to_persian_digits(len(digits)))
    code = digits.zfill(10)
    if len(set(code)) == 1:
        return None, MSG_NC_REPEATED
    s = sum(int(code[i]) * (10 - i) for i in range(9)) % 11
    check = int(code[9])
    if not ((s < 2 and check == s) or (s >= 2 and check == 11 - s)):
        return None, MSG_NC_CHECKSUM
    return code, None


def normalize_national_code(text: str | None) -> str | None:
    """The 10 ASCII digits of a valid national code, or None.

    Accepts Persian, Arabic-Indic and Latin digits with spaces or dashes; 8 or 9 digits are taken as a code
    whose leading zeros were dropped (as spreadsheets and some old cards do) and padded back.
    """
    return _national_code_check(text)[0]


def national_code_problem(text: str | None) -> str | None:
    """What is wrong with `text` as a national code, as a Persian sentence for the citizen; None if valid."""
    return _national_code_check(text)[1]


def _mobile_check(text: str | None) -> tuple[str | None, str | None]:
    cleaned = _clean(text, _MOBILE_EXTRA)
    if not cleaned:
        return None, MSG_MOBILE_EMPTY
    international = cleaned.startswith("+")
    digits = cleaned[1:] if international else cleaned
    if not _is_digits(digits):
        return None, MSG_MOBILE_NOT_DIGITS
    if digits.startswith("0098"):
        rest, local_form = digits[4:], False
    elif international or (digits.startswith("98") and len(digits) == 12):
        if not digits.startswith("98"):
            return None, MSG_MOBILE_FOREIGN
        rest, local_form = digits[2:], False
    elif digits.startswith("00"):
        return None, MSG_MOBILE_FOREIGN
    elif digits.startswith("0"):
        rest, local_form = digits[1:], True
    else:
        rest, local_form = digits, True
    if not rest.startswith("9"):
        return None, MSG_MOBILE_PREFIX
    if len(rest) != 10:
        if local_form:
            return None, MSG_MOBILE_LENGTH.format(count=to_persian_digits(len(rest) + 1))
        return None, MSG_MOBILE_INCOMPLETE
    return "0" + rest, None


def normalize_mobile(text: str | None) -> str | None:
    """The canonical ``09XXXXXXXXX`` form of an Iranian mobile number, or None.

    Accepts ``09…``, ``9…`` (the leading zero dropped), ``+989…``, ``989…`` and ``00989…``, in any of the
    three digit scripts, with spaces, dashes or parentheses.
    """
    return _mobile_check(text)[0]


def mobile_problem(text: str | None) -> str | None:
    """What is wrong with `text` as a mobile number, as a Persian sentence for the citizen; None if valid."""
    return _mobile_check(text)[1]


def _mask(digits: str, head: int, tail: int) -> str:
    if len(digits) < head + tail + 3:  # too short to show both ends and still hide 3 digits
        head, tail = 0, min(tail, max(len(digits) - 3, 0))
    hidden = len(digits) - head - tail
    return LRM + to_persian_digits(digits[:head] + "*" * hidden + (digits[-tail:] if tail else ""))


def mask_national_code(code: str) -> str:
    """«‎۰۰۱****۶۷۸»: enough for a citizen to recognise their code in a summary, not enough to reuse it.

    Starts with a left-to-right mark (see LRM) so the number reads in order inside Persian text.
    """
    digits = normalize_national_code(code) or "".join(
        ch for ch in _clean(code) if ch.isascii() and ch.isdigit()
    )
    return _mask(digits, 3, 3)


def mask_mobile(mobile: str) -> str:
    """«‎۰۹۱۲***۴۵۶۷»: the operator prefix and the last four digits, as banks print it.

    Starts with a left-to-right mark (see LRM) so the number reads in order inside Persian text.
    """
    digits = normalize_mobile(mobile) or "".join(ch for ch in _clean(mobile) if ch.isascii() and ch.isdigit())
    return _mask(digits, 4, 4)
