"""A card file as uploaded (the console's «new service from a card»): its bytes read by its type into
`import_card`'s draft.

Minimal stand-in until the Word reader (bot/importer/docx.py) is merged: a .txt card is decoded as UTF-8
(a BOM allowed); any other type is refused with a Persian message."""

from __future__ import annotations

from pathlib import PurePath

from bot.importer.card import import_card
from bot.importer.draft import Draft

UNSUPPORTED = "نوع پرونده «{suffix}» پشتیبانی نمی‌شود؛ متن شناسنامه (.txt) یا فرم Word (.docx) بفرستید."
NOT_UTF8 = "پرونده متنی با UTF-8 ذخیره نشده است."


def import_file(filename: str, data: bytes) -> Draft:
    """The draft of a card file; ValueError (a Persian message) when the file cannot be read."""
    name = PurePath(filename or "card.txt").name
    suffix = PurePath(name).suffix.lower()
    if suffix != ".txt":
        raise ValueError(UNSUPPORTED.format(suffix=suffix or "?"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(NOT_UTF8) from None
    return import_card(text, source=name)
