"""What a citizen does in the chat: start, ask, tap a button, share a contact, follow a tracking code.

Each function turns one turn into domain calls (search, answer, browse, track, the form) and sends the
Reply through the dialogue; no messenger and no SQL here.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from bot import answers, browse
from bot import texts as T
from bot.dialogue import desk, registration
from bot.dialogue.channel import Outbox, Turn, TurnResult
from bot.folding import fold
from bot.payload import Action, FormOp, pack, parse
from bot.persian import to_persian_digits
from bot.reply import Button, Reply, bold
from bot.textnorm import clean
from storage.requests import OPEN_STATUSES
from storage.tracking import is_well_formed, normalize_tracking_code

if TYPE_CHECKING:
    from bot.dialogue.core import Dialogue
    from storage import ChatState

MAX_TEXT = 1000  # longer messages are not questions; the citizen is asked to shorten them
ANSWERED_WITHOUT_SERVICE = ("greeting", "thanks", "help", "track")


def main_menu(first_name: str) -> Reply:
    """The welcome text and the main menu."""
    rows = (
        (Button(T.MENU_SEARCH, pack(Action.MENU, "search")),),
        (Button(T.MENU_BY_AGENCY, pack(Action.MENU, "a")), Button(T.MENU_BY_EVENT, pack(Action.MENU, "e"))),
        (Button(T.MENU_BY_TYPE, pack(Action.MENU, "t")), Button(T.MENU_TRACK, pack(Action.MENU, "track"))),
        (Button(T.MENU_HELP, pack(Action.MENU, "help")),),
    )
    return Reply(T.WELCOME.format(name=first_name or ""), rows)


def help_reply(offer_desk: bool = False) -> Reply:
    """What the bot can do and how to ask (with `offer_desk`, the button that asks for a person)."""
    rows = ((Button(T.BACK_TO_MENU, pack(Action.MENU, "home")),),)
    return Reply(T.HELP.format(title=bold(T.HELP_TITLE)), (answers.desk_row(), *rows) if offer_desk else rows)


async def start(d: Dialogue, turn: Turn, out: Outbox) -> None:
    """Greets the citizen, forgets the service they were looking at and shows the main menu; a form in
    progress is set aside with a button to resume it. A deep link (`/start 13011031101`, from an agency's
    web page or a QR code at the counter) opens that service's card instead of the menu."""
    parts = (turn.text or "").split(maxsplit=1)
    linked = d.knowledge.get(parts[1].strip()) if len(parts) == 2 else None
    await d.remember_service(turn.user_id, linked.id if linked else None)
    await d.send(out, turn.chat_id, answers.service_card(linked) if linked else main_menu(clean(turn.first_name)))
    paused = await registration.pause(d, turn.user_id)
    if paused is not None:
        await d.send(out, turn.chat_id, Reply(
            T.FORM_PAUSED.format(title=bold(paused.title)),
            ((Button(T.FORM_RESUME_BUTTON, pack(Action.FORM, FormOp.RESUME)),
              Button(T.FORM_CANCEL_BUTTON, pack(Action.FORM, FormOp.DROP))),),
        ))


async def cancel(d: Dialogue, turn: Turn, out: Outbox) -> None:
    """Drops whatever was in progress and says so."""
    state = await d.store.chats.get(d.platform, turn.user_id)
    await d.remember_service(turn.user_id, None)
    if await registration.drop(d, turn.user_id):
        text = T.FORM_CANCELLED
    else:
        text = T.CANCELLED if state.current_service else T.NOTHING_TO_CANCEL
    await d.send(out, turn.chat_id, Reply(text, remove_keyboard=True))


