"""Registration through the chat: the form (bot.forms) with its draft in SQLite after every step, the
request and its tracking code on confirmation, and status changes delivered to the citizen."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from bot import answers, forms
from bot import texts as T
from bot.app import Runtime
from bot.knowledge import Service
from bot.persian import jalali_datetime, to_persian_digits
from bot.reply import Button, Reply, bold
from handlers.send import send

log = logging.getLogger(__name__)

PAUSED = "__paused"  # a flag among the answers of a form set aside by /start (kept with its state)
NOTIFY_EVERY = 2.0  # seconds between looks for status changes to deliver
PRUNE_EVERY_ROUNDS = 1800  # about an hour of rounds
DRAFT_RETENTION_DAYS = 30


def _state(draft) -> forms.FormState:
    answers = {k: v for k, v in draft.answers.items() if k != PAUSED}
    return forms.FormState(draft.service_id, draft.step, answers, draft.editing)


def _paused(draft) -> bool:
    return bool(draft.answers.get(PAUSED))


async def active_draft(rt: Runtime, user_id: int):
    """The citizen's form in progress, unless it was set aside."""
    draft = await rt.db.drafts.get(rt.profile.name, user_id)
    if draft is None or _paused(draft):
        return None
    return draft


async def begin(rt: Runtime, bot, chat_id: int, user_id: int, service: Service) -> None:
    """Opens the registration form of a service (or says this service does not register here)."""
    if service.registration is not None and not service.registration.enabled:
        lines = [T.FORM_DISABLED.format(title=bold(service.title)), answers.where_to_ask(service)]
        await send(rt, bot, chat_id, Reply("\n".join(lines), answers.fact_buttons(service, "register")))
        return
    step = forms.start(service)
    await _apply(rt, bot, chat_id, user_id, service, step)


async def on_text(rt: Runtime, bot, chat_id: int, user_id: int, draft, text: str) -> None:
    """A typed answer to the current question."""
    service = rt.knowledge.get(draft.service_id)
    if service is None:  # the service left the catalogue since the form was started
        await rt.db.drafts.delete(rt.profile.name, user_id)
        await send(rt, bot, chat_id, Reply(T.STALE_BUTTON))
        return
    await _apply(rt, bot, chat_id, user_id, service, forms.answer(service, _state(draft), text))


async def on_contact(rt: Runtime, bot, chat_id: int, user_id: int, draft, phone: str, owner: int | None) -> bool:
    """A shared contact while a mobile number is asked; False if the form was not asking for one."""
    service = rt.knowledge.get(draft.service_id)
    if service is None:
        return False
    state = _state(draft)
    if owner != user_id:  # someone else's contact, or a phone-book entry: not the citizen's own number
        await send(rt, bot, chat_id, Reply(T.FORM_OWN_CONTACT))
        return True
    value, problem = forms.shared_mobile(phone)
    if problem:
        await _apply(rt, bot, chat_id, user_id, service, forms.Step(state, (Reply(problem), *forms.prompt(service, state))))
        return True
    step = forms.store_mobile(service, state, value)
    if step is None:
        return False
    await _apply(rt, bot, chat_id, user_id, service, step)
    return True


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE, rt: Runtime, data: str) -> Reply | None:
    """A form button (`f:...`). Returns a Reply to show for a stale/forged button, else None."""
    query = update.callback_query
    user_id = query.from_user.id
    chat_id = query.message.chat_id if query.message else user_id
    draft = await rt.db.drafts.get(rt.profile.name, user_id)
    if data == "f:resume":
        if draft is None:
            return Reply(T.STALE_BUTTON)
        state = _state(draft)
        await rt.db.drafts.save(rt.profile.name, user_id, draft.service_id, draft.step, state.answers, draft.editing)
        service = rt.knowledge.get(draft.service_id)
        if service is None:
            return Reply(T.STALE_BUTTON)
        for reply in (Reply(T.FORM_RESUME.format(title=bold(service.title))), *forms.prompt(service, state)):
            await send(rt, context.bot, chat_id, reply)
        return None
    if draft is None or _paused(draft):
        return Reply(T.STALE_BUTTON)
    service = rt.knowledge.get(draft.service_id)
    if service is None:
        return Reply(T.STALE_BUTTON)
    state = _state(draft)
    parts = data.split(":")
    tok = forms.token(service)
    step: forms.Step | None = None
    if parts[1:3] == ["c", tok] and len(parts) == 5 and parts[3].isdigit() and parts[4].isdigit():
        step = forms.choose(service, state, int(parts[3]), int(parts[4]))
    elif parts[1:3] == ["s", tok] and len(parts) == 4 and parts[3].isdigit():
        step = forms.skip(service, state, int(parts[3]))
    elif data == "f:b":
        step = forms.back(service, state)
    elif data == "f:x":
        step = forms.cancel()
    elif parts[1:3] == ["e", tok] and len(parts) == 4:
        step = forms.edit(service, state, parts[3])
    elif data == f"f:ok:{tok}":
        step = forms.confirm(service, state)
    if step is None:
        return Reply(T.STALE_BUTTON)
    await _apply(rt, context.bot, chat_id, user_id, service, step)
    return None


