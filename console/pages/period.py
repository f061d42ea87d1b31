"""The time range a page shows: the last N days, or from one Jalali (or ISO) day to another, as staff pick
it; always whole days of Tehran time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.persian import TEHRAN, jalali_date
from bot.staff import day_start, parse_day
from console import texts as T

DAY_CHOICES = (1, 7, 30, 90, 365)


@dataclass(frozen=True)
class Period:
    since: dt.datetime
    until: dt.datetime
    days: int | None  # the N of "the last N days", None for a range typed by hand
    start_text: str  # the fields as typed, to show them back
    end_text: str
    problem: str | None = None

    @property
    def label(self) -> str:
        last = (self.until - dt.timedelta(seconds=1)).astimezone(TEHRAN)
        return f"{jalali_date(self.since)} تا {jalali_date(last)}"


def period_of(params: dict[str, str], default_days: int | None = 7, now: dt.datetime | None = None) -> Period | None:
    """The period of a page's query (`days`, or `from`/`to`); None with no period asked and no default."""
    now = now or dt.datetime.now(dt.UTC)
    today = now.astimezone(TEHRAN).date()
    start_text, end_text = params.get("from", "").strip(), params.get("to", "").strip()
    if start_text or end_text:
        try:
            first = parse_day(start_text) if start_text else None
            last = parse_day(end_text) if end_text else today
        except ValueError:
            return _last_days(today, default_days or 7, T.PERIOD_INVALID, start_text, end_text)
        if first is None:
            first = last - dt.timedelta(days=(default_days or 7) - 1)
        if last < first:
            first, last = last, first
        return Period(day_start(first), day_start(last + dt.timedelta(days=1)), None, start_text, end_text)
    try:
        days = int(params.get("days", "") or 0) or default_days
    except ValueError:
        days = default_days
    if days is None:
        return None
    return _last_days(today, max(1, min(days, 3660)))


def _last_days(today: dt.date, days: int, problem: str | None = None, start: str = "", end: str = "") -> Period:
    first = today - dt.timedelta(days=days - 1)
    return Period(day_start(first), day_start(today + dt.timedelta(days=1)), days, start, end, problem)
