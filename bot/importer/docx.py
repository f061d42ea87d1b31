"""The official Word form (.docx) of a service identity card read into a draft.

Word keeps what text extraction loses: which cell is a label and which is its value, and whether a box is
checked. So the form is read from its tables, in document order (nested tables where they stand, a merged
cell once): a paragraph that starts with one of the form's labels (``FIELD_LABELS``) names a field, and the
cells after it in its row, and the rows below that name no field (the cost table's rows), are its value.
Text inside a value cell is never searched for labels, so a description that mentions «نوع خدمت» stays a
description. Box states come from Word itself: content-control checkboxes (``w14:checkbox``), legacy form
fields (FORMCHECKBOX) and box glyphs typed or inserted as symbols, all written ☑/☐ in the cell's text.

Each value then goes through the same readers as a text card's: the header's field readers get each
field's value directly, and section 6 and the tail (link tables, process titles, contact) get their table
rows one per line with tab-separated cells, the shape those readers were written for, here without the
extraction's reversed cells and lost marks. So a value means the same, and is flagged the same, whether it
came from a .docx or a .txt.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from bot.importer.card import _note_boxes
from bot.importer.delivery import _read_delivery
from bot.importer.draft import Draft, _finish
from bot.importer.header import _read_fields
from bot.importer.sections import _CONTACT, _SECTION6, _STEPS_HEADING, _TABLES, _anchors, _compiled, _ends_section6
from bot.importer.tail import _read_tail
from bot.importer.text import _END_MARKERS, _LETTERS, CHECKED, UNCHECKED, _label_pattern, prepare

NOT_A_DOCX = ("«{name}» سند Word خوانایی (.docx) نیست؛ شاید فایل آسیب دیده یا فقط پسوندش .docx است. "
              "فرم را در Word باز کنید و دوباره با قالب .docx ذخیره کنید.")

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
_TRUE = ("1", "true", "on")

# Box glyphs Word users type or insert; ■ is how many fill a box by hand.
_GLYPHS = str.maketrans({"■": CHECKED, "☒": CHECKED, "☑": CHECKED, "□": UNCHECKED, "☐": UNCHECKED})
# Symbol fonts (w:sym, or a run in that font): the code points of their box glyphs.
_SYMBOL_BOXES = {
    "wingdings": {0xFE: CHECKED, 0xFD: CHECKED, 0x78: CHECKED, 0x6F: UNCHECKED, 0xA8: UNCHECKED, 0x71: UNCHECKED},
    "wingdings 2": {0x52: CHECKED, 0x54: CHECKED, 0x51: CHECKED, 0xA3: UNCHECKED, 0x2A: UNCHECKED},
}
_END = re.compile("|".join(_label_pattern(marker) for marker in _END_MARKERS))
_TAIL_STARTS = (*_TABLES[:5], _STEPS_HEADING, *(label + ":" for _, label in _CONTACT[:4]))


def read_docx(data: bytes, source: str = "") -> Draft:
    """Reads the Word form of one card into a draft. Raises ValueError (in Persian) only for a file that is
    not a readable .docx; whatever the form leaves unclear is flagged, as for a text card."""
    rows = _rows(_open(data, source))
    draft = Draft(source=source)
    has_boxes = _note_boxes(draft, "\n".join(cell.text for row in rows for cell in row))
    lines = [_numbered(_line(row)) for row in rows]
    section6 = next((i for i, row in enumerate(rows) if _starts(row, _SECTION6)), None)
    if section6 is not None:
        tail = next((i for i in range(section6 + 1, len(rows)) if _ends_section6(lines[i])), len(rows))
    else:
        tail = next((i for i, row in enumerate(rows) if _starts(row, _TAIL_STARTS)), len(rows))
    header_end = section6 if section6 is not None else tail
    _read_fields(draft, _header_fields(draft, rows[:header_end]), has_boxes)
    if section6 is not None:
        _read_delivery(draft, "\n".join(lines[section6:tail]), has_boxes)
    _read_tail(draft, "\n".join(lines[tail:]), has_boxes)
    _finish(draft)
    return draft


def _open(data: bytes, source: str):
    from docx import Document  # python-docx; imported here so the text importer does not need it

    try:
        return Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip, XML, key and package errors for a file it cannot open
        raise ValueError(NOT_A_DOCX.format(name=source or "فایل")) from exc


# --------------------------------------------------------------------------------------------------
# The document as rows of cells
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    """A cell's text (box marks as ☑/☐, in the importer's one spelling, paragraphs on their own lines), and
    whether it is the lower part of a vertically merged cell, whose text was read in the row above."""

    text: str
    continued: bool = False


def _rows(document) -> list[list[_Cell]]:
    """The body in document order: a paragraph is a row of one cell, a table its rows, and a table nested in
    a cell comes right after the row holding it. Reading stops at the explanation of the form's headings,
    which repeats the labels."""
    rows: list[list[_Cell]] = []
    for block in document.element.body.iterchildren():
        if block.tag == _W + "p":
            raw = _paragraph(block)
            if _ends_form(raw):
                break
            if text := prepare(raw).strip():
                rows.append([_Cell(text)])
        elif block.tag == _W + "tbl":
            if _table(block, rows):
                break
    return rows


def _table(tbl, rows: list[list[_Cell]]) -> bool:
    """Appends a table's rows (and those of the tables nested in its cells); True when the form ended."""
    from docx.table import Table

    table = Table(tbl, None)
    above: set = set()
    for row in table.rows:
        try:
            tcs = [cell._tc for cell in row.cells]  # a merged cell comes once per grid column it spans
        except Exception:  # a vertical merge with no cell above: read the cells as they are
            tcs = list(row._tr.tc_lst)
        cells: list[_Cell] = []
        nested: list = []
        seen: set = set()
        for tc in tcs:
            if tc in seen:
                continue
            seen.add(tc)
            if tc in above:
                cells.append(_Cell("", continued=True))
                continue
            raw = _blocks(tc, nested)
            if _ends_form(raw):
                rows.append(cells)
                return True
            cells.append(_Cell(prepare(raw)))
        above = seen
        rows.append(cells)
        for inner in nested:
            if _table(inner, rows):
                return True
    return False