async def ask(d: Dialogue, turn: Turn, out: Outbox, state: ChatState | None = None) -> TurnResult:
    """Answers a typed message: an answer to the form in progress, a tracking code, a question about a
    service, or a search (`state`: the chat's state when the caller has just read it; one read per message
    matters on PostgreSQL, which has no cache)."""
    text, chat_id, user_id = turn.text or "", turn.chat_id, turn.user_id
    draft = await registration.active_draft(d, user_id)
    if draft is not None:  # the form has its own limits and asks its question again
        return TurnResult(logged_as=await registration.on_text(d, out, chat_id, user_id, draft, text))
    if len(text) > MAX_TEXT:
        await d.send(out, chat_id, Reply(T.TOO_LONG.format(limit=to_persian_digits(MAX_TEXT))))
        return TurnResult()
    if state is None:
        state = await d.store.chats.get(d.platform, user_id)
    if _only_asks_to_register(text):  # a bare «ثبت نام»: the current service, never another one by its name
        current = d.knowledge.get(state.current_service) if state.current_service else None
        if current is not None:
            await registration.begin(d, out, chat_id, user_id, current)
        else:
            await d.send(out, chat_id, Reply(T.ASK_WHICH_SERVICE.format(what=T.REGISTER_WHAT)))
        return TurnResult(answered=True)
    u = d.engine.understand(text, current_service=state.current_service)
    result = TurnResult(understanding=u, answered=u.service is not None or u.intent in ANSWERED_WITHOUT_SERVICE)
    if u.intent == "track" and u.tracking_code:
        await d.send(out, chat_id, await track(d, user_id, u.tracking_code))
        return result
    if u.intent == "track":
        await d.send(out, chat_id, Reply(T.TRACK_PROMPT))
        return result
    if u.number_kind in ("national_code", "mobile") and u.service is None:
        await d.send(out, chat_id, await _number_alone(d, user_id, u.number_kind))
        result.answered = True
        return result
    if u.intent == "register" and u.service is not None:
        # «کجا ثبت نام کنم؟», «لینک ثبت نام»: where to register is the address the card gives
        if {"provider", "website"} & set(u.intents) and u.service.websites:
            await d.remember_service(user_id, u.service.id)
            await d.send(out, chat_id, answers.fact(u.service, "website"))
            return result
        await registration.begin(d, out, chat_id, user_id, u.service)
        return result
    if u.intent == "human" and u.decision.kind in ("empty", "none"):  # «اپراتور», «میخوام با یه آدم حرف بزنم»
        return await desk.ask_for_person(d, turn, out, u)
    reply = answers.respond(u, desk=d.settings.desk_enabled)
    service = u.service or answers.sole_candidate(u)
    if service is not None:
        result.answered = True
        if service.id != state.current_service:
            await d.remember_service(user_id, service.id)
    elif u.decision.kind == "none" and state.current_service is not None:
        # "not found" forgets the service of before: a follow-up must not be answered about it
        await d.remember_service(user_id, None)
    await d.send(out, chat_id, reply)
    return result


_REGISTER_WORDS = frozenset({"ثبت", "نام", "ثبتنام", "نامنویسی", "نویسی", "کنم", "کنیم", "میخوام", "میخواهم",
                             "می", "خواهم", "لطفا", "میشه", "بکنم", "شوم", "بشم", "کنید"})


def _only_asks_to_register(text: str) -> bool:
    """«ثبت نام», «میخوام ثبت‌نام کنم», «نام‌نویسی»: a request to register that names no service."""
    words = fold(text).split()
    return bool(words) and set(words) <= _REGISTER_WORDS and bool({"ثبت", "ثبتنام", "نامنویسی", "نویسی"} & set(words))


async def _number_alone(d: Dialogue, user_id: int, kind: str) -> Reply:
    """A national code or mobile typed outside a form: never echoed; this chat's own open requests."""
    mine = await d.store.requests.for_user(d.platform, user_id, limit=5)
    open_requests = [r for r in mine if r.status in OPEN_STATUSES]
    titles = {s.id: s.title for s in d.knowledge.services}
    return answers.number_alone(kind, open_requests, titles)


