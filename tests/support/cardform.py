"""The official Word form of a service identity card (شناسنامه خدمت), built with python-docx for tests.

`card_from_text(text)` takes what a card's text says: its fields as the text importer reads them (that is
the only reader we have of a card's text; the curated knowledge files are never looked at), and whether
the text has any checkbox marks at all. `build_docx(card, ...)` lays those fields out as the form does:

- a header table (sections 1-5): a section cell merged down its rows, then label | value; box groups as a
  cell with one «☐ option» paragraph per option of the form; the cost table nested in its value cell;
- section 6 as the form's table of stages × (type of delivery, channels / reasons for a visit, levels), each
  stage's name merged over its two rows;
- the link tables of sections 7 and 8 with their two heading rows, the numbered process table, the contact
  table.

Options are printed with the form's own wording and a box each (a ☑/☐ glyph, a content-control checkbox or
a legacy form field, by `boxes`); a card whose text lost every mark gets its options without boxes, as it
has them. A value the text does not give is an empty cell. `order` reorders the header's rows and
`labels_last` puts each header label after its value (a left-to-right table), to test that neither
matters.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from bot.importer import BOXES, CHECKED, UNCHECKED, import_card, prepare
from bot.persian import to_persian_digits


@dataclass
class Card:
    """What a card's text says: the fields read from it, and whether it shows any box mark."""

    data: dict[str, Any]
    boxes: bool
    official_id: bool


def card_from_text(text: str) -> Card:
    draft = import_card(text)
    body = prepare(text)
    return Card(draft.data, any(b in body for b in BOXES), draft.official_id)


# --------------------------------------------------------------------------------------------------
# The form's printed options, in its order
# --------------------------------------------------------------------------------------------------

SERVICE_TYPES = {"G2C": "خدمت به شهروندان (G2C)", "G2B": "خدمت به کسب و کار (G2B)",
                 "G2G": "خدمت به دیگر دستگاه های دولتی (G2G)"}
NATURES = {"sovereign": "حاکمیتی", "enterprise": "تصدی گری"}
LEVELS = {"national": "ملی", "regional": "منطقه ای", "provincial": "استانی", "city": "شهری", "rural": "روستایی"}
LIFE_EVENTS = {"birth": "تولد", "education": "آموزش", "health": "سلامت", "tax": "مالیات", "business": "کسب و کار",
               "social_security": "تامین اجتماعی", "property": "ثبت مالکیت", "utilities": "تاسیسات شهری",
               "insurance": "بیمه", "marriage": "ازدواج", "retirement": "بازنشستگی",
               "certificates": "مدارک و گواهینامه ها", "death": "وفات", "other": "سایر"}
START_TRIGGERS = {"applicant_request": "تقاضای گیرنده خدمت", "specific_time": "فرارسیدن زمانی مشخص",
                  "specific_event": "رخداد رویدادی مشخص", "agency_decision": "تشخیص دستگاه", "other": "سایر:"}
PERIODS = {"month": "ماه", "season": "فصل", "year": "سال"}
CHANNELS = {"web": "اینترنتی (مانند وبگاه دستگاه)", "mobile_app": "تلفن همراه (برنامه کاربردی)",
            "email": "پست الکترونیک", "post": "ارسال پستی", "call_center": "تلفن گویا یا مرکز تماس",
            "sms": "پیام کوتاه", "counter_offices": "دفاتر پیشخوان شماره قرارداد واگذاری خدمات به دفاتر پیشخوان:",
            "similar_offices": "عناوین مشابه دفاتر پیشخوان", "other": "سایر (با ذکر نحوه دسترسی)"}
PRODUCTION_CHANNELS = {"web": "اینترنتی (مانند درگاه دستگاه)",
                       "intranet": "اینترانتی (مانند اینترانت داخلی دستگاه یا ERP)",
                       "email": "پست الکترونیک", "other": "سایر (با ذکر نحوه دسترسی)"}
REASONS = {"identity_verification": "جهت احراز اصالت فرد", "document_verification": "جهت احراز اصالت مدرک",
           "no_infrastructure": "نبود زیرساخت ارتباطی مناسب", "other": "سایر:"}
