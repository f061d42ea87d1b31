"""Registration in the dialogue: the form (bot.forms) with its draft stored after every step, the request
and its tracking code on confirmation, and status changes delivered to the citizen."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot import answers, forms
from bot import texts as T
from bot.dialogue.channel import DeliveryFailed, Outbox, RecipientGone
from bot.knowledge import Service
from bot.payload import Action, FormOp, Payload, pack
from bot.persian import jalali_datetime, to_persian_digits
from bot.questions import FACTS
from bot.reply import Button, Reply, bold
from storage import RequestLimitReached, RetentionRefused

if TYPE_CHECKING:
    from bot.dialogue.core import Dialogue
    from bot.settings import Settings
    from storage import ChatState, Store

log = logging.getLogger(__name__)

PAUSED = "__paused"  # a flag among the answers of a form set aside by /start (kept with its state)
DRAFT_RETENTION_DAYS = 30
UNSURE = "unsure_confirmation"  # chat data: a tracking code whose confirmation may not have arrived
LOOKUP_RETENTION_DAYS = 1  # failed look-ups: far longer than any wait they impose
# Handled updates (raw messages, personal numbers included) are kept only to recognise one the platform sends
# again, which it does for at most 24 hours.
INBOX_RETENTION_DAYS = 2


def _state(draft, service: Service) -> forms.FormState:
    """The draft's form state, aligned with the service's form as it is now (see forms.aligned)."""
    answers = {k: v for k, v in draft.answers.items() if k != PAUSED}
    return forms.aligned(service, forms.FormState(draft.service_id, draft.step, answers, draft.editing))


def _paused(draft) -> bool:
    return bool(draft.answers.get(PAUSED))


async def active_draft(d: Dialogue, user_id: int):
    """The citizen's form in progress, unless it was set aside."""
    draft = await d.store.drafts.get(d.platform, user_id)
    if draft is None or _paused(draft):
        return None
    return draft


async def begin(d: Dialogue, out: Outbox, chat_id: int, user_id: int, service: Service) -> None:
    """Opens the registration form of a service (or says this service does not register here)."""
    if service.registration is not None and not service.registration.enabled:
        lines = [T.FORM_DISABLED.format(title=bold(service.title)), answers.where_to_ask(service)]
        await d.send(out, chat_id, Reply("\n".join(lines), answers.fact_buttons(service, "register")))
        return
    await _apply(d, out, chat_id, user_id, service, forms.start(service))


async def on_text(d: Dialogue, out: Outbox, chat_id: int, user_id: int, draft, text: str) -> str | None:
    """A typed answer to the current question. Returns what the conversation log keeps instead of the text
    (the answer is personal), or None when the text was a question asked in passing."""
    service = d.knowledge.get(draft.service_id)
    if service is None:  # the service left the catalogue since the form was started
        await d.store.drafts.delete(d.platform, user_id)
        await d.send(out, chat_id, Reply(T.STALE_BUTTON))
        return T.LOG_FORM_ANSWER.format(field=T.LOG_FORM_UNKNOWN_FIELD)
    state = _state(draft, service)
    if (state.step, state.editing) != (draft.step, draft.editing):
        # The form was changed (a question added or removed) since this question was asked: the text answered
        # a question that moved, so it is not stored; the question the form needs now is asked.
        await _apply(d, out, chat_id, user_id, service,
                     forms.Step(state, (Reply(T.FORM_CHANGED), *forms.prompt(service, state))))
        return T.LOG_FORM_ANSWER.format(field=T.LOG_FORM_UNKNOWN_FIELD)
    side = _side_question(d, service, state, text)
    if side is not None:  # answered in passing; the question of the form is asked again, nothing stored
        await d.send(out, chat_id, Reply(side + "\n\n" + T.FORM_SIDE_BACK))
        for reply in forms.prompt(service, state):
            await d.send(out, chat_id, reply)
        return None
    field = forms.field_at(service, state) or T.LOG_FORM_AT_SUMMARY
    await _apply(d, out, chat_id, user_id, service, forms.answer(service, state, text))
    return T.LOG_FORM_ANSWER.format(field=field)


