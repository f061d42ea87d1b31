"""What the bot may ask of storage, whatever database is behind it: one protocol per repository, the
`Store` that holds them, and the errors callers may catch.

Handlers, the staff tools and the application are typed against these protocols and never against a
backend, so a backend (SQLite in storage/sqlite/, PostgreSQL in storage/postgres/) touches storage/ and nothing else. A backend is
correct when it passes the same tests: the protocols fix names and signatures, the docstrings below the
behaviour the bot relies on (duplicate registrations, owner-only look-ups, undelivered notices...).

Errors: a backend translates its driver's exceptions into StorageUnavailable ("try again later", shown to
the citizen as such) and Duplicate (a unique key already taken); anything else it raises is a bug. Status
rules raise ValueError with a Persian message (storage.requests.check_transition).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, Self, runtime_checkable

from storage.records import (
    TEHRAN_OFFSET,
    AuditEntry,
    ChatState,
    ConsoleSession,
    ConsoleUser,
    ConversationSummary,
    CreatedRequest,
    DayStats,
    DeskSuggestion,
    Direction,
    Draft,
    FeedbackCount,
    HandledQuestion,
    InboxUpdate,
    KnowledgeVersion,
    LogEntry,
    OutgoingReply,
    Request,
    StatusNotice,
    Suggestion,
    Ticket,
    TicketMessage,
    UnansweredQuestion,
)

# Returns the current time as an aware datetime; tests pass their own to move time without sleeping.
Clock = Callable[[], _dt.datetime]


# -- errors -----------------------------------------------------------------------------------------------


class StorageError(Exception):
    """Base of the errors storage raises on purpose, whatever the backend."""


class StorageUnavailable(StorageError):
    """The database is locked, read-only, full or failing: nothing was saved, the same action may work later.

    Handlers catch this one exception to tell the citizen to try again; anything else from storage is a bug.
    """


class Duplicate(StorageError):
    """A row with the same unique key already exists (a tracking code, say); nothing was saved."""


class RequestLimitReached(StorageError):
    """The chat account already registered its daily number of requests; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request limit reached: {limit} a day")
        self.limit = limit


class RequestNotFound(StorageError, LookupError):
    """Staff named a tracking code that does not exist; the message is Persian and can be shown as is."""


class RetentionRefused(StorageError):
    """A retention prune was refused because the clock looks wrong (see storage/retention.py for the
    rules); nothing was deleted. `force=True` applies the ages to the clock as it is."""


class BackendNotAvailable(StorageError, NotImplementedError):
    """The database URL names a backend this build does not have yet."""


# -- repositories -----------------------------------------------------------------------------------------


@runtime_checkable
class ChatsRepo(Protocol):
    """Per-user chat state (``store.chats``), kept across restarts."""

    async def get(self, platform: str, user_id: int) -> ChatState:
        """The user's state; empty (no service, no data) if nothing was stored yet."""
        ...

    async def set_current_service(self, platform: str, user_id: int, service_id: str | None) -> None:
        """Remembers the service the user is looking at (None: back to the main menu); data is kept."""
        ...

    async def set_data(self, platform: str, user_id: int, data: dict[str, Any]) -> None:
        """Replaces the user's extra data as a whole (read it with get, change it, write it back)."""
        ...

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        """Forgets the state of users quiet for that long; returns how many. Refuses (RetentionRefused)
        when the clock looks wrong, unless `force`."""
        ...


@runtime_checkable
class DraftsRepo(Protocol):
    """The one form in progress of each chat user (``store.drafts``); starting another form replaces it."""

    async def save(
        self,
        platform: str,
        user_id: int,
        service_id: str,
        step: int,
        answers: dict[str, Any],
        editing: str | None = None,
    ) -> Draft:
        """Stores the whole draft (replacing any earlier one of this user) and returns it as stored."""
        ...

    async def get(self, platform: str, user_id: int) -> Draft | None:
        """The user's draft, or None if they have no form in progress."""
        ...

    async def delete(self, platform: str, user_id: int) -> bool:
        """Drops the user's draft (sent or cancelled); False if there was none."""
        ...

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        """Drops drafts untouched for that long, since they hold personal answers; returns how many.
        Refuses (RetentionRefused) when the clock looks wrong, unless `force`."""
        ...


