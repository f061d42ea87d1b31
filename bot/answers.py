"""Answers composed from the card: the fact asked for, in Persian, or a plain "the card does not say".

Nothing here invents a fact: every sentence either quotes a field of the card or says the field is empty
and where to ask instead.
"""

from __future__ import annotations

import dataclasses
import re

from bot import texts as T
from bot.knowledge import (
    IN_PERSON_REASONS,
    PERIODS,
    SERVICE_TYPES,
    STAGES,
    Service,
)
from bot.payload import Action, pack
from bot.persian import format_rials, to_persian_digits
from bot.questions import FACTS, Intent
from bot.reply import Button, Reply, bold
from bot.search import Candidate, Understanding

FACT_INTENTS = tuple(i.value for i in FACTS)
SUMMARY_CHARS = 280
BRIEF_ITEMS = 4
_NUMBER_PREFIX = re.compile(r"^[۰-۹0-9]+\.\s*")


def cb_service(service_id: str) -> str:
    """Callback data that opens a service card."""
    return pack(Action.SERVICE, service_id)


def cb_fact(service_id: str, intent: str) -> str:
    """Callback data that asks one section of a card."""
    return pack(Action.FACT, service_id, intent)


def cb_register(service_id: str) -> str:
    """Callback data that starts registration for a service."""
    return pack(Action.REGISTER, service_id)


def card_buttons(service: Service) -> tuple[tuple[Button, ...], ...]:
    """The section buttons under a service card."""
    sid = service.id
    rows = [
        (_fact_button(sid, Intent.DOCUMENTS), _fact_button(sid, Intent.COST)),
        (_fact_button(sid, Intent.DURATION), _fact_button(sid, Intent.STEPS)),
        (_fact_button(sid, Intent.WEBSITE), _fact_button(sid, Intent.PROVIDER)),
    ]
    extra = []
    if service.laws:
        extra.append(_fact_button(sid, Intent.LAWS))
    if service.audience or service.service_types:
        extra.append(_fact_button(sid, Intent.AUDIENCE))
    if extra:
        rows.append(tuple(extra))
    if service.registration is None or service.registration.enabled:
        rows.append((Button(T.BTN_REGISTER, cb_register(sid)),))
    return tuple(rows)


def _fact_button(service_id: str, intent: Intent) -> Button:
    return Button(intent.button, cb_fact(service_id, intent))


def desk_row() -> tuple[Button, ...]:
    """The button that asks for a person (the support desk); shown only when the desk is on."""
    return (Button(T.DESK_BUTTON, pack(Action.DESK, "open")),)


def vote_row(service_id: str, intent: str) -> tuple[Button, ...]:
    """👍/👎 under a fact answer: one vote per citizen and answer, changeable (bot/dialogue/desk.py)."""
    return (Button(T.VOTE_UP, pack(Action.VOTE, service_id, intent, "u")),
            Button(T.VOTE_DOWN, pack(Action.VOTE, service_id, intent, "d")))


def fact_buttons(service: Service, intent: str) -> tuple[tuple[Button, ...], ...]:
    """Under an answer: a link to the site if there is one, back to the card, and register."""
    rows: list[tuple[Button, ...]] = []
    if intent == "website" and service.websites:
        rows.append((Button(T.BTN_OPEN_SITE, url=str(service.websites[0])),))
    row = [Button(T.BTN_CARD, cb_service(service.id))]
    if service.registration is None or service.registration.enabled:
        row.append(Button(T.BTN_REGISTER, cb_register(service.id)))
    rows.append(tuple(row))
    return tuple(rows)


