"""Importer: the text of a service identity card (شناسنامه خدمت) turned into a knowledge file draft.

Cards reach us as text extracted from PDF or Word: tables flattened to tab-separated lines (sometimes with
the cells of a right-to-left row in reverse order), checkboxes as `<input ... checked>` or `[x]`, letters
and digits in Arabic, Persian or Latin forms, and words lost or glued by the extraction. The form itself
never changes, so the importer works from the form's fixed labels, not from positions: a field's value is
the text between its label and the next label of the form, and a checkbox is read from the box mark and
the option printed beside it, matched loosely against the model's vocabularies.

The importer may be wrong, and a wrong draft that looks right is worse than a gap. So every value it is
not sure of is either left out or kept with a review note (`review: [{field, reason, raw}]`) that shows the
raw text it saw; nothing is guessed silently. Only `id`, `title` and `provider` are always written, because
a knowledge file needs them: when they cannot be read they get a placeholder and a review note.

The stages, one module each: ``text`` (the card's text in one spelling, labels compared loosely),
``sections`` (where the form's parts and fields are, by their printed labels), ``boxes`` (checkboxes and
the options beside them), ``values`` (numbers, tidy text, list items, web addresses), ``header``,
``delivery``, ``tail`` and ``scrambled`` (the fields of each part of the form, and of cards extracted
right to left), ``draft`` (the draft with its review notes, required fields, the YAML written) and
``card`` (``import_card``: one card through every stage).

The official Word form (.docx) is read by ``docx`` (``read_docx``): there the tables say which cell is a
label and which its value, and Word says which box is checked, so nothing has to be recovered from
flattened text; each value then goes through the same field readers. ``files`` (``import_file``) picks the
reader by the file's name, decodes a card's text, and refuses any other file with a Persian message.
"""

from __future__ import annotations

from bot.importer.boxes import VOCAB, Mark, Option, Token, pair_boxes, tokenize
from bot.importer.card import import_card
from bot.importer.docx import read_docx
from bot.importer.draft import CARD_FIELDS, Draft, draft_yaml, slug_id
from bot.importer.files import import_file
from bot.importer.sections import FIELD_LABELS, STOP_LABELS
from bot.importer.text import BOXES, CHECKED, UNCHECKED, ZWNJ, key, prepare, similarity
from bot.importer.values import parse_number, split_items, split_run_together, tidy

__all__ = [
    "BOXES",
    "CARD_FIELDS",
    "CHECKED",
    "FIELD_LABELS",
    "STOP_LABELS",
    "UNCHECKED",
    "VOCAB",
    "ZWNJ",
    "Draft",
    "Mark",
    "Option",
    "Token",
    "draft_yaml",
    "import_card",
    "import_file",
    "key",
    "pair_boxes",
    "parse_number",
    "prepare",
    "read_docx",
    "similarity",
    "slug_id",
    "split_items",
    "split_run_together",
    "tidy",
    "tokenize",
]
