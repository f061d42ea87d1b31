"""Tracking codes (کد رهگیری): 12 digits a citizen can read aloud, type on a phone and mistype safely.

Eleven random digits from `secrets` (about 8×10¹⁰ possible codes: guessing someone else's is hopeless, and
look-ups are owner-only anyway) followed by a Damm check digit. Damm detects every single-digit error and
every swap of two adjacent digits, the two mistakes people make most, so a mistyped code is answered with
"check the code" instead of "no such request".

Codes never start with 0 (a leading zero gets lost in spreadsheets) nor with 98 (so a code is never taken
for a 98-prefixed mobile number when logs are masked, see storage/masking.py).
"""

from __future__ import annotations

import secrets

from storage._common import ascii_digits

LENGTH = 12

# The order-10 weakly totally anti-symmetric quasigroup of H. M. Damm's thesis (2004).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

# What people put between digit groups when they copy a code: spaces, dashes, invisible marks.
_SEPARATORS = frozenset(" \t\u00a0\u2009\u202f-_\u2010\u2011\u2012\u2013\u2014\u200c\u200e\u200f")


def check_digit(digits: str) -> str:
    """The Damm check digit of a string of ASCII digits."""
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    return str(interim)


def new_code() -> str:
    """A fresh random tracking code; uniqueness is the database's job (the caller retries on a clash)."""
    while True:
        body = str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(LENGTH - 2))
        if not body.startswith("98"):
            return body + check_digit(body)


def normalize_tracking_code(text: str) -> str | None:
    """The code in ASCII digits if `text` is a well-formed tracking code, else None.

    Persian, Arabic-Indic and Latin digits are all accepted, with spaces or dashes between groups, because
    citizens copy codes from receipts and type them on Persian keyboards.
    """
    if not text:
        return None
    kept = "".join(ch for ch in text.strip() if ch not in _SEPARATORS)
    digits = ascii_digits(kept)
    if len(digits) != LENGTH or not digits.isascii() or not digits.isdigit():
        return None
    if digits[0] == "0" or digits.startswith("98") or check_digit(digits) != "0":
        return None
    return digits


def is_well_formed(code: str) -> bool:
    """True if `code` has the length, the leading digits and the check digit of a code we issue."""
    return normalize_tracking_code(code) is not None
