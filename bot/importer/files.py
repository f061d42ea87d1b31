"""A card as an uploaded file: its name says how to read it. The text of a card (.txt) goes to the text
importer, the official Word form (.docx) to the form reader, which reads its tables and boxes directly and
so is the better source when an agency has it. Any other file is refused with a message that says what to
send instead."""

from __future__ import annotations

import codecs
from pathlib import PurePath

from bot.importer.card import import_card
from bot.importer.docx import read_docx
from bot.importer.draft import Draft

ACCEPTED = (".txt", ".docx")
UNSUPPORTED = ("«{name}» پذیرفته نیست: شناسنامه خدمت را به صورت فرم Word (‎.docx‎) یا متن آن (‎.txt‎) بفرستید؛ "
               "فرم Word بهتر خوانده می‌شود.")
ADVICE = {
    ".doc": " فایل ‎.doc‎ (Word قدیمی) را در Word باز کنید و با «ذخیره به نام» به قالب ‎.docx‎ ذخیره کنید.",
    ".pdf": " از PDF فقط متن استخراج‌شده (‎.txt‎) خوانده می‌شود؛ اگر فرم Word آن را دارید، همان را بفرستید.",
}


def import_file(filename: str, data: bytes) -> Draft:
    """Reads one card file into a draft: .txt (UTF-8, UTF-8 or UTF-16 with a BOM, else Windows-1256) or
    .docx. Raises ValueError, in Persian, for any other file and for a .docx that cannot be opened."""
    name = PurePath(filename).name
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".txt":
        return import_card(decode_text(data), name)
    if suffix == ".docx":
        return read_docx(data, name)
    raise ValueError(UNSUPPORTED.format(name=name) + ADVICE.get(suffix, ""))


def decode_text(data: bytes) -> str:
    """A card's text: a byte order mark says UTF-8 or UTF-16; without one, UTF-8 if it decodes, else
    Windows-1256 (what Persian Windows saves as «ANSI»)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1256", errors="replace")
