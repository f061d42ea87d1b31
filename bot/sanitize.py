"""Citizen text made harmless where staff read it outside the chat: a terminal and a spreadsheet.

Anything a citizen typed reaches staff: the conversation log, form answers, unanswered questions. In a
terminal, control characters are commands (OSC 52 writes the clipboard, CSI clears the screen or recolours
it, a C1 byte is a CSI of its own); bidi overrides and isolates (U+202A–202E, U+2066–2069) reorder what is
shown so a line reads differently from what it holds; zero-width characters hide text. In a spreadsheet, a
cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) is a live formula.

So every string printed or exported for staff goes through `printable` (and every CSV cell through
`csv_cell`). Kept on purpose: ZWNJ (U+200C), which Persian spelling needs, and LRM (U+200E), which we put
before masked numbers so they read in order; neither can hide or reorder a run of text.
"""

from __future__ import annotations

import unicodedata

KEPT_FORMAT = frozenset({"\u200c", "\u200e"})
# Controls that stand for white space: replaced by a space, so words on both sides stay apart.
_SPACE_LIKE = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str, *, newlines: bool = False) -> str:
    """`text` without control characters (C0, C1, DEL) and without format characters that reorder or hide
    text; line breaks are kept only with `newlines` (text laid out in lines by us), else become spaces."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch == "\n" and newlines:
            out.append(ch)
        elif ch in _SPACE_LIKE:
            out.append(" ")
        elif ch in KEPT_FORMAT:
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def csv_cell(value: object) -> object:
    """A value for a CSV cell that a spreadsheet program shows as text, never runs as a formula: control
    and bidi characters removed, and a leading `'` before `=`, `+`, `-`, `@`, tab or carriage return (also
    after leading spaces). Numbers and None are written as they are."""
    if not isinstance(value, str):
        return value
    text = printable(value)
    if value.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS):
        return "'" + text
    return text
