"""Header fields (sections 1-5 of the form): plain values, box groups, lists, the recipients' count and
period, frequency, visits in person, costs and web addresses."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from bot.importer.boxes import VOCAB, Mark, Option, pair_boxes, tokenize
from bot.importer.draft import Draft
from bot.importer.sections import _COST_HEADINGS, _pick, _segments
from bot.importer.text import CHECKED, UNCHECKED, _label_pattern, key
from bot.importer.values import _AMOUNT, _URL, _URL_ADAPTER, parse_number, split_items, split_run_together, tidy
from bot.persian import to_latin_digits, to_persian_digits


def _read_header(draft: Draft, text: str, has_boxes: bool) -> None:
    """Sections 1-5, by label: rows may come in any order and several labels may share one line."""
    _read_fields(draft, _segments(text), has_boxes)


def _read_fields(draft: Draft, seg: dict[str, list[str]], has_boxes: bool) -> None:
    """Sections 1-5 from each field's raw value (every occurrence, in the card's order): the text after a
    label, or a Word form's value cell."""
    d = draft.data

    raw_id = _pick(seg, "id")
    if raw_id is not None:
        digits = re.findall(r"\d{5,}", to_latin_digits(raw_id))
        if len(digits) == 1:
            d["id"] = digits[0]
            draft.official_id = True
        elif digits:
            draft.flag("id", "بیش از یک عدد در جای شناسه خدمت آمده؛ شناسه ساخته شد.", raw_id)
    for name in ("title", "provider", "parent_agency", "description", "audience", "duration", "system_name"):
        raw = _pick(seg, name)
        if raw is None:
            continue
        value = tidy(raw)
        if value:
            d[name] = _as_lines(value) if name == "description" else value
    if "title" in d and (m := re.search(r"\(\s*[^)]*شناسه[^)]*\)", d["title"])):
        d["title"] = tidy(d["title"].replace(m.group(0), ""))

    for name, vocab in (("service_types", "service_types"), ("nature", "nature"), ("levels", "levels"),
                        ("life_events", "life_events"), ("start_triggers", "start_triggers")):
        raw = _pick(seg, name, boxes=True)
        if raw is not None:
            _read_choices(draft, name, raw, VOCAB[vocab], has_boxes)

    for name in ("documents", "laws"):
        raw = _pick(seg, name)
        if raw is not None and tidy(raw):
            _read_list(draft, name, raw)

    raw = _pick(seg, "recipients", boxes=True)
    if raw is not None:
        _read_recipients(draft, raw, has_boxes)
    raw = _pick(seg, "frequency", boxes=True)
    if raw is not None:
        _read_frequency(draft, raw, has_boxes)
    raw = _pick(seg, "in_person_visits")
    if raw is not None:
        _read_visits(draft, raw)
    raw = _pick(seg, "costs", boxes=True)
    if raw is not None:
        _read_costs(draft, raw)
    raw = _pick(seg, "websites")
    if raw is not None:
        _read_websites(draft, raw)


def _as_lines(value: str) -> str:
    """A description that lists items after a colon («...: - الف - ب») keeps one item per line."""
    head, sep, rest = value.partition(": -")
    if not sep:
        return value
    items = [i.strip() for i in re.split(r"\s-\s", " " + rest) if i.strip()]
    return head + ":\n" + "\n".join(f"- {i}" for i in items)


