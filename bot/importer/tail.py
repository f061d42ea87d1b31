"""Sections 7-9 and contact: the tables of links to other systems and agencies, the process titles, and
the contact block."""

from __future__ import annotations

import re
from typing import Any

from bot.importer.boxes import VOCAB, pair_boxes, tokenize
from bot.importer.draft import Draft
from bot.importer.scrambled import _looks_scrambled
from bot.importer.sections import _CONTACT, _compiled, _first, _is_heading, _is_steps_heading, _line_start
from bot.importer.text import BOXES, CHECKED, key
from bot.importer.values import parse_number, tidy
from bot.persian import to_latin_digits, to_persian_digits


def _read_tail(draft: Draft, text: str, has_boxes: bool) -> None:
    """Sections 7 and 8 (tables of links), 9 (process titles) and the contact block."""
    contact_at = _first(text, tuple(label + ":" for _, label in _CONTACT[:4]))
    contact_at = _line_start(text, contact_at) if contact_at is not None else len(text)
    tables_text, contact_text = text[:contact_at], text[contact_at:]
    lines = tables_text.split("\n")

    step_lines, table_lines = _split_steps(draft, lines)
    _read_links(draft, table_lines, has_boxes)
    steps = [s for s in step_lines if s]
    after_contact = _read_contact(draft, contact_text)
    extra = [tidy(re.sub(r"^\s*مرحله\s+", "", line)) for line in after_contact if re.match(r"^\s*مرحله\s+\S", line)]
    for step in extra:
        draft.flag("steps", "این مرحله پس از جدول فرم (زیر بخش تماس) آمده و به فهرست فرایندها افزوده شد.", step)
    steps += [s for s in extra if s]
    if steps:
        draft.data["steps"] = steps


def _split_steps(draft: Draft, lines: list[str]) -> tuple[list[str], list[str]]:
    """Separates the process titles (section 9) from the lines of the link tables."""
    numbered: list[tuple[int, int, str]] = []
    heading_at: int | None = None
    step_index: set[int] = set()
    for index, line in enumerate(lines):
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        if any(_is_steps_heading(c) for c in cells):
            heading_at = index
            if all(_is_steps_heading(c) for c in cells):
                step_index.add(index)
                continue
        if not cells or any(b in line for b in BOXES):
            continue
        first = cells[0]
        if m := re.match(r"^([\d۰-۹]{1,2})\s*[-–.)]\s*(.*)$", first):
            if not _is_steps_heading(first) and not re.search(r"ارتباط[\s\u200c]*خدمت", first):
                numbered.append((index, int(to_latin_digits(m.group(1))), m.group(2)))
        elif draft.scrambled and (m := re.match(r"^(.*\S)\s*[-–]\s*([\d۰-۹]{1,2})\s*$", " ".join(cells))):
            numbered.append((index, int(to_latin_digits(m.group(2))), m.group(1)))  # «عنوان -1», read right to left
    steps: list[str] = []
    if numbered:
        order = [n for _, n, _ in numbered]
        if order != sorted(order):
            draft.flag("steps", "شماره‌های عناوین فرایندها به ترتیب نیامده بود؛ به ترتیب شماره مرتب شد.",
                       " ".join(str(n) for n in order))
        for index, _, title in sorted(numbered, key=lambda x: x[1]):
            step_index.add(index)
            value = tidy(title)
            if not value:
                continue
            if draft.scrambled and _looks_scrambled(value):
                draft.flag("steps", "این عنوان از متن راست‌به‌چپِ به‌هم‌ریخته خوانده شد؛ ترتیب واژه‌ها شاید درست نباشد.",
                           lines[index])
            steps.append(value)
    elif heading_at is not None:
        # Unnumbered titles: the lines from the heading on (the heading may share the first title's row).
        for index in range(heading_at, len(lines)):
            cells = [c.strip() for c in lines[index].split("\t") if c.strip()]
            if any(b in lines[index] for b in BOXES):
                break
            titles = [c for c in cells if not _is_steps_heading(c) and not _is_heading(c)]
            if index > heading_at and not titles and steps:
                continue
            step_index.add(index)
            steps.extend(tidy(c) for c in titles)
        if not steps:
            # The heading after the titles: the text lines right above it.
            index = heading_at - 1
            found: list[str] = []
            while index >= 0 and lines[index].strip() and not any(b in lines[index] for b in BOXES):
                cells = [c.strip() for c in lines[index].split("\t") if c.strip()]
                if any(_is_heading(c) for c in cells):
                    break
                found[:0] = [tidy(c) for c in cells]
                step_index.add(index)
                index -= 1
            steps = found
    table_lines = [line for i, line in enumerate(lines) if i not in step_index]
    return steps, table_lines


