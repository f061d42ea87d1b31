"""The support desk, the staff's side: what staff do in the support group (BOT_SUPPORT_CHAT_ID) — reply to a
ticket's message or to a relayed follow-up (the citizen gets it as from "the support team"), tap the
ticket's buttons (take, close, suggest its question as a name of a service), and the group's commands
(/open, /ticket N, /request CODE, /status CODE STATUS [note]). Only BOT_STAFF_IDS and the admins count;
anyone else in the group can do nothing. The citizen's side, the tickets' posts and the delivery of relays
are in bot/dialogue/desk.py.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot import texts as T
from bot.dialogue import staff
from bot.dialogue.channel import Outbox, Post, StaffTurn, TurnResult
from bot.dialogue.desk import (
    RELAYED_FILES,
    command_name,
    deliver_relay,
    enabled,
    group_chat,
    notify,
    post_in_group,
    relaying,
    shorten,
    ticket_number,
    ticket_reply,
)
from bot.payload import Action, TicketOp, parse, ticket
from bot.persian import jalali_datetime, to_latin_digits, to_persian_digits
from bot.reply import Button, Reply, bold
from bot.sanitize import printable
from storage import RequestNotFound, Ticket, normalize_tracking_code
from storage.requests import STATUS_LABELS, STATUSES

if TYPE_CHECKING:
    from bot.dialogue.core import Dialogue

SUGGESTED_SERVICES = 5  # the services offered on a ticket's «suggest» button
# A ticket's number at the start of a message the bot sent in the group («🎫 #12 ...», «💬 #12 ...»): a
# reply to it belongs to that ticket even when its message id was never confirmed.
_NUMBER_MARK = re.compile(r"^\W{0,4}#([0-9۰-۹]{1,12})")


async def staff_turn(d: Dialogue, turn: StaffTurn, out: Outbox) -> TurnResult:
    """A message or a tap in the staff group. Only staff act; anyone else is ignored (a tap is told so)."""
    if turn.text is not None and command_name(turn.text) == "chatid" and d.is_admin(turn.user_id):
        # Setting the desk up: an admin asks a group for its id (BOT_SUPPORT_CHAT_ID).
        await out.post(turn.chat_id, Post(Reply(T.DESK_CHAT_ID.format(chat_id=turn.chat_id)), reply_to=turn.message_id))
        return TurnResult()
    if not enabled(d) or turn.chat_id != group_chat(d):
        return TurnResult()
    if not d.settings.is_staff(d.platform, turn.user_id):
        return TurnResult(alert=T.DESK_NOT_STAFF if turn.button is not None else None)
    if turn.button is not None:
        return await _staff_tap(d, turn, out)
    if turn.text is not None and turn.text.startswith("/"):
        await post_in_group(d, out, await _staff_command(d, turn), reply_to=turn.message_id)
        return TurnResult()
    if turn.reply_to is None:
        return TurnResult()  # staff talking among themselves
    replied = await _ticket_replied_to(d, turn)
    if replied is None:
        return TurnResult()
    if not replied.is_open:
        await post_in_group(d, out, Reply(T.DESK_IS_CLOSED.format(number=ticket_number(replied.id))), reply_to=turn.message_id)
        return TurnResult()
    kind = "text" if turn.text is not None else turn.kind
    if kind not in ("text", *RELAYED_FILES) or (kind != "text" and not turn.file_id):
        await post_in_group(d, out, Reply(T.DESK_STAFF_KINDS), reply_to=turn.message_id)
        return TurnResult()
    raw = turn.text if kind == "text" else turn.caption
    text = printable(raw, newlines=True).strip() if raw else None
    if kind == "text" and not text:
        return TurnResult()
    source = f"{turn.chat_id}:{turn.message_id}" if turn.message_id is not None else None
    async with relaying(d, replied.user_id):
        if replied.taken_by is None:  # whoever answers first has taken it
            replied = await d.store.tickets.take(replied.id, turn.user_id, _staff_name(turn)) or replied
        stored = await d.store.tickets.add_message(
            replied.id, d.platform, "to_citizen", "staff", kind=kind, text=text,
            file_id=turn.file_id if kind != "text" else None, source=source, staff_user_id=turn.user_id,
        )
        if stored is not None:
            await deliver_relay(d, out, replied, stored)
    return TurnResult()


def _staff_name(turn: StaffTurn) -> str:
    return shorten(printable(turn.name), 40) or str(turn.user_id)


async def _ticket_replied_to(d: Dialogue, turn: StaffTurn) -> Ticket | None:
    """The ticket of the group message a staff member replied to: by its id, else by the number at the
    start of a message the bot sent (one whose id the platform never confirmed)."""
    assert turn.reply_to is not None
    found = await d.store.tickets.by_group_message(d.platform, turn.reply_to)
    if found is not None:
        return found
    mark = _NUMBER_MARK.match(turn.reply_to_text or "")
    if mark is None:
        return None
    found = await d.store.tickets.get(int(to_latin_digits(mark.group(1))))
    return found if found is not None and found.platform == d.platform else None


async def _staff_tap(d: Dialogue, turn: StaffTurn, out: Outbox) -> TurnResult:
    """Take, close, or suggest what the knowledge should learn from a ticket."""
    p = parse(turn.button)
    if p is None or p.action is not Action.TICKET:
        return TurnResult(alert=T.STALE_BUTTON)
    op = p.arg(0)
    found = await d.store.tickets.get(p.number(1))
    if found is None or found.platform != d.platform:
        return TurnResult(alert=T.STALE_BUTTON)
    name, number = _staff_name(turn), ticket_number(found.id)
    if op == TicketOp.TAKE:
        if not found.is_open:
            return TurnResult(alert=T.DESK_ALREADY_CLOSED.format(number=number))
        taken = await d.store.tickets.take(found.id, turn.user_id, name)
        if taken is None or taken.taken_by != turn.user_id:
            return TurnResult(alert=T.DESK_TAKEN_BY_OTHER.format(name=taken.taken_by_name if taken else "—"))
        if found.taken_by != turn.user_id:
            await post_in_group(d, out, Reply(T.DESK_TAKEN.format(number=number, name=name)), reply_to=found.group_message_id)
        return TurnResult(toast=T.DESK_TAKEN_YOU.format(number=number))
    if op == TicketOp.CLOSE:
        closed = await d.store.tickets.close(found.id, "staff")
        if closed is None:
            return TurnResult(alert=T.DESK_ALREADY_CLOSED.format(number=number))
        await notify(d, out, closed, "to_citizen", T.DESK_CLOSED_BY_STAFF.format(number=number))
        await post_in_group(d, out, Reply(T.DESK_CLOSED_NOTE.format(number=number, name=name)),
                        reply_to=found.group_message_id)
        return TurnResult(toast=T.DESK_CLOSED_NOTE.format(number=number, name=name))
    if not found.question:
        return TurnResult(alert=T.DESK_SUGGEST_NO_QUESTION)
    question = shorten(found.question, 80)
    if op == TicketOp.SUGGEST:
        await post_in_group(d, out, _suggestion_choice(d, found), reply_to=found.group_message_id)
        return TurnResult()
    service = d.knowledge.get(p.arg(2)) if op == TicketOp.ALIAS else None
    if op == TicketOp.ALIAS and service is None:
        return TurnResult(alert=T.STALE_BUTTON)
    if not await d.store.tickets.suggest(found.id, d.platform, found.question, service.id if service else None,
                                         turn.user_id):
        return TurnResult(toast=T.DESK_SUGGESTED_BEFORE)
    note = (T.DESK_SUGGESTED_ALIAS.format(number=number, question=question, title=service.title) if service
            else T.DESK_SUGGESTED_NEED.format(number=number, question=question))
    await post_in_group(d, out, Reply(note), reply_to=found.group_message_id)
    return TurnResult()


def _suggestion_choice(d: Dialogue, found: Ticket) -> Reply:
    """The services a ticket's question may be a name of (the nearest by search, and the one it was about),
    each a button, and "a service the catalogue lacks"."""
    u = d.engine.understand(found.question or "")
    ids = [found.service_id] if found.service_id else []
    ids += [c.service.id for c in u.decision.candidates if c.service.id not in ids]
    services = [s for s in (d.knowledge.get(i) for i in ids[:SUGGESTED_SERVICES]) if s is not None]
    rows = [(Button(shorten(s.title, 50), ticket(TicketOp.ALIAS, found.id, s.id)),) for s in services]
    rows.append((Button(T.DESK_BTN_NEED, ticket(TicketOp.NEED, found.id)),))
    return Reply(T.DESK_SUGGEST_PICK.format(number=ticket_number(found.id), question=shorten(found.question, 80)), tuple(rows))


async def _staff_command(d: Dialogue, turn: StaffTurn) -> Reply:
    """/open, /ticket N, /request CODE, /status CODE STATUS [note]; anything else: the list of commands."""
    text = turn.text or ""
    name = command_name(text)
    args = text.split(maxsplit=1)[1].strip() if len(text.split(maxsplit=1)) > 1 else ""
    actor = f"staff:{d.platform}:{turn.user_id}"
    if name == "open":
        return await open_tickets_reply(d)
    if name == "ticket":
        number = to_latin_digits(args.lstrip("#"))
        if not number.isdigit():
            return Reply(T.DESK_TICKET_USAGE)
        found = await d.store.tickets.get(int(number))
        if found is None or found.platform != d.platform:
            return Reply(T.DESK_NO_TICKET.format(number=ticket_number(number)))
        return await ticket_reply(d, found)
    if name == "request":
        if not args:
            return Reply(T.DESK_REQUEST_USAGE)
        code = normalize_tracking_code(args) or to_latin_digits(args.split()[0])
        await d.store.audit.record(actor, "group /request", code)
        return await staff.request_reply(d.store, d.knowledge, code)
    if name == "status":
        return await _set_status(d, args, actor)
    return Reply(T.DESK_STAFF_HELP)


async def _set_status(d: Dialogue, args: str, actor: str) -> Reply:
    """Moves a request to a status (its key or its Persian label), with an optional note; the citizen
    hears of it from the delivery loop, as when the CLI does it."""
    usage = Reply(T.DESK_STATUS_USAGE.format(statuses="، ".join(s for s in STATUSES if s != "submitted")))
    code_text, _, rest = args.partition(" ")
    if not code_text or not rest.strip():
        return usage
    code = normalize_tracking_code(code_text) or to_latin_digits(code_text)
    rest = rest.strip()
    names = sorted([(k, k) for k in STATUSES] + [(v, k) for k, v in STATUS_LABELS.items()], key=lambda p: -len(p[0]))
    status, note = None, None
    for written, key in names:
        if rest == written or rest.startswith(written + " "):
            status, note = key, rest[len(written):].strip() or None
            break
    if status is None:
        return usage
    try:
        changed = await d.store.requests.set_status(code, status, note=note, actor=actor)
    except (RequestNotFound, ValueError) as exc:
        return Reply(str(exc))
    await d.store.audit.record(actor, "group /status", changed.tracking_code, status + (f" — {note}" if note else ""))
    return Reply(T.DESK_STATUS_DONE.format(code=to_persian_digits(changed.tracking_code), status=changed.status_label))


async def open_tickets_reply(d: Dialogue, limit: int = 30) -> Reply:
    """Open tickets, oldest first: number, when, service, who took it, the question."""
    tickets = await d.store.tickets.list_open(d.platform, limit)
    if not tickets:
        return Reply(T.DESK_OPEN_EMPTY)
    lines = [bold(T.DESK_OPEN_TITLE)]
    for t in tickets:
        service = d.knowledge.get(t.service_id) if t.service_id else None
        lines.append(T.DESK_OPEN_ITEM.format(
            number=ticket_number(t.id), when=jalali_datetime(t.created_at),
            service=T.DESK_OPEN_SERVICE.format(title=shorten(service.title, 40)) if service else "",
            taken=T.DESK_TAKEN_BY.format(name=t.taken_by_name) if t.taken_by_name else T.DESK_NOT_TAKEN,
            question=shorten(t.question, 60) or T.DESK_NONE,
        ))
    return Reply("\n".join(lines))
