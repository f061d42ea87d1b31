"""Requests: the queue with filters (status, service, registration period), one request with its form
answers and history, and the status change with a note — stored exactly as `python -m bot requests
set-status` stores it, so the running bot tells the citizen in the chat. National codes, mobiles and the
personal answers are masked unless a clerk states a reason (recorded in the audit trail)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.forms import display, fields_of
from bot.identifiers import mask_mobile, mask_national_code
from bot.persian import to_persian_digits
from bot.staff import DUPLICATE_MARK, NON_PERSONAL_FIELD_TYPES
from console import texts as T
from console.app import NotFound, Staff, audit, console_of, flash, page, redirect, render
from console.auth import Role
from console.pages.common import PAGE_SIZE, full_account, masked_account, offset_of, service_title, wanted_service
from console.pages.period import period_of
from storage import Request as CitizenRequest
from storage import RequestNotFound
from storage.requests import ALLOWED_NEXT, STATUS_LABELS, STATUSES

MIN_REASON = 5


@page()
async def list_requests(request: Request, staff: Staff) -> Response:
    """Lists the requests that match the filters, newest first, numbers masked."""
    console = console_of(request)
    params = dict(request.query_params)
    status = params.get("status") if params.get("status") in STATUSES else None
    service = wanted_service(staff, params.get("service"))
    period = period_of(params, default_days=None)
    offset = offset_of(params.get("offset"))
    rows = await console.db.requests.list(
        status=status, service_id=service, limit=PAGE_SIZE + 1, offset=offset, service_ids=staff.scope.service_ids,
        since=period.since if period else None, until=period.until if period else None,
        duplicates_only=params.get("duplicates") == "1",
    )
    return render(request, staff, "requests.html", rows=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, offset=offset,
                  params=params, period=period, services=staff.scope.services(console.knowledge),
                  titles={r.service_id: service_title(console.knowledge, r.service_id) for r in rows},
                  duplicate_mark=DUPLICATE_MARK, page_size=PAGE_SIZE)


async def _request(request: Request, staff: Staff) -> CitizenRequest:
    """The request of the URL's code, if this user may see it; else "not found"."""
    found = await console_of(request).db.requests.get(request.path_params["code"])
    if found is None or not staff.scope.allows(found.service_id):
        raise NotFound
    return found


def _grant_key(code: str) -> str:
    return f"request:{code}"


def _answers(knowledge, r: CitizenRequest, unmasked: bool) -> list[dict[str, Any]]:
    """The form answers as rows (label, value); personal ones masked unless `unmasked`."""
    service = knowledge.get(r.service_id)
    fields = {f.name: f for f in fields_of(service)} if service else {}
    rows = []
    for name, value in r.data.items():
        f = fields.get(name)
        label = f.label if f else name
        if unmasked:
            shown = display(f, value) if f else to_persian_digits(str(value))
        elif f is not None and f.type in NON_PERSONAL_FIELD_TYPES:
            shown = display(f, value)
        elif f is not None and f.type == "national_code" and value:
            shown = mask_national_code(str(value))
        elif f is not None and f.type == "mobile" and value:
            shown = mask_mobile(str(value))
        else:
            shown = None  # hidden
        rows.append({"label": label, "value": shown})
    return rows


@page()
async def show_request(request: Request, staff: Staff) -> Response:
    """Shows one request: service, status, identity (masked), answers, history, and the status form."""
    console = console_of(request)
    r = await _request(request, staff)
    unmasked = staff.can(Role.CLERK) and console.grants.has(staff.session.token_hash, _grant_key(r.tracking_code))
    next_statuses = [(s, STATUS_LABELS[s]) for s in STATUSES if s in ALLOWED_NEXT.get(r.status, ())]
    if unmasked:
        identity = {"code": r.national_code or "—", "mobile": r.mobile or "—",
                    "account": full_account(r.platform, r.user_id)}
    else:
        identity = {"code": mask_national_code(r.national_code) if r.national_code else "—",
                    "mobile": mask_mobile(r.mobile) if r.mobile else "—",
                    "account": masked_account(r.platform, r.user_id)}
    service = console.knowledge.get(r.service_id)
    return render(request, staff, "request.html", r=r, title=service_title(console.knowledge, r.service_id),
                  costs=list(service.costs or ()) if service else [],
                  unmasked=unmasked, identity=identity, answers=_answers(console.knowledge, r, unmasked),
                  next_statuses=next_statuses, duplicate_mark=DUPLICATE_MARK, min_reason=MIN_REASON)


@page(Role.CLERK)
async def change_status(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Moves the request to the chosen status with the note; the running bot tells the citizen."""
    console = console_of(request)
    r = await _request(request, staff)
    status = form.get("status", "")
    note = " ".join(form.get("note", "").split()) or None
    try:
        changed = await console.db.requests.set_status(r.tracking_code, status, note=note, actor=staff.actor)
    except RequestNotFound as exc:
        raise NotFound from exc
    except ValueError as exc:
        flash(request, staff, str(exc))
        return redirect(f"/requests/{r.tracking_code}")
    await audit(request, staff, T.ACT_SET_STATUS, changed.tracking_code, f"{changed.status}" + (f" — {note}" if note else ""))
    flash(request, staff, T.STATUS_CHANGED.format(code=to_persian_digits(changed.tracking_code), label=changed.status_label))
    return redirect(f"/requests/{changed.tracking_code}")


@page(Role.CLERK)
async def unmask_request(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Records the reason, then shows the request's personal data for a while."""
    console = console_of(request)
    r = await _request(request, staff)
    reason = " ".join(form.get("reason", "").split())
    if len(reason) < MIN_REASON:
        flash(request, staff, T.REASON_NEEDED.format(n=to_persian_digits(MIN_REASON)))
        return redirect(f"/requests/{r.tracking_code}")
    await audit(request, staff, T.ACT_UNMASK_REQUEST, r.tracking_code, reason)
    console.grants.give(staff.session.token_hash, _grant_key(r.tracking_code))
    return redirect(f"/requests/{r.tracking_code}")
