"""What a citizen does in the chat: start, ask, tap a button, send something that is not text.

Each handler turns the update into one domain call (search, answer, browse, track) and sends the Reply;
no Persian sentence and no SQL lives here.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot import answers, browse
from bot import texts as T
from bot.app import Runtime
from bot.persian import to_persian_digits
from bot.reply import Button, Reply, bold
from bot.textnorm import clean
from handlers import registration
from handlers.audit import note_understanding
from handlers.send import edit_or_send, send
from storage.tracking import is_well_formed, normalize_tracking_code

log = logging.getLogger(__name__)

MAX_TEXT = 1000  # longer messages are not questions; the citizen is asked to shorten them


def _rt(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    return context.application.bot_data["rt"]


def main_menu(first_name: str) -> Reply:
    """The welcome text and the main menu."""
    rows = (
        (Button(T.MENU_SEARCH, "m:search"),),
        (Button(T.MENU_BY_AGENCY, "m:a"), Button(T.MENU_BY_EVENT, "m:e")),
        (Button(T.MENU_BY_TYPE, "m:t"), Button(T.MENU_TRACK, "m:track")),
        (Button(T.MENU_HELP, "m:help"),),
    )
    return Reply(T.WELCOME.format(name=first_name or ""), rows)


def help_reply() -> Reply:
    return Reply(T.HELP.format(title=bold(T.HELP_TITLE)), ((Button(T.BACK_TO_MENU, "m:home"),),))


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greets the citizen, forgets the service they were looking at and shows the main menu."""
    rt = _rt(context)
    user = update.effective_user
    await rt.db.chats.set_current_service(rt.profile.name, user.id, None)
    await send(rt, context.bot, update.effective_chat.id, main_menu(clean(user.first_name or "")))
    paused = await registration.pause(rt, user.id)
    if paused is not None:
        await send(rt, context.bot, update.effective_chat.id, Reply(
            T.FORM_PAUSED.format(title=bold(paused.title)),
            ((Button(T.FORM_RESUME_BUTTON, "f:resume"), Button(T.FORM_CANCEL_BUTTON, "f:drop")),),
        ))


