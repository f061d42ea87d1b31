"""What the running bot counts, for Prometheus (`/metrics`) and the health check (`/healthz`, handlers/monitor.py).

Counting happens in the channel layer, where updates arrive and replies leave: the inbox tells when an
update was received and finished with, the outbox when its first reply goes out, the citizen handler what
search made of a question (the dialogue's `TurnResult`), and `CountingRequest` sits under every Bot API
call. The domain (bot/) knows nothing of it. Figures kept in the database (requests, notices waiting) are
read when /metrics is asked for, so they hold across restarts and include what the staff CLI did.

Each Application gets its own registry, so tests (and two bots in one process) never share counters.
No label carries a user, a chat or a text: nothing personal leaves through /metrics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from telegram import Update
from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:
    from bot.dialogue import TurnResult
    from handlers.context import Runtime

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


def update_kind(update: object) -> str:
    """A coarse kind for counting: command, text, button, contact, edit, other."""
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "button"
    if update.edited_message is not None:
        return "edit"
    message = update.message
    if message is None:
        return "other"
    if message.contact is not None:
        return "contact"
    if message.text is not None:
        return "command" if message.text.startswith("/") else "text"
    return "other"


class ApiHealth:
    """When the Bot API last answered a call, and when a call last failed to reach it (network error,
    timeout, 5xx, a refused token): what /healthz reports."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last_ok: float | None = None
        self.last_failure: float | None = None
        self.last_failure_code: str | None = None

    def ok(self) -> None:
        self.last_ok = self.clock()

    def failed(self, code: str) -> None:
        self.last_failure, self.last_failure_code = self.clock(), code


class _Registrations:
    """`bot_registrations_total`: requests ever registered, from the database (read at scrape time)."""

    def __init__(self) -> None:
        self.value = 0

    def collect(self):
        yield CounterMetricFamily("bot_registrations", "Requests registered (from the database)", value=self.value)

    def describe(self):
        return []


class Metrics:
    """The bot's counters and gauges, in a registry of its own."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter("bot_updates_handled", "Updates the bot finished with, by kind", ["kind"], registry=r)
        self.latency = Histogram("bot_reply_latency_seconds", "From receiving an update to its first reply",
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.questions = Counter("bot_questions", "Typed questions by what search made of them: found, clarified "
                                 "(a choice offered), not_found, other (no service named)", ["outcome"], registry=r)
        self.api_calls = Counter("bot_api_calls", "Bot API calls made, by method", ["method"], registry=r)
        self.api_errors = Counter("bot_api_errors", "Bot API calls that failed, by method and HTTP status "
                                  "(network, timeout: no answer)", ["method", "code"], registry=r)
        self.notices_pending = Gauge("bot_notices_pending", "Status notices and confirmations not yet delivered",
                                     registry=r)
        self.outbox_chats = Gauge("bot_outbox_chats", "Chats with replies waiting in the durable outbox", registry=r)
        self.requests = Gauge("bot_requests", "Requests stored, by status", ["status"], registry=r)
        self._registrations = _Registrations()
        r.register(self._registrations)
        self.api = ApiHealth(clock)
        self._received: dict[int, float] = {}

    # -- hooks of the channel ------------------------------------------------------------------------------

    def received(self, update: Update) -> None:
        """The update is queued for handling (the start of its reply latency)."""
        self._received.setdefault(update.update_id, self.clock())

    def first_reply(self, update_id: int) -> None:
        """The first reply to the update is going out."""
        started = self._received.pop(update_id, None)
        if started is not None:
            self.latency.observe(max(0.0, self.clock() - started))

    def done(self, update: object) -> None:
        """The bot is finished with the update (answered, failed, or dropped by flood control)."""
        self.updates.labels(update_kind(update)).inc()
        if isinstance(update, Update):
            self._received.pop(update.update_id, None)

    def turn(self, result: TurnResult) -> None:
        """What search made of a typed question, when the turn was one."""
        u = result.understanding
        if u is None:
            return
        if u.service is not None:
            outcome = "found"
        elif u.decision.kind == "choice":
            outcome = "clarified"
        elif u.decision.kind == "none":
            outcome = "not_found"
        else:
            outcome = "other"
        self.questions.labels(outcome).inc()

    def api_call(self, method: str, status: int | None, failure: str | None = None) -> None:
        """One Bot API call answered with HTTP `status`, or not answered (`failure`: network, timeout)."""
        self.api_calls.labels(method).inc()
        if status == 200:
            self.api.ok()
            return
        code = failure or str(status)
        self.api_errors.labels(method, code).inc()
        if failure is not None or status is None or status >= 500 or status == 401:
            self.api.failed(code)

    # -- exposition ----------------------------------------------------------------------------------------

    async def refresh(self, rt: Runtime) -> None:
        """Reads the figures kept in the database."""
        db, platform = rt.db, rt.profile.name
        self.notices_pending.set(len(await db.requests.undelivered(platform, limit=10_000)))
        self.outbox_chats.set(len(await db.outbox.waiting_chats(platform)))
        for status, count in (await db.requests.count_by_status()).items():
            self.requests.labels(status).set(count)
        self._registrations.value = await db.requests.count()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class CountingRequest(BaseRequest):
    """A Bot API transport (PTB's HTTPXRequest, or the fake peer's) whose every call is counted: method,
    HTTP status, failures; the time of the last call that was answered feeds /healthz."""

    __slots__ = ("_inner", "_metrics")

    def __init__(self, inner: BaseRequest, metrics: Metrics) -> None:
        self._inner, self._metrics = inner, metrics

    @property
    def inner(self) -> BaseRequest:
        return self._inner

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        endpoint = url.rpartition("/")[2] or "?"
        try:
            status, payload = await self._inner.do_request(
                url, method, request_data, read_timeout=read_timeout, write_timeout=write_timeout,
                connect_timeout=connect_timeout, pool_timeout=pool_timeout,
            )
        except TimedOut:
            self._metrics.api_call(endpoint, None, "timeout")
            raise
        except Exception:
            self._metrics.api_call(endpoint, None, "network")
            raise
        self._metrics.api_call(endpoint, status)
        return status, payload