def _side_question(d: Dialogue, service: Service, state: forms.FormState, text: str) -> str | None:
    """The short answer to a question typed at a form step («چند روز طول میکشه؟» at the name step), or
    None when the text is an answer. A text counts as a question when it asks about a section of a card
    and either has a question mark or is no valid answer to the step."""
    fields = forms.fields_of(service)
    if state.step >= len(fields) or len(text) > 300:
        return None
    u = d.engine.understand(text, current_service=service.id)
    if u.intent not in FACTS:
        return None
    asked = "؟" in text or "?" in text
    if not asked and forms.check(fields[state.step], text, state)[1] is None:
        return None
    about = u.service or service
    return answers.brief(about, u.intent)


async def on_contact(d: Dialogue, out: Outbox, chat_id: int, user_id: int, draft, phone: str,
                     owner: int | None) -> bool:
    """A shared contact while a mobile number is asked; False if the form was not asking for one."""
    service = d.knowledge.get(draft.service_id)
    if service is None:
        return False
    state = _state(draft, service)
    if owner != user_id:  # someone else's contact, or a phone-book entry: not the citizen's own number
        await d.send(out, chat_id, Reply(T.FORM_OWN_CONTACT))
        return True
    value, problem = forms.shared_mobile(phone)
    if problem:
        step = forms.Step(state, (Reply(problem), *forms.prompt(service, state)))
        await _apply(d, out, chat_id, user_id, service, step)
        return True
    step = forms.store_mobile(service, state, value)
    if step is None:
        return False
    await _apply(d, out, chat_id, user_id, service, step)
    return True


async def on_button(d: Dialogue, out: Outbox, chat_id: int, user_id: int, p: Payload) -> Reply | None:
    """A form button. Returns a Reply to show for a stale button, else None."""
    op = p.arg(0)
    draft = await d.store.drafts.get(d.platform, user_id)
    if op == FormOp.RESUME:
        if draft is None:
            return Reply(T.STALE_BUTTON)
        service = d.knowledge.get(draft.service_id)
        if service is None:  # the service left the catalogue while the form was set aside
            await d.store.drafts.delete(d.platform, user_id)
            return Reply(T.STALE_BUTTON)
        state = _state(draft, service)
        await d.store.drafts.save(d.platform, user_id, draft.service_id, state.step, state.answers, state.editing)
        for reply in (Reply(T.FORM_RESUME.format(title=bold(service.title))), *forms.prompt(service, state)):
            await d.send(out, chat_id, reply)
        return None
    if draft is None or _paused(draft):
        return Reply(T.STALE_BUTTON)
    service = d.knowledge.get(draft.service_id)
    if service is None:
        return Reply(T.STALE_BUTTON)
    state = _state(draft, service)
    args = p.args[1:]
    own_form = bool(args) and args[0] == forms.token(service)  # a button of another service's form is stale
    step: forms.Step | None = None
    if op == FormOp.CHOOSE and own_form:
        step = forms.choose(service, state, int(args[1]), int(args[2]))
    elif op == FormOp.SKIP and own_form:
        step = forms.skip(service, state, int(args[1]))
    elif op == FormOp.BACK:
        step = forms.back(service, state)
    elif op == FormOp.CANCEL:
        step = forms.cancel()
    elif op == FormOp.EDIT and own_form:
        step = forms.edit(service, state, args[1])
    elif op == FormOp.CONFIRM and own_form:
        step = forms.confirm(service, state)
    if step is None:
        return Reply(T.STALE_BUTTON)
    await _apply(d, out, chat_id, user_id, service, step)
    return None


async def _apply(d: Dialogue, out: Outbox, chat_id: int, user_id: int, service: Service, step: forms.Step) -> None:
    """Stores the new state (before anything is shown: a restart resumes where the citizen is) and sends
    the replies; on confirmation creates the request."""
    if step.confirmed:
        await _submit(d, out, chat_id, user_id, service, step.state)
        return
    if step.state is None:
        await d.store.drafts.delete(d.platform, user_id)
    else:
        s = step.state
        await d.store.drafts.save(d.platform, user_id, s.service_id, s.step, s.answers, s.editing)
    await d.remember_service(user_id, service.id)
    for reply in step.replies:
        await d.send(out, chat_id, reply)