def _read_links(draft: Draft, lines: list[str], has_boxes: bool) -> None:
    """Section 7 (other systems of the agency) and 8 (other agencies): one row per link. The box columns
    are named in the table's heading rows, in the order the extraction printed them."""
    section: str | None = None
    columns: dict[str, list[str]] = {"7": [], "8": []}
    groups: dict[str, list[str]] = {"7": [], "8": []}
    system_links: list[dict[str, Any]] = []
    agency_links: list[dict[str, Any]] = []
    notes: list[str] = []
    for line in lines if has_boxes else []:
        if not line.strip():
            continue
        k = key(line)
        is7 = bool(re.search(r"نامسامانههایدیگر(?!دستگاه)|ارتباطخدمتباسایرسامانهها", k)) and "نامدستگاهدیگر" not in k
        is8 = "نامدستگاهدیگر" in k or "نامسامانههایدستگاهدیگر" in k or bool(re.search(r"ارتباطخدمتباسایردستگاه", k))
        if is7 != is8:
            section = "7" if is7 else "8"
        if section is None:
            section = "7"
        cells = line.split("\t")
        if CHECKED not in line and all(_is_heading(c) for c in cells):
            order, groups[section] = _box_columns(line, section, groups[section])
            if order:
                columns[section] = order
            continue
        row = _link_row(draft, cells, section, columns[section])
        if row is None:
            continue
        if "note" in row:
            notes.append(row["note"])
        elif section == "7":
            system_links.append(row)
        else:
            agency_links.append(row)
    if system_links:
        draft.data["system_links"] = system_links
    if agency_links:
        draft.data["agency_links"] = agency_links
    if notes:
        draft.data["agency_links_note"] = tidy(" ".join(notes))
    if not has_boxes and any(line.strip() for line in lines):
        draft.flag("system_links / agency_links", "جدول‌های ارتباط با سامانه‌ها و دستگاه‌های دیگر در متن استخراج‌شده "
                   "خالی‌اند؛ معلوم نیست فرم واقعاً خالی بوده یا علامت‌ها از دست رفته‌اند.")


def _box_columns(line: str, section: str, groups: list[str]) -> tuple[list[str] | None, list[str]]:
    """The meaning of the box columns from a heading row: a first row names the groups («استعلام غیر
    الکترونیکی», «استعلام الکترونیکی»), a second the electronic sub-columns (online, Batch), in the order
    the extraction printed them. Returns the columns (None when this row does not give them) and the groups."""
    found: list[str] = []
    for m in re.finditer(r"online|برخط|batch|دسته|دستی|غیر[\s\u200c]*الکترونیکی|الکترونیکی", line, re.I):
        word = m.group(0).lower()
        if word.startswith("غیر"):
            if section == "8":
                continue  # section 8 names who makes an offline inquiry with labelled boxes instead
            kind = "offline"
        elif word == "الکترونیکی":
            kind = "electronic"
        else:
            kind = "online" if word in ("online", "برخط") else "batch"
        if not found or found[-1] != kind:
            found.append(kind)
    electronic = [k for k in found if k in ("online", "batch")]
    if not electronic:
        return None, found or groups
    if "offline" in found or "offline" not in groups:
        return [k for k in found if k != "electronic"], groups
    columns: list[str] = []
    for group in groups:
        columns.extend(electronic if group == "electronic" else [group])
    return columns, groups