VISIT_LEVELS = {"national": "ملی", "provincial": "استانی", "county": "شهرستانی"}
STAGES = {"information": "در مرحله اطلاع رسانی خدمت", "request": "در مرحله درخواست خدمت",
          "production": "مرحله تولید خدمت (فرایند داخل دستگاه یا ارتباط با دیگر دستگاه ها)",
          "delivery": "در مرحله ارائه خدمت"}
PMO_NOTE = "(این فیلد توسط سازمان مدیریت و برنامه ریزی کشور تکمیل می شود.)"

# The header's rows: (key, section, label).
HEADER = (
    ("title", "", "۱- عنوان خدمت:"),
    ("id", "", "۲- شناسه خدمت"),
    ("provider", "۳- ارائه دهنده خدمت", "نام دستگاه اجرایی:"),
    ("parent_agency", "۳- ارائه دهنده خدمت", "نام دستگاه مادر:"),
    ("description", "۴- مشخصات خدمت", "شرح خدمت"),
    ("audience", "۴- مشخصات خدمت", "مخاطبین خدمت"),
    ("service_types", "۴- مشخصات خدمت", "نوع خدمت"),
    ("nature", "۴- مشخصات خدمت", "ماهیت خدمت"),
    ("levels", "۴- مشخصات خدمت", "سطح خدمت"),
    ("life_events", "۴- مشخصات خدمت", "رویداد مرتبط با:"),
    ("start_triggers", "۴- مشخصات خدمت", "نحوه آغاز خدمت"),
    ("documents", "۴- مشخصات خدمت", "مدارک لازم برای انجام خدمت"),
    ("laws", "۴- مشخصات خدمت", "قوانین و مقررات بالادستی"),
    ("recipients", "۴- مشخصات خدمت", "آمار تعداد خدمت گیرندگان"),
    ("duration", "۵- جزئیات خدمت", "متوسط مدت زمان ارائه خدمت:"),
    ("frequency", "۵- جزئیات خدمت", "تواتر"),
    ("in_person_visits", "۵- جزئیات خدمت", "تعداد بار مراجعه حضوری"),
    ("costs", "۵- جزئیات خدمت", "هزینه ارائه خدمت (ریال) به خدمت گیرندگان"),
    ("websites", "۵- جزئیات خدمت", "آدرس دقیق و مستقیم خدمت در وبگاه در صورت الکترونیکی بودن همه یا بخشی از آن"),
    ("system_name", "۵- جزئیات خدمت", "نام سامانه مربوط به خدمت در صورت الکترونیکی بودن همه یا بخشی از آن:"),
)
HEADER_KEYS = tuple(k for k, _, _ in HEADER)


# --------------------------------------------------------------------------------------------------
# Cells: paragraphs whose ☑/☐ become the chosen kind of box
# --------------------------------------------------------------------------------------------------


def _content_control(checked: bool) -> Any:
    glyph = "☒" if checked else "☐"
    return parse_xml(
        f'<w:sdt {nsdecls("w", "w14")}><w:sdtPr><w14:checkbox>'
        f'<w14:checked w14:val="{1 if checked else 0}"/>'
        '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/><w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/>'
        f'</w14:checkbox></w:sdtPr><w:sdtContent><w:r><w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>'
    )


def _form_field(checked: bool) -> list[Any]:
    return [
        parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check"/><w:enabled/>'
                  f'<w:calcOnExit w:val="0"/><w:checkBox><w:sizeAuto/><w:default w:val="0"/>'
                  f'<w:checked w:val="{1 if checked else 0}"/></w:checkBox></w:ffData></w:fldChar></w:r>'),
        parse_xml(f'<w:r {nsdecls("w")}><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>'),
        parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="separate"/></w:r>'),
        parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="end"/></w:r>'),
    ]


def _write(paragraph, text: str, boxes: str) -> None:
    """A paragraph's text, each ☑/☐ written as the chosen kind of box."""
    part = ""
    for ch in text:
        if ch not in BOXES or boxes == "glyph":
            part += ch
            continue
        if part:
            paragraph.add_run(part)
            part = ""
        if boxes == "content-control":
            paragraph._p.append(_content_control(ch == CHECKED))
        else:
            for run in _form_field(ch == CHECKED):
                paragraph._p.append(run)
    if part:
        paragraph.add_run(part)


