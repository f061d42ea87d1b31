"""Reports and actions for agency admins and support staff, as one `Reply` each: the chat sends it
(/stats, /unanswered, /reload for BOT_ADMIN_IDS), the command line prints it (`python -m bot stats`), and
any later back office can show it. They need the store and the knowledge, never a running bot."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bot import texts as T
from bot.knowledge import Knowledge, Problem, check_knowledge
from bot.persian import jalali_date, jalali_datetime, to_persian_digits
from bot.reply import Reply, bold
from bot.sanitize import printable
from bot.search import SearchEngine
from storage.masking import mask_personal_data
from storage.requests import STATUS_LABELS

if TYPE_CHECKING:
    from bot.dialogue.core import Dialogue
    from storage import Store

log = logging.getLogger(__name__)

MAX_PROBLEMS_SHOWN = 25
UNANSWERED_SHOWN = 20


async def stats_reply(store: Store, knowledge: Knowledge, days: int = 7) -> Reply:
    """Traffic of the last days, the most asked services and requests by status."""
    lines = [bold(T.ADMIN_STATS_TITLE.format(days=to_persian_digits(days)))]
    for d in await store.log.stats_per_day(days):
        lines.append(T.ADMIN_STATS_DAY.format(
            day=jalali_date(d.day), incoming=to_persian_digits(d.incoming), users=to_persian_digits(d.users),
            unanswered=to_persian_digits(d.unanswered),
        ))
    lines += ["", T.ADMIN_TOP_SERVICES]
    top = await store.log.top_services(days)
    for sid, n in top:
        service = knowledge.get(sid)
        lines.append(T.ADMIN_TOP_ITEM.format(title=service.title if service else sid, count=to_persian_digits(n)))
    if not top:
        lines.append(T.ADMIN_NONE)
    lines += ["", T.ADMIN_REQUESTS]
    counts = await store.requests.count_by_status()
    for status, label in STATUS_LABELS.items():
        if counts.get(status):
            lines.append(T.ADMIN_TOP_ITEM.format(title=label, count=to_persian_digits(counts[status])))
    if not any(counts.values()):
        lines.append(T.ADMIN_NONE)
    return Reply("\n".join(lines))


async def unanswered_reply(store: Store, limit: int = UNANSWERED_SHOWN) -> Reply:
    """The questions the bot could not answer, most frequent first: where aliases or cards are missing.
    Masked again as shown (rows an older version logged were masked by narrower rules)."""
    rows = await store.log.unanswered(limit=limit)
    if not rows:
        return Reply(T.ADMIN_UNANSWERED_EMPTY)
    lines = [bold(T.ADMIN_UNANSWERED_TITLE)]
    for row in rows:
        lines.append(T.ADMIN_UNANSWERED_ITEM.format(
            text=mask_personal_data(printable(row.example or row.normalized)), count=to_persian_digits(row.count),
            last=jalali_datetime(row.last_seen),
        ))
    return Reply("\n".join(lines))


async def reload_knowledge(d: Dialogue, directory: Path | None = None) -> Reply:
    """Builds a new engine from the knowledge directory off the event loop and swaps it in only when
    every file is valid; otherwise lists the problems (file: field: message).

    Only the latest reload started may swap its engine in: when two admins reload at once, an older, slower
    build that finishes last would otherwise put back the files as they were before the newer one."""
    directory = directory or d.settings.knowledge_dir
    d.reload_generation += 1
    generation = d.reload_generation

    def build() -> tuple[SearchEngine | None, list[Problem], Knowledge | None]:
        knowledge, problems = check_knowledge(directory)
        return (SearchEngine(knowledge) if knowledge else None), problems, knowledge

    engine, problems, knowledge = await asyncio.to_thread(build)
    if generation != d.reload_generation:
        log.info("reload %d superseded by reload %d; its knowledge is dropped", generation, d.reload_generation)
        return Reply(T.ADMIN_RELOAD_SUPERSEDED)
    if engine is None:
        log.warning("reload refused: %d problems in %s", len(problems), directory)
        lines = [T.ADMIN_RELOAD_FAILED.format(count=to_persian_digits(len(d.knowledge.services)),
                                              n=to_persian_digits(len(problems)))]
        lines += [f"• {p}" for p in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            lines.append(T.ADMIN_RELOAD_MORE.format(n=to_persian_digits(len(problems) - MAX_PROBLEMS_SHOWN)))
        return Reply("\n".join(lines))
    d.engine = engine
    log.info("knowledge reloaded: %d services", len(knowledge.services))
    return Reply(T.ADMIN_RELOAD_OK.format(count=to_persian_digits(len(knowledge.services))))


async def admin_command(d: Dialogue, name: str) -> Reply:
    """The answer to an admin command (the caller has checked that the sender is an admin)."""
    if name == "stats":
        return await stats_reply(d.store, d.knowledge)
    if name == "unanswered":
        return await unanswered_reply(d.store)
    if name == "reload":
        return await reload_knowledge(d)
    raise ValueError(name)