def _ends_form(raw: str) -> bool:
    return bool(_END.search(raw.translate(_LETTERS)))


def _blocks(element, nested: list) -> str:
    """The paragraphs of a cell (or of a block content control in it), one per line; nested tables are
    collected to be read as rows of their own."""
    lines: list[str] = []
    for child in element.iterchildren():
        if child.tag == _W + "p":
            lines.append(_paragraph(child))
        elif child.tag == _W + "tbl":
            nested.append(child)
        elif child.tag in (_W + "sdt", _W + "customXml"):
            content = child.find(_W + "sdtContent") if child.tag == _W + "sdt" else child
            if content is not None:
                lines.append(_blocks(content, nested))
    return "\n".join(line for line in lines if line)


def _paragraph(p) -> str:
    out: list[str] = []
    _inline(p, out)
    return "".join(out).translate(_GLYPHS)


def _inline(element, out: list[str]) -> None:
    """A paragraph's text in order, with each checkbox as ☑/☐ whatever Word stored it as."""
    for child in element.iterchildren():
        tag = child.tag
        if tag == _W + "r":
            _run(child, out)
        elif tag == _W + "sdt":
            box = _content_control_box(child)
            if box is not None:
                out.append(f" {box} ")  # the glyph inside only shows the state; w14:checked is the state
            elif (content := child.find(_W + "sdtContent")) is not None:
                _inline(content, out)
        elif tag in (_W + "hyperlink", _W + "ins", _W + "smartTag", _W + "fldSimple", _W + "customXml",
                     _W + "sdtContent"):
            _inline(child, out)