def _read_choices(draft: Draft, name: str, raw: str, vocab: list[Option], has_boxes: bool) -> None:
    """A box group of the header: the codes of the checked options, and the «سایر» note."""
    tokens = tokenize(raw, vocab)
    marks, loose = pair_boxes(tokens)
    if not marks:
        if (loose or tidy(raw)) and not draft.only_checked:
            reason = ("علامت چک‌باکس‌ها در متن استخراج‌شده از دست رفته؛ گزینه تیک‌خورده خوانا نیست." if not has_boxes
                      else "کنار گزینه‌های این بخش هیچ چک‌باکسی نیامده؛ گزینه تیک‌خورده خوانا نیست.")
            draft.flag(name, reason, raw)
        return
    codes: list[str] = []
    note = ""
    for mark in marks:
        if not mark.checked:
            if mark.option and mark.option.code == "other" and mark.note:
                draft.flag(name, f"کنار «سایر» متن «{mark.note}» نوشته شده ولی تیک نخورده؛ نوشته نشد.", mark.raw)
            continue
        option = mark.option or _guess_option(draft, name, mark, vocab)
        if option is None:
            continue
        if option.code not in codes:
            codes.append(option.code)
        if option.code == "other" and mark.note:
            note = mark.note
    if loose and not draft.only_checked:
        draft.flag(name, "این گزینه‌ها در متن چک‌باکس ندارند و تیک‌خوردن یا نخوردنشان معلوم نیست: "
                   + "، ".join(f"«{t.text}»" for t in loose), raw)
    if codes:
        draft.data[name] = codes
    if note:
        draft.data[{"life_events": "life_events_note", "start_triggers": "start_note"}.get(name, name + "_note")] = tidy(note)
    _flag_typos(draft, name, marks)


def _guess_option(draft: Draft, name: str, mark: Mark, vocab: list[Option]) -> Option | None:
    """A checked box whose label is cut to a letter or two («م» for ماه): read only when exactly one
    option starts that way, and flagged."""
    label = key(mark.note)
    matches = {o.code: o for o in vocab if o.kind != "noise" and label and o.key.startswith(label)}
    if len(matches) == 1:
        option = next(iter(matches.values()))
        draft.flag(name, f"برچسب گزینه تیک‌خورده در متن بریده شده («{mark.note}») و «{option.label}» خوانده شد.", mark.raw)
        return option
    draft.flag(name, "گزینه‌ای تیک خورده که برچسبش خوانا نیست؛ نوشته نشد.", mark.raw)
    return None


def _flag_typos(draft: Draft, name: str, marks: list[Mark]) -> None:
    """A checked option read from a damaged label («قاضای» for تقاضای) is right often enough to keep, but a
    person should see it."""
    for mark in marks:
        if mark.checked and mark.option is not None and mark.score < 0.9:
            draft.flag(name, f"برچسب گزینه تیک‌خورده در متن آسیب دیده و «{mark.option.label}» خوانده شد.", mark.raw)


def _read_list(draft: Draft, name: str, raw: str) -> None:
    """Documents or laws, one item per separator; «به استناد» before a law's name is not part of it."""
    items: list[str] = []
    for item in split_items(raw):
        if name == "laws":
            item = re.sub(r"^(?:به[\s\u200c]*استناد|براساس|بر[\s\u200c]*اساس|طبق|مطابق)\s+", "", item)
        parts = split_run_together(item)
        if len(parts) > 1:
            draft.flag(name, "دو مورد بی‌جداکننده پشت هم آمده‌اند و جدا خوانده شدند: "
                       + " | ".join(f"«{p}»" for p in parts), item)
        items.extend(tidy(p) for p in parts)
    if items:
        draft.data[name] = [i for i in items if i]


def _read_recipients(draft: Draft, raw: str, has_boxes: bool) -> None:
    """The count (digits or words, «در حدود ۱ میلیون و ۳۰۰ هزار نفر» kept as the note when it says more
    than the number) and the checked period."""
    m = re.search(r"خدمت[\s\u200c]*گیرندگان[\s\u200c]*در\s*:?", raw)
    head, periods = (raw[: m.start()], raw[m.end() :]) if m else (raw, raw)
    out: dict[str, Any] = {}
    count_text = tidy(head.split(CHECKED)[0].split(UNCHECKED)[0])
    number = parse_number(count_text) if count_text else None
    if number is not None:
        out["count"] = number[0]
        rest = key(count_text.replace(number[1], ""))
        if rest and rest not in (key("نفر"), key("مورد"), key("خدمت گیرنده")):
            out["note"] = count_text
    elif count_text:
        draft.flag("recipients.count", "تعداد خدمت‌گیرندگان عدد خوانایی نیست.", count_text)
    period = _read_period(draft, "recipients", periods, has_boxes)
    if period:
        out["period"] = period
    if out:
        draft.data["recipients"] = out