@runtime_checkable
class RequestsRepo(Protocol):
    """Registered requests and their status history (``store.requests``)."""

    async def create(
        self,
        service_id: str,
        platform: str | None,
        user_id: int,
        chat_id: int,
        national_code: str | None,
        mobile: str | None,
        data: dict[str, Any],
        *,
        daily_limit: int | None = None,
    ) -> CreatedRequest:
        """Registers a request and its 'submitted' event, unless this chat account already has one open of
        the same service and national code: then nothing is stored and the answer says `duplicate` (with
        that request's code).

        An open request of the same service and national code from *another* account does not stop the
        registration, and the answer does not tell (a national code is no secret: refusing would be an
        oracle, and a squatter would lock the real citizen out); the new request is stored with
        `duplicate_of` pointing at the earlier one, for staff to resolve. With `daily_limit`, an account
        that registered that many requests in the last 24 hours gets RequestLimitReached, nothing stored.

        The checks and the insert are one transaction, so two taps on "send" give one code. The
        'submitted' event stays undelivered until mark_confirmed.
        """
        ...

    async def get(self, code: str) -> Request | None:
        """The request with its history, whoever owns it: for staff tools only, never for a citizen."""
        ...

    async def get_for_user(self, code: str, platform: str | None, user_id: int) -> Request | None:
        """The request with its history if it belongs to this chat user, else None ("not found" and
        "someone else's" look the same). Codes typed with Persian digits or spaces are accepted."""
        ...

    async def for_user(self, platform: str | None, user_id: int, limit: int = 10) -> list[Request]:
        """The user's own requests, newest first, without history."""
        ...

    async def set_status(
        self, code: str, status: str, note: str | None = None, actor: str | None = None
    ) -> Request:
        """Moves a request to `status` (an event records who and why); returns it with its history.

        Raises ValueError (Persian message) for a status or a move storage.requests does not allow, and
        RequestNotFound for an unknown code.
        """
        ...

    async def undelivered(self, platform: str | None, limit: int = 50) -> list[StatusNotice]:
        """Status changes the citizen has not been told about yet, oldest first; a fresh submission is left
        alone for storage.requests.CONFIRMATION_GRACE_SECONDS (its handler is confirming it)."""
        ...

    async def claim_undelivered(self, platform: str | None, lease: float, limit: int = 50) -> list[StatusNotice]:
        """As `undelivered`, for the delivery loop that is about to send them: on a database several
        instances share, each notice is handed to one caller for `lease` seconds (the others skip it; not
        marked delivered by then, it is handed out again), so no notice is sent twice."""
        ...

    async def mark_confirmed(self, code: str) -> None:
        """Records that the confirmation of a submission (with its tracking code) reached the citizen."""
        ...

    async def mark_delivered(self, event_id: int) -> None:
        """Records that the citizen was told about a status change."""
        ...

    async def list(
        self, status: str | None = None, service_id: str | None = None, limit: int = 50, offset: int = 0,
        *, duplicates_only: bool = False, service_ids: Collection[str] | None = None,
        since: _dt.datetime | None = None, until: _dt.datetime | None = None,
    ) -> list[Request]:
        """Requests for the staff queue, newest first, optionally of one status and/or service, or only
        those flagged as possible duplicates of an earlier request. `service_ids` keeps the requests of
        those services only (an agency's, for the console), `since`/`until` those registered in that time
        (`since` inclusive, `until` exclusive)."""
        ...

    async def count_by_status(
        self, *, service_ids: Collection[str] | None = None, since: _dt.datetime | None = None,
        until: _dt.datetime | None = None,
    ) -> dict[str, int]:
        """How many requests are in each status, every known status present (0 if none); optionally only
        those of `service_ids` and registered between `since` (inclusive) and `until` (exclusive)."""
        ...

    async def count(self) -> int:
        """How many requests are stored (for an export's progress)."""
        ...

    async def anonymize_closed(self, older_than_days: float, *, force: bool = False) -> int:
        """Removes everything that names a person (national code, mobile, answers, the chat account, the
        notes of its history) from requests done or rejected that long ago; the request itself stays, with
        its service, status and dates. Returns how many. Refuses (RetentionRefused) when the clock looks
        wrong, unless `force`."""
        ...


