"""Cards extracted right to left with scrambled word order: recognised, read on a best-effort basis, and
every value that still looks scrambled flagged with the line it came from."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

from bot.folding import fold
from bot.importer.boxes import VOCAB
from bot.importer.draft import Draft
from bot.importer.header import _read_choices, _read_costs, _read_frequency, _read_recipients, _read_visits, _read_websites
from bot.importer.sections import FIELD_LABELS, STOP_LABELS
from bot.importer.text import _label_pattern, key
from bot.importer.values import split_items, tidy
from bot.persian import to_latin_digits


def _is_scrambled(text: str) -> bool:
    """Text extracted from a right-to-left PDF in visual order shows itself by mirrored parentheses
    «)ره(» and by numbered labels written after their value («... :عنوان خدمت -1»)."""
    mirrored = len(re.findall(r"\)[\u0600-\u06ff\s]{1,20}\(", text))
    trailing = len(re.findall(r"[\u0600-\u06ff]\s*[-–]\s*[\d۰-۹]{1,2}\s*$", text, re.M))
    value_first = len(re.findall(r"\S\s*:\s*(?:عنوان|شناسه)[\s\u200c]*خدمت", text))
    return mirrored + trailing + value_first >= 3


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    from hazm.utils import words_list

    return frozenset(fold(w[0]) for w in words_list())


def _known(word: str) -> bool:
    words = _dictionary()
    w = fold(word)
    if not w or w.isdigit() or w in words:
        return True
    for suffix in ("هایی", "های", "ها", "یان", "ین", "ی", "ان", "ات"):
        if w.endswith(suffix) and w[: -len(suffix)] in words:
            return True
    return False


def _looks_scrambled(value: str) -> bool:
    if re.search(r"\)[^()]*\(|^و\s|\sو$", value):
        return True
    return any(not _known(w) for w in fold(value).split() if len(w) >= 3)


def _bag_label(line: str, label: str) -> tuple[int, int] | None:
    """Where a label's words are in a scrambled line: in any order, close together, possibly glued to a
    neighbour («بالادستیقوانین و مقررات», «مدتمتوسط»); the span of tokens they cover, or None."""
    tokens = [key(t) for t in line.replace(":", " ").split()]
    words = [key(w) for w in re.sub(r"\{[^}]*\}", " ", label).split() if key(w)]
    if not words or not tokens:
        return None
    spots: list[list[int]] = []
    for w in words:
        hits = [i for i, t in enumerate(tokens)
                if t == w or (len(w) >= 3 and len(t) > len(w) and (t.startswith(w) or t.endswith(w)))]
        if not hits:
            return None
        spots.append(hits)
    best: tuple[int, int] | None = None
    for first in spots[0]:
        chosen = [min(hits, key=lambda i: abs(i - first)) for hits in spots]
        start, end = min(chosen), max(chosen)
        if end - start <= len(words) + 1 and (best is None or end - start < best[1] - best[0]):
            best = (start, end)
    return best


def _unmirror(text: str) -> str:
    """Mirrored parentheses put back, and runs separated by wide gaps put back in reading order."""
    runs = [r for r in re.split(r"\s{2,}", text.strip()) if r.strip()]
    text = " ".join(reversed(runs)) if len(runs) > 1 else text
    text = re.sub(r"\)([^()]*)\(", r"(\1)", text)
    return text


def _read_scrambled_header(draft: Draft, text: str, has_boxes: bool) -> None:
    """Best effort on a scrambled card: a label is found by its words on a line, its value is the rest of
    the line (or the lines below it when the label stands alone); every value that still looks scrambled is
    flagged with the line it came from."""
    lines = [line for line in text.split("\n")]
    found: list[tuple[int, str, str]] = []  # (line index, field, label)
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        matches = [(name, label) for name, label in FIELD_LABELS
                   if label != "خدمت گیرندگان" and _bag_label(line, label)]  # that one is also part of others
        if matches:
            name, label = max(matches, key=lambda m: len(key(re.sub(r"\{[^}]*\}", " ", m[1]))))
            found.append((index, name, label))
    label_lines = {i for i, _, _ in found}
    stops = {i for i, line in enumerate(lines) for s in STOP_LABELS if _bag_label(line, s)}
    seen: set[str] = set()
    for index, name, label in found:
        if name in seen:
            continue
        seen.add(name)
        line = lines[index]
        following = []
        for j in range(index + 1, len(lines)):
            if j in label_lines or j in stops:
                break
            following.append(lines[j])
        below = "\n".join(following)
        raw = line + " / " + " / ".join(x.strip() for x in following if x.strip())
        value = _value_from_line(line, label)
        if name == "title":
            raw = line + " / " + " / ".join(x.strip() for x in following if x.strip())
        if name in ("costs", "in_person_visits", "recipients", "frequency") and not re.search(r"[\d۰-۹]", value):
            value = value + "\n" + below
        elif not key(value):
            value = below
        elif name != "title":
            raw = line
        _scrambled_field(draft, name, value, raw, has_boxes, lines, index)


def _value_from_line(line: str, label: str) -> str:
    """A scrambled line without its label: the label's words (also where they are glued to a neighbour)
    and the cut-off pieces of its long form next to it («ز آن:اخشی ب» of «بخشی از آن:») are dropped; the
    rest keeps its spacing, which tells the reversed runs apart."""
    spans = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[^\s:]+", line)]
    where = _bag_label(line, label)
    if where is None:
        return line
    start, end = where
    words = [key(w) for w in re.sub(r"\{[^}]*\}", " ", label).split() if key(w)]
    texts = [t for _, _, t in spans]
    for w in words:
        for i in range(start, end + 1):
            k = key(texts[i])
            if k == w:
                texts[i] = ""
                break
            if len(w) >= 3 and k.startswith(w):
                texts[i] = re.sub("^" + _label_pattern(w), "", texts[i])
                break
            if len(w) >= 3 and k.endswith(w):
                texts[i] = re.sub(_label_pattern(w) + "$", "", texts[i])
                break
    full = key(label.replace("{", " ").replace("}", " "))
    for direction in (range(start - 1, -1, -1), range(end + 1, len(texts))):
        for i in direction:
            if not _label_fragment(key(texts[i]), full):
                break
            texts[i] = ""
    for i in range(start, end + 1):
        if _label_fragment(key(texts[i]), full):
            texts[i] = ""
    out, last_end = "", None
    for (s, e, _), text in zip(spans, texts, strict=True):
        if not text:
            last_end = None if out else last_end
            continue
        if out:
            out += line[last_end:s] if last_end is not None else " "
        out += text
        last_end = e
    return out


def _label_fragment(k: str, full: str) -> bool:
    return not k or k in full or (len(k) >= 3 and fuzz.partial_ratio(k, full) >= 75)


def _scrambled_field(draft: Draft, name: str, value: str, raw: str, has_boxes: bool, lines: list[str], index: int) -> None:
    d = draft.data
    scrambled_reason = "از متن راست‌به‌چپِ به‌هم‌ریخته خوانده شد؛ ترتیب واژه‌ها شاید درست نباشد."
    if name == "id":
        digits = re.findall(r"\d{5,}", to_latin_digits(value))
        if len(digits) == 1:
            d["id"] = digits[0]
            draft.official_id = True
        return
    if name in ("service_types", "nature", "levels", "life_events", "start_triggers"):
        _read_choices(draft, name, value, VOCAB[name], has_boxes)
        return
    if name == "recipients":
        _read_recipients(draft, value, has_boxes)
        return
    if name == "frequency":
        _read_frequency(draft, value, has_boxes)
        return
    if name == "in_person_visits":
        _read_visits(draft, _value_from_line(value, "بار"))
        return
    if name == "costs":
        _read_costs(draft, value, quiet=True)
        if "costs" in d and not has_boxes:
            for i, _ in enumerate(d["costs"]):
                draft.flag(f"costs[{i}].electronic", "مبلغ خوانا است ولی علامت «پرداخت بصورت الکترونیک» از دست رفته.", raw)
        return
    if name == "websites":
        _read_websites(draft, lines[index] + "\n" + value)
        if "websites" in d and re.search(r"/https?://", lines[index]):
            draft.flag("websites", "نشانی در متن واژگونه آمده («/https://...») و «/» پایانی به جای خود برگردانده شد.",
                       lines[index])
            d["websites"] = [u if u.endswith("/") else u + "/" for u in d["websites"]]
        return
    if name in ("documents", "laws"):
        items = split_items(_unmirror(value))
        if items:
            d[name] = items
            if any(_looks_scrambled(i) for i in items):
                draft.flag(name, scrambled_reason, raw)
        return
    text = tidy(_unmirror(value))
    if name == "title":
        text = _best_piece(value) or text
        draft.flag("title", "عنوان از تکه‌های واژگونه بازسازی شد؛ با فرم اصلی مقایسه شود.", raw)
    if not text:
        return
    d[name] = text
    if name != "title" and (_looks_scrambled(text) or len(re.split(r"\s{2,}", value.strip())) > 1):
        draft.flag(name, scrambled_reason, raw)


def _best_piece(value: str) -> str:
    """Of the pieces of a scrambled line, the longest one made only of real words."""
    pieces = [tidy(p) for p in re.split(r"[()\-:؛]", value)]
    good = [p for p in pieces if p and all(_known(w) for w in fold(p).split())]
    return max(good, key=len) if good else ""