def service_card(service: Service) -> Reply:
    """A compact summary of a service, with a button for each section."""
    lines = [bold(service.title)]
    provider = T.CARD_PROVIDER.format(provider=service.provider)
    if service.parent_agency and service.parent_agency != service.provider:
        provider += T.CARD_PARENT.format(parent=service.parent_agency)
    lines.append(provider)
    if service.description:
        lines.append("")
        lines.append(_shorten(service.description, SUMMARY_CHARS))
    lines.append("")
    if service.costs is not None:
        lines.append(T.CARD_COST.format(cost=_cost_summary(service)))
    if service.duration:
        lines.append(T.CARD_DURATION.format(duration=to_persian_digits(service.duration)))
    if service.websites:
        lines.append(T.CARD_WEBSITE.format(url=str(service.websites[0])))
    lines.append("")
    lines.append(T.CARD_ASK)
    return Reply(_join(lines), card_buttons(service))


def fact(service: Service, intent: str) -> Reply:
    """The specific fact asked for, or a plain statement that the card is silent and where to ask."""
    composer = _COMPOSERS.get(intent)
    if composer is None:
        return service_card(service)
    lines = composer(service)
    if not lines:  # the answer still names the service it is about
        lines = [T.ABOUT_SERVICE.format(title=bold(service.title)), T.NOT_STATED.format(what=Intent(intent).what),
                 where_to_ask(service)]
    return Reply(_join(lines), (*fact_buttons(service, intent), vote_row(service.id, intent)))


def brief(service: Service, intent: str) -> str:
    """The fact asked for in one short paragraph, for a question asked in passing (in the middle of a
    form): the heading and the first items on one line, or that the card is silent."""
    composer = _COMPOSERS.get(intent)
    lines = [line for line in (composer(service) if composer else []) if line]
    if not lines:
        return T.NOT_STATED.format(what=Intent(intent).what) if composer else service.title
    items = [_NUMBER_PREFIX.sub("", line) for line in lines[1:BRIEF_ITEMS + 1]]
    more = "…" if len(lines) > BRIEF_ITEMS + 1 else ""
    return lines[0] + (" " + "؛ ".join(items) + more if items else "")


def where_to_ask(service: Service) -> str:
    """Where a citizen can learn what the card does not say."""
    if service.websites:
        return T.WHERE_TO_ASK_SITE.format(url=str(service.websites[0]))
    contact = service.contact
    if contact and contact.phone:
        return T.WHERE_TO_ASK_CONTACT.format(contact=f"{contact.unit or service.provider} ({to_persian_digits(contact.phone)})")
    return T.WHERE_TO_ASK_AGENCY.format(provider=service.provider)


def choice(candidates: tuple[Candidate, ...], intent: str | None = None) -> Reply:
    """A short choice among close candidates, as buttons, each with why it may fit. A button carries the
    question asked, so tapping it answers the documents (cost, ...) asked about, not just the summary."""
    lines = [T.CHOICE]
    for c in candidates:
        why = getattr(c, "why", "")
        if why:
            lines.append(T.CHOICE_WHY.format(title=_shorten(c.service.title, 50), why=why))
    buttons = tuple((Button(_shorten(c.service.title, 60), _pending(c.service, intent)),) for c in candidates)
    return Reply("\n".join(lines), buttons)


def _pending(service: Service, intent: str | None) -> str:
    if intent in FACT_INTENTS:
        return cb_fact(service.id, intent)
    if intent == Intent.REGISTER and (service.registration is None or service.registration.enabled):
        return cb_register(service.id)
    return cb_service(service.id)


def sole_candidate(u: Understanding) -> Service | None:
    """The service of a "choice" with a single candidate: never a one-button "which one?", it is answered."""
    if u.service is None and u.decision.kind == "choice" and len(u.decision.candidates) == 1:
        return u.decision.candidates[0].service
    return None


def not_found(query: str, suggestions: tuple[Candidate, ...], *, desk: bool = False) -> Reply:
    """An honest "not found", with the nearest services (if any) and where to ask a person (with `desk`,
    the button that asks one of the support staff)."""
    lines = [T.NOT_FOUND.format(query=_shorten(query, 60))]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if suggestions:
        lines.append(T.NOT_FOUND_SUGGEST)
        buttons = tuple((Button(_shorten(c.service.title, 60), cb_service(c.service.id)),) for c in suggestions)
    lines.append("")
    lines.append(T.NOT_FOUND_HINT)
    return Reply(_join(lines), (*buttons, desk_row()) if desk else buttons)