@runtime_checkable
class LogRepo(Protocol):
    """The message log (``store.log``): personal numbers are masked inside `add`, so no caller can forget."""

    async def add(
        self,
        platform: str | None,
        user_id: int | None,
        chat_id: int | None,
        direction: Direction,
        text: str | None,
        *,
        intent: str | None = None,
        service_id: str | None = None,
        score: float | None = None,
        answered: bool | None = None,
        normalized: str | None = None,
        handling_ms: float | None = None,
    ) -> int:
        """Stores one message with its personal numbers masked; returns its id (0 while buffering).

        `answered` is True for a confident answer, False when the bot could not answer (the questions
        admins review), None when the message was not a question.
        """
        ...

    def buffer(self, interval: float) -> None:
        """From now on, keep rows in memory and write them every `interval` seconds, many per transaction;
        close() writes what is left."""
        ...

    async def query(
        self,
        user_id: int | None = None,
        since: _dt.datetime | None = None,
        until: _dt.datetime | None = None,
        service_id: str | None = None,
        unanswered_only: bool = False,
        limit: int = 100,
        *,
        platform: str | None = None,
    ) -> list[LogEntry]:
        """Entries, newest first, filtered by user, time range (`since` inclusive, `until` exclusive),
        service; `unanswered_only` keeps the incoming questions the bot could not answer."""
        ...

    async def page(self, after_id: int = 0, limit: int = 500) -> list[LogEntry]:
        """Entries in the order they were written, those after `after_id`: an export walks the whole log
        with it, neither missing nor repeating rows written meanwhile."""
        ...

    async def count(self) -> int:
        """How many entries are stored (for an export's progress)."""
        ...

    async def unanswered(self, limit: int = 20, since: _dt.datetime | None = None) -> list[UnansweredQuestion]:
        """The questions the bot could not answer, grouped by normalized text (else by text), most frequent
        first, each with its latest wording."""
        ...

    async def top_services(self, days: int = 7, limit: int = 5) -> list[tuple[str, int]]:
        """The services citizens asked about most in the last `days` days: (service id, questions)."""
        ...

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        """Deletes entries older than the retention promised to citizens; returns how many. Refuses
        (RetentionRefused) when the clock looks wrong, unless `force`."""
        ...

    async def stats_per_day(self, days: int = 30, utc_offset: _dt.timedelta = TEHRAN_OFFSET) -> list[DayStats]:
        """Traffic of the last `days` local days (today included), oldest first, days without traffic as 0."""
        ...

    # -- for the web console: searches and counts over a period, optionally of some services only --------

    async def conversations(
        self,
        *,
        since: _dt.datetime | None = None,
        until: _dt.datetime | None = None,
        service_ids: Collection[str] | None = None,
        scope: Collection[str] | None = None,
        found: bool | None = None,
        text: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ConversationSummary]:
        """Chat accounts with messages that match every filter, the latest first: in the time range, about
        one of `service_ids`, a question answered (`found` True) or not (False), containing `text` (in the
        logged or the normalized text). With `scope`, only accounts that ever asked about one of those
        services (an agency's)."""
        ...

    async def account_of(self, entry_id: int) -> tuple[str | None, int] | None:
        """The chat account (platform, user id) of a log row, None if there is no such row."""
        ...

    async def asked_about(self, platform: str | None, user_id: int, service_ids: Collection[str]) -> bool:
        """Whether this account ever asked about one of `service_ids`."""
        ...

    async def accounts_asking_about(self, service_ids: Collection[str]) -> set[tuple[str | None, int]]:
        """The chat accounts that ever asked about one of `service_ids`."""
        ...

    async def activity(
        self, since: _dt.datetime, until: _dt.datetime, *, service_ids: Collection[str] | None = None,
        utc_offset: _dt.timedelta = TEHRAN_OFFSET,
    ) -> list[DayStats]:
        """Traffic per local day from `since` to `until`, oldest first, days without traffic as 0. With
        `service_ids`, only the incoming messages about those services count (replies and unanswered
        questions name no service, so they count as 0)."""
        ...

    async def intent_counts(
        self, since: _dt.datetime, until: _dt.datetime, *, service_ids: Collection[str] | None = None
    ) -> list[tuple[str, int]]:
        """Incoming questions per question type (intent) in the range, most frequent first."""
        ...

    async def service_counts(
        self, since: _dt.datetime, until: _dt.datetime, *, service_ids: Collection[str] | None = None,
        limit: int = 10,
    ) -> list[tuple[str, int]]:
        """Incoming messages per service in the range, most frequent first: (service id, messages)."""
        ...

    async def unanswered_messages(self, question: str, limit: int = 50) -> list[LogEntry]:
        """The unanswered messages of one group of `unanswered` (its `normalized` key), newest first."""
        ...