async def _apply(rt: Runtime, bot, chat_id: int, user_id: int, service: Service, step: forms.Step) -> None:
    """Stores the new state (before anything is shown: a restart resumes where the citizen is) and sends
    the replies; on confirmation creates the request."""
    platform = rt.profile.name
    if step.confirmed:
        await _submit(rt, bot, chat_id, user_id, service, step.state)
        return
    if step.state is None:
        await rt.db.drafts.delete(platform, user_id)
    else:
        s = step.state
        await rt.db.drafts.save(platform, user_id, s.service_id, s.step, s.answers, s.editing)
    await rt.db.chats.set_current_service(platform, user_id, service.id)
    for reply in step.replies:
        await send(rt, bot, chat_id, reply)


async def _submit(rt: Runtime, bot, chat_id: int, user_id: int, service: Service, state: forms.FormState) -> None:
    """The request and its tracking code, in one transaction; then the draft goes."""
    platform = rt.profile.name
    data = {k: v for k, v in state.answers.items() if "__" not in k}
    national_code, mobile = forms.submitted_identity(service, data)
    created = await rt.db.requests.create(service.id, platform, user_id, chat_id, national_code, mobile, data)
    await rt.db.drafts.delete(platform, user_id)
    code = to_persian_digits(created.tracking_code)
    if created.duplicate and not getattr(created, "own", True):
        await send(rt, bot, chat_id, Reply(T.REGISTERED_DUPLICATE_OTHER.format(title=bold(service.title))))
        return
    if created.duplicate:
        text = T.REGISTERED_DUPLICATE.format(title=bold(service.title), code=bold(code))
        buttons = ((Button(T.TRACK_BUTTON, f"t:{created.tracking_code}"),), (Button(T.BTN_CARD, f"s:{service.id}"),))
        await send(rt, bot, chat_id, Reply(text, buttons))
        return
    rt.confirming.add(created.tracking_code)
    try:
        sent = await send(rt, bot, chat_id, confirmation(service, created.tracking_code, created.created_at))
        if sent is not None:  # unconfirmed (timed out): the notice loop sends it again rather than lose it
            await rt.db.requests.mark_confirmed(created.tracking_code)
    finally:
        rt.confirming.discard(created.tracking_code)


def confirmation(service: Service | None, tracking_code: str, created_at) -> Reply:
    """The message with the tracking code, the Jalali date and what happens next."""
    title = service.title if service else ""
    text = T.REGISTERED.format(title=bold(title), code=bold(to_persian_digits(tracking_code)),
                               date=jalali_datetime(created_at))
    next_steps = _next_steps(service) if service else []
    if next_steps:
        text += "\n\n" + T.NEXT_STEPS + "\n" + "\n".join(next_steps)
    buttons = [(Button(T.TRACK_BUTTON, f"t:{tracking_code}"),)]
    if service:
        buttons.append((Button(T.BTN_CARD, f"s:{service.id}"),))
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