def _read_period(draft: Draft, name: str, raw: str, has_boxes: bool) -> str | None:
    """The one checked period (ماه / فصل / سال); none when no box or more than one is checked."""
    tokens = tokenize(raw, VOCAB["frequency"] if name == "frequency" else VOCAB["period"])
    marks, loose = pair_boxes(tokens)
    periods = [t for t in tokens if t.type == "option" and t.option.kind == "period"]
    if not marks and periods and not draft.only_checked:
        reason = ("علامت چک‌باکس‌ها در متن استخراج‌شده از دست رفته؛ دوره (ماه/فصل/سال) خوانا نیست." if not has_boxes
                  else "کنار ماه/فصل/سال چک‌باکسی نیامده؛ دوره‌ای نوشته نشد.")
        draft.flag(f"{name}.period", reason, raw)
        return None
    chosen: list[str] = []
    checked_period = any(m.checked and m.option and m.option.kind == "period" for m in marks)
    if not draft.only_checked and not checked_period and any(t.option.kind == "period" for t in loose):
        draft.flag(f"{name}.period", "کنار ماه/فصل/سال چک‌باکسی نیامده؛ دوره‌ای نوشته نشد.", raw)
    for mark in marks:
        if not mark.checked:
            continue
        option = mark.option
        if option is None:
            option = _guess_option(draft, f"{name}.period", mark, [o for o in VOCAB["period"] if o.kind == "period"])
        if option is not None and option.kind == "period" and option.code not in chosen:
            chosen.append(option.code)
    if len(chosen) > 1:
        draft.flag(f"{name}.period", "بیش از یک دوره تیک خورده؛ دوره‌ای نوشته نشد.", raw)
        return None
    return chosen[0] if chosen else None


def _read_frequency(draft: Draft, raw: str, has_boxes: bool) -> None:
    """«یکبار برای همیشه», «N بار در» a period, or «بطور مداوم در» a period: a period checked under the
    «مداوم» heading is what makes the service continuous."""
    out: dict[str, Any] = {}
    tokens = tokenize(raw, VOCAB["frequency"])
    marks, _ = pair_boxes(tokens)
    for mark in marks:
        if mark.checked and mark.option is not None and mark.option.kind == "frequency":
            out[mark.option.code] = True
    plain = to_latin_digits(raw).replace(UNCHECKED, " ").replace(CHECKED, " ")
    times = re.search(r"(\S+(?:\s+و\s+\S+)?)\s*بار[\s\u200c]*در\b", plain)
    if times:
        number = parse_number(times.group(1))
        if number is not None and number[0] >= 1:
            out["times"] = number[0]
    period = _read_period(draft, "frequency", raw, has_boxes)
    if period:
        out["period"] = period
        if "times" not in out and re.search(r"مداوم", raw) and not out.get("once_forever"):
            out["continuous"] = True
    if out.get("once_forever") and (out.get("continuous") or period):
        draft.flag("frequency", "هم «یکبار برای همیشه» و هم دوره‌ای تیک خورده.", raw)
    if not out and any(m.checked for m in marks):
        draft.flag("frequency", "در بخش تواتر گزینه‌ای تیک خورده که خوانا نیست.", raw)
    if out:
        draft.data["frequency"] = {k: out[k] for k in ("once_forever", "continuous", "times", "period") if k in out}


def _read_visits(draft: Draft, raw: str) -> None:
    """A number of visits; «ندارد» is 0, «-» or nothing is not stated."""
    value = tidy(raw)
    if not value:
        return
    if key(value) in (key("ندارد"), key("صفر"), key("نیاز ندارد"), key("بدون مراجعه")):
        draft.data["in_person_visits"] = 0
        return
    number = parse_number(value)
    if number is None:
        draft.flag("in_person_visits", "تعداد بار مراجعه حضوری عدد خوانایی نیست.", raw)
        return
    draft.data["in_person_visits"] = number[0]
    if len(key(value)) > len(key(number[1])) + len(key("بار")) + 2:
        draft.flag("in_person_visits", "کنار تعداد بار مراجعه متن دیگری هم آمده.", raw)


