"""Reports and actions for agency admins and support staff, as one `Reply` each: the chat sends it
(/stats, /unanswered, /reload for BOT_ADMIN_IDS), the command line prints it (`python -m bot stats`), and
any later back office can show it. They need the store and the knowledge, never a running bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bot import texts as T
from bot.identifiers import mask_mobile, mask_national_code
from bot.knowledge import Knowledge, Problem, check_knowledge
from bot.persian import jalali_date, jalali_datetime, to_persian_digits
from bot.questions import Intent
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
    """Traffic of the last days, the most asked services, votes on answers, the support desk's tickets and
    requests by status."""
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
    lines += await _desk_lines(store, knowledge, days)
    lines += ["", T.ADMIN_REQUESTS]
    counts = await store.requests.count_by_status()
    for status, label in STATUS_LABELS.items():
        if counts.get(status):
            lines.append(T.ADMIN_TOP_ITEM.format(title=label, count=to_persian_digits(counts[status])))
    if not any(counts.values()):
        lines.append(T.ADMIN_NONE)
    return Reply("\n".join(lines))


async def _desk_lines(store: Store, knowledge: Knowledge, days: int) -> list[str]:
    """Votes on fact answers per service and per question type, and the support desk's tickets; nothing
    when there were none (a bot without votes or a desk reads as before)."""
    lines: list[str] = []
    for by, title in (("service", T.ADMIN_FEEDBACK_SERVICES), ("intent", T.ADMIN_FEEDBACK_INTENTS)):
        counts = await store.feedback.counts(by, days)
        if counts:
            lines += ["", title]
        for c in counts:
            lines.append(T.ADMIN_FEEDBACK_ITEM.format(
                title=_service_title(knowledge, c.key) if by == "service" else _intent_label(c.key),
                up=to_persian_digits(c.up), down=to_persian_digits(c.down),
            ))
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    tickets = await store.tickets.count_by_status(since)
    if any(tickets.values()):
        lines += ["", T.ADMIN_TICKETS.format(open=to_persian_digits(tickets["open"]),
                                             closed=to_persian_digits(tickets["closed"]))]
    return lines


def _service_title(knowledge: Knowledge, service_id: str) -> str:
    service = knowledge.get(service_id)
    return service.title if service else service_id


def _intent_label(intent: str) -> str:
    try:
        return Intent(intent).what
    except (ValueError, KeyError):
        return intent


async def suggestions_lines(store: Store, knowledge: Knowledge, limit: int = 20) -> list[str]:
    """What support staff said the bot should have understood (aliases, missing services), newest first;
    only those the editors have not decided on yet (the console's suggestions queue)."""
    rows = await store.tickets.suggestions(limit, status="open")
    if not rows:
        return []
    lines = [bold(T.ADMIN_SUGGESTIONS_TITLE)]
    for s in rows:
        question = mask_personal_data(printable(s.question))
        if s.service_id:
            lines.append(T.ADMIN_SUGGESTION_ALIAS.format(question=question, title=_service_title(knowledge, s.service_id)))
        else:
            lines.append(T.ADMIN_SUGGESTION_NEED.format(question=question))
    return lines


async def request_reply(store: Store, knowledge: Knowledge, code: str) -> Reply:
    """One request for staff in the support group: service, status, dates, history; the national code and
    the mobile masked, no form answers (the group is a shared place; `requests show` has the rest)."""
    r = await store.requests.get(code)
    if r is None:
        return Reply(T.DESK_REQUEST_NOT_FOUND.format(code=to_persian_digits(code)))
    lines = [
        bold(T.DESK_REQUEST_TITLE.format(code=to_persian_digits(r.tracking_code))),
        T.TRACK_SERVICE.format(title=_service_title(knowledge, r.service_id)),
        T.TRACK_STATUS.format(status=bold(r.status_label)),
        T.TRACK_CREATED.format(date=jalali_datetime(r.created_at)),
        T.DESK_REQUEST_IDENTITY.format(
            national_code=mask_national_code(r.national_code) if r.national_code else T.ADMIN_NONE,
            mobile=mask_mobile(r.mobile) if r.mobile else T.ADMIN_NONE,
        ),
    ]
    if r.duplicate_of:
        lines.append(T.DESK_REQUEST_DUPLICATE.format(code=to_persian_digits(r.duplicate_of)))
    if r.events:
        lines += ["", T.TRACK_HISTORY]
        for e in r.events:
            note = f" — {mask_personal_data(printable(e.note))}" if e.note else ""
            lines.append(T.TRACK_EVENT.format(date=jalali_datetime(e.created_at),
                                              status=STATUS_LABELS.get(e.status, e.status), note=note))
    return Reply("\n".join(lines))


async def unanswered_reply(store: Store, limit: int = UNANSWERED_SHOWN, knowledge: Knowledge | None = None) -> Reply:
    """The questions the bot could not answer, most frequent first: where aliases or cards are missing;
    with `knowledge`, also what support staff suggested from their tickets. Masked again as shown (rows an
    older version logged were masked by narrower rules)."""
    rows = await store.log.unanswered(limit=limit)
    suggested = await suggestions_lines(store, knowledge) if knowledge is not None else []
    if not rows and not suggested:
        return Reply(T.ADMIN_UNANSWERED_EMPTY)
    lines = [bold(T.ADMIN_UNANSWERED_TITLE)] if rows else []
    for row in rows:
        lines.append(T.ADMIN_UNANSWERED_ITEM.format(
            text=mask_personal_data(printable(row.example or row.normalized)), count=to_persian_digits(row.count),
            last=jalali_datetime(row.last_seen),
        ))
    if suggested:
        lines += ["", *suggested] if lines else suggested
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
        return await unanswered_reply(d.store, knowledge=d.knowledge)
    if name == "reload":
        return await reload_knowledge(d)
    raise ValueError(name)