@runtime_checkable
class LookupsRepo(Protocol):
    """Failed tracking-code look-ups per chat user (``store.lookups``): a user who keeps trying codes that
    are not theirs is made to wait, longer after each failure. Only a quiet while forgets the failures, never
    a successful look-up (an account owning one request would interleave it with guesses); a wall clock set
    back or ahead must not lengthen a wait past its delay."""

    async def check(self, platform: str, user_id: int) -> float:
        """Seconds this user must wait before the next look-up; 0.0 means go ahead."""
        ...

    async def record_failure(self, platform: str, user_id: int) -> float:
        """Counts a failed look-up; returns the wait it imposes on the next one."""
        ...

    async def prune(self, older_than_days: float = 1.0) -> int:
        """Drops the failures of users quiet for that long (long past any wait); returns how many."""
        ...


@runtime_checkable
class AuditRepo(Protocol):
    """Staff reads and changes of personal data (``store.audit``): append-only, never pruned; a backend must
    make rows impossible to change or delete, not merely leave it to callers."""

    async def record(self, os_user: str, action: str, target: str | None = None, detail: str | None = None) -> None:
        """Appends one row: `os_user` did `action` (the command) on `target` (a tracking code, a file)."""
        ...

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The latest rows, newest first."""
        ...


@runtime_checkable
class ConsoleRepo(Protocol):
    """The web console's users and their signed-in sessions (``store.console``). Passwords arrive hashed;
    session tokens arrive as their hash: storage never sees a secret a browser holds."""

    async def add_user(self, name: str, password_hash: str, role: str, agency: str | None = None) -> ConsoleUser:
        """Creates a user; Duplicate if the name is taken, ValueError for a role not in CONSOLE_ROLES."""
        ...

    async def user(self, name: str) -> ConsoleUser | None:
        """The user of that name (disabled or not), None if there is none."""
        ...

    async def users(self) -> list[ConsoleUser]:
        """Every user, by name."""
        ...

    async def set_disabled(self, name: str, disabled: bool = True) -> ConsoleUser | None:
        """Disables (or enables again) a user; disabling ends every session of theirs. None: no such user."""
        ...

    async def set_password(self, name: str, password_hash: str) -> bool:
        """Replaces a user's password hash and ends their sessions; False if there is no such user."""
        ...

    async def record_login(self, user_id: int) -> None:
        """Notes the time of a successful sign-in."""
        ...

    async def create_session(self, token_hash: str, user_id: int, csrf_token: str, lifetime: _dt.timedelta) -> None:
        """Stores a new session that ends `lifetime` from now (expired sessions are dropped meanwhile)."""
        ...

    async def session(self, token_hash: str, idle: _dt.timedelta | None = None) -> ConsoleSession | None:
        """The live session of that token with its user, or None: unknown, past its end, idle for longer
        than `idle`, or its user disabled. A live session's last-seen time is moved to now."""
        ...

    async def end_session(self, token_hash: str) -> None:
        """Signs the session out."""
        ...


