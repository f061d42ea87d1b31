"""One card through every stage: text prepared, regions found, each region read into the draft, the
required fields filled."""

from __future__ import annotations

from bot.importer.delivery import _read_delivery
from bot.importer.draft import Draft, _finish
from bot.importer.header import _read_header
from bot.importer.scrambled import _is_scrambled, _read_scrambled_header
from bot.importer.sections import _regions
from bot.importer.tail import _read_tail
from bot.importer.text import CHECKED, UNCHECKED, prepare


def import_card(text: str, source: str = "") -> Draft:
    """Reads one card's text into a draft. Never raises on odd input: what cannot be read is flagged."""
    draft = Draft(source=source)
    body = prepare(text)
    draft.scrambled = _is_scrambled(body)
    has_boxes = _note_boxes(draft, body)
    header_end, section6, tail = _regions(body)
    if draft.scrambled:
        _read_scrambled_header(draft, body[:header_end], has_boxes)
    else:
        _read_header(draft, body[:header_end], has_boxes)
    if section6 is not None:
        _read_delivery(draft, body[section6:tail], has_boxes)
    _read_tail(draft, body[tail:], has_boxes)
    _finish(draft)
    return draft


def _note_boxes(draft: Draft, body: str) -> bool:
    """Whether the card shows any box at all; a card that shows only checked ones is noted, because then an
    option without a mark is read as unchecked."""
    draft.only_checked = CHECKED in body and UNCHECKED not in body
    if draft.only_checked:
        draft.flag("(card)", "در متن فقط علامت گزینه‌های تیک‌خورده مانده و جای خانه‌های خالی پیدا نیست؛ گزینه‌های بی‌علامت "
                   "تیک‌نخورده خوانده شدند.")
    return CHECKED in body or UNCHECKED in body