async def track(d: Dialogue, user_id: int, raw_code: str) -> Reply:
    """Looks a tracking code up for its owner only; a mistyped or unknown code counts towards slowing
    down whoever guesses codes, and a successful look-up does not wipe that count."""
    lookups = d.store.lookups
    wait = await lookups.check(d.platform, user_id)
    if wait > 0:
        return Reply(T.TRACK_WAIT.format(seconds=to_persian_digits(int(wait + 0.999))))
    code = normalize_tracking_code(raw_code)
    if code is None or not is_well_formed(code):
        await lookups.record_failure(d.platform, user_id)
        return Reply(T.TRACK_MISTYPED)
    request = await d.store.requests.get_for_user(code, d.platform, user_id)
    if request is None:
        await lookups.record_failure(d.platform, user_id)
        return Reply(T.TRACK_NOT_FOUND)
    service = d.knowledge.get(request.service_id)
    return answers.request_status(request, service.title if service else request.service_id)


async def tap(d: Dialogue, turn: Turn, out: Outbox) -> TurnResult:
    """Handles every inline button; a forged or stale one gets a polite alert, never an error."""
    user_id, chat_id = turn.user_id, turn.chat_id
    p = parse(turn.button)
    knowledge = d.knowledge
    reply: Reply | None = None
    result = TurnResult()
    if p is None:
        if (turn.button or "").startswith(Action.FORM.value + ":"):  # a forged form button: like a stale one
            await d.send(out, chat_id, Reply(T.STALE_BUTTON))
            return result
    elif p.action is Action.SERVICE:
        service = knowledge.get(p.arg(0))
        if service is not None:
            reply = dataclasses.replace(answers.service_card(service), replace=True)
            await d.remember_service(user_id, service.id)
    elif p.action is Action.FACT:
        service = knowledge.get(p.arg(0))
        if service is not None and p.arg(1) in answers.FACT_INTENTS:
            reply = answers.fact(service, p.arg(1))
            await d.remember_service(user_id, service.id)
    elif p.action is Action.REGISTER:
        service = knowledge.get(p.arg(0))
        if service is not None:
            await registration.begin(d, out, chat_id, user_id, service)
            return result
    elif p.action is Action.FORM:
        if p.arg(0) == FormOp.DROP:
            reply = Reply(T.FORM_CANCELLED) if await registration.drop(d, user_id) else None
        else:
            stale = await registration.on_button(d, out, chat_id, user_id, p)
            if stale is not None:
                await d.send(out, chat_id, stale)
            return result
    elif p.action is Action.TRACK:
        reply = await track(d, user_id, p.arg(0))
    elif p.action is Action.MENU:
        reply = _menu(d, p.arg(0), turn.first_name)
        reply = dataclasses.replace(reply, replace=True) if reply else None
    elif p.action is Action.BROWSE:
        kind, key, page = p.arg(0), p.arg(1), p.number(2)
        if kind in browse.KINDS:
            reply = browse.group_page(knowledge, kind, key, page)
            reply = dataclasses.replace(reply, replace=True) if reply else None
    if reply is None:
        result.alert = T.STALE_BUTTON
        return result
    await d.send(out, chat_id, reply)
    return result


def _menu(d: Dialogue, item: str, first_name: str) -> Reply | None:
    if item == "home":
        return main_menu(clean(first_name))
    if item == "search":
        return Reply(T.SEARCH_PROMPT)
    if item == "track":
        return Reply(T.TRACK_PROMPT)
    if item == "help":
        return help_reply(d.settings.desk_enabled)
    if item in browse.KINDS:
        return browse.group_menu(d.knowledge, item)
    return None


async def share_contact(d: Dialogue, turn: Turn, out: Outbox) -> TurnResult:
    """A shared contact: the mobile number of a form in progress; otherwise politely declined."""
    assert turn.contact is not None
    draft = await registration.active_draft(d, turn.user_id)
    if draft is not None and await registration.on_contact(
        d, out, turn.chat_id, turn.user_id, draft, turn.contact.phone, turn.contact.owner_id
    ):
        return TurnResult()
    await d.send(out, turn.chat_id, Reply(T.NON_TEXT))
    return TurnResult()