def _read_costs(draft: Draft, raw: str, quiet: bool = False) -> None:
    """Each row of the cost table: an amount in rials, what it is for, the account and the «electronic»
    box. «رایگان» is an amount of 0; an empty table is not free, it is not stated."""
    text = raw
    for heading in _COST_HEADINGS:
        text = re.sub(_label_pattern(heading), " ", text)
    costs: list[dict[str, Any]] = []
    for line in text.split("\n"):
        cells = [c.strip() for c in line.split("\t")]
        if len([c for c in cells if c]) >= 2 and all(re.fullmatch(r"[\d۰-۹]{1,2}", c) for c in cells if c):
            continue  # stray section numbers of the form («۶ ۱»)
        plain = line.replace(CHECKED, " ").replace(UNCHECKED, " ")
        if re.search(r"رایگان", plain):
            costs.append({"amount": 0})
            continue
        latin = to_latin_digits(plain)
        account = re.search(r"IR\s?\d[\d\s]{20,}|\b\d[\d-]{9,}\d\b", latin)
        rest = latin.replace(account.group(0), " ") if account else latin
        amount = re.search(rf"({_AMOUNT})\s*(ریال|تومان)?", rest)
        if not amount:
            if tidy(plain) and not quiet:
                draft.flag("costs", "در جدول هزینه متنی بدون مبلغ آمده؛ نوشته نشد.", line)
            continue
        value = int(re.sub(r"\D", "", amount.group(1)))
        cost: dict[str, Any] = {"amount": value}
        if amount.group(2) == "تومان":
            cost["amount"] = value * 10
            draft.flag("costs", "مبلغ به تومان نوشته شده و به ریال (×۱۰) برگردانده شد.", line)
        purpose = tidy(rest.replace(amount.group(0), " ", 1))
        if purpose:
            cost["purpose"] = purpose
        if account:
            cost["bank_account"] = to_persian_digits(" ".join(account.group(0).split()))
        if CHECKED in line:
            cost["electronic"] = True
        costs.append(cost)
    if costs:
        if any(c["amount"] == 0 for c in costs) and any(c["amount"] > 0 for c in costs):
            draft.flag("costs", "هم «رایگان» و هم مبلغ آمده.", raw)
        draft.data["costs"] = costs


def _read_websites(draft: Draft, raw: str) -> None:
    """Only real http(s) addresses: «WWW.» alone is a placeholder, and a bare «www.x.ir» gets http:// with a
    note, because the model (and a citizen's browser) needs a scheme."""
    urls: list[str] = []
    for found in _URL.findall(raw):
        url = found.rstrip(".,،;)")
        if url.startswith("/") or found.startswith("/"):
            url = url.lstrip("/")
        if not url.lower().startswith("http"):
            host = url[4:]
            if not re.fullmatch(r"[\w-]+(\.[\w-]+)+(/\S*)?", host):
                draft.flag("websites", "به جای نشانی وبگاه فقط «WWW.» یا نشانی ناقص آمده؛ وبگاهی ثبت نشد.", found)
                continue
            draft.flag("websites", f"نشانی «{url}» بی http:// آمده و http:// به آن افزوده شد.", found)
            url = "http://" + url
        try:
            _URL_ADAPTER.validate_python(url)
        except ValidationError:
            draft.flag("websites", "نشانی وبگاه معتبر نیست؛ ثبت نشد.", found)
            continue
        if url not in urls:
            urls.append(url)
    if urls:
        draft.data["websites"] = urls
    elif tidy(raw) and not any(r["field"] == "websites" for r in draft.review):
        draft.flag("websites", "در جای نشانی وبگاه متنی آمده که نشانی نیست.", raw)
