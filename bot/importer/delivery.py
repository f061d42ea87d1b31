"""Section 6 of the form: how each stage of the service is reached (electronically or not, channels, why a
visit in person is needed, at which level)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.importer.boxes import VOCAB, Mark, Token, _clean_note, pair_boxes, tokenize
from bot.importer.draft import Draft
from bot.importer.values import tidy

STAGE_NAMES = ("information", "request", "production", "delivery")


@dataclass
class _Item:
    """A mark or loose text of section 6, with the cell it was found in."""

    mark: Mark | None
    text: str
    cell: int
    cell_kinds: frozenset[str]


def _stage_of(tokens: list[Token]) -> str | None:
    stages = [t.option.code for t in tokens if t.type == "option" and t.option.kind == "stage"]
    return stages[0] if stages else None


def _read_delivery(draft: Draft, text: str, has_boxes: bool) -> None:
    """Section 6 is a table of four stages, each two rows (electronic, and in person); extraction may put a
    stage's name before or after its cells, so a line belongs to the stage named in it, a line naming none
    to the stage named last (or, before any name, to the first named after it)."""
    if not has_boxes:
        if text.strip():
            draft.flag("delivery", "علامت چک‌باکس‌ها در متن استخراج‌شده از دست رفته؛ برای هیچ مرحله الکترونیکی‌بودن، "
                       "رسانه ارتباطی، دلیل مراجعه حضوری یا سطح مراجعه خوانا نیست.")
        return
    vocab = VOCAB["stage"]
    per_stage: dict[str, list[_Item]] = {s: [] for s in STAGE_NAMES}
    pending: list[_Item] = []
    current: str | None = None
    cell_no = 0
    for line in text.split("\n"):
        cells = [c for c in line.split("\t") if c.strip()]
        line_tokens = [tokenize(c, vocab) for c in cells]
        named = next((s for s in (_stage_of(t) for t in line_tokens) if s), None)
        if named:
            if current is None and pending:
                per_stage[named].extend(pending)
                pending = []
            current = named
        for cell, tokens in zip(cells, line_tokens, strict=True):
            cell_no += 1
            kinds = frozenset(t.option.kind + ":" + t.option.code for t in tokens if t.type == "option")
            stage = current
            if any(k in kinds for k in ("channel:intranet",)) or re.search(r"درگاه|اینترانت|ERP", cell):
                stage = "production"
            marks, _ = pair_boxes(tokens)
            items = [_Item(m, "", cell_no, kinds) for m in marks]
            free = " ".join(t.text for t in tokens if t.type == "text" and not _attached(tokens, t))
            if free.strip():
                items.append(_Item(None, _clean_note(free), cell_no, kinds))
            if stage is None:
                pending.extend(items)
            else:
                per_stage[stage].extend(items)
    if pending and current is None:
        draft.flag("delivery", "هیچ نام مرحله‌ای در بخش نحوه دسترسی پیدا نشد.", text[:300])
        return
    delivery: dict[str, Any] = {}
    for stage in STAGE_NAMES:
        value = _read_stage(draft, stage, per_stage[stage])
        if value:
            delivery[stage] = value
    if delivery:
        draft.data["delivery"] = delivery


def _attached(tokens: list[Token], token: Token) -> bool:
    """True when free text is the note of the option (or box) right before it."""
    index = tokens.index(token)
    for t in reversed(tokens[:index]):
        if t.type == "box":
            return True
        if t.type == "option":
            return t.option.kind != "noise" and t.option.kind != "stage"
    return False


def _read_stage(draft: Draft, stage: str, items: list[_Item]) -> dict[str, Any]:
    """One stage from its marks. The hard part is «الکترونیکی»: it is the stage's own electronic box, but
    extraction also prints the «غیر الکترونیکی» box and the channel list's «اینترنتی» that way; which one
    it is follows from the cell it sits in and its neighbours, and each such reading is flagged."""
    where = f"delivery.{stage}"
    marks = [i for i in items if i.mark is not None]
    e_items = [i for i in marks if i.mark.option and i.mark.option.kind == "electronic" and i.mark.option.code == "yes"]
    n_items = [i for i in marks if i.mark.option and i.mark.option.kind == "electronic" and i.mark.option.code == "no"]
    # «الکترونیکی» followed by the in-person heading is the «غیر الکترونیکی» box with «غیر» lost.
    for item in list(e_items):
        if "ذکر ضرورت" in item.mark.raw or "ضرورت" in item.mark.note:
            e_items.remove(item)
            n_items.append(item)
            if item.mark.checked:
                draft.flag(f"{where}.electronic", "«الکترونیکی ذکر ضرورت مراجعه حضوری» (بی «غیر») تیک خورده و "
                           "گزینه «غیر الکترونیکی» خوانده شد.", item.mark.raw)
    nature_cells = {i.cell for i in e_items + n_items
                    if all(k.startswith("electronic:") or k.startswith("stage:") or k.startswith("noise:") for k in i.cell_kinds)}
    electronic_boxes: list[_Item] = []
    web_glitch: list[_Item] = []
    previous: _Item | None = None
    for item in e_items:
        in_nature = item.cell in nature_cells
        has_web = "channel:web" in item.cell_kinds
        if in_nature:
            if previous is not None and previous.cell == item.cell and previous in electronic_boxes:
                n_items.append(item)  # «الکترونیکی ☐ الکترونیکی»: the second is «غیر الکترونیکی»
                if item.mark.checked:
                    draft.flag(f"{where}.electronic", "دومین «الکترونیکی» کنار هم تیک خورده و «غیر الکترونیکی» "
                               "خوانده شد («غیر» در متن نیامده).", item.mark.raw)
            else:
                electronic_boxes.append(item)
        elif nature_cells and not has_web:
            web_glitch.append(item)  # the channel list's first option, «اینترنتی», printed as «الکترونیکی»
        elif not electronic_boxes or has_web:
            electronic_boxes.append(item)
        elif item.mark.checked:
            draft.flag(f"{where}.electronic", "گزینه «الکترونیکی» دیگری تیک خورده که معلوم نیست «غیر الکترونیکی» "
                       "است یا «اینترنتی»؛ نوشته نشد.", item.mark.raw)
        previous = item
    out: dict[str, Any] = {}
    yes = any(i.mark.checked for i in electronic_boxes)
    no = any(i.mark.checked for i in n_items)
    if yes:
        out["electronic"] = True
        if no:
            draft.flag(f"{where}.electronic", "هم «الکترونیکی» و هم «غیر الکترونیکی» تیک خورده؛ الکترونیکی نوشته شد.")
    elif no:
        out["electronic"] = False

    channels: list[str] = []
    channels_note = ""
    for item in web_glitch:
        if item.mark.checked:
            channels.append("web")
            draft.flag(f"{where}.channels", "نخستین گزینه فهرست رسانه‌ها به شکل «الکترونیکی» آمده و تیک خورده؛ "
                       "«اینترنتی (وبگاه دستگاه)» خوانده شد.", item.mark.raw)
    reasons: list[str] = []
    person_note = ""
    levels: list[str] = []
    for item in marks:
        option = item.mark.option
        if option is None:
            if item.mark.checked:
                draft.flag(where, "گزینه‌ای تیک خورده که برچسبش خوانا نیست.", item.mark.raw)
            continue
        if not item.mark.checked:
            if option.code == "other" and option.kind in ("channel", "reason") and item.mark.note:
                draft.flag(where, f"کنار «سایر» متن «{item.mark.note}» نوشته شده ولی تیک نخورده.", item.mark.raw)
            continue
        if option.kind == "channel":
            if option.code not in channels:
                channels.append(option.code)
            if option.code == "other" and item.mark.note:
                channels_note = item.mark.note
        elif option.kind in ("reason", "visit_level") and stage == "production":
            # The form asks neither for reasons nor for levels in this stage: the mark belongs to a
            # neighbouring row that the extraction printed on this stage's line.
            draft.flag(where, f"گزینه «{option.label}» در این مرحله در فرم نیست و تیک خورده؛ احتمالاً مال مرحله "
                       "کناری است و نوشته نشد.", item.mark.raw)
        elif option.kind == "reason":
            if option.code not in reasons:
                reasons.append(option.code)
            if option.code == "other" and item.mark.note:
                person_note = item.mark.note
        elif option.kind == "visit_level" and option.code not in levels:
            levels.append(option.code)
    free = [i.text for i in items if i.mark is None and i.text and len(i.text.split()) >= 2]
    if not person_note and free:
        person_note = " ".join(free)
    if "electronic" in out or channels or reasons or levels or person_note:
        if "electronic" not in out and (channels or reasons or levels or person_note):
            draft.flag(f"{where}.electronic", "گزینه‌ای از این مرحله تیک خورده ولی نه «الکترونیکی» تیک خورده نه "
                       "«غیر الکترونیکی»؛ نوع ارائه نوشته نشد.")
        if channels:
            out["channels"] = channels
        if channels_note:
            out["channels_note"] = tidy(channels_note)
        if reasons:
            out["in_person_reasons"] = reasons
        if person_note:
            out["in_person_note"] = tidy(person_note)
        if levels:
            out["visit_levels"] = levels
    return out