@runtime_checkable
class SuggestionsRepo(Protocol):
    """What support staff do with the unanswered questions (``store.suggestions``): mark one handled, or
    send it to a service's editors as an alias or a need to add."""

    async def mark_handled(self, question: str, by: str) -> None:
        """Marks a group of unanswered questions (its key) handled as of now."""
        ...

    async def handled(self) -> dict[str, HandledQuestion]:
        """Every question marked handled, by its key."""
        ...

    async def suggest(self, question: str, example: str | None, service_id: str, kind: str, text: str,
                      note: str | None, by: str) -> Suggestion:
        """Records a suggestion (`kind` "alias" or "need", else ValueError) for the service's editors."""
        ...

    async def suggestions(self, *, status: str | None = "open", service_ids: Collection[str] | None = None,
                          limit: int = 100) -> list[Suggestion]:
        """Suggestions, newest first, of one status (None: any) and optionally of some services only."""
        ...

    async def get(self, suggestion_id: int) -> Suggestion | None:
        ...

    async def decide(self, suggestion_id: int, status: str, by: str, note: str | None = None) -> bool:
        """Accepts or rejects (`status`) an open suggestion with who and why; False if it was not open."""
        ...


@runtime_checkable
class KnowledgeVersionsRepo(Protocol):
    """Every text of a knowledge file the console published (``store.versions``), for the history of a
    service, its diffs and a revert. Rows are only added: a revert is a new version with the old text."""

    async def add(self, service_id: str, file_name: str, content: str, author: str, note: str | None = None) -> KnowledgeVersion:
        """Records a version (its hash computed here) and returns it."""
        ...

    async def get(self, version_id: int) -> KnowledgeVersion | None:
        ...

    async def history(self, service_id: str, limit: int = 50) -> list[KnowledgeVersion]:
        """The versions of one service, newest first."""
        ...

    async def latest(self) -> dict[str, KnowledgeVersion]:
        """The newest version of every service that has one, by service id."""
        ...


@runtime_checkable
class InboxRepo(Protocol):
    """Updates received but maybe not yet handled (``store.inbox``): each is stored before the platform is
    told it arrived, and marked done once handled, so a crash loses nothing and a redelivered update is
    not handled twice."""

    async def add(self, platform: str, updates: list[tuple[int, str]],
                  accounts: Mapping[int, int | None] | None = None) -> list[int]:
        """Stores (update_id, JSON) pairs in one transaction; returns the ids that were new (the others
        were received before and are not to be handled again). `accounts` says, by update id, whose
        updates must keep their order (the user, else the chat): a shared inbox hands out one account's
        updates to one instance at a time."""
        ...

    async def pending(self, platform: str) -> list[InboxUpdate]:
        """The updates stored but not yet handled, oldest first (after a crash: to handle now)."""
        ...

    async def mark_done(self, platform: str, update_ids: list[int]) -> None:
        """Marks updates handled (in one transaction)."""
        ...

    async def last_update_id(self, platform: str) -> int | None:
        """The newest update id ever stored (the next getUpdates asks for the ones after it)."""
        ...

    async def prune(self, days: int) -> int:
        """Forgets handled updates older than `days` days; returns how many."""
        ...


@runtime_checkable
class SharedInboxRepo(InboxRepo, Protocol):
    """An inbox several bot instances share (PostgreSQL behind a load balancer): each stores what it
    receives, and the updates of one account are handed to one instance at a time, oldest first, so one
    citizen's updates keep their order whichever instance received them. The updates an instance had in
    hand when it died are handed to another (those not yet marked done)."""

    async def claim(self, platform: str, limit: int = 1000) -> list[InboxUpdate]:
        """The pending updates this instance is to handle now, oldest first (never one handed out before
        and not yet released)."""
        ...

    async def release(self, platform: str, update_ids: list[int]) -> None:
        """These updates are finished here (handled, and marked done before): an account with none left in
        hand may go to another instance."""
        ...