def _fill(cell, lines: list[str] | str, boxes: str) -> None:
    lines = [lines] if isinstance(lines, str) else lines
    first = cell.paragraphs[0]
    for i, line in enumerate(lines):
        _write(first if i == 0 else cell.add_paragraph(), line, boxes)


def _rtl(table) -> None:
    table._tbl.tblPr.append(parse_xml(f'<w:bidiVisual {nsdecls("w")}/>'))
    table.style = None


def _merge_down(table, column: int, rows: list[int]) -> None:
    if len(rows) > 1:
        table.cell(rows[0], column).merge(table.cell(rows[-1], column))


# --------------------------------------------------------------------------------------------------
# Values as the form prints them
# --------------------------------------------------------------------------------------------------


class _Printer:
    def __init__(self, card: Card) -> None:
        self.card = card
        self.d = card.data

    def box(self, checked: bool) -> str:
        return (CHECKED if checked else UNCHECKED) + " " if self.card.boxes else ""

    def options(self, options: dict[str, str], chosen: list[str], notes: dict[str, str] | None = None) -> list[str]:
        notes = notes or {}
        return [f"{self.box(code in chosen)}{label} {notes.get(code, '')}".strip() for code, label in options.items()]

    def header(self, key: str) -> list[str] | str:
        d = self.d
        value = d.get(key)
        if key == "id":
            return f"{value} {PMO_NOTE}" if self.card.official_id else PMO_NOTE
        if key in ("title", "provider", "parent_agency", "audience", "duration", "system_name"):
            return value or ""
        if key == "description":
            return (value or "").split("\n")
        groups = {"service_types": SERVICE_TYPES, "nature": NATURES, "levels": LEVELS, "life_events": LIFE_EVENTS,
                  "start_triggers": START_TRIGGERS}
        if key in groups:
            notes = {"other": d.get({"life_events": "life_events_note", "start_triggers": "start_note"}[key], "")} \
                if key in ("life_events", "start_triggers") else {}
            return self.options(groups[key], value or [], notes)
        if key in ("documents", "laws"):
            return [f"{to_persian_digits(str(i + 1))}- {item}" for i, item in enumerate(value or [])] or ""
        if key == "recipients":
            value = value or {}
            count = value.get("note") or (to_persian_digits(str(value["count"])) if "count" in value else "")
            return [count, "خدمت گیرندگان در:", *self.options(PERIODS, [value.get("period")])]
        if key == "frequency":
            value = value or {}
            times = to_persian_digits(str(value["times"])) if "times" in value else "....."
            lines = [f"{self.box(bool(value.get('once_forever')))}یکبار برای همیشه", f"{times} بار در:"]
            if value.get("continuous"):
                lines.append(f"{self.box(True)}بطور مداوم در:")
            return [*lines, *self.options(PERIODS, [value.get("period")])]
        if key == "in_person_visits":
            return "" if value is None else to_persian_digits(str(value))
        if key == "websites":
            return value or ""
        raise KeyError(key)

    def cost_rows(self) -> list[list[str]]:
        rows = []
        for cost in self.d.get("costs", []):
            amount = "رایگان" if cost["amount"] == 0 and self.card.boxes else to_persian_digits(str(cost["amount"]))
            rows.append([f"{amount} ریال {cost.get('purpose', '')}".strip() if cost["amount"] else amount,
                         cost.get("bank_account", ""), self.box(bool(cost.get("electronic"))).strip()])
        while len(rows) < 3:
            rows.append(["", "", self.box(False).strip()])
        return rows

    def stage(self, stage: str) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
        """(electronic cell, channels cell, non-electronic cell, reasons cell, levels cell)."""
        s = self.d.get("delivery", {}).get(stage, {})
        electronic = s.get("electronic")
        channels = PRODUCTION_CHANNELS if stage == "production" else CHANNELS
        chosen = list(s.get("channels", []))
        note = s.get("in_person_note", "")
        reasons = s.get("in_person_reasons", [])
        person = [f"ذکر ضرورت مراجعه حضوری: {note}" if note and "other" not in reasons else "ذکر ضرورت مراجعه حضوری"]
        if stage != "production":
            person += self.options(REASONS, reasons, {"other": note} if "other" in reasons else {})
        levels = [] if stage == "production" else ["مراجعه به دستگاه:", *self.options(VISIT_LEVELS, s.get("visit_levels", []))]
        return ([f"{self.box(electronic is True)}الکترونیکی"],
                self.options(channels, chosen, {"other": s.get("channels_note", "")}),
                [f"{self.box(electronic is False)}غیر الکترونیکی"], person, levels)