async def _submit(d: Dialogue, out: Outbox, chat_id: int, user_id: int, service: Service,
                  state: forms.FormState) -> None:
    """The request and its tracking code, in one transaction; then the draft goes. Over the daily cap
    nothing is stored and the draft stays, to be sent another day."""
    data = {k: v for k, v in state.answers.items() if "__" not in k}
    national_code, mobile = forms.submitted_identity(service, data)
    try:
        created = await d.store.requests.create(service.id, d.platform, user_id, chat_id, national_code, mobile,
                                                data, daily_limit=d.settings.max_requests_per_day)
    except RequestLimitReached as exc:
        await d.send(out, chat_id, Reply(T.REQUEST_LIMIT.format(limit=to_persian_digits(exc.limit))))
        return
    await d.store.drafts.delete(d.platform, user_id)
    code = to_persian_digits(created.tracking_code)
    if created.duplicate:
        text = T.REGISTERED_DUPLICATE.format(title=bold(service.title), code=bold(code))
        buttons = ((Button(T.TRACK_BUTTON, pack(Action.TRACK, created.tracking_code)),),
                   (Button(T.BTN_CARD, pack(Action.SERVICE, service.id)),))
        await d.send(out, chat_id, Reply(text, buttons))
        return
    d.confirming.add(created.tracking_code)
    try:
        delivered = await d.send(out, chat_id, confirmation(service, created.tracking_code, created.created_at))
        # Sent, or queued by the channel to be sent when the platform allows. If the platform refused it,
        # `send` raised: not marked, the notice loop sends it later, so the code is never lost. When the
        # platform did not answer in time the message has most likely arrived: it is not sent again, and
        # the code is shown once more, as a reminder, with the citizen's next message.
        await d.store.requests.mark_confirmed(created.tracking_code)
        if not delivered:
            state = await d.store.chats.get(d.platform, user_id)
            await d.store.chats.set_data(d.platform, user_id, {**state.data, UNSURE: created.tracking_code})
    finally:
        d.confirming.discard(created.tracking_code)


async def remind_unsure_confirmation(
    d: Dialogue, out: Outbox, chat_id: int, user_id: int, state: ChatState | None = None,
) -> None:
    """Shows the tracking code of a confirmation the platform never confirmed, once (`state`: the chat's
    state when the caller has just read it)."""
    if state is None:
        state = await d.store.chats.get(d.platform, user_id)
    code = state.data.get(UNSURE)
    if not code:
        return
    await d.store.chats.set_data(d.platform, user_id, {k: v for k, v in state.data.items() if k != UNSURE})
    request = await d.store.requests.get_for_user(code, d.platform, user_id)
    if request is None:
        return
    service = d.knowledge.get(request.service_id)
    title = service.title if service else request.service_id
    await d.send(out, chat_id, Reply(
        T.CONFIRMATION_REMINDER.format(title=bold(title), code=bold(to_persian_digits(code))),
        ((Button(T.TRACK_BUTTON, pack(Action.TRACK, code)),),),
    ))


def confirmation(service: Service | None, tracking_code: str, created_at) -> Reply:
    """The message with the tracking code, the Jalali date and what happens next."""
    title = service.title if service else ""
    text = T.REGISTERED.format(title=bold(title), code=bold(to_persian_digits(tracking_code)),
                               date=jalali_datetime(created_at))
    next_steps = _next_steps(service) if service else []
    if next_steps:
        text += "\n\n" + T.NEXT_STEPS + "\n" + "\n".join(next_steps)
    buttons = [(Button(T.TRACK_BUTTON, pack(Action.TRACK, tracking_code)),)]
    if service:
        buttons.append((Button(T.BTN_CARD, pack(Action.SERVICE, service.id)),))
    return Reply(text, tuple(buttons))


def _next_steps(service: Service) -> list[str]:
    """What happens after registering: the form's own note, else the card's steps after the
    registration step (or all of them)."""
    if service.registration and service.registration.next_steps:
        return [service.registration.next_steps]
    steps = list(service.steps)
    for i, s in enumerate(steps):
        if "رهگیری" in s or "ثبت‌نام" in s or "ثبت نام" in s:
            steps = steps[i + 1 :]
            break
    return [f"{to_persian_digits(i)}. {to_persian_digits(s)}" for i, s in enumerate(steps, 1)]


