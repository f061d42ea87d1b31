"""Checkbox reading: the options each box group of the form prints, the card's text cut into boxes, options
and free text (`tokenize`), and each box paired with the option beside it (`pair_boxes`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.importer.text import BOXES, CHECKED, UNCHECKED, key, similarity
from bot.knowledge import (
    CHANNELS,
    IN_PERSON_REASONS,
    LEVELS,
    LIFE_EVENTS,
    NATURES,
    PERIODS,
    SERVICE_TYPES,
    START_TRIGGERS,
    VISIT_LEVELS,
)


@dataclass(frozen=True)
class Option:
    """One printed label of a box group: what it means (`kind`, `code`) and its comparison key."""

    kind: str  # the vocabulary ("channel", "reason", ...) or "noise" for headings that are not options
    code: str
    label: str
    key: str


def _vocab(kind: str, labels: dict[str, str | tuple[str, ...]]) -> list[Option]:
    out = []
    for code, label in labels.items():
        for variant in (label,) if isinstance(label, str) else label:
            out.append(Option(kind, code, variant, key(variant)))
    return out


def _noise(*labels: str) -> list[Option]:
    return [Option("noise", "", label, key(label)) for label in labels]


def _with(base: dict[str, str], extra: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {code: (label, *extra.get(code, ())) for code, label in base.items()}


# The options of each box group as the form prints them (the model's labels plus the form's longer
# wordings). «سایر» of a reason list is the bare word; the channel list's is «سایر (با ذکر نحوه دسترسی)».
VOCAB: dict[str, list[Option]] = {
    "service_types": _vocab("service_types", {
        code: (label, f"{label} ({code})", code) for code, label in SERVICE_TYPES.items()
    }),
    "nature": _vocab("nature", NATURES),
    "levels": _vocab("levels", LEVELS),
    "life_events": _vocab("life_events", LIFE_EVENTS),
    "start_triggers": _vocab("start_triggers", START_TRIGGERS),
    "period": _vocab("period", PERIODS) + _noise("خدمت گیرندگان در"),
    "frequency": _vocab("period", PERIODS) + _vocab("frequency", {
        "once_forever": ("یکبار برای همیشه", "یک بار برای همیشه"),
        "continuous": ("بطور مداوم در", "به طور مداوم در", "بطور مداوم"),
    }),
    "stage": (
        _vocab("electronic", {"yes": "الکترونیکی", "no": ("غیر الکترونیکی", "غیرالکترونیک")})
        + _vocab("channel", _with({c: label for c, label in CHANNELS.items() if c != "other"}, {
            "web": ("اینترنتی (مانند وبگاه دستگاه)", "اینترنتی (مانند درگاه دستگاه)", "اینترنتی"),
            "mobile_app": ("تلفن همراه",),
            "call_center": ("تلفن گویا یا مرکز تماس",),
            "similar_offices": ("عنوان مشابه دفاتر پیشخوان",),
            "intranet": ("اینترنتی (مانند اینترانت داخلی دستگاه یا ERP)", "اینترانتی (مانند اینترانت داخلی دستگاه یا ERP)"),
        }) | {"other": ("سایر (با ذکر نحوه دسترسی)",)})
        + _vocab("reason", _with(IN_PERSON_REASONS, {
            "identity_verification": ("جهت احراز اصالت فرد",),
            "document_verification": ("جهت احراز اصالت مدرک",),
        }))
        + _vocab("visit_level", VISIT_LEVELS)
        + _vocab("stage", {
            "information": ("در مرحله اطلاع رسانی خدمت", "مرحله اطلاع رسانی خدمت"),
            "request": ("در مرحله درخواست خدمت", "مرحله درخواست خدمت"),
            "production": ("مرحله تولید خدمت (فرایند داخل دستگاه یا ارتباط با دیگر دستگاه ها)", "مرحله تولید خدمت"),
            "delivery": ("در مرحله ارائه خدمت", "مرحله ارائه خدمت"),
        })
        + _noise("ذکر ضرورت مراجعه حضوری", "در صورت مراجعه حضوری", "مراجعه به دستگاه",
                 "شماره قرارداد واگذاری خدمات به دفاتر پیشخوان", "رسانه ارتباطی خدمت", "نوع ارائه", "مراحل خدمت",
                 "نحوه دسترسی به خدمت")
    ),
    "offline_by": _vocab("offline_by", {"agency": "دستگاه", "applicant": "مراجعه کننده"}),
}
_MAX_WORDS = 14  # the longest printed option, in words


# --------------------------------------------------------------------------------------------------
# Boxes and their labels
# --------------------------------------------------------------------------------------------------


@dataclass
class Token:
    """A box, a recognised option, or free text, in the order the card shows them."""

    type: str  # "box", "option", "text"
    text: str
    checked: bool = False
    option: Option | None = None
    score: float = 0.0


@dataclass
class Mark:
    """A box and the option it was paired with (None when no printed option is next to it), plus any text
    written after the option (the «سایر: ...» note)."""

    checked: bool
    option: Option | None
    note: str = ""
    raw: str = ""
    score: float = 1.0


def _segment_words(text: str, vocab: list[Option]) -> list[Token]:
    """Splits text between boxes into options and free text, choosing the split that covers the most label
    letters with the fewest pieces (a cell may hold two options when a box was lost)."""
    words = text.split()
    n = len(words)
    if not n:
        return []
    best: list[tuple[float, int, Option | None, float]] = [(0.0, -1, None, 0.0)] + [(-1e9, -1, None, 0.0)] * n
    cache: dict[str, tuple[Option | None, float]] = {}
    for j in range(1, n + 1):
        best[j] = (best[j - 1][0], j - 1, None, 0.0)
        for i in range(max(0, j - _MAX_WORDS), j):
            k = key(" ".join(words[i:j]))
            if not k:
                continue
            if k not in cache:
                scored = [(similarity(k, o.key), o) for o in vocab]
                top = max(scored, key=lambda s: (s[0], len(s[1].key)), default=(0.0, None))
                cache[k] = (top[1], top[0]) if top[0] > 0 else (None, 0.0)
            option, sim = cache[k]
            if option is None:
                continue
            score = best[i][0] + sim * min(len(k), len(option.key)) - 0.5
            if score > best[j][0] + 1e-9:
                best[j] = (score, i, option, sim)
    tokens: list[Token] = []
    j = n
    while j > 0:
        _, i, option, sim = best[j]
        piece = " ".join(words[i:j])
        if option is None:
            if tokens and tokens[-1].type == "text":
                tokens[-1].text = piece + " " + tokens[-1].text
            else:
                tokens.append(Token("text", piece))
        else:
            tokens.append(Token("option", piece, option=option, score=sim))
        j = i
    tokens.reverse()
    return tokens


def tokenize(text: str, vocab: list[Option]) -> list[Token]:
    """Boxes and the options and text between them."""
    tokens: list[Token] = []
    for part in re.split(f"([{BOXES}])", text):
        if part in (CHECKED, UNCHECKED):
            tokens.append(Token("box", part, checked=part == CHECKED))
        elif part.strip():
            tokens.extend(_segment_words(part, vocab))
    return tokens


def pair_boxes(tokens: list[Token]) -> tuple[list[Mark], list[Token]]:
    """Pairs each box with the option printed beside it. Usually the option follows its box, but some
    extractions put it before (ملی ☐ استانی ☐), and a lost box or label shifts the rest; so the pairing
    that pairs the most boxes wins, and among those the one with the most box-then-option pairs. Returns
    the marks and the options left without a box."""
    seq = [t for t in tokens if t.type == "box" or (t.type == "option" and t.option.kind != "noise")]
    n = len(seq)
    # best[i] = (pairs, forward pairs, choice) over seq[:i]
    best: list[tuple[int, int, int]] = [(0, 0, 0)] * (n + 1)
    for i in range(1, n + 1):
        best[i] = (best[i - 1][0], best[i - 1][1], 0)
        if i >= 2 and {seq[i - 2].type, seq[i - 1].type} == {"box", "option"}:
            forward = 1 if seq[i - 2].type == "box" else 0
            cand = (best[i - 2][0] + 1, best[i - 2][1] + forward, 1)
            if cand[:2] > best[i][:2]:
                best[i] = cand
    pairs: dict[int, int] = {}  # id(box token) -> id(option token)
    i = n
    while i > 0:
        if best[i][2]:
            a, b = seq[i - 2], seq[i - 1]
            box, opt = (a, b) if a.type == "box" else (b, a)
            pairs[id(box)] = id(opt)
            i -= 2
        else:
            i -= 1
    paired_options = set(pairs.values())
    by_id = {id(t): t for t in tokens}
    marks: list[Mark] = []
    for index, token in enumerate(tokens):
        if token.type != "box":
            continue
        opt = by_id.get(pairs.get(id(token), -1))
        note = _note_after(tokens, tokens.index(opt) if opt else index)
        raw = " ".join(t.text for t in tokens[index : index + 3])
        marks.append(Mark(token.checked, opt.option if opt else None, note, raw, opt.score if opt else 0.0))
    loose = [t for t in tokens if t.type == "option" and t.option.kind != "noise" and id(t) not in paired_options]
    return marks, loose


def _note_after(tokens: list[Token], index: int) -> str:
    """The free text written right after an option (or its box), up to the next box or option."""
    out = []
    for t in tokens[index + 1 :]:
        if t.type == "box" or (t.type == "option" and t.option.kind != "noise"):
            break
        if t.type == "text":
            out.append(t.text)
    return _clean_note(" ".join(out))


def _clean_note(text: str) -> str:
    text = re.sub(r"[.…]{2,}|…", " ", text)
    text = text.strip(" \t:：-–—،,.()")
    return " ".join(text.split())
