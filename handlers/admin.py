"""Commands for agency admins (BOT_ADMIN_IDS): statistics, unanswered questions, knowledge reload.

Anyone else gets exactly the answer of an unknown command, so the commands do not even show that they
exist.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts as T
from bot.app import Runtime
from bot.knowledge import Knowledge, Problem, check_knowledge
from bot.persian import jalali_date, jalali_datetime, to_persian_digits
from bot.reply import Reply, bold
from bot.search import SearchEngine
from handlers.citizen import unknown_command
from handlers.send import send
from storage.requests import STATUS_LABELS

log = logging.getLogger(__name__)

MAX_PROBLEMS_SHOWN = 25


def _rt(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    return context.application.bot_data["rt"]


def is_admin(rt: Runtime, update: Update) -> bool:
    """Whether the sender is listed in BOT_ADMIN_IDS."""
    user = update.effective_user
    return user is not None and user.id in rt.settings.admin_ids


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Traffic of the last week, the most asked services and requests by status."""
    rt = _rt(context)
    if not is_admin(rt, update):
        await unknown_command(update, context)
        return
    await send(rt, context.bot, update.effective_chat.id, await stats_reply(rt))


async def stats_reply(rt: Runtime, days: int = 7) -> Reply:
    """The /stats answer (also what `python -m bot stats` prints)."""
    lines = [bold(T.ADMIN_STATS_TITLE.format(days=to_persian_digits(days)))]
    for d in await rt.db.log.stats_per_day(days):
        lines.append(T.ADMIN_STATS_DAY.format(
            day=jalali_date(d.day), incoming=to_persian_digits(d.incoming), users=to_persian_digits(d.users),
            unanswered=to_persian_digits(d.unanswered),
        ))
    lines += ["", T.ADMIN_TOP_SERVICES]
    top = await rt.db.log.top_services(days)
    for sid, n in top:
        service = rt.knowledge.get(sid)
        lines.append(T.ADMIN_TOP_ITEM.format(title=service.title if service else sid, count=to_persian_digits(n)))
    if not top:
        lines.append(T.ADMIN_NONE)
    lines += ["", T.ADMIN_REQUESTS]
    counts = await rt.db.requests.count_by_status()
    for status, label in STATUS_LABELS.items():
        if counts.get(status):
            lines.append(T.ADMIN_TOP_ITEM.format(title=label, count=to_persian_digits(counts[status])))
    if not any(counts.values()):
        lines.append(T.ADMIN_NONE)
    return Reply("\n".join(lines))


async def unanswered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The questions the bot could not answer, most frequent first: where aliases or cards are missing."""
    rt = _rt(context)
    if not is_admin(rt, update):
        await unknown_command(update, context)
        return
    rows = await rt.db.log.unanswered(limit=20)
    if not rows:
        await send(rt, context.bot, update.effective_chat.id, Reply(T.ADMIN_UNANSWERED_EMPTY))
        return
    lines = [bold(T.ADMIN_UNANSWERED_TITLE)]
    for row in rows:
        lines.append(T.ADMIN_UNANSWERED_ITEM.format(
            text=row.example or row.normalized, count=to_persian_digits(row.count),
            last=jalali_datetime(row.last_seen),
        ))
    await send(rt, context.bot, update.effective_chat.id, Reply("\n".join(lines)))


async def reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Re-reads and re-validates the knowledge; the bot keeps serving the old one unless all is valid."""
    rt = _rt(context)
    if not is_admin(rt, update):
        await unknown_command(update, context)
        return
    reply = await reload_knowledge(rt)
    await send(rt, context.bot, update.effective_chat.id, reply)


async def reload_knowledge(rt: Runtime, directory: Path | None = None) -> Reply:
    """Builds a new engine from the knowledge directory off the event loop and swaps it in only when
    every file is valid; otherwise lists the problems (file: field: message)."""
    directory = directory or rt.settings.knowledge_dir

    def build() -> tuple[SearchEngine | None, list[Problem], Knowledge | None]:
        knowledge, problems = check_knowledge(directory)
        return (SearchEngine(knowledge) if knowledge else None), problems, knowledge

    engine, problems, knowledge = await asyncio.to_thread(build)
    if engine is None:
        log.warning("reload refused: %d problems in %s", len(problems), directory)
        lines = [T.ADMIN_RELOAD_FAILED.format(count=to_persian_digits(len(rt.knowledge.services)),
                                              n=to_persian_digits(len(problems)))]
        lines += [f"• {p}" for p in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            lines.append(T.ADMIN_RELOAD_MORE.format(n=to_persian_digits(len(problems) - MAX_PROBLEMS_SHOWN)))
        return Reply("\n".join(lines))
    rt.engine = engine
    log.info("knowledge reloaded: %d services", len(knowledge.services))
    return Reply(T.ADMIN_RELOAD_OK.format(count=to_persian_digits(len(knowledge.services))))
