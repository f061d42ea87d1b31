"""Digit handling shared by the backend-neutral rules (tracking codes, masking), so both read a number the
same way whatever script it was typed in.
"""

from __future__ import annotations

import unicodedata


def ascii_digits(text: str) -> str:
    """`text` with every decimal digit of any script (Persian, Arabic-Indic...) as its ASCII digit."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)