def respond(u: Understanding, *, desk: bool = False) -> Reply:
    """The reply to one understood message (registration and tracking are handled by the dialogue). A
    message written in English gets the same Persian answer and one English line saying so. `desk`: the
    support desk is on, and "not found" and the help offer a person."""
    reply = _respond(u, desk)
    if u.language == "en":
        reply = dataclasses.replace(reply, text=f"{reply.text}\n\n{T.ENGLISH_NOTE}")
    return reply


def _respond(u: Understanding, desk: bool) -> Reply:
    service = u.service or sole_candidate(u)
    if service is not None:
        asked = facts_asked(u)
        if len(asked) > 1:
            return facts(service, asked)
        if asked:
            return fact(service, asked[0])
        return service_card(service)
    if u.agency and u.decision.candidates:
        return agency_services(u.agency, u.decision.candidates)
    if u.decision.kind == "choice":
        return choice(u.decision.candidates, u.intent)
    if u.decision.kind == "none":
        if u.elsewhere is not None:
            return elsewhere(u.elsewhere)
        return not_found(u.normalized or u.query, u.decision.candidates, desk=desk)
    # Nothing to search for: small talk, or a question without a service.
    if u.intent == "greeting":
        return Reply(T.GREETING)
    if u.intent == "thanks":
        return Reply(T.THANKS)
    if u.intent == "help":
        return Reply(T.HELP.format(title=bold(T.HELP_TITLE)), (desk_row(),) if desk else ())
    if u.intent in FACT_INTENTS:
        return Reply(T.ASK_WHICH_SERVICE.format(what=Intent(u.intent).what))
    if not u.normalized:
        return Reply(T.EMPTY_TEXT)
    return not_found(u.normalized, (), desk=desk)


def facts_asked(u: Understanding) -> list[str]:
    """The sections of a card the message asks about, in the order asked («مدارکش چیه؟ سایتش کجاست؟»)."""
    asked = list(dict.fromkeys(i for i in (u.intents or []) if i in FACT_INTENTS))
    if not asked and u.intent in FACT_INTENTS:
        asked = [u.intent]
    return asked


def facts(service: Service, intents: list[str]) -> Reply:
    """Several sections of one card in one reply, each under a short heading."""
    lines = [T.ABOUT_SERVICE.format(title=bold(service.title))]
    for intent in intents:
        section = _COMPOSERS[intent](service) or [T.NOT_STATED.format(what=Intent(intent).what), where_to_ask(service)]
        lines += ["", bold(Intent(intent).button), *section]
    website = "website" if "website" in intents else intents[0]
    return Reply(_join(lines), (*fact_buttons(service, website), vote_row(service.id, intents[0])))


def agency_services(agency: str, candidates: tuple[Candidate, ...]) -> Reply:
    """The services of an agency (and of the agency above it) that the catalogue has."""
    buttons = tuple((Button(_shorten(c.service.title, 60), cb_service(c.service.id)),) for c in candidates)
    return Reply(T.AGENCY_SERVICES.format(agency=agency), buttons)


def elsewhere(entry) -> Reply:
    """A service this bot does not have, that another body provides: who, and its official site if the
    knowledge has it (never a guessed address)."""
    lines = [T.ELSEWHERE.format(title=entry.title, agency=entry.agency)]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if entry.website:
        lines.append(T.ELSEWHERE_SITE.format(url=str(entry.website)))
        buttons = ((Button(T.BTN_OPEN_SITE, url=str(entry.website)),),)
    else:
        lines.append(T.ELSEWHERE_NO_SITE.format(agency=entry.agency))
    return Reply(_join(lines), buttons)