# --------------------------------------------------------------------------------------------------
# The form
# --------------------------------------------------------------------------------------------------


def build_docx(card: Card, boxes: str = "glyph", order: list[str] | None = None, labels_last: bool = False) -> bytes:
    """The card as the official Word form. `boxes`: "glyph" (☑/☐ typed), "content-control" (Word's
    checkbox controls) or "form-field" (legacy FORMCHECKBOX fields)."""
    printer = _Printer(card)
    document = Document()
    document.add_paragraph("بسمه تعالی")
    document.add_paragraph("فرم شناسنامه خدمت دستگاه اجرایی")
    _header_table(document, printer, boxes, order or list(HEADER_KEYS), labels_last)
    document.add_paragraph("")
    _delivery_table(document, printer, boxes)
    document.add_paragraph("")
    _system_links_table(document, printer, boxes)
    _agency_links_table(document, printer, boxes)
    _steps_table(document, printer)
    _contact_table(document, printer)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _header_table(document, printer: _Printer, boxes: str, order: list[str], labels_last: bool) -> None:
    rows = {k: (section, label) for k, section, label in HEADER}
    table = document.add_table(rows=len(order), cols=3)
    _rtl(table)
    label_col, value_col = (2, 1) if labels_last else (1, 2)
    sections: dict[str, list[int]] = {}
    for r, key in enumerate(order):
        section, label = rows[key]
        cells = table.rows[r].cells
        _fill(cells[label_col], label, boxes)
        if key == "costs":
            nested = cells[value_col].add_table(rows=1, cols=3)
            _rtl(nested)
            for cell, heading in zip(nested.rows[0].cells, ("مبلغ (مبالغ)", "شماره حساب (های) بانکی",
                                                            "پرداخت بصورت الکترونیک"), strict=True):
                _fill(cell, heading, boxes)
            for values in printer.cost_rows():
                for cell, value in zip(nested.add_row().cells, values, strict=True):
                    _fill(cell, value, boxes)
        else:
            _fill(cells[value_col], printer.header(key), boxes)
        if section:
            sections.setdefault(section, []).append(r)
        else:
            cells[0].text = ""
    for section, at in sections.items():
        runs = [[at[0]]]
        for r in at[1:]:
            if r == runs[-1][-1] + 1:
                runs[-1].append(r)
            else:
                runs.append([r])
        for run in runs:
            _fill(table.cell(run[0], 0), section, boxes)
            _merge_down(table, 0, run)


def _delivery_table(document, printer: _Printer, boxes: str) -> None:
    table = document.add_table(rows=1 + 2 * len(STAGES), cols=6)
    _rtl(table)
    head = table.rows[0].cells
    for cell, text in zip(head, ("۶- نحوه دسترسی به خدمت", "مراحل خدمت", "نوع ارائه", "رسانه ارتباطی خدمت", "", ""),
                          strict=True):
        _fill(cell, text, boxes)
    head[3].merge(head[5])
    for i, stage in enumerate(STAGES):
        top, bottom = 1 + 2 * i, 2 + 2 * i
        electronic, channels, offline, reasons, levels = printer.stage(stage)
        _fill(table.cell(top, 1), STAGES[stage], boxes)
        _fill(table.cell(top, 2), electronic, boxes)
        _fill(table.cell(top, 3), channels, boxes)
        table.cell(top, 3).merge(table.cell(top, 5))
        _fill(table.cell(bottom, 2), offline, boxes)
        _fill(table.cell(bottom, 3), reasons, boxes)
        if levels:
            _fill(table.cell(bottom, 4), levels, boxes)
        else:
            table.cell(bottom, 3).merge(table.cell(bottom, 4))
        _merge_down(table, 1, [top, bottom])
    _merge_down(table, 0, list(range(len(table.rows))))