@runtime_checkable
class OutboxRepo(Protocol):
    """Replies the platform refused for now (``store.outbox``): kept in order per chat and sent by the
    delivery loop when allowed, so no reply is dropped silently."""

    async def enqueue(self, platform: str, chat_id: int, payload: str, delay: float) -> int:
        """Keeps a reply to send in `delay` seconds at the earliest; returns its id."""
        ...

    async def due(self, platform: str, limit: int = 100, lease: float = 60.0) -> list[OutgoingReply]:
        """Replies whose time has come, oldest first (only the oldest one of each chat, to keep order). On a
        database several instances share, they are handed to this caller for `lease` seconds: the others
        skip them until then, so none is sent twice."""
        ...

    async def sent(self, reply_id: int) -> None:
        """The reply was delivered (or can never be): it leaves the outbox."""
        ...

    async def retry(self, reply_id: int, delay: float) -> None:
        """The reply failed again: try it in `delay` seconds."""
        ...

    async def waiting_chats(self, platform: str) -> set[int]:
        """Chats with replies still waiting (a new reply to them queues behind, to keep the order)."""
        ...


@runtime_checkable
class TicketsRepo(Protocol):
    """The support desk's tickets and the messages relayed for them (``store.tickets``).

    A relayed message is stored before it is sent and marked once the platform took it, so a failed relay is
    retried by the delivery loop and a restart loses nothing; its `source` (the chat and message it came
    from) makes an update handled twice relay once."""

    async def open(
        self, platform: str, user_id: int, chat_id: int, *, service_id: str | None, question: str | None,
        context: str, group_chat_id: int | None,
    ) -> tuple[Ticket, bool]:
        """Opens a ticket for this chat account, or returns its ticket already open: (ticket, True if new).
        `question` and `context` are masked here (storage.masking), so no caller can forget to."""
        ...

    async def get(self, ticket_id: int) -> Ticket | None:
        ...

    async def open_for(self, platform: str, user_id: int) -> Ticket | None:
        """The account's open ticket, if any."""
        ...

    async def by_group_message(self, platform: str, message_id: int) -> Ticket | None:
        """The ticket whose message in the staff group is `message_id`: its own, or a message relayed to
        staff for it (a follow-up), so staff may reply to either."""
        ...

    async def list_open(self, platform: str, limit: int = 50) -> list[Ticket]:
        """Open tickets, oldest first."""
        ...

    async def unposted(self, platform: str, limit: int = 50) -> list[Ticket]:
        """Open tickets whose message has not reached the staff group yet, oldest first."""
        ...

    async def mark_posted(self, ticket_id: int, group_message_id: int | None) -> None:
        """The ticket's message reached the group (None: the platform did not confirm in time; it is not
        posted again)."""
        ...

    async def post_failed(self, ticket_id: int) -> int:
        """Counts a failed post; returns how many have failed."""
        ...

    async def take(self, ticket_id: int, staff_user_id: int, staff_name: str) -> Ticket | None:
        """Gives an open ticket to a staff member, unless someone else took it; returns the ticket as it
        stands (None: no such open ticket)."""
        ...

    async def close(self, ticket_id: int, by: str) -> Ticket | None:
        """Closes an open ticket (`by`: citizen or staff); None if it was not open."""
        ...

    async def add_message(
        self, ticket_id: int, platform: str, direction: str, author: str, *, kind: str = "text",
        text: str | None = None, file_id: str | None = None, source: str | None = None,
        staff_user_id: int | None = None,
    ) -> TicketMessage | None:
        """Stores a message to relay (undelivered); None when its `source` was stored before. Text on its
        way to staff is masked here."""
        ...

    async def delivered(self, message_id: int, sent_message_id: int | None) -> None:
        """The message was relayed (`sent_message_id`: the copy's id, None when not confirmed in time)."""
        ...

    async def relay_failed(self, message_id: int, reason: str | None = None) -> int:
        """Counts a failed relay (to retry), or gives it up for good with a `reason`; returns the attempts."""
        ...

    async def undelivered(self, platform: str, limit: int = 100) -> list[TicketMessage]:
        """Messages not relayed nor given up yet, oldest first."""
        ...

    async def get_message(self, message_id: int) -> TicketMessage | None:
        ...

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        """A ticket's messages in order."""
        ...

    async def suggest(
        self, ticket_id: int | None, platform: str, question: str, service_id: str | None, staff_user_id: int | None,
    ) -> bool:
        """Records a question as an alias of a service (or, without one, a need); False if this ticket
        already suggested the same. The question is masked here."""
        ...

    async def suggestions(self, limit: int = 50, *, status: str | None = None) -> list[DeskSuggestion]:
        """Suggestions, newest first (of one status: open, accepted, rejected; None: any)."""
        ...

    async def get_suggestion(self, suggestion_id: int) -> DeskSuggestion | None:
        ...

    async def decide_suggestion(self, suggestion_id: int, status: str, by: str, note: str | None = None) -> bool:
        """Accepts or rejects (`status`) an open suggestion with who and why; False if it was not open."""
        ...

    async def count_by_status(self, since: _dt.datetime | None = None) -> dict[str, int]:
        """Tickets opened (since `since`) by status: {"open": n, "closed": m}."""
        ...

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        """Deletes tickets closed that long ago, with their messages; returns how many. Refuses
        (RetentionRefused) when the clock looks wrong, unless `force`."""
        ...