async def pause(rt: Runtime, user_id: int) -> Service | None:
    """Sets a form in progress aside (on /start); returns its service, to offer resuming."""
    draft = await rt.db.drafts.get(rt.profile.name, user_id)
    if draft is None:
        return None
    await rt.db.drafts.save(rt.profile.name, user_id, draft.service_id, draft.step, {**draft.answers, PAUSED: True},
                            draft.editing)
    return rt.knowledge.get(draft.service_id)


async def drop(rt: Runtime, user_id: int) -> bool:
    """Cancels a form in progress (on /cancel)."""
    return await rt.db.drafts.delete(rt.profile.name, user_id)


# ------------------------------------------------------------------------------ status notifications


async def deliver_notices(app: Application) -> int:
    """Tells citizens about status changes staff made (from this process or the CLI); returns how many
    were delivered. A citizen who blocked the bot is skipped for good; other failures are retried later."""
    rt: Runtime = app.bot_data["rt"]
    delivered = 0
    for notice in await rt.db.requests.undelivered(rt.profile.name):
        if notice.tracking_code in rt.confirming:  # its handler is still sending it (e.g. flood control)
            continue
        service = rt.knowledge.get(notice.service_id)
        title = service.title if service else notice.service_id
        if notice.status == "submitted":  # a confirmation that could not be sent at the time
            reply = confirmation(service, notice.tracking_code, notice.created_at)
        else:
            text = T.STATUS_CHANGED.format(
                code=bold(to_persian_digits(notice.tracking_code)), title=title, status=bold(notice.status_label),
                note=f"\n{notice.note}" if notice.note else "",
            )
            reply = Reply(text, ((Button(T.TRACK_BUTTON, f"t:{notice.tracking_code}"),),))
        try:
            await send(rt, app.bot, notice.chat_id, reply)
        except Forbidden:
            log.info("citizen of request event %s blocked the bot; notice dropped", notice.event_id)
        except TelegramError as exc:
            log.warning("status notice %s not delivered yet: %s", notice.event_id, exc)
            continue
        await rt.db.requests.mark_delivered(notice.event_id)
        delivered += 1
    return delivered


async def notice_loop(app: Application, every: float = NOTIFY_EVERY) -> None:
    """Delivers status notices while the application runs; started before `app.start()` (from post_init),
    it waits for the start and ends by itself soon after `app.stop()` begins."""
    for _ in range(600):  # wait up to a minute for start(); an app that never starts is left alone
        if app.running:
            break
        await asyncio.sleep(0.1)
    rounds = 0
    while app.running:
        try:
            if rounds % PRUNE_EVERY_ROUNDS == 0:
                await prune(app.bot_data["rt"])
            await deliver_notices(app)
        except Exception:
            log.exception("delivering status notices failed")
        rounds += 1
        for _ in range(int(every / 0.1)):
            if not app.running:
                return
            await asyncio.sleep(0.1)


async def prune(rt: Runtime) -> None:
    """Retention: conversation logs older than BOT_LOG_RETENTION_DAYS, drafts untouched for a month."""
    removed = await rt.db.log.prune(rt.settings.log_retention_days)
    drafts = await rt.db.drafts.prune(DRAFT_RETENTION_DAYS)
    if removed or drafts:
        log.info("retention: %d log entries and %d stale drafts removed", removed, drafts)


def start_notices(app: Application) -> asyncio.Task:
    """Starts delivering status notices in the background."""
    task = asyncio.get_running_loop().create_task(notice_loop(app), name="status-notices")
    app.bot_data["notice_task"] = task
    return task


async def stop_notices(app: Application) -> None:
    """Stops the notice loop at once (it would also end by itself once the app stops)."""
    task = app.bot_data.pop("notice_task", None)
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
