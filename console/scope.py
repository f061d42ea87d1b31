"""What one console user may see: every agency's data, or one agency's.

A user with an agency sees the services whose `provider` or `parent_agency` names it (compared after
folding: Arabic ي/ك, half-spaces, spacing and punctuation do not matter), the requests for those services,
and the conversations of chat accounts that asked about one of them. In such a conversation, the exchanges
about another agency's services (a question naming one, and the bot's replies up to the next question) are
left out. Every page asks the scope; a URL with someone else's id gets "not found", as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.folding import fold
from bot.knowledge import Knowledge, Service
from storage import LogEntry


def agency_key(name: str) -> str:
    """The form in which agency names are compared."""
    return fold(name)


def agency_services(knowledge: Knowledge, agency: str) -> frozenset[str]:
    """The ids of the services whose provider or parent agency is `agency`."""
    key = agency_key(agency)
    return frozenset(
        s.id for s in knowledge.services
        if agency_key(s.provider) == key or (s.parent_agency and agency_key(s.parent_agency) == key)
    )


def agencies(knowledge: Knowledge) -> list[str]:
    """Every agency named in the catalogue (providers and parent agencies), sorted, for forms and hints."""
    names = {s.provider for s in knowledge.services} | {s.parent_agency for s in knowledge.services if s.parent_agency}
    return sorted(names)


@dataclass(frozen=True)
class Scope:
    """The services a user may see: `service_ids` None means every service (no agency)."""

    agency: str | None
    service_ids: frozenset[str] | None

    @classmethod
    def of(cls, knowledge: Knowledge, agency: str | None) -> Scope:
        return cls(agency, None if not agency else agency_services(knowledge, agency))

    @property
    def everything(self) -> bool:
        return self.service_ids is None

    def allows(self, service_id: str | None) -> bool:
        """Whether the user may see data about this service."""
        return self.service_ids is None or (service_id is not None and service_id in self.service_ids)

    def services(self, knowledge: Knowledge) -> list[Service]:
        """The catalogue's services the user may see, in catalogue order."""
        return [s for s in knowledge.services if self.allows(s.id)]

    def narrow(self, wanted: Iterable[str] | None) -> frozenset[str] | None:
        """The services to filter a query by: those wanted (None: any) within the scope."""
        if wanted is None:
            return self.service_ids
        wanted = frozenset(wanted)
        return wanted if self.service_ids is None else wanted & self.service_ids


def visible_entries(entries: list[LogEntry], scope: Scope) -> list[LogEntry | None]:
    """One account's log rows in time order, with the exchanges about services outside the scope replaced
    by None (one None per hidden run). An exchange is an incoming row and the replies after it; the bot's
    replies carry no service, so they follow the question they answer."""
    if scope.everything:
        return list(entries)
    shown: list[LogEntry | None] = []
    hiding = False
    for e in entries:
        if e.direction == "in":
            hiding = e.service_id is not None and not scope.allows(e.service_id)
        if hiding:
            if not shown or shown[-1] is not None:
                shown.append(None)
            continue
        shown.append(e)
    return shown


class ExportFilter:
    """The log rows of an export a scoped user may have, by the same rule as a transcript: rows of accounts
    that asked about the scope's services, without the exchanges about other agencies' services. Rows come
    in id order; the filter remembers, per account, whether its current exchange is hidden."""

    def __init__(self, scope: Scope, accounts: set[tuple[str | None, int]]) -> None:
        self._scope, self._accounts = scope, accounts
        self._hiding: dict[tuple[str | None, int], bool] = {}

    def __call__(self, e: LogEntry) -> bool:
        if self._scope.everything:
            return True
        if e.user_id is None:
            return False
        account = (e.platform, e.user_id)
        if account not in self._accounts:
            return False
        if e.direction == "in":
            self._hiding[account] = e.service_id is not None and not self._scope.allows(e.service_id)
        return not self._hiding.get(account, False)