def number_alone(kind: str, open_requests: list, titles: dict[str, str]) -> Reply:
    """A national code or mobile number typed outside a form: what it looks like (never echoed back), the
    citizen's own open requests, and how to follow a request."""
    lines = [T.NUMBER_NATIONAL_CODE if kind == "national_code" else T.NUMBER_MOBILE]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if open_requests:
        lines.append(T.NUMBER_YOUR_REQUESTS)
        buttons = tuple(
            (Button(_shorten(T.TRACK_REQUEST_BUTTON.format(title=_shorten(titles.get(r.service_id, r.service_id), 30),
                                                           code=to_persian_digits(r.tracking_code)), 60),
                    pack(Action.TRACK, r.tracking_code)),)
            for r in open_requests
        )
    else:
        lines.append(T.NUMBER_HOW_TO_TRACK)
    return Reply(_join(lines), buttons)


# ------------------------------------------------------------------------------------------ composers


def _documents(s: Service) -> list[str]:
    if not s.documents:
        return []
    return [T.DOCUMENTS_TITLE.format(title=bold(s.title)), *_numbered(s.documents)]


def _cost(s: Service) -> list[str]:
    if s.costs is None:
        return []
    lines = [T.COST_TITLE.format(title=bold(s.title))]
    if s.is_free:
        lines.append(T.COST_FREE)
        return lines
    for c in s.costs:
        lines.append(
            T.COST_ITEM.format(
                amount=format_rials(c.amount),
                purpose=T.COST_PURPOSE.format(purpose=to_persian_digits(c.purpose)) if c.purpose else "",
                electronic=T.COST_ELECTRONIC if c.electronic else "",
            )
        )
        if c.bank_account:
            lines.append(T.COST_ACCOUNT.format(account=to_persian_digits(c.bank_account)))
    if s.websites and any(c.electronic for c in s.costs):
        lines.append(T.COST_PAY_ONLINE.format(url=str(s.websites[0])))
    return lines


def _duration(s: Service) -> list[str]:
    if not s.duration:
        return []
    lines = [T.DURATION_TITLE.format(title=bold(s.title), duration=to_persian_digits(s.duration))]
    freq = _frequency(s)
    if freq:
        lines.append(T.FREQUENCY.format(frequency=freq))
    return lines


def _website(s: Service) -> list[str]:
    if not s.websites:
        if not s.system_name:
            return []
        return [T.ABOUT_SERVICE.format(title=bold(s.title)), T.SYSTEM_NAME.format(name=s.system_name), where_to_ask(s)]
    lines = [T.WEBSITE_TITLE.format(title=bold(s.title)), *(f"🌐 {u}" for u in s.websites)]
    if s.system_name:
        lines.append(T.SYSTEM_NAME.format(name=s.system_name))
    return lines


def _steps(s: Service) -> list[str]:
    if not s.steps:
        return []
    if s.citizen_steps:  # what the citizen does first; the card's full list stays below
        mine = [s.steps[n - 1] for n in s.citizen_steps]
        return [T.STEPS_YOURS.format(title=bold(s.title)), *_numbered(mine), "", T.STEPS_ALL, *_numbered(s.steps)]
    return [T.STEPS_TITLE.format(title=bold(s.title)), *_numbered(s.steps)]


def _provider(s: Service) -> list[str]:
    lines = [T.PROVIDER_TITLE.format(title=bold(s.title), provider=s.provider)]
    if s.parent_agency and s.parent_agency != s.provider:
        lines.append(T.PROVIDER_PARENT.format(parent=s.parent_agency))
    c = s.contact
    if c:
        if c.unit:
            lines.append(T.CONTACT_UNIT.format(unit=c.unit))
        if c.phone:
            lines.append(T.CONTACT_PHONE.format(phone=to_persian_digits(c.phone)))
        if c.email:
            lines.append(T.CONTACT_EMAIL.format(email=c.email))
        if c.address:
            lines.append(T.CONTACT_ADDRESS.format(address=c.address))
    if not (c and (c.phone or c.email or c.address)):
        lines.append(where_to_ask(s) if s.websites else "")
    return [line for line in lines if line]


