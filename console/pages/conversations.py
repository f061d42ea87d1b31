"""Conversations: a search over the log (period, service, found or not, words), and one chat account's
messages as a transcript. The log holds no personal numbers (masked when written); what «show unmasked»
adds, for a clerk who states a reason (recorded), is the chat account and the personal data of its requests.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.folding import fold
from bot.persian import to_persian_digits
from console import texts as T
from console.app import NotFound, Staff, audit, console_of, flash, page, redirect, render
from console.auth import Role
from console.pages.common import PAGE_SIZE, full_account, masked_account, offset_of, service_title, wanted_service
from console.pages.period import period_of
from console.scope import visible_exchanges

MIN_REASON = 5
TRANSCRIPT_LIMIT = 500


@page()
async def list_conversations(request: Request, staff: Staff) -> Response:
    """Lists the conversations that match the filters, the latest first."""
    console = console_of(request)
    params = dict(request.query_params)
    period = period_of(params, default_days=30)
    assert period is not None
    service = wanted_service(staff, params.get("service"))
    found = {"yes": True, "no": False}.get(params.get("found", ""))
    words = " ".join(params.get("q", "").split())[:200]
    offset = offset_of(params.get("offset"))
    rows = await console.db.log.conversations(
        since=period.since, until=period.until, service_ids=[service] if service else None,
        scope=staff.scope.service_ids, found=found, text=[words, fold(words)] if words else None,
        limit=PAGE_SIZE + 1, offset=offset,
    )
    more = len(rows) > PAGE_SIZE
    items = [
        {"row": row, "account": masked_account(row.platform, row.user_id),
         "services": [service_title(console.knowledge, s) for s in row.service_ids if staff.scope.allows(s)]}
        for row in rows[:PAGE_SIZE]
    ]
    return render(request, staff, "conversations.html", items=items, period=period, params=params,
                  services=staff.scope.services(console.knowledge), more=more, offset=offset, page_size=PAGE_SIZE)


async def _account(request: Request, staff: Staff, ref: int) -> tuple[str | None, int]:
    """The chat account a conversation link names, if this user may see it; else "not found"."""
    db = console_of(request).db
    account = await db.log.account_of(ref)
    if account is None:
        raise NotFound
    if not staff.scope.everything and not await db.log.asked_about(*account, staff.scope.service_ids or ()):
        raise NotFound
    return account


def _grant_key(account: tuple[str | None, int]) -> str:
    return f"conversation:{account[0]}:{account[1]}"


@page()
async def show_conversation(request: Request, staff: Staff) -> Response:
    """Shows one chat account's messages in time order, as a chat."""
    console = console_of(request)
    ref = request.path_params["ref"]
    platform, user_id = await _account(request, staff, ref)
    entries = list(reversed(await console.db.log.query(user_id=user_id, platform=platform, limit=TRANSCRIPT_LIMIT)))
    shown = visible_exchanges(entries, staff.scope)
    unmasked = staff.can(Role.CLERK) and console.grants.has(staff.session.token_hash, _grant_key((platform, user_id)))
    requests = [r for r in await console.db.requests.for_user(platform, user_id, limit=20) if staff.scope.allows(r.service_id)]
    return render(
        request, staff, "conversation.html", ref=ref, shown=shown, unmasked=unmasked, requests=requests,
        account=full_account(platform, user_id) if unmasked else masked_account(platform, user_id),
        titles={e.service_id: service_title(console.knowledge, e.service_id) for e in entries if e.service_id},
        request_titles={r.service_id: service_title(console.knowledge, r.service_id) for r in requests},
        truncated=len(entries) >= TRANSCRIPT_LIMIT, min_reason=MIN_REASON,
    )


@page(Role.CLERK)
async def unmask_conversation(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Records the reason, then shows the conversation with its account and requests unmasked for a while."""
    console = console_of(request)
    ref = request.path_params["ref"]
    account = await _account(request, staff, ref)
    reason = " ".join(form.get("reason", "").split())
    if len(reason) < MIN_REASON:
        flash(request, staff, T.REASON_NEEDED.format(n=to_persian_digits(MIN_REASON)))
        return redirect(f"/conversations/{ref}")
    await audit(request, staff, T.ACT_UNMASK_CONVERSATION, f"{account[0]}:{account[1]}", reason)
    console.grants.give(staff.session.token_hash, _grant_key(account))
    return redirect(f"/conversations/{ref}")
