"""Browsing the catalogue by agency, life event or service type: groups, then a paged list of services.

Callback data stays short ASCII: an agency is named by a short hash of its name, events and types by their
codes, so a button keeps working across restarts and reloads as long as the group still exists.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from bot import texts as T
from bot.knowledge import LIFE_EVENTS, SERVICE_TYPES, Knowledge, Service
from bot.payload import Action, pack
from bot.persian import to_persian_digits
from bot.reply import Button, Reply

PAGE_SIZE = 6
KINDS = {"a": T.BROWSE_AGENCIES, "e": T.BROWSE_EVENTS, "t": T.BROWSE_TYPES}


def agency_key(name: str) -> str:
    """A stable 8-character key for an agency name."""
    return hashlib.sha1(name.encode()).hexdigest()[:8]


def groups(knowledge: Knowledge, kind: str) -> dict[str, tuple[str, list[Service]]]:
    """key → (label, services) for one way of browsing; only groups that have services."""
    out: dict[str, tuple[str, list[Service]]] = {}
    members: dict[str, list[Service]] = defaultdict(list)
    labels: dict[str, str] = {}
    for s in knowledge.services:
        if kind == "a":
            key = agency_key(s.provider)
            labels[key] = s.provider
            members[key].append(s)
        elif kind == "e":
            for e in s.life_events:
                labels[e] = LIFE_EVENTS[e]
                members[e].append(s)
        elif kind == "t":
            for t in s.service_types:
                labels[t] = SERVICE_TYPES[t]
                members[t].append(s)
    for key in sorted(members, key=lambda k: labels[k]):
        out[key] = (labels[key], sorted(members[key], key=lambda s: s.title))
    return out


def group_menu(knowledge: Knowledge, kind: str) -> Reply:
    """The list of groups (agencies, events or types) as buttons."""
    found = groups(knowledge, kind)
    if not found:
        return Reply(T.BROWSE_EMPTY, ((Button(T.BACK_TO_MENU, pack(Action.MENU, "home")),),))
    rows = [(Button(f"{label} ({to_persian_digits(len(svcs))})", pack(Action.BROWSE, kind, key, 0)),)
            for key, (label, svcs) in found.items()]
    rows.append((Button(T.BACK_TO_MENU, pack(Action.MENU, "home")),))
    return Reply(KINDS[kind], tuple(rows))


def group_page(knowledge: Knowledge, kind: str, key: str, page: int) -> Reply | None:
    """One page of the services of a group, with previous/next buttons; None if the group is gone."""
    found = groups(knowledge, kind).get(key)
    if found is None:
        return None
    label, services = found
    pages = max(1, -(-len(services) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    chunk = services[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = [(Button(_short(s.title), pack(Action.SERVICE, s.id)),) for s in chunk]
    nav = []
    if page > 0:
        nav.append(Button(T.PAGE_PREV, pack(Action.BROWSE, kind, key, page - 1)))
    if page < pages - 1:
        nav.append(Button(T.PAGE_NEXT, pack(Action.BROWSE, kind, key, page + 1)))
    if nav:
        rows.append(tuple(nav))
    rows.append((Button(T.BACK_TO_MENU, pack(Action.MENU, "home")),))
    text = T.BROWSE_SERVICES.format(group=label)
    if pages > 1:
        text += "\n" + T.PAGE_OF.format(page=to_persian_digits(page + 1), pages=to_persian_digits(pages))
    return Reply(text, tuple(rows))


def _short(title: str, limit: int = 60) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"
