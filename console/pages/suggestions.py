"""The editor's suggestions queue: what the knowledge should learn, from both places it is asked for — a
clerk's «add as alias / need» on an unanswered question (`store.suggestions`) and a support-desk staff
member's on a ticket (`store.tickets`) — in one list that says where each came from. Accepting one opens the
service in the editor with the text added (check and preview first; it is marked accepted when that edit is
published); rejecting one records who and why.

A suggestion is named by its source and id: `u-12` (unanswered questions), `d-5` (support desk).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.sanitize import printable
from console import texts as T
from console.app import Console, NotFound, Staff, audit, console_of, flash, page, redirect, render
from console.auth import Role
from console.pages.common import service_title
from console.scope import Scope

SHOWN = 200
MIN_REASON = 3


@dataclass(frozen=True)
class Item:
    """One suggestion of either source, as the queue shows it."""

    ref: str
    source: str  # "unanswered" or "desk"
    service_id: str | None
    kind: str  # "alias" or "need"
    text: str
    question: str
    note: str | None
    created_by: str
    created_at: Any
    status: str
    decided_by: str | None
    decision_note: str | None


def _from_unanswered(s: Any) -> Item:
    return Item(f"u-{s.id}", "unanswered", s.service_id, s.kind, s.text, s.example or s.question, s.note,
                s.created_by, s.created_at, s.status, s.decided_by, s.decision_note)


def _from_desk(s: Any) -> Item:
    by = f"desk:{s.platform}:{s.staff_user_id}" if s.staff_user_id is not None else f"desk:{s.platform}"
    return Item(f"d-{s.id}", "desk", s.service_id, "alias" if s.service_id else "need", s.question, s.question,
                T.SUGGESTION_FROM_TICKET.format(ticket=s.ticket_id) if s.ticket_id else None, by, s.created_at,
                s.status, s.decided_by, s.decision_note)


async def find(console: Console, ref: str) -> Item | None:
    """The suggestion `ref` names, or None."""
    source, _, number = ref.partition("-")
    if not number.isdigit():
        return None
    if source == "u":
        found = await console.db.suggestions.get(int(number))
        return _from_unanswered(found) if found else None
    if source == "d":
        found = await console.db.tickets.get_suggestion(int(number))
        return _from_desk(found) if found else None
    return None


def visible(scope: Scope, item: Item) -> bool:
    """A suggestion for a service of the user's scope; one that names no service (a need from the desk),
    to every editor, who may add it to one of their services."""
    return item.service_id is None or scope.allows(item.service_id)


async def decide(console: Console, item: Item, status: str, by: str, note: str | None) -> bool:
    number = int(item.ref.split("-", 1)[1])
    if item.source == "unanswered":
        return await console.db.suggestions.decide(number, status, by, note)
    return await console.db.tickets.decide_suggestion(number, status, by, note)


@page(Role.EDITOR)
async def list_suggestions(request: Request, staff: Staff) -> Response:
    """The queue of both sources, newest first: open ones by default, or all with their decisions."""
    console = console_of(request)
    console.refresh_knowledge()
    scope = Scope.of(console.knowledge, staff.user.agency)
    wanted = request.query_params.get("status", "open")
    status = None if wanted == "all" else "open"
    items = [_from_unanswered(s) for s in await console.db.suggestions.suggestions(
        status=status, service_ids=scope.service_ids, limit=SHOWN)]
    items += [i for i in map(_from_desk, await console.db.tickets.suggestions(SHOWN, status=status)) if visible(scope, i)]
    items.sort(key=lambda i: i.created_at, reverse=True)
    titles = {i.service_id: service_title(console.knowledge, i.service_id) for i in items if i.service_id}
    return render(request, staff, "suggestions.html", items=items, wanted=wanted, titles=titles,
                  services=scope.services(console.knowledge))


@page(Role.EDITOR)
async def reject_suggestion(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Rejects an open suggestion with the reason the editor gives (recorded with their name)."""
    console = console_of(request)
    console.refresh_knowledge()
    item = await find(console, request.path_params["ref"])
    if item is None or not visible(Scope.of(console.knowledge, staff.user.agency), item):
        raise NotFound
    reason = " ".join(printable(form.get("reason", "")).split())[:500]
    if len(reason) < MIN_REASON:
        flash(request, staff, T.SUGGESTION_REASON_NEEDED)
        return redirect("/suggestions")
    if await decide(console, item, "rejected", staff.actor, reason):
        await audit(request, staff, T.ACT_SUGGESTION_REJECTED, item.service_id, f"{item.ref}: {item.text} — {reason}")
        flash(request, staff, T.SUGGESTION_REJECTED)
    return redirect("/suggestions")
