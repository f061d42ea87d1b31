"""Masking personal numbers out of free text before it is written to the message log.

The log is read by staff and kept for weeks; a citizen's national code or mobile number typed into the
chat must not be readable there. Masking errs on the side of hiding: any run of 8 or more digits is
masked (national codes, mobiles, postal codes, card numbers, IBANs alike), whatever digit script it was
typed in and whatever spaces, dashes or invisible marks break it up. The only long numbers kept are our own
12-digit tracking codes, which identify a request, not a person, and which staff need to see.

A masked number keeps its last digits so staff can still tell two messages apart: the last 4 of a mobile,
the last 2 of anything else («۰۹۱۲۱۲۳۴۵۶۷» → «*******۴۵۶۷», «۰۰۱۲۳۴۵۶۷۸» → «********۷۸»).
"""

from __future__ import annotations

import re

from storage._common import ascii_digits
from storage.tracking import is_well_formed

# \d is Unicode-aware: Persian ۰-۹, Arabic-Indic ٠-٩, Latin 0-9 and every other decimal digit.
# Between digits: any run of spaces, dashes (also the minus sign), parentheses, slashes or invisible marks
# (bidi marks, ZWNJ, soft hyphen, Arabic letter mark...), not dots or commas, because "0912 123 4567",
# "(۰۹۱۲) ۱۲۳−۴۵۶۷" and a code pasted with direction marks are all one number: whatever the form's
# parser accepts as one number must be masked as one.
_SEP = r"[\s\-_()\[\]\u00ad\u061c\u2010-\u2015\u2212\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
_DIGIT_RUN = re.compile(rf"\d(?:{_SEP}*\d)*")

_MOBILE = re.compile(r"^(?:0|98|0098)?9\d{9}$")
_MIN_MASKED = 8


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    digit_chars = [ch for ch in run if ch.isdecimal()]
    digits = ascii_digits("".join(digit_chars))
    if len(digits) < _MIN_MASKED or is_well_formed(digits):
        return run
    keep = 4 if _MOBILE.match(digits) else 2
    return "*" * (len(digit_chars) - keep) + "".join(digit_chars[-keep:])


def mask_personal_data(text: str) -> str:
    """`text` with every long number except tracking codes masked; see the module docstring for the rules."""
    if not text:
        return text
    return _DIGIT_RUN.sub(_mask_run, text)