def _system_links_table(document, printer: _Printer, boxes: str) -> None:
    links = printer.d.get("system_links", [])
    table = document.add_table(rows=3, cols=5)
    _rtl(table)
    _fill(table.cell(0, 0), "۷- ارتباط خدمت با سایر سامانه ها (بانک های اطلاعاتی) در دستگاه", boxes)
    table.cell(0, 0).merge(table.cell(0, 4))
    for col, text in ((0, "نام سامانه های دیگر"), (1, "فیلدهای مورد تبادل"), (2, "استعلام الکترونیکی"),
                      (4, "استعلام غیر الکترونیکی")):
        _fill(table.cell(1, col), text, boxes)
    table.cell(1, 2).merge(table.cell(1, 3))
    _fill(table.cell(2, 2), "برخط online", boxes)
    _fill(table.cell(2, 3), "دسته ای (Batch)", boxes)
    for col in (0, 1, 4):
        _merge_down(table, col, [1, 2])
    for link in [*links, *({} for _ in range(max(0, 4 - len(links))))]:
        mode = link.get("mode")
        values = [link.get("system", ""), link.get("fields", ""), *(printer.box(mode == m).strip()
                                                                    for m in ("online", "batch", "offline"))]
        for cell, value in zip(table.add_row().cells, values, strict=True):
            _fill(cell, value, boxes)


def _agency_links_table(document, printer: _Printer, boxes: str) -> None:
    links = printer.d.get("agency_links", [])
    table = document.add_table(rows=3, cols=7)
    _rtl(table)
    _fill(table.cell(0, 0), "۸- ارتباط خدمت با سایر دستگاه های دیگر", boxes)
    table.cell(0, 0).merge(table.cell(0, 6))
    for col, text in ((0, "نام دستگاه دیگر"), (1, "نام سامانه های دستگاه دیگر"), (2, "فیلدهای مورد تبادل"),
                      (3, "مبلغ (در صورت پرداخت هزینه)"), (4, "استعلام الکترونیکی"),
                      (6, "اگر استعلام غیر الکترونیکی است، استعلام توسط:")):
        _fill(table.cell(1, col), text, boxes)
    table.cell(1, 4).merge(table.cell(1, 5))
    _fill(table.cell(2, 4), "برخط online", boxes)
    _fill(table.cell(2, 5), "دسته ای (Batch)", boxes)
    for col in (0, 1, 2, 3, 6):
        _merge_down(table, col, [1, 2])
    if note := printer.d.get("agency_links_note"):
        row = table.add_row().cells
        _fill(row[0], note, boxes)
        row[0].merge(row[6])
    for link in [*links, *({} for _ in range(max(0, 3 - len(links))))]:
        mode, by = link.get("mode"), link.get("offline_by")
        amount = to_persian_digits(str(link["amount"])) if "amount" in link else ""
        values = [link.get("agency", ""), link.get("system", ""), link.get("fields", ""), amount,
                  printer.box(mode == "online").strip(), printer.box(mode == "batch").strip(),
                  f"{printer.box(by == 'agency')}دستگاه {printer.box(by == 'applicant')}مراجعه کننده"]
        for cell, value in zip(table.add_row().cells, values, strict=True):
            _fill(cell, value, boxes)


def _steps_table(document, printer: _Printer) -> None:
    steps = printer.d.get("steps", [])
    table = document.add_table(rows=1, cols=2)
    _rtl(table)
    table.cell(0, 0).text = "۹- عناوین فرایندهای خدمت"
    table.cell(0, 0).merge(table.cell(0, 1))
    for i, step in enumerate(steps):
        row = table.add_row().cells
        row[0].text = to_persian_digits(str(i + 1))
        row[1].text = step


def _contact_table(document, printer: _Printer) -> None:
    contact = printer.d.get("contact", {})
    table = document.add_table(rows=2, cols=4)
    _rtl(table)
    for r, pair in enumerate((("واحد مربوط:", "unit", "پست الکترونیک:", "email"),
                              ("تلفن:", "phone", "نام و نام خانوادگی تکمیل کننده فرم:", "completed_by"))):
        cells = table.rows[r].cells
        cells[0].text, cells[1].text = pair[0], contact.get(pair[1], "")
        cells[2].text, cells[3].text = pair[2], contact.get(pair[3], "")


def set_cell_xml(table_cell, xml: str) -> None:
    """Replaces a cell's content with raw WordprocessingML (for odd inputs in tests)."""
    tc = table_cell._tc
    for child in list(tc):
        if child.tag != qn("w:tcPr"):
            tc.remove(child)
    tc.append(parse_xml(xml))
