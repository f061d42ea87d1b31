"""What one console user may see: every agency's data, or one agency's.

A user with an agency sees the services whose `provider` or `parent_agency` names it (compared after
folding: Arabic ي/ك, half-spaces, spacing and punctuation do not matter), the requests for those services,
and the conversations of chat accounts that asked about one of them. In such a conversation, the exchanges
about another agency's services (a question naming one, and the bot's replies up to the next question) are
left out, as are the bot's own messages that answer no question (a status notice may be about another
agency's request). Every page asks the scope; a URL with someone else's id gets "not found", as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.folding import fold
from bot.knowledge import Knowledge, Service
from storage import LogEntry, Store


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


@dataclass(frozen=True)
class Exchange:
    """A citizen's message and the bot's replies to it. The dialogue logs its replies before the turn it
    answers (the turn's row is written once it is over), so in the log an exchange is the bot's rows up to
    and including the citizen's next one. `question` None: the bot wrote on its own (a status notice)."""

    question: LogEntry | None
    replies: tuple[LogEntry, ...]

    def hidden_from(self, scope: Scope) -> bool:
        """Whether a user of `scope` may not see it: it names a service outside the scope, or it has no
        question to tell which service it is about (a notice may be about another agency's request)."""
        if scope.everything:
            return False
        return self.question is None or (self.question.service_id is not None and not scope.allows(self.question.service_id))


def exchanges(entries: list[LogEntry]) -> list[Exchange]:
    """One account's log rows, in the order they were written, as exchanges."""
    found: list[Exchange] = []
    pending: list[LogEntry] = []
    for e in entries:
        if e.direction == "out":
            pending.append(e)
        else:
            found.append(Exchange(e, tuple(pending)))
            pending = []
    if pending:
        found.append(Exchange(None, tuple(pending)))
    return found


def visible_exchanges(entries: list[LogEntry], scope: Scope) -> list[Exchange | None]:
    """The exchanges of one account a user of `scope` may see, with each run of hidden ones as one None."""
    shown: list[Exchange | None] = []
    for x in exchanges(entries):
        if x.hidden_from(scope):
            if not shown or shown[-1] is not None:
                shown.append(None)
            continue
        shown.append(x)
    return shown


class ExportFilter:
    """The log rows of an export a scoped user may have, by the transcript's rule: rows of accounts that
    asked about the scope's services, without the exchanges hidden from the scope. Built by a first pass
    over the log (an exchange's replies come before its question); rows written after it are left out."""

    def __init__(self, shown: set[int], last_id: int) -> None:
        self._shown, self._last_id = shown, last_id

    @classmethod
    async def build(cls, store: Store, scope: Scope) -> ExportFilter:
        accounts = await store.log.accounts_asking_about(scope.service_ids or ())
        shown: set[int] = set()
        pending: dict[tuple[str | None, int], list[LogEntry]] = {}
        last_id = 0
        while rows := await store.log.page(after_id=last_id, limit=2000):
            last_id = rows[-1].id
            for e in rows:
                account = (e.platform, e.user_id or 0)
                if e.user_id is None or account not in accounts:
                    continue
                if e.direction == "out":
                    pending.setdefault(account, []).append(e)
                    continue
                exchange = Exchange(e, tuple(pending.pop(account, ())))
                if not exchange.hidden_from(scope):
                    shown.add(e.id)
                    shown.update(r.id for r in exchange.replies)
        return cls(shown, last_id)

    def __call__(self, e: LogEntry) -> bool:
        return e.id <= self._last_id and e.id in self._shown
