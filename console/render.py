"""Pages from Jinja2 templates (console/templates), with the filters that make every number Persian, every
date Jalali and every amount of rials grouped; autoescaping on, since much of what is shown was typed by
citizens."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bot.identifiers import mask_mobile, mask_national_code
from bot.persian import format_rials, group_thousands, jalali_date, jalali_datetime, to_persian_digits
from bot.sanitize import printable
from console import texts as T
from storage.masking import mask_personal_data
from storage.requests import STATUS_LABELS


def _fa(value: object) -> str:
    return "" if value is None else to_persian_digits(str(value))


def _num(value: int | float | None) -> str:
    if value is None:
        return "—"
    return group_thousands(round(value))


def _jdate(value: dt.date | dt.datetime | None) -> str:
    return jalali_date(value) if value else "—"


def _jdatetime(value: dt.datetime | None) -> str:
    return jalali_datetime(value) if value else "—"


def _citizen_text(value: str | None) -> str:
    """Text a citizen typed, as staff read it: masked again (older rows were masked by narrower rules),
    without characters that hide or reorder text."""
    return printable(mask_personal_data(value)) if value else ""


def _rials_of(value: object) -> str:
    """An amount typed in a form, in rials with the toman shown; nothing when it is not a number yet."""
    text = str(value or "").replace(",", "").replace("٬", "")
    return format_rials(int(text)) if text.isascii() and text.isdigit() else ""


def _json_data(value: Any) -> Markup:
    """Data for a script to read from a <script type="application/json"> block: no `<` that could close it."""
    text = json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _query(params: dict[str, str], **changes: object) -> str:
    """The query string of `params` with some changed (a pager's next and previous pages)."""
    merged = {**params, **{k: str(v) for k, v in changes.items()}}
    return urlencode({k: v for k, v in merged.items() if v not in ("", "0") or k != "offset"})


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("console", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        fa=_fa,
        num=_num,
        rials=format_rials,
        jdate=_jdate,
        jdatetime=_jdatetime,
        citizen=_citizen_text,
        printable=lambda v: printable(str(v)) if v is not None else "",
        mask_code=lambda v: mask_national_code(v) if v else "—",
        mask_mobile=lambda v: mask_mobile(v) if v else "—",
        json_data=_json_data,
        actor=lambda v: {"citizen": "شهروند"}.get(v or "", printable(v) if v else "—"),
    )
    env.globals.update(
        STATUS_LABELS=STATUS_LABELS,
        ROLE_LABELS=T.ROLE_LABELS,
        ROLE_RIGHTS=T.ROLE_RIGHTS,
        INTENT_LABELS=T.INTENT_LABELS,
        PLATFORMS=T.PLATFORMS,
        SUGGESTION_KINDS=T.SUGGESTION_KINDS,
        SUGGESTION_STATUS=T.SUGGESTION_STATUS,
        SUGGESTION_SOURCES=T.SUGGESTION_SOURCES,
        T=T,
        query=_query,
        rials_of=_rials_of,
    )
    return env