async def show_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explains what the bot can do and how to ask."""
    await send(_rt(context), context.bot, update.effective_chat.id, help_reply())


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drops whatever was in progress and says so."""
    rt = _rt(context)
    user = update.effective_user
    state = await rt.db.chats.get(rt.profile.name, user.id)
    await rt.db.chats.set_current_service(rt.profile.name, user.id, None)
    if await registration.drop(rt, user.id):
        text = T.FORM_CANCELLED
    else:
        text = T.CANCELLED if state.current_service else T.NOTHING_TO_CANCEL
    await send(rt, context.bot, update.effective_chat.id, Reply(text, remove_keyboard=True))


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers a typed message: a tracking code, a question about a service, or a search."""
    rt = _rt(context)
    user, chat_id = update.effective_user, update.effective_chat.id
    text = update.effective_message.text or ""
    if text.startswith("/"):  # a command sent without its entity (seen in some Bale clients)
        await _command_by_text(text, update, context)
        return
    draft = await registration.active_draft(rt, user.id)
    if draft is not None:  # the form has its own limits and asks its question again
        await registration.on_text(rt, context.bot, chat_id, user.id, draft, text)
        return
    if len(text) > MAX_TEXT:
        await send(rt, context.bot, chat_id, Reply(T.TOO_LONG.format(limit=to_persian_digits(MAX_TEXT))))
        return
    state = await rt.db.chats.get(rt.profile.name, user.id)
    u = rt.engine.understand(text, current_service=state.current_service)
    answered = u.service is not None or u.intent in ("greeting", "thanks", "help", "track")
    note_understanding(context, update, u, answered)
    if u.intent == "track" and u.tracking_code:
        await send(rt, context.bot, chat_id, await track(rt, user.id, u.tracking_code))
        return
    if u.intent == "track":
        await send(rt, context.bot, chat_id, Reply(T.TRACK_PROMPT))
        return
    if u.intent == "register" and u.service is not None:
        await registration.begin(rt, context.bot, chat_id, user.id, u.service)
        return
    reply = answers.respond(u)
    if u.service is not None and u.service.id != state.current_service:
        await rt.db.chats.set_current_service(rt.profile.name, user.id, u.service.id)
    await send(rt, context.bot, chat_id, reply)


async def _command_by_text(text: str, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    from handlers import admin  # admin imports this module

    name = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if len(text) > 1 else ""
    handler = {
        "start": start, "help": show_help, "cancel": cancel,
        "stats": admin.stats, "unanswered": admin.unanswered, "reload": admin.reload,  # they check who asks
    }.get(name, unknown_command)
    await handler(update, context)


async def track(rt: Runtime, user_id: int, raw_code: str) -> Reply:
    """Looks a tracking code up for its owner only; a mistyped or unknown code counts towards slowing
    down whoever guesses codes."""
    platform = rt.profile.name
    wait = await rt.db.lookups.check(platform, user_id)
    if wait > 0:
        return Reply(T.TRACK_WAIT.format(seconds=to_persian_digits(int(wait + 0.999))))
    code = normalize_tracking_code(raw_code)
    if code is None or not is_well_formed(code):
        await rt.db.lookups.record_failure(platform, user_id)
        return Reply(T.TRACK_MISTYPED)
    request = await rt.db.requests.get_for_user(code, platform, user_id)
    if request is None:
        await rt.db.lookups.record_failure(platform, user_id)
        return Reply(T.TRACK_NOT_FOUND)
    await rt.db.lookups.reset(platform, user_id)
    service = rt.knowledge.get(request.service_id)
    return answers.request_status(request, service.title if service else request.service_id)


async def tap_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handles every inline button; a forged or stale one gets a polite answer, never an error."""
    rt = _rt(context)
    query = update.callback_query
    user = query.from_user
    data = query.data or ""
    kind, _, rest = data.partition(":")
    knowledge = rt.knowledge
    reply: Reply | None = None
    edit = False
    if kind == "s":
        service = knowledge.get(rest)
        if service is not None:
            reply, edit = answers.service_card(service), True
            await rt.db.chats.set_current_service(rt.profile.name, user.id, service.id)
    elif kind == "i":
        sid, _, intent = rest.rpartition(":")
        service = knowledge.get(sid)
        if service is not None and intent in answers.FACT_INTENTS:
            reply = answers.fact(service, intent)
            await rt.db.chats.set_current_service(rt.profile.name, user.id, service.id)
    elif kind == "r":
        service = knowledge.get(rest)
        if service is not None:
            await _answer(query)
            await registration.begin(rt, context.bot, query.message.chat_id if query.message else user.id, user.id, service)
            return
    elif kind == "f":
        if data == "f:drop":
            reply = Reply(T.FORM_CANCELLED) if await registration.drop(rt, user.id) else None
        else:
            await _answer(query)
            stale = await registration.on_button(update, context, rt, data)
            if stale is not None:
                await send(rt, context.bot, query.message.chat_id if query.message else user.id, stale)
            return
    elif kind == "t":
        if rest.isdigit() and len(rest) <= 24:
            reply = await track(rt, user.id, rest)
    elif kind == "m":
        reply, edit = _menu(rt, rest, user.first_name or ""), True
    elif kind == "b":
        parts = rest.split(":")
        if len(parts) == 3 and parts[0] in browse.KINDS and parts[2].isdigit() and len(parts[2]) < 5:
            reply, edit = browse.group_page(knowledge, parts[0], parts[1], int(parts[2])), True
    if reply is None:
        await _answer(query, T.STALE_BUTTON, alert=True)
        return
    await _answer(query)
    if edit:
        await edit_or_send(rt, query, reply)
    else:
        await send(rt, context.bot, query.message.chat_id if query.message else user.id, reply)


def _menu(rt: Runtime, item: str, first_name: str) -> Reply | None:
    if item == "home":
        return main_menu(clean(first_name))
    if item == "search":
        return Reply(T.SEARCH_PROMPT)
    if item == "track":
        return Reply(T.TRACK_PROMPT)
    if item == "help":
        return help_reply()
    if item in browse.KINDS:
        return browse.group_menu(rt.knowledge, item)
    return None


async def _answer(query, text: str | None = None, alert: bool = False) -> None:
    """Stops the button's spinner; a query answered twice or too late is not worth an error."""
    try:
        await query.answer(text, show_alert=alert)
    except Exception as exc:
        log.info("callback query could not be answered: %s", exc)


async def share_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A shared contact: the mobile number of a form in progress; otherwise politely declined."""
    rt = _rt(context)
    user, contact = update.effective_user, update.effective_message.contact
    draft = await registration.active_draft(rt, user.id)
    if draft is not None and await registration.on_contact(
        rt, context.bot, update.effective_chat.id, user.id, draft, contact.phone_number, contact.user_id
    ):
        return
    await other_message(update, context)


async def other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, locations...: a polite request for text."""
    await send(_rt(context), context.bot, update.effective_chat.id, Reply(T.NON_TEXT))


async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message is not re-answered; the citizen is asked to send it anew."""
    await send(_rt(context), context.bot, update.effective_chat.id, Reply(T.EDITED))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have (admin commands answer the same to everyone not listed)."""
    await send(_rt(context), context.bot, update.effective_chat.id, Reply(T.UNKNOWN_COMMAND))