def _link_row(draft: Draft, cells: list[str], section: str, columns: list[str]) -> dict[str, Any] | None:
    """One data row of a link table, read from the side of its boxes: next to the boxes come the amount
    (section 8), the exchanged fields, the system, and last the agency."""
    field_name = "system_links" if section == "7" else "agency_links"
    box_cells = [i for i, c in enumerate(cells) if any(b in c for b in BOXES)]
    offline_by: str | None = None
    mode_boxes: list[bool] = []
    for i in box_cells:
        cell = cells[i]
        if section == "8" and re.search(r"دستگاه|مراجعه", cell):
            marks, _ = pair_boxes(tokenize(cell, VOCAB["offline_by"]))
            for mark in marks:
                if mark.checked and mark.option is not None:
                    offline_by = mark.option.code
            continue
        mode_boxes.extend(ch == CHECKED for ch in cell if ch in BOXES)
    texts = [(i, c.strip()) for i, c in enumerate(cells) if c.strip() and i not in box_cells and not _is_heading(c)]
    raw = " | ".join(c.strip() for c in cells if c.strip())
    if len(texts) == 1 and (len(texts[0][1].split()) > 12 or texts[0][1].rstrip().endswith(".")) and section == "8":
        return {"note": texts[0][1]}
    mode = None
    if any(mode_boxes):
        checked = [i for i, v in enumerate(mode_boxes) if v]
        if len(columns) == len(mode_boxes) and len(checked) == 1:
            mode = columns[checked[0]]
        elif len(checked) == 1 and len(mode_boxes) == 2 and set(columns) >= {"online", "batch"}:
            mode = [c for c in columns if c != "offline"][checked[0]]
        else:
            draft.flag(field_name, "نوع استعلام تیک خورده ولی ستونش خوانا نیست.", raw)
    if not texts:
        if any(mode_boxes) or offline_by:
            draft.flag(field_name, "در جدول گزینه‌ای تیک خورده ولی نامی نوشته نشده؛ ردیفی ثبت نشد.", raw)
        return None
    if box_cells:
        after = [t for t in texts if t[0] > box_cells[-1]]
        before = [t for t in texts if t[0] < box_cells[0]]
        reversed_row = len(after) >= len(before)
        side = after if reversed_row else list(reversed(before))
        anchor = box_cells[-1] if reversed_row else box_cells[0]
        positions = {abs(i - anchor): t for i, t in side}
    else:
        draft.flag(field_name, "ردیفی بی چک‌باکس؛ جای ستون‌ها حدس زده شد.", raw)
        side = texts
        positions = {n + 1: t for n, (_, t) in enumerate(texts)}
    last = side[-1][1]
    row: dict[str, Any] = {}
    if section == "7":
        row["system"] = tidy(last)
        fields = positions.get(1)
        if fields and fields != last:
            row["fields"] = tidy(fields)
        extra = [t for _, t in side if t not in (last, fields)]
    else:
        row["agency"] = tidy(last)
        amount, fields, system = positions.get(1), positions.get(2), positions.get(3)
        if amount and amount != last:
            number = parse_number(amount)
            if number is not None:
                row["amount"] = number[0]
            else:
                fields, system = amount, fields  # no amount column in this row
        if system and system != last:
            row["system"] = tidy(system)
        if fields and fields != last:
            row["fields"] = tidy(fields)
        extra = [t for _, t in side if t not in (last, amount, fields, system)]
    if extra:
        draft.flag(field_name, "در این ردیف متنی بیش از ستون‌های جدول آمده؛ نوشته نشد.", raw)
    if not row.get("system" if section == "7" else "agency"):
        return None
    if mode:
        row["mode"] = mode
    if offline_by:
        row["offline_by"] = offline_by
        row.setdefault("mode", "offline")
    return {k: v for k, v in row.items() if v not in ("", None)}


def _read_contact(draft: Draft, text: str) -> list[str]:
    """The contact block; returns the lines after it (some cards add process steps there)."""
    contact: dict[str, str] = {}
    lines = text.split("\n")
    last = -1
    for index, line in enumerate(lines):
        found = False
        for name, label in _CONTACT:
            for m in _compiled(label + ":", False).finditer(line):
                found = True
                rest = line[m.end():]
                stops = [s.start() for _, other in _CONTACT for s in _compiled(other + ":", False).finditer(rest)]
                value = rest[: min(stops)] if stops else rest
                value = value.split("\t")[0] if "\t" in value.strip() else value
                value = tidy(value) if name not in ("email", "phone") else " ".join(value.split()).strip(" -–|")
                if value:
                    contact[name] = value
        if found:
            last = index
    if "email" in contact and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact["email"]):
        draft.flag("contact.email", "نشانی پست الکترونیک معتبر نیست؛ نوشته نشد.", contact.pop("email"))
    if "phone" in contact:
        contact["phone"] = to_persian_digits(contact["phone"])
    if contact:
        draft.data["contact"] = {k: contact[k] for k in ("unit", "email", "phone", "address", "completed_by") if k in contact}
    return lines[last + 1 :] if last >= 0 else []
