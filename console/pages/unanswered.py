"""Unanswered questions, grouped and counted as `/unanswered` and `python -m bot stats` group them, each
with its messages; a clerk marks one handled (it comes back if asked again later) or sends it to a
service's editors as an alias or a need to add."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.sanitize import printable
from console import texts as T
from console.app import Forbidden, NotFound, Staff, audit, console_of, flash, page, redirect, render
from console.auth import Role
from console.pages.common import masked_account, service_title
from console.pages.period import period_of
from storage.masking import mask_personal_data

GROUPS_SHOWN = 50
MESSAGES_SHOWN = 10


@page()
async def list_unanswered(request: Request, staff: Staff) -> Response:
    """Lists the groups of the period, most frequent first, without those handled since last asked."""
    console = console_of(request)
    db = console.db
    params = dict(request.query_params)
    period = period_of(params, default_days=30)
    assert period is not None
    show_handled = params.get("handled") == "1"
    handled = await db.suggestions.handled()
    groups = []
    visible_accounts = None if staff.scope.everything else await db.log.accounts_asking_about(staff.scope.service_ids or ())
    for group in await db.log.unanswered(limit=GROUPS_SHOWN * 2, since=period.since):
        mark = handled.get(group.normalized)
        done = mark is not None and mark.handled_at >= group.last_seen
        if done and not show_handled:
            continue
        messages = []
        for e in await db.log.unanswered_messages(group.normalized, limit=MESSAGES_SHOWN):
            account = (e.platform, e.user_id)
            openable = e.user_id is not None and (visible_accounts is None or account in visible_accounts)
            messages.append({"entry": e, "link": f"/conversations/{e.id}" if openable else None,
                             "account": masked_account(*account) if openable and e.user_id is not None else None})
        groups.append({"group": group, "handled": mark if done else None, "messages": messages,
                       "example": printable(mask_personal_data(group.example or group.normalized))})
        if len(groups) >= GROUPS_SHOWN:
            break
    return render(request, staff, "unanswered.html", groups=groups, period=period, params=params,
                  show_handled=show_handled, services=staff.scope.services(console.knowledge))


@page(Role.CLERK)
async def mark_handled(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Marks a group handled as of now. Unanswered questions belong to no agency, so only a user of every
    agency may take one off everyone's list."""
    if not staff.scope.everything:
        raise Forbidden
    question = form.get("question", "")
    if not question:
        raise NotFound
    await console_of(request).db.suggestions.mark_handled(question, staff.actor)
    await audit(request, staff, T.ACT_HANDLED, None, printable(mask_personal_data(question))[:200])
    flash(request, staff, T.MARKED_HANDLED.format(text=printable(mask_personal_data(question))[:80]))
    return redirect(_back(form))


@page(Role.CLERK)
async def suggest(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Sends the question to the editors of a service the user may see, as an alias or a need."""
    console = console_of(request)
    question = form.get("question", "")
    service_id = form.get("service", "")
    kind = form.get("kind", "")
    text = " ".join(printable(mask_personal_data(form.get("text", ""))).split())[:300]
    if not question or not text or kind not in T.SUGGESTION_KINDS or console.knowledge.get(service_id) is None:
        flash(request, staff, T.SUGGESTION_INVALID)
        return redirect(_back(form))
    if not staff.scope.allows(service_id):
        raise NotFound
    note = " ".join(form.get("note", "").split())[:500] or None
    example = printable(mask_personal_data(form.get("example", "")))[:300] or None
    await console.db.suggestions.suggest(question, example, service_id, kind, text, note, staff.actor)
    await audit(request, staff, T.ACT_SUGGEST, service_id, f"{kind}: {text}")
    flash(request, staff, T.SUGGESTION_SENT.format(title=service_title(console.knowledge, service_id)))
    return redirect(_back(form))


def _back(form: dict[str, str]) -> str:
    back = form.get("back", "")
    return back if back.startswith("/unanswered") and not back.startswith("//") else "/unanswered"