def _run(r, out: list[str]) -> None:
    font = _symbol_font(r)
    for child in r.iterchildren():
        tag = child.tag
        if tag == _W + "t":
            text = child.text or ""
            if font and len(text) == 1 and (box := _SYMBOL_BOXES[font].get(ord(text) & 0xFF)):
                text = f" {box} "
            out.append(text)
        elif tag in (_W + "tab", _W + "noBreakHyphen"):
            out.append(" " if tag == _W + "tab" else "-")
        elif tag in (_W + "br", _W + "cr"):
            out.append(" ")
        elif tag == _W + "sym":
            sym_font = (child.get(_W + "font") or "").strip().lower()
            code = child.get(_W + "char") or ""
            box = _SYMBOL_BOXES.get(sym_font, {}).get(int(code, 16) & 0xFF) if re.fullmatch(r"[0-9A-Fa-f]{1,4}", code) else None
            if box:
                out.append(f" {box} ")
        elif tag == _W + "fldChar":
            box = _form_field_box(child)
            if box is not None:
                out.append(f" {box} ")


def _symbol_font(r) -> str | None:
    fonts = r.find(f"{_W}rPr/{_W}rFonts")
    if fonts is None:
        return None
    for attr in ("ascii", "hAnsi", "cs"):
        name = (fonts.get(_W + attr) or "").strip().lower()
        if name in _SYMBOL_BOXES:
            return name
    return None


def _content_control_box(sdt) -> str | None:
    """A content-control checkbox (Word 2010 on): checked when w14:checked is 1."""
    checkbox = sdt.find(f"{_W}sdtPr/{_W14}checkbox")
    if checkbox is None:
        return None
    checked = checkbox.find(_W14 + "checked")
    state = checked is not None and (checked.get(_W14 + "val") or "1").lower() in _TRUE
    return CHECKED if state else UNCHECKED


def _form_field_box(fld) -> str | None:
    """A legacy FORMCHECKBOX: its w:checked when set, else its w:default."""
    if fld.get(_W + "fldCharType") != "begin":
        return None
    checkbox = fld.find(f"{_W}ffData/{_W}checkBox")
    if checkbox is None:
        return None
    for name in ("checked", "default"):
        value = checkbox.find(_W + name)
        if value is not None:
            return CHECKED if (value.get(_W + "val") or "1").lower() in _TRUE else UNCHECKED
    return UNCHECKED


# --------------------------------------------------------------------------------------------------
# Fields by their label cells
# --------------------------------------------------------------------------------------------------


def _line(row: list[_Cell]) -> str:
    """A row for the readers of section 6 and the tail: one line, cells tab-separated, empty cells kept so
    the link tables' columns stay where they are."""
    return "\t".join(" ".join(cell.text.split()) for cell in row)


def _starts(row: list[_Cell], labels: tuple[str, ...]) -> bool:
    """Whether a cell of the row starts with one of the labels (a heading, a stage's name)."""
    for cell in row:
        text = re.sub(r"^\s*(?:در[\s\u200c]+)?", "", cell.text)  # «در مرحله ...» names a stage too
        if text and any(_compiled(label).match(text) for label in labels):
            return True
    return False


def _numbered(line: str) -> str:
    """A row of the numbered process table («۱ | عنوان») in the form the process reader knows («۱- عنوان»)."""
    cells = line.split("\t")
    filled = [i for i, c in enumerate(cells) if c.strip()]
    if len(filled) >= 2 and re.fullmatch(r"\s*[\d۰-۹]{1,2}\s*[-–.)]?\s*", cells[filled[0]]):
        number = cells[filled[0]].strip().rstrip("-–.)").strip()
        return "\t".join([f"{number}- {cells[filled[1]].strip()}", *(cells[i] for i in filled[2:])])
    return line


@dataclass
class _Value:
    """One field's value as it is gathered: rows of cells, each cell's paragraphs on their own lines."""

    name: str
    rows: list[list[str]] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join("\t".join(cells) for cells in self.rows)


