"""The official Word form (.docx) of a service identity card, read by `import_file`.

Each seed card is laid out as the Word form (tests/support/cardform.py: header table, section 6 as stages ×
channels, link tables, numbered processes, contact) from what its text says, and the draft read back from
the .docx is compared with the curated knowledge file field by field, as the text importer's is: on every
seed card it agrees at least wherever the text's draft does, and on the clean cards on every field. Word's
own checkboxes (content controls, legacy form fields) read like typed ☑/☐; moved rows, labels on the other
side and odd cells read the same; a file that is no .docx, and any other format, is refused in Persian.
"""

from __future__ import annotations

import io
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml
from docx import Document
from docx.oxml.ns import nsdecls

from bot.importer import Draft, import_card, import_file, read_docx
from tests.support.cardform import HEADER_KEYS, build_docx, card_from_text, set_cell_xml
from tests.test_importer import CLEAN, CURATED, ROOT, as_service, compare, curated, needs_seeds, print_table, seed_text

pytestmark = needs_seeds


@cache
def form(number: str, boxes: str = "glyph", order: tuple[str, ...] | None = None, labels_last: bool = False) -> bytes:
    return build_docx(card_from_text(seed_text(number)), boxes=boxes, order=list(order) if order else None,
                      labels_last=labels_last)


@cache
def text_draft(number: str) -> Draft:
    return import_card(seed_text(number), number)


def docx_draft(number: str, **variant) -> Draft:
    return import_file(f"{number}.docx", form(number, **variant))


# --------------------------------------------------------------------------------------------------
# The seed cards as Word forms, against the curated files
# --------------------------------------------------------------------------------------------------


def test_docx_drafts_agree_with_the_curated_files_field_by_field() -> None:
    results = {number: compare(docx_draft(number), curated(number)) for number in CURATED}
    print("\n.docx drafts:")
    print_table(results)
    for number in CURATED:
        from_text = compare(text_draft(number), curated(number))
        lost = [f for f, v in from_text.items() if v == "ok" and results[number].get(f) != "ok"]
        assert not lost, f"card {number}: read from the text but not from the .docx: {lost}"
    for number in CLEAN:
        diffs = {f: v for f, v in results[number].items() if v.startswith("diff")}
        assert not diffs, f"card {number}: {diffs}"
        assert sum(v == "ok" for v in results[number].values()) >= 15


@pytest.mark.parametrize("number", CLEAN)
def test_a_clean_form_has_nothing_to_review_but_its_missing_id(number: str) -> None:
    """The Word form leaves none of the extraction's doubts (a cut «م», a lost «غیر», «الکترونیکی» for
    «اینترنتی»): only what the card itself leaves open is flagged."""
    draft = docx_draft(number)
    expected = {"000": set(), "002": {"id"}, "003": {"id"}, "004": {"id", "delivery"}}[number]
    assert set(draft.fields_flagged) == expected, draft.review
    if number == "004":  # the card checks neither «الکترونیکی» nor «غیر الکترونیکی» for two stages
        assert {r["field"] for r in draft.review if r["field"].startswith("delivery")} == {
            "delivery.request.electronic", "delivery.delivery.electronic"}


def test_card_001_as_a_form_is_read_without_inventing() -> None:
    """Card 001's text lost every checkbox mark, so its form has options without boxes: nothing is read as
    checked, each group is flagged with the options it saw, and every value the draft has is one the text
    gave."""
    draft, text = docx_draft("001"), text_draft("001")
    service = as_service(draft)
    flagged = set(draft.fields_flagged)
    for name in ("service_types", "nature", "levels", "life_events", "start_triggers"):
        assert getattr(service, name) == [], name
        assert any(r["field"] == name and r.get("raw") for r in draft.review), name
    assert service.delivery is None and "delivery" in flagged
    assert service.recipients is None and service.frequency is None
    assert service.system_links == [] and service.agency_links == []
    for name, value in draft.data.items():
        assert value == text.data.get(name), name
    assert service.id == "13012712105" and draft.official_id


# --------------------------------------------------------------------------------------------------
# Word's checkboxes, layouts, odd cells
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("boxes", ["content-control", "form-field"])
@pytest.mark.parametrize("number", CURATED)
def test_words_own_checkboxes_read_like_typed_marks(number: str, boxes: str) -> None:
    glyphs = docx_draft(number)
    controls = docx_draft(number, boxes=boxes)
    assert controls.data == glyphs.data and controls.review == glyphs.review
    assert "☑" not in "".join(p.text for p in Document(io.BytesIO(form(number, boxes=boxes))).paragraphs)


def test_a_content_control_checkbox_is_read_from_its_state_not_its_glyph() -> None:
    """Word keeps the state in w14:checked; the glyph shown inside is only its picture."""
    document = Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "ماهیت خدمت"
    set_cell_xml(table.cell(0, 1), f'<w:p {nsdecls("w", "w14")}>'
                 '<w:sdt><w:sdtPr><w14:checkbox><w14:checked w14:val="1"/></w14:checkbox></w:sdtPr>'
                 '<w:sdtContent><w:r><w:t>☐</w:t></w:r></w:sdtContent></w:sdt><w:r><w:t> حاکمیتی </w:t></w:r>'
                 '<w:sdt><w:sdtPr><w14:checkbox/></w:sdtPr><w:sdtContent><w:r><w:t>☒</w:t></w:r></w:sdtContent></w:sdt>'
                 '<w:r><w:t> تصدی گری</w:t></w:r></w:p>')
    assert read_docx(save(document), "cc").data["nature"] == ["sovereign"]


