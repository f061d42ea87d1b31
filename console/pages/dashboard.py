"""The dashboard: messages per day, found and not found, the most asked services and question types,
requests by status, for a period the user picks; charts (Chart.js, drawn by static/js/dashboard.js from
the JSON the page carries) with the same figures as tables beside them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.persian import JALALI_MONTHS, to_persian_digits
from console import texts as T
from console.app import Staff, console_of, page, render
from console.pages.common import service_title
from console.pages.period import DAY_CHOICES, period_of
from storage.requests import STATUS_LABELS


def _day_label(day) -> str:
    import jdatetime

    j = jdatetime.date.fromgregorian(date=day)
    return to_persian_digits(f"{j.day} {JALALI_MONTHS[j.month - 1]}")


@page()
async def show_dashboard(request: Request, staff: Staff) -> Response:
    """Shows the figures of the period (7 days unless asked), of the user's agency only if they have one."""
    console = console_of(request)
    db, scope = console.db, staff.scope
    period = period_of(dict(request.query_params))
    assert period is not None
    days = await db.log.activity(period.since, period.until, service_ids=scope.service_ids)
    services = await db.log.service_counts(period.since, period.until, service_ids=scope.service_ids, limit=10)
    intents = await db.log.intent_counts(period.since, period.until, service_ids=scope.service_ids)
    statuses = await db.requests.count_by_status(service_ids=scope.service_ids, since=period.since, until=period.until)
    totals = {
        "incoming": sum(d.incoming for d in days),
        "answered": sum(d.answered for d in days),
        "unanswered": sum(d.unanswered for d in days),
        "requests": sum(statuses.values()),
    }
    top_services = [(service_title(console.knowledge, sid), n) for sid, n in services]
    top_intents = [(T.INTENT_LABELS.get(name, name), n) for name, n in intents]
    by_status = [(STATUS_LABELS[s], statuses.get(s, 0)) for s in STATUS_LABELS]
    charts = {
        "days": {"labels": [_day_label(d.day) for d in days], "incoming": [d.incoming for d in days],
                 "answered": [d.answered for d in days], "unanswered": [d.unanswered for d in days],
                 "users": [d.users for d in days]},
        "found": {"labels": ["پاسخ داده شد", "پیدا نشد"], "values": [totals["answered"], totals["unanswered"]]},
        "services": {"labels": [t for t, _ in top_services], "values": [n for _, n in top_services]},
        "intents": {"labels": [t for t, _ in top_intents], "values": [n for _, n in top_intents]},
        "statuses": {"labels": [t for t, _ in by_status], "values": [n for _, n in by_status]},
    }
    return render(request, staff, "dashboard.html", period=period, day_choices=DAY_CHOICES, days=days,
                  totals=totals, top_services=top_services, top_intents=top_intents, by_status=by_status,
                  charts=charts)
