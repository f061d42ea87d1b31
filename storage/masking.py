"""Masking personal data out of free text before it is written to the message log.

The log is read by staff and kept for months; a citizen's national code, mobile, card number, IBAN or
e-mail typed into the chat must not be readable there. Masking errs on the side of hiding: any run of 8 or
more digits is masked (national codes, mobiles, postal codes, card numbers, IBANs alike), whatever digit
script it was typed in and however it was broken up, and every e-mail address loses its local part. The
only long numbers kept are our own 12-digit tracking codes, which identify a request, not a person, and
which staff need to see, and official service ids in the button payloads the log records (below).

A masked number keeps its last digits so staff can still tell two messages apart: the last 4 of a mobile or
a card, the last 2 of anything else («۰۹۱۲۱۲۳۴۵۶۷» → «*******۴۵۶۷», «۰۰۱۲۳۴۵۶۷۸» → «********۷۸»); an e-mail
keeps its domain («***@gmail.com»).

Form answers are not masked here: the dialogue does not log them at all (bot/dialogue/core.py).
"""

from __future__ import annotations

import re

from storage._common import ascii_digits
from storage.tracking import is_well_formed

# \d is Unicode-aware: Persian ۰-۹, Arabic-Indic ٠-٩, Latin 0-9 and every other decimal digit.
# Between digits: any run of spaces, dashes (also the minus sign), parentheses, brackets or invisible marks
# (bidi marks, ZWNJ, soft hyphen, Arabic letter mark...), and at most one dot, comma (, ، ٬), Arabic
# decimal mark or slash among them, because "0912 123 4567", "(۰۹۱۲) ۱۲۳−۴۵۶۷", "0912.123.4567",
# "۴۲۷،۱۳۰،۲۴۸۱", "6037/9912/3456/7890" and a code pasted with direction marks are all one number.
_SEP = r"[\s\-_()\[\]\u00ad\u061c\u2010-\u2015\u2212\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
_PUNCT = r"[.,/\u060c\u066b\u066c]"
_DIGIT_RUN = re.compile(rf"\d(?:{_SEP}*(?:{_PUNCT}{_SEP}*)?\d)*")
_EMAIL = re.compile(r"[\w.%+\-]+@([\w\-]+(?:\.[\w\-]+)+)")

_MOBILE = re.compile(r"^(?:0|98|0098)?9\d{9}$")
_CARD_LENGTH = 16
_MIN_MASKED = 8

# How the dialogue logs a tapped button (bot.dialogue.channel.Turn.describe): «[دکمه] s:13011031101». The
# first argument of a service, fact or registration button is a service id, and an official id is a long
# number that staff need to read; anything there that could be a person's number is masked all the same.
_BUTTON_SERVICE = re.compile(r"^\[دکمه\] [sir]:([0-9]{5,12})(?=:|$)")


def _is_national_code(digits: str) -> bool:
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    s = sum(int(digits[i]) * (10 - i) for i in range(9)) % 11
    return int(digits[9]) == (s if s < 2 else 11 - s)


def _may_be_service_id(digits: str) -> bool:
    """A number in the service-id place of a button that cannot be a mobile, a phone number with its area
    code, or a national code."""
    return not (digits.startswith("0") or _MOBILE.match(digits) or _is_national_code(digits))


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    digit_chars = [ch for ch in run if ch.isdecimal()]
    digits = ascii_digits("".join(digit_chars))
    if len(digits) < _MIN_MASKED or is_well_formed(digits):
        return run
    keep = 4 if _MOBILE.match(digits) or len(digits) == _CARD_LENGTH else 2
    return "*" * (len(digit_chars) - keep) + "".join(digit_chars[-keep:])


def _mask(text: str) -> str:
    if "@" in text:
        text = _EMAIL.sub(lambda m: "***@" + m.group(1), text)
    return _DIGIT_RUN.sub(_mask_run, text)


def mask_personal_data(text: str) -> str:
    """`text` with every long number except tracking codes (and service ids of buttons) masked, and e-mail
    addresses reduced to their domain; see the module docstring for the rules."""
    if not text:
        return text
    button = _BUTTON_SERVICE.match(text)
    if button and _may_be_service_id(button.group(1)):
        return text[: button.end()] + _mask(text[button.end() :])
    return _mask(text)