def _header_fields(draft: Draft, rows: list[list[_Cell]]) -> dict[str, list[str]]:
    """Each field's values (every occurrence, in the form's order) from the header's rows. A row's cells
    after a label are its value; a row that names no field continues the field above (the rows of the
    cost table); a heading of the form («۴- مشخصات خدمت») ends the field before it. A row whose only label
    comes after its value (a left-to-right table with the labels on the right) gives that value to it."""
    values: list[_Value] = []
    current: _Value | None = None
    for row in rows:
        pieces = _pieces(row)
        marks = [i for i, (name, _, _) in enumerate(pieces) if name != ""]  # labels and headings
        spans = {m: (pieces[m + 1 : nxt], prv) for m, nxt, prv in
                 zip(marks, [*marks[1:], len(pieces)], [-1, *marks], strict=False)}
        backwards = _label_after_value(pieces, marks, spans)
        claimed_lead = backwards is not None and spans[backwards][1] < 0  # the label's value opens the row
        loose = [] if claimed_lead else pieces[: marks[0] if marks else len(pieces)]
        if _has_text(loose):
            if current is not None:
                current.rows.append([])
                _add(current, loose)
            elif values:
                _orphan(draft, loose)
        for m in marks:
            name, text, _ = pieces[m]
            after, previous = spans[m]
            if name is None:  # a heading: what follows it in the row, up to a label, is no field's value
                current = None
                if m != spans.get(backwards, (None, None))[1] and _has_text(after) and values:
                    _orphan(draft, after)
                continue
            current = _Value(name, [[]])
            values.append(current)
            own = pieces[previous + 1 : m] if m == backwards else after
            _add(current, [(name, text, True), *own])
    out: dict[str, list[str]] = {}
    for value in values:
        out.setdefault(value.name, []).append(value.text())
    return out


def _label_after_value(pieces: list[tuple[str | None, str, bool]], marks: list[int],
                       spans: dict[int, tuple[list, int]]) -> int | None:
    """The row's label when its value stands before it: the row's only field label, nothing after it, its
    own cell holding nothing but the label, and text right before it."""
    labels = [m for m in marks if pieces[m][0]]
    if len(labels) != 1:
        return None
    m = labels[0]
    after, previous = spans[m]
    if pieces[m][1].strip() or _has_text(after) or not _has_text(pieces[previous + 1 : m]):
        return None
    return m


def _has_text(pieces: list[tuple[str | None, str, bool]]) -> bool:
    return any(text.strip() for _, text, _ in pieces)


def _orphan(draft: Draft, pieces: list[tuple[str | None, str, bool]]) -> None:
    draft.flag("(card)", "متنی در جدول فرم آمده که زیر هیچ برچسبی نیست و به هیچ فیلدی نسبت داده نشد.",
               " ".join(text for _, text, _ in pieces))


def _pieces(row: list[_Cell]) -> list[tuple[str | None, str, bool]]:
    """A row cut at the form's labels: (field, the text after the label, starts a new cell). Only a
    paragraph that starts with a label is cut (field None for a heading that names no field), and never one
    in the cell right after a cell that holds just a label: that is the label's value cell. The rest is
    value text (field "")."""
    pieces: list[tuple[str | None, str, bool]] = []
    value_cell = False
    for cell in row:
        if cell.continued:
            continue
        first = True
        after_label = value_cell
        value_cell = False
        for paragraph in cell.text.split("\n"):
            anchors = [] if after_label else _anchors(paragraph)
            if anchors and not paragraph[: anchors[0][0]].strip():
                value_cell = anchors[-1][2] is not None and not paragraph[anchors[-1][1] :].strip()
                for i, (_, end, name) in enumerate(anchors):
                    stop = anchors[i + 1][0] if i + 1 < len(anchors) else len(paragraph)
                    pieces.append((name, paragraph[end:stop], first or i > 0))
                    first = False
            else:
                pieces.append(("", paragraph, first))
                value_cell = value_cell and not paragraph.strip()
            first = False
    return pieces


def _add(value: _Value, pieces: list[tuple[str | None, str, bool]]) -> None:
    """Adds text to the value's last row: a piece that starts a cell starts a new cell, the others are
    further paragraphs of the same cell."""
    cells = value.rows[-1]
    for _, text, new_cell in pieces:
        if new_cell or not cells:
            cells.append(text)
        else:
            cells[-1] = f"{cells[-1]}\n{text}"
