"""The support desk: a person takes over when the bot cannot help, and citizens rate answers.

A citizen asks for a person (the «💬 گفت‌وگو با کارشناس» button under "not found", the help or a 👎, or
typed: «اپراتور», «میخوام با یه آدم حرف بزنم») and a ticket opens: stored, numbered, with the citizen's
recent turns as context (masked like the log), and posted to the staff group (BOT_SUPPORT_CHAT_ID). While
it is open, what the citizen writes, photographs or attaches goes to the ticket, threaded in the group as
replies to the ticket's message, and the bot does not answer it itself; commands (/start, /cancel, which
closes the ticket), buttons and tracking codes are still the bot's.

Staff (BOT_STAFF_IDS and the admins) answer by replying to a ticket's message or to a relayed follow-up;
the reply reaches the citizen as from "the support team", never with the staff member's name. Buttons on
the ticket take it, close it, or record its question as a name of a service (or a service the catalogue
lacks) for the admins to review. Commands in the group: /open, /ticket N, /request CODE, /status CODE
STATUS [note]. Anyone else in the group can do nothing.

Nothing is lost: a relay is stored before it is sent and marked once the platform took it; what failed is
sent again by the delivery loop (`deliver`), the ticket's own post too, and all of it survives a restart.
The relays of one citizen go one at a time (a lock per citizen), so the loop never sends what a turn is
sending, and their order holds.

Votes: every fact answer carries 👍/👎 (answers.fact); one vote per account and answer, changeable; a 👎
offers the desk. staff.stats_reply counts them per service and per question type.

This module is the citizen's side, the tickets' posts and the delivery of relays; what staff do in the group
is bot/dialogue/desk_staff.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot import answers
from bot import texts as T
from bot.dialogue.channel import DeliveryFailed, Outbox, Post, RecipientGone, Turn, TurnResult
from bot.payload import Action, TicketOp, parse, ticket
from bot.persian import jalali_datetime, to_persian_digits
from bot.questions import FACTS
from bot.reply import Button, Reply, bold, render_plain
from bot.sanitize import printable
from storage import StorageUnavailable, Ticket, TicketMessage, tracking

if TYPE_CHECKING:
    from bot.dialogue.core import Dialogue
    from bot.search import Understanding

log = logging.getLogger(__name__)

CONTEXT_TURNS = 6  # the citizen's latest log rows shown with a new ticket
CONTEXT_CHARS = 160
QUESTION_CHARS = 300
RELAYED_FILES = ("photo", "document")
MAX_RELAY_ATTEMPTS = 100  # about half a day of retries, as for queued replies; then given up, loudly
RETRY_BASE = 5.0  # seconds before the first retry of a failed relay, doubling up to RETRY_MAX
RETRY_MAX = 600.0


@dataclass
class DeskState:
    """What the desk keeps in memory: a lock per citizen for relays in flight, and when to retry what
    failed (a restart retries at once). `clock` is for the working-hours sentence (tests set it)."""

    locks: dict[int, list] = field(default_factory=dict)
    retry_at: dict[tuple[str, int], float] = field(default_factory=dict)
    retry_base: float = RETRY_BASE
    clock: Callable[[], _dt.datetime] = lambda: _dt.datetime.now(_dt.UTC)

    def due(self, key: tuple[str, int]) -> bool:
        return time.monotonic() >= self.retry_at.get(key, 0.0)

    def later(self, key: tuple[str, int], attempts: int) -> None:
        delay = min(RETRY_MAX, self.retry_base * 2 ** min(max(attempts - 1, 0), 12))
        self.retry_at[key] = time.monotonic() + delay

    def done(self, key: tuple[str, int]) -> None:
        self.retry_at.pop(key, None)


@contextlib.asynccontextmanager
async def relaying(d: Dialogue, user_id: int) -> AsyncIterator[None]:
    """One relay at a time per citizen (turns of the citizen, of staff, and the delivery loop)."""
    locks = d.desk.locks
    entry = locks.get(user_id)
    if entry is None:
        entry = locks[user_id] = [asyncio.Lock(), 0]
    entry[1] += 1
    try:
        async with entry[0]:
            yield
    finally:
        entry[1] -= 1
        if entry[1] == 0:
            locks.pop(user_id, None)


def enabled(d: Dialogue) -> bool:
    return d.settings.support_chat_id is not None


def group_chat(d: Dialogue) -> int:
    assert d.settings.support_chat_id is not None
    return d.settings.support_chat_id


def ticket_number(number: int) -> str:
    return to_persian_digits(number)


def shorten(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def command_name(text: str) -> str:
    return text[1:].split(maxsplit=1)[0].split("@")[0].lower() if len(text) > 1 else ""


def when_staff_answer(d: Dialogue) -> str:
    """Roughly when a person answers: now, in working hours, or from the next opening (BOT_SUPPORT_HOURS)."""
    hours = d.settings.working_hours
    now = d.desk.clock()
    if hours.is_open(now):
        return T.DESK_WHEN_OPEN.format(hours=hours.describe())
    return T.DESK_WHEN_CLOSED.format(hours=hours.describe(), next=hours.when_text(now))


# ------------------------------------------------------------------------------------ the citizen's side


async def intercept(d: Dialogue, turn: Turn, out: Outbox) -> TurnResult | None:
    """The early check of Dialogue.handle: while the citizen has an open ticket, a message goes to it. None
    when the turn is the bot's to answer: buttons, commands (/cancel closes the ticket first), tracking
    codes, edits, shared contacts, and everything when no ticket is open."""
    if not enabled(d) or turn.button is not None or turn.edited or turn.contact is not None:
        return None
    open_ticket = await d.store.tickets.open_for(d.platform, turn.user_id)
    if open_ticket is None:
        return None
    text = turn.text
    if text is not None and text.startswith("/"):
        name = command_name(text)
        if name == "cancel":
            await close_by_citizen(d, out, open_ticket, turn.chat_id)
            return TurnResult()
        if name == "start":
            await d.command(turn, out)
            await d.send(out, turn.chat_id, Reply(T.DESK_STILL_OPEN.format(number=ticket_number(open_ticket.id))))
            return TurnResult()
        return None
    if text is not None:
        # A tracking code is the bot's to answer; search is asked only when the text holds enough digits.
        if sum(c.isdigit() for c in text) >= tracking.LENGTH:
            u = d.engine.understand(text)
            if u.intent == "track" and u.tracking_code is not None:
                return None
        return await _relay_from_citizen(d, out, open_ticket, turn, "text", text, None)
    if turn.kind in RELAYED_FILES and turn.file_id:
        return await _relay_from_citizen(d, out, open_ticket, turn, turn.kind, turn.caption, turn.file_id)
    await d.send(out, turn.chat_id, Reply(T.DESK_KINDS))
    return TurnResult()


async def ask_for_person(d: Dialogue, turn: Turn, out: Outbox, u: Understanding | None = None) -> TurnResult:
    """Opens a ticket (typed request or button) and tells the citizen roughly when a person answers; a
    ticket already open is reused. With the desk off, says so politely."""
    result = TurnResult(understanding=u, answered=True)
    if not enabled(d):
        await d.send(out, turn.chat_id, Reply(T.DESK_UNAVAILABLE))
        return result
    state = await d.store.chats.get(d.platform, turn.user_id)
    service_id = u.service.id if u is not None and u.service is not None else state.current_service
    question, context = await _question(d, turn, u), await _context(d, turn.user_id)
    async with relaying(d, turn.user_id):  # the delivery loop does not post it meanwhile
        opened, new = await d.store.tickets.open(
            d.platform, turn.user_id, turn.chat_id, service_id=service_id, question=question, context=context,
            group_chat_id=group_chat(d),
        )
        if not new:
            await d.send(out, turn.chat_id, Reply(T.DESK_ALREADY_OPEN.format(number=ticket_number(opened.id))))
            return result
        log.info("ticket %d opened", opened.id)
        await d.send(out, turn.chat_id, Reply(T.DESK_OPENED.format(number=ticket_number(opened.id), when=when_staff_answer(d))))
        await _post_ticket(d, out, opened)
    return result


async def _question(d: Dialogue, turn: Turn, u: Understanding | None) -> str | None:
    """What the citizen wants to know: a typed request that names more than a person («اپراتور، درباره
    گذرنامه»), else the last question the bot tried to answer."""
    if turn.text and u is not None and u.decision.kind != "empty":
        return shorten(printable(turn.text), QUESTION_CHARS)
    try:
        rows = await d.store.log.query(user_id=turn.user_id, platform=d.platform, limit=20)
    except StorageUnavailable:
        return None
    for row in rows:
        if row.direction == "in" and row.answered is not None and row.text:
            return shorten(printable(row.text), QUESTION_CHARS)
    return None


async def _context(d: Dialogue, user_id: int) -> str:
    """The citizen's latest turns and the bot's answers, oldest first, one short line each (masked: the
    log is)."""
    try:
        rows = await d.store.log.query(user_id=user_id, platform=d.platform, limit=CONTEXT_TURNS)
    except StorageUnavailable:
        return ""
    ordered: list = []
    for row in reversed(rows):
        if row.direction == "in" and row.handling_ms is not None:
            # A turn's row is written once it is answered: it goes before the answers written meanwhile.
            started = row.created_at - _dt.timedelta(milliseconds=row.handling_ms)
            at = len(ordered)
            while at > 0 and ordered[at - 1].direction == "out" and ordered[at - 1].created_at >= started:
                at -= 1
            ordered.insert(at, row)
        else:
            ordered.append(row)
    lines = []
    for row in ordered:
        line = T.DESK_TICKET_CITIZEN_LINE if row.direction == "in" else T.DESK_TICKET_BOT_LINE
        lines.append(line.format(text=shorten(printable(row.text or ""), CONTEXT_CHARS)))
    return "\n".join(lines)


async def close_by_citizen(d: Dialogue, out: Outbox, open_ticket: Ticket, chat_id: int) -> None:
    """/cancel with a ticket open: the ticket closes, the citizen is told, and so are staff, in its thread."""
    closed = await d.store.tickets.close(open_ticket.id, "citizen")
    await d.send(out, chat_id, Reply(T.DESK_CLOSED_BY_CITIZEN.format(number=ticket_number(open_ticket.id))))
    if closed is not None and closed.posted_at is not None:
        await notify(d, out, closed, "to_staff", T.DESK_CLOSED_BY_CITIZEN_NOTE.format(number=ticket_number(closed.id)))


async def _relay_from_citizen(d: Dialogue, out: Outbox, open_ticket: Ticket, turn: Turn, kind: str,
                              text: str | None, file_id: str | None) -> TurnResult:
    """Stores the citizen's message for the ticket (masked) and sends it to the group, threaded under the
    ticket; a ticket not yet in the group is posted first by the delivery loop, then this."""
    clean = printable(text, newlines=True).strip() if text else None
    source = f"{turn.chat_id}:{turn.message_id}" if turn.message_id is not None else None
    async with relaying(d, open_ticket.user_id):
        stored = await d.store.tickets.add_message(open_ticket.id, d.platform, "to_staff", "citizen", kind=kind,
                                                   text=clean, file_id=file_id, source=source)
        if stored is not None:
            current = await d.store.tickets.get(open_ticket.id) or open_ticket
            if current.posted_at is not None:
                await deliver_relay(d, out, current, stored)
    shown = stored.text if stored is not None else clean
    what = (shown or "") if kind == "text" else T.LOG_DESK_FILE.format(kind=kind, caption=shown or "").strip()
    return TurnResult(logged_as=T.LOG_RELAY_TO_STAFF.format(number=open_ticket.id, text=what))


async def tap(d: Dialogue, turn: Turn, out: Outbox) -> TurnResult | None:
    """The desk's buttons in a citizen's chat: ask for a person, 👍/👎 under an answer. None for any other."""
    p = parse(turn.button)
    if p is None or p.action not in (Action.DESK, Action.VOTE):
        return None
    if p.action is Action.DESK:
        if p.arg(0) != "open" or not enabled(d):
            return TurnResult(alert=T.STALE_BUTTON)
        return await ask_for_person(d, turn, out)
    service_id, intent, vote = p.arg(0), p.arg(1), p.arg(2)
    if d.knowledge.get(service_id) is None or intent not in {i.value for i in FACTS}:
        return TurnResult(alert=T.STALE_BUTTON)
    await d.store.feedback.vote(d.platform, turn.user_id, service_id, intent, 1 if vote == "u" else -1)
    if vote == "d" and enabled(d):
        await d.send(out, turn.chat_id, Reply(T.VOTE_SORRY, (answers.desk_row(),)))
    return TurnResult(toast=T.VOTE_THANKS)


# ------------------------------------------------------------------------------------- the staff's side


async def ticket_reply(d: Dialogue, found: Ticket, *, new: bool = False) -> Reply:
    """A ticket as staff see it: number, service, question, the citizen's recent turns, who has it; the
    buttons while it is open. `new`: the post announcing it."""
    status = T.DESK_STATUS_OPEN if found.is_open else T.DESK_STATUS_CLOSED
    head = T.DESK_TICKET_HEAD if new else T.DESK_TICKET_REPORT_HEAD
    service = d.knowledge.get(found.service_id) if found.service_id else None
    lines = [bold(head.format(number=ticket_number(found.id), status=status)),
             T.DESK_TICKET_OPENED_AT.format(when=jalali_datetime(found.created_at)),
             T.DESK_TICKET_SERVICE.format(title=service.title if service else found.service_id or T.DESK_NONE),
             T.DESK_TICKET_QUESTION.format(question=found.question or T.DESK_NONE)]
    if found.taken_by_name:
        lines.append(T.DESK_TICKET_TAKEN.format(name=found.taken_by_name))
    if not new:
        messages = await d.store.tickets.messages(found.id)
        lines.append(T.DESK_TICKET_MESSAGES.format(
            to_staff=ticket_number(sum(m.author == "citizen" for m in messages)),
            to_citizen=ticket_number(sum(m.author == "staff" for m in messages)),
        ))
    if found.context:
        lines += ["", T.DESK_TICKET_CONTEXT, found.context]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if found.is_open:
        lines += ["", T.DESK_TICKET_HINT]
        buttons = ((Button(T.DESK_BTN_TAKE, ticket(TicketOp.TAKE, found.id)),
                    Button(T.DESK_BTN_CLOSE, ticket(TicketOp.CLOSE, found.id))),
                   (Button(T.DESK_BTN_SUGGEST, ticket(TicketOp.SUGGEST, found.id)),))
    return Reply("\n".join(lines), buttons)


# ------------------------------------------------------------------------------------------- delivery


async def _post_ticket(d: Dialogue, out: Outbox, opened: Ticket) -> bool:
    """Posts a new ticket to the group and keeps its message id (the caller holds the citizen's lock)."""
    key = ("t", opened.id)
    try:
        sent = await out.post(group_chat(d), Post(await ticket_reply(d, opened, new=True)))
    except (DeliveryFailed, RecipientGone) as exc:
        attempts = await d.store.tickets.post_failed(opened.id)
        d.desk.later(key, attempts)
        log.warning("ticket %d not posted to the support group yet (%d tries): %s", opened.id, attempts, exc)
        return False
    await d.store.tickets.mark_posted(opened.id, sent)
    d.desk.done(key)
    return True


async def notify(d: Dialogue, out: Outbox, about: Ticket, direction: str, text: str) -> None:
    """The bot's own notice about a ticket to the citizen or into its thread in the group, kept until sent."""
    async with relaying(d, about.user_id):
        stored = await d.store.tickets.add_message(about.id, d.platform, direction, "bot", text=text)
        if stored is not None and (direction == "to_citizen" or about.posted_at is not None):
            await deliver_relay(d, out, about, stored)


def _relay_post(d: Dialogue, about: Ticket, m: TicketMessage) -> tuple[int, Post]:
    """Where a stored message goes and how it reads: to staff under the ticket's message, with its number;
    to the citizen as from the support team (staff) or as the bot's own words."""
    number = ticket_number(about.id)
    text = m.text or ""
    if m.direction == "to_staff":
        if m.author == "citizen":
            if m.kind == "text":
                shown = T.DESK_CITIZEN_SAYS.format(number=number, text=text)
            else:
                shown = T.DESK_CITIZEN_FILE.format(number=number) + (f"\n{text}" if text else "")
        else:
            shown = text
        return group_chat(d), Post(Reply(shown), kind=m.kind, file_id=m.file_id, reply_to=about.group_message_id)
    if m.author == "staff":
        shown = T.DESK_STAFF_SAYS.format(text=text) if m.kind == "text" else T.DESK_STAFF_FILE + (
            f"\n{text}" if text else "")
    else:
        shown = text
    return about.chat_id, Post(Reply(shown), kind=m.kind, file_id=m.file_id)


async def deliver_relay(d: Dialogue, out: Outbox, about: Ticket, m: TicketMessage) -> bool:
    """Sends one stored message and marks it; a failure is counted and left to the delivery loop (a
    citizen who blocked the bot is given up at once, and staff are told)."""
    chat_id, post = _relay_post(d, about, m)
    key = ("m", m.id)
    try:
        sent = await out.post(chat_id, post)
    except RecipientGone as exc:
        await d.store.tickets.relay_failed(m.id, f"recipient gone: {exc}")
        log.info("ticket %d: relay %d given up, the recipient is gone", about.id, m.id)
        if m.direction == "to_citizen" and about.posted_at is not None:
            await post_in_group(d, out, Reply(T.DESK_CITIZEN_GONE.format(number=ticket_number(about.id))),
                            reply_to=about.group_message_id)
        return False
    except DeliveryFailed as exc:
        attempts = await d.store.tickets.relay_failed(m.id)
        if attempts >= MAX_RELAY_ATTEMPTS:
            await d.store.tickets.relay_failed(m.id, f"gave up after {attempts} tries: {exc}")
            log.error("ticket %d: relay %d refused %d times; given up", about.id, m.id, attempts)
        else:
            d.desk.later(key, attempts)
            log.warning("ticket %d: relay %d not delivered yet (%d tries): %s", about.id, m.id, attempts, exc)
        return False
    await d.store.tickets.delivered(m.id, sent)
    d.desk.done(key)
    if m.direction == "to_citizen":
        what = (m.text or "") if m.kind == "text" else T.LOG_DESK_FILE.format(kind=m.kind, caption=m.text or "").strip()
        logged = render_plain(post.reply.text) if m.author == "bot" else T.LOG_RELAY_TO_CITIZEN.format(
            number=about.id, text=what)
        with contextlib.suppress(Exception):
            await d.store.log.add(d.platform, about.user_id, about.chat_id, "out", logged)
    return True


async def post_in_group(d: Dialogue, out: Outbox, reply: Reply, *, reply_to: int | None = None) -> None:
    """A note or an answer for staff in the group, best effort (nothing a citizen waits for)."""
    try:
        await out.post(group_chat(d), Post(reply, reply_to=reply_to))
    except (DeliveryFailed, RecipientGone) as exc:
        log.warning("could not post to the support group: %s", exc)


async def deliver(d: Dialogue, out: Outbox) -> int:
    """The delivery loop's share: tickets not yet in the group, then relays not yet delivered, oldest first
    and in order per ticket (a failed one holds back the later ones of its ticket and direction). Returns
    how many went out. With two instances on one database, one delivery loop at a time does it (the other
    skips its turn), so nothing is posted or relayed twice and the order holds."""
    if not enabled(d):
        return 0
    async with d.store.alone("desk delivery") as mine:
        return await _deliver_waiting(d, out) if mine else 0


async def _deliver_waiting(d: Dialogue, out: Outbox) -> int:
    tickets = d.store.tickets
    delivered = 0
    for waiting in await tickets.unposted(d.platform):
        if not d.desk.due(("t", waiting.id)):
            continue
        async with relaying(d, waiting.user_id):
            current = await tickets.get(waiting.id)
            if current is None or current.posted_at is not None or not current.is_open:
                continue
            delivered += await _post_ticket(d, out, current)
    held: set[tuple[int, str]] = set()
    for m in await tickets.undelivered(d.platform):
        lane = (m.ticket_id, m.direction)
        if lane in held or not d.desk.due(("m", m.id)):
            held.add(lane)
            continue
        about = await tickets.get(m.ticket_id)
        if about is None:
            continue
        if m.direction == "to_staff" and about.posted_at is None:
            if not about.is_open:  # closed before it ever reached the group: nobody there to tell
                await tickets.relay_failed(m.id, "the ticket was never posted")
            held.add(lane)
            continue
        async with relaying(d, about.user_id):
            current = await tickets.get_message(m.id)
            if current is None or current.delivered_at is not None or current.failed is not None:
                continue
            if await deliver_relay(d, out, about, current):
                delivered += 1
            else:
                held.add(lane)
    return delivered