def test_symbol_font_boxes_and_filled_squares_are_boxes() -> None:
    document = Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "سطح خدمت"
    set_cell_xml(table.cell(0, 1), f'<w:p {nsdecls("w")}>'
                 '<w:r><w:sym w:font="Wingdings" w:char="F0A8"/></w:r><w:r><w:t xml:space="preserve"> ملی </w:t></w:r>'
                 '<w:r><w:sym w:font="Wingdings" w:char="F0FE"/></w:r><w:r><w:t xml:space="preserve"> استانی </w:t></w:r>'
                 '<w:r><w:rPr><w:rFonts w:ascii="Wingdings 2" w:hAnsi="Wingdings 2"/></w:rPr><w:t>£</w:t></w:r>'
                 '<w:r><w:t xml:space="preserve"> شهری</w:t></w:r></w:p>')
    table.cell(1, 0).text = "ماهیت خدمت"
    table.cell(1, 1).text = "□ حاکمیتی ■ تصدی گری"
    draft = read_docx(save(document), "symbols")
    assert draft.data["levels"] == ["provincial"] and draft.data["nature"] == ["enterprise"]


MOVED = tuple(reversed(HEADER_KEYS[6:11])) + HEADER_KEYS[:6] + HEADER_KEYS[11:17] + (
    "websites", "costs", "system_name")


@pytest.mark.parametrize("variant", [{"order": MOVED}, {"labels_last": True}, {"order": MOVED, "labels_last": True}],
                         ids=["rows-moved", "labels-last", "both"])
@pytest.mark.parametrize("number", ["000", "002", "003", "004"])
def test_moved_rows_and_labels_on_the_other_side_read_the_same(number: str, variant: dict) -> None:
    moved = docx_draft(number, **variant)
    assert moved.data == docx_draft(number).data
    assert "diff" not in " ".join(compare(moved, curated(number)).values())


def test_value_cells_are_not_searched_for_labels_and_odd_documents_do_not_raise() -> None:
    """A description that names other labels stays one description; paragraphs of a value cell stay its
    items; a row without a label continues the field above; a document without tables gives a draft."""
    document = Document()
    table = document.add_table(rows=4, cols=2)
    table.cell(0, 0).text = "۱- عنوان خدمت:"
    table.cell(0, 1).text = "صدور پروانه"
    table.cell(1, 0).text = "شرح خدمت"
    table.cell(1, 1).text = "نوع خدمت و ماهیت خدمت در این بند توضیح داده می‌شود؛ تواتر آن سالانه است."
    table.cell(2, 0).text = "مدارک لازم برای انجام خدمت"
    table.cell(2, 1).text = "کارت ملی"
    table.cell(2, 1).add_paragraph("گواهی پایان خدمت")
    table.cell(3, 1).text = "شناسنامه"
    draft = read_docx(save(document), "odd")
    assert draft.data["title"] == "صدور پروانه"
    assert draft.data["description"].startswith("نوع خدمت و ماهیت خدمت")
    assert "service_types" not in draft.data and "frequency" not in draft.data
    assert draft.data["documents"] == ["کارت ملی", "گواهی پایان خدمت", "شناسنامه"]

    empty = read_docx(save(Document()), "empty.docx")
    assert {r["field"] for r in empty.review} >= {"title", "provider", "id"}


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 not really a zip", "عنوان خدمت".encode(),
                                  b"%PDF-1.4\n%\xe2\xe3\xcf\xd3"], ids=["empty", "broken-zip", "text", "pdf-bytes"])
def test_a_file_that_is_not_a_word_document_is_refused_in_persian(data: bytes) -> None:
    with pytest.raises(ValueError) as error:
        import_file("card.docx", data)
    assert "«card.docx»" in str(error.value) and "سند Word" in str(error.value)


@pytest.mark.parametrize("name", ["card.pdf", "card.doc", "card.odt", "card"])
def test_other_formats_are_refused_with_the_formats_accepted(name: str) -> None:
    with pytest.raises(ValueError) as error:
        import_file(name, form("000"))
    message = str(error.value)
    assert name in message and ".docx" in message and ".txt" in message and "پذیرفته نیست" in message
    if name.endswith(".doc"):
        assert "ذخیره به نام" in message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "cp1256"])
def test_import_file_reads_a_text_card_as_import_card_does(encoding: str) -> None:
    text = seed_text("003")
    if encoding == "utf-16-be-bom":
        data = "\ufeff".encode("utf-16-be") + text.encode("utf-16-be")
    elif encoding == "cp1256":
        data = text.encode("cp1256", errors="replace")
        text = data.decode("cp1256")
    else:
        data = text.encode(encoding)
    draft = import_file("003.txt", data)
    expected = import_card(text, "003.txt")
    assert draft.data == expected.data and draft.review == expected.review
    assert draft.source == "003.txt"


def test_import_card_command_imports_a_word_form(tmp_path: Path) -> None:
    card = tmp_path / "002.docx"
    card.write_bytes(form("002"))
    pdf = tmp_path / "002.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    out = tmp_path / "knowledge" / "services"
    result = subprocess.run([sys.executable, "-m", "bot", "import-card", str(card), str(pdf), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1  # the .pdf is refused, the form still imported
    assert "002.pdf" in result.stderr and ".docx" in result.stderr
    assert "002.docx" in result.stdout
    [written] = out.glob("*.yaml")
    data = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert data["title"] == as_service(docx_draft("002")).title
    assert data["system_links"][0]["mode"] == "batch"


def save(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