async def pause(d: Dialogue, user_id: int) -> Service | None:
    """Sets a form in progress aside (on /start); returns its service, to offer resuming."""
    draft = await d.store.drafts.get(d.platform, user_id)
    if draft is None:
        return None
    await d.store.drafts.save(d.platform, user_id, draft.service_id, draft.step, {**draft.answers, PAUSED: True},
                              draft.editing)
    return d.knowledge.get(draft.service_id)


async def drop(d: Dialogue, user_id: int) -> bool:
    """Cancels a form in progress (on /cancel)."""
    return await d.store.drafts.delete(d.platform, user_id)


# ------------------------------------------------------------------------------ status notifications


async def deliver_notices(d: Dialogue, out: Outbox) -> int:
    """Tells citizens about status changes staff made (from this process or the CLI) and sends the
    confirmations that could not be sent at the time; returns how many were delivered. A citizen who
    blocked the bot is skipped for good; other failures are retried later."""
    delivered = 0
    # Claimed: another instance's delivery loop, on the same database, gets other notices.
    for notice in await d.store.requests.claim_undelivered(d.platform, lease=d.settings.claim_lease):
        if notice.tracking_code in d.confirming:  # its turn is still sending it (e.g. flood control)
            continue
        service = d.knowledge.get(notice.service_id)
        title = service.title if service else notice.service_id
        if notice.status == "submitted":  # a confirmation that could not be sent at the time
            reply = confirmation(service, notice.tracking_code, notice.created_at)
        else:
            text = T.STATUS_CHANGED.format(
                code=bold(to_persian_digits(notice.tracking_code)), title=title, status=bold(notice.status_label),
                note=f"\n{notice.note}" if notice.note else "",
            )
            reply = Reply(text, ((Button(T.TRACK_BUTTON, pack(Action.TRACK, notice.tracking_code)),),))
        try:
            await d.send(out, notice.chat_id, reply)
        except RecipientGone:
            log.info("citizen of request event %s blocked the bot; notice dropped", notice.event_id)
        except DeliveryFailed as exc:
            log.warning("status notice %s not delivered yet: %s", notice.event_id, exc)
            continue
        await d.store.requests.mark_delivered(notice.event_id)
        delivered += 1
    return delivered


async def prune(d: Dialogue) -> None:
    """The retention pass the running bot makes about once an hour (see retention)."""
    await retention(d.store, d.settings)


async def retention(store: Store, settings: Settings, *, force: bool = False) -> dict[str, int | None]:
    """Deletes what is kept no longer than promised: conversation logs, chat state, closed support tickets
    and votes older than BOT_LOG_RETENTION_DAYS, drafts untouched for a month, failed look-ups of
    yesterday, received updates handled more than two days ago; and anonymises requests done or rejected
    more than BOT_REQUEST_RETENTION_DAYS ago. Returns how many rows each step touched (None: refused).

    A step the storage refuses because the clock looks wrong (a jump ahead would otherwise delete live
    data; see storage/retention.py) is skipped with a warning; `force` (``python -m bot prune
    --force``, after checking the clock) applies the ages to the clock as it is."""
    steps = (
        ("log", lambda: store.log.prune(settings.log_retention_days, force=force)),
        ("drafts", lambda: store.drafts.prune(DRAFT_RETENTION_DAYS, force=force)),
        ("chat_state", lambda: store.chats.prune(settings.log_retention_days, force=force)),
        ("lookups", lambda: store.lookups.prune(LOOKUP_RETENTION_DAYS)),
        ("inbox", lambda: store.inbox.prune(INBOX_RETENTION_DAYS)),
        ("requests", lambda: store.requests.anonymize_closed(settings.request_retention_days, force=force)),
        # The support desk's closed tickets (the citizen's turns and relays) and the votes, which name an
        # account, are kept as long as the conversation log.
        ("tickets", lambda: store.tickets.prune(settings.log_retention_days, force=force)),
        ("feedback", lambda: store.feedback.prune(settings.log_retention_days, force=force)),
    )
    done: dict[str, int | None] = {}
    for name, step in steps:
        try:
            done[name] = await step()
        except RetentionRefused as exc:
            log.warning("retention of %s refused: %s", name, exc)
            done[name] = None
    if any(done.values()):
        await store.forget_deleted()
        log.info("retention: %s", ", ".join(f"{n} {name}" for name, n in done.items() if n))
    return done
