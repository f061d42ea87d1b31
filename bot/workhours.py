"""The support desk's working hours (BOT_SUPPORT_HOURS), read once, and the "roughly when" a person answers.

A setting such as ``sat-wed 08:00-16:00`` (the Iranian week starts on Saturday; ``sat-wed,thu`` and
``8-14`` work too) becomes `WorkingHours`, which tells whether staff are at work at a given moment (Tehran
time) and when they are next, in words a citizen reads: «امروز ساعت ۸:۰۰», «فردا (یکشنبه) ساعت ۸:۰۰».
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from bot.persian import TEHRAN, to_persian_digits

# The week as Iranians count it, with Python's weekday numbers (Monday = 0).
DAYS: dict[str, int] = {"sat": 5, "sun": 6, "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4}
WEEK = ("sat", "sun", "mon", "tue", "wed", "thu", "fri")
DAY_NAMES = {5: "شنبه", 6: "یکشنبه", 0: "دوشنبه", 1: "سه‌شنبه", 2: "چهارشنبه", 3: "پنجشنبه", 4: "جمعه"}
DEFAULT = "sat-wed 08:00-16:00"

MSG_FORMAT = ("BOT_SUPPORT_HOURS: «{text}» خوانده نشد؛ به شکل «sat-wed 08:00-16:00» بنویسید "
              "(روزها: sat sun mon tue wed thu fri)")
MSG_ORDER = "BOT_SUPPORT_HOURS: ساعت پایان ({end}) باید بعد از ساعت شروع ({start}) باشد"

_TIME = r"(\d{1,2})(?::(\d{2}))?"
_HOURS = re.compile(rf"^{_TIME}\s*-\s*{_TIME}$")


@dataclass(frozen=True)
class WorkingHours:
    """The days (Python weekday numbers) and the hours of a day, Tehran time, when staff answer."""

    days: frozenset[int]
    start: _dt.time
    end: _dt.time

    def is_open(self, when: _dt.datetime) -> bool:
        """Whether staff are at work at `when` (an aware datetime)."""
        local = when.astimezone(TEHRAN)
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_opening(self, when: _dt.datetime) -> _dt.datetime:
        """The next moment staff start work after `when` (Tehran time); `when` itself if they are at work."""
        local = when.astimezone(TEHRAN)
        if self.is_open(local):
            return local
        for ahead in range(8):
            day = local.date() + _dt.timedelta(days=ahead)
            opening = _dt.datetime.combine(day, self.start, TEHRAN)
            if day.weekday() in self.days and opening > local:
                return opening
        return local  # no working day at all: nothing better to say

    def describe(self) -> str:
        """«شنبه تا چهارشنبه، ساعت ۸:۰۰ تا ۱۶:۰۰»."""
        ordered = [DAYS[d] for d in WEEK if DAYS[d] in self.days]
        runs: list[list[int]] = []
        for day in ordered:
            if runs and WEEK.index(_key(day)) == WEEK.index(_key(runs[-1][-1])) + 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        parts = [DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]} تا {DAY_NAMES[r[-1]]}" for r in runs]
        return f"{'، '.join(parts)}، ساعت {_clock(self.start)} تا {_clock(self.end)}"

    def when_text(self, now: _dt.datetime) -> str:
        """When staff answer, seen from `now`: «امروز ساعت ۸:۰۰», «فردا (یکشنبه) ساعت ۸:۰۰», «شنبه ساعت ۸:۰۰»."""
        local = now.astimezone(TEHRAN)
        opening = self.next_opening(local)
        days = (opening.date() - local.date()).days
        at = f"ساعت {_clock(opening.time())}"
        if days == 0:
            return f"امروز {at}"
        if days == 1:
            return f"فردا ({DAY_NAMES[opening.weekday()]}) {at}"
        return f"{DAY_NAMES[opening.weekday()]} {at}"


def _key(weekday: int) -> str:
    return next(k for k, v in DAYS.items() if v == weekday)


def _clock(t: _dt.time) -> str:
    return to_persian_digits(f"{t.hour}:{t.minute:02d}")


def parse_hours(text: str) -> WorkingHours:
    """`sat-wed 08:00-16:00` → WorkingHours; raises ValueError with a Persian message naming the setting."""
    raw = " ".join(str(text).split()).lower()
    days_part, _, hours_part = raw.rpartition(" ")
    m = _HOURS.match(hours_part)
    if not m:
        raise ValueError(MSG_FORMAT.format(text=text))
    try:
        start = _dt.time(int(m.group(1)), int(m.group(2) or 0))
        end = _dt.time(int(m.group(3)), int(m.group(4) or 0)) if m.group(3) != "24" else _dt.time(23, 59, 59)
    except ValueError:
        raise ValueError(MSG_FORMAT.format(text=text)) from None
    if end <= start:
        raise ValueError(MSG_ORDER.format(start=hours_part.split("-")[0], end=hours_part.split("-")[1]))
    days: set[int] = set()
    for part in (days_part or "sat-fri").replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(MSG_FORMAT.format(text=text))
        i, j = WEEK.index(first), WEEK.index(last or first)
        if j < i:  # a range across Friday: thu-sat
            j += 7
        days.update(DAYS[WEEK[k % 7]] for k in range(i, j + 1))
    return WorkingHours(frozenset(days), start, end)