def _laws(s: Service) -> list[str]:
    if not s.laws:
        return []
    return [T.LAWS_TITLE.format(title=bold(s.title)), *_numbered(s.laws)]


def _audience(s: Service) -> list[str]:
    if not (s.audience or s.service_types):
        return []
    lines = [T.AUDIENCE_TITLE.format(title=bold(s.title))]
    if s.audience:
        lines.append(T.AUDIENCE_TEXT.format(audience=s.audience))
    if s.service_types:
        lines.append(T.AUDIENCE_TYPES.format(types="، ".join(SERVICE_TYPES[t] for t in s.service_types)))
    return lines


def _in_person(s: Service) -> list[str]:
    stages = []
    if s.delivery:
        for key, label in STAGES.items():
            stage = getattr(s.delivery, key)
            if stage and (stage.in_person_reasons or stage.in_person_note):
                reasons = [IN_PERSON_REASONS[r] for r in stage.in_person_reasons if r != "other"]
                if stage.in_person_note:
                    reasons.append(stage.in_person_note)
                stages.append(T.IN_PERSON_STAGE.format(stage=label, reasons="، ".join(reasons)))
    if s.in_person_visits is None and not stages:
        return []
    lines = [T.IN_PERSON_TITLE.format(title=bold(s.title))]
    if s.in_person_visits == 0:
        lines.append(T.IN_PERSON_NONE)
    elif s.in_person_visits is not None:
        lines.append(T.IN_PERSON_COUNT.format(count=to_persian_digits(s.in_person_visits)))
    lines.extend(stages)
    return lines


_COMPOSERS = {
    Intent.DOCUMENTS: _documents,
    Intent.COST: _cost,
    Intent.DURATION: _duration,
    Intent.WEBSITE: _website,
    Intent.STEPS: _steps,
    Intent.PROVIDER: _provider,
    Intent.LAWS: _laws,
    Intent.AUDIENCE: _audience,
    Intent.IN_PERSON: _in_person,
}


def _frequency(s: Service) -> str:
    f = s.frequency
    if f is None:
        return ""
    if f.once_forever:
        return "یک بار برای همیشه"
    period = PERIODS.get(f.period or "", "")
    if f.times and period:
        return f"{to_persian_digits(f.times)} بار در {period}"
    if f.times:
        return f"{to_persian_digits(f.times)} بار"
    if f.continuous and period:
        return f"به‌طور مداوم در طول {period}"
    return f.note or ""


def _cost_summary(s: Service) -> str:
    if s.is_free:
        return "رایگان"
    assert s.costs is not None
    return "، ".join(format_rials(c.amount) for c in s.costs)


def _numbered(items: list[str]) -> list[str]:
    return [f"{to_persian_digits(i)}. {to_persian_digits(item)}" for i, item in enumerate(items, 1)]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _join(lines: list[str]) -> str:
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()




def request_status(request, service_title: str) -> Reply:
    """A request's status and history, as its owner sees it (dates in the Jalali calendar)."""
    from bot.persian import jalali_datetime
    from storage.requests import STATUS_LABELS

    lines = [
        bold(T.TRACK_TITLE.format(code=to_persian_digits(request.tracking_code))),
        T.TRACK_SERVICE.format(title=service_title),
        T.TRACK_STATUS.format(status=bold(request.status_label)),
        T.TRACK_CREATED.format(date=jalali_datetime(request.created_at)),
    ]
    if request.events:
        lines += ["", T.TRACK_HISTORY]
        for e in request.events:
            lines.append(T.TRACK_EVENT.format(
                date=jalali_datetime(e.created_at),
                status=STATUS_LABELS.get(e.status, e.status),
                note=f" — {e.note}" if e.note else "",
            ))
    return Reply(_join(lines))
