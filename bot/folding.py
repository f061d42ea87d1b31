"""The match key of a text: what still differs between two ways of typing one Persian word, folded away
(half-space vs space vs nothing, ة/ه, the alef forms, hamza seats, diacritics, kashida, digit scripts).

Its own module because both the normalizer (bot.textnorm) and the word lists (bot.lexdata) need it, and
neither may import the other back.
"""

from __future__ import annotations

import re

from bot.persian import to_latin_digits

ZWNJ = "\u200c"

# Letters folded for the match key; the first column is what citizens (or Arabic keyboards) type.
_FOLD = str.maketrans(
    {
        "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه",
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ء": None, "ـ": None,
        ZWNJ: " ", "\u200d": None, "\u00a0": " ",
    }
)
_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_NON_WORD = re.compile(r"[^\w\s]|_", re.UNICODE)


def fold(text: str) -> str:
    """The match key of a text: folded letters, Latin digits, no punctuation, single spaces, lowercase."""
    text = to_latin_digits(text).translate(_FOLD)
    text = _DIACRITICS.sub("", text)
    text = _NON_WORD.sub(" ", text)
    return " ".join(text.lower().split())