@runtime_checkable
class FeedbackRepo(Protocol):
    """Citizens' votes on fact answers (``store.feedback``): one per account, service and question type."""

    async def vote(self, platform: str, user_id: int, service_id: str, intent: str, vote: int) -> int | None:
        """Records +1 or -1, replacing the account's earlier vote on the same answer; returns that one."""
        ...

    async def counts(self, by: str, days: int = 7) -> list[FeedbackCount]:
        """Votes of the last `days` days per `by` ("service" or "intent"), most votes first."""
        ...

    async def prune(self, older_than_days: float, *, force: bool = False) -> int:
        """Forgets votes older than that (they name an account); returns how many."""
        ...


@runtime_checkable
class Store(Protocol):
    """An open database with its repositories; get one with ``await storage.open_database(url)`` and close
    it (or use ``async with``): a backend may keep threads or sockets that outlive a forgotten store."""

    # Read-only for callers (a backend may hold them as plain attributes of its own repository classes).
    @property
    def chats(self) -> ChatsRepo: ...

    @property
    def drafts(self) -> DraftsRepo: ...

    @property
    def requests(self) -> RequestsRepo: ...

    @property
    def log(self) -> LogRepo: ...

    @property
    def lookups(self) -> LookupsRepo: ...

    @property
    def inbox(self) -> InboxRepo: ...

    @property
    def outbox(self) -> OutboxRepo: ...

    @property
    def audit(self) -> AuditRepo: ...

    @property
    def console(self) -> ConsoleRepo: ...

    @property
    def suggestions(self) -> SuggestionsRepo: ...

    @property
    def tickets(self) -> TicketsRepo: ...

    @property
    def feedback(self) -> FeedbackRepo: ...

    @property
    def versions(self) -> KnowledgeVersionsRepo: ...

    def alone(self, name: str) -> AbstractAsyncContextManager[bool]:
        """`async with store.alone("desk delivery") as mine:` — True when no other process sharing the
        database is inside a block of that name (it then waits outside until this one ends); False: skip the
        work, another instance is doing it. One process on a SQLite file is always alone."""
        ...

    async def check_writable(self) -> None:
        """Raises StorageUnavailable unless a write can be made now (the health check)."""
        ...

    async def forget_deleted(self) -> None:
        """Makes what was deleted or anonymised unrecoverable from the database's files too, as far as the
        backend can (after a retention pass)."""
        ...

    async def close(self) -> None:
        """Writes buffered log rows, waits for the write in progress, then releases the connection."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...
