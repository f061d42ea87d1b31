"""Receiving updates with at-least-once delivery: every update is stored in the inbox (storage `inbox`) before
the platform is told it arrived, handled from there, and marked done once handled. `DurableInbox` is that
contract; `DurablePoller` receives by long polling, handlers/webhook.py's `WebhookReceiver` by webhook
(acknowledged with its HTTP 200, after the update is stored).

The Bot API forgets an update when the next getUpdates asks for the ones after it. PTB's own Updater asks
as soon as it has queued a batch in memory, so a process killed with updates in hand loses them. Here the
batch is written first (one transaction per batch), and the offset moves only after that; on start, what
the inbox holds undone is handled before anything new, and polling starts without an offset. An update the
platform sends again (after a crash before the acknowledgement) is stored once and handled once: its id is
already in the inbox, which keeps handled updates for two days (the platform keeps them 24 h).

An update is marked done just before its first reply goes out — once the outgoing pacing
(handlers/pacing.py) lets it go — or, when it gets no reply, once handled:
a crash before that point handles it again after the restart, and the citizen, who saw nothing, gets the
answer once; a crash after it cannot repeat an answer. Only a crash in the instant between the mark and
the platform's acceptance of the reply can lose that one reply. Marks are written in groups, as soon as
the previous group is written, so under load they cost one transaction for many updates.

On a database several instances share (PostgreSQL, storage.api.SharedInboxRepo), an update stored here may
be handled by the other instance and the other way round: what is stored only wakes the claim loop, which
asks the inbox for the updates this instance is to handle (all of one account at a time, oldest first) and
queues those. Once an update is finished and its done mark written, it is released, and an account with
nothing left in hand may go to the other instance. Updates a killed instance had in hand and not marked
done are claimed by the other one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from telegram import Update
from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from handlers.concurrency import account_of
from storage import StorageUnavailable
from storage.api import SharedInboxRepo

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
STORE_RETRY = 1.0  # seconds before writing done marks again when the inbox could not be written
CLAIM_EVERY = 0.1  # seconds between looks for updates the other instance stored (a shared inbox), while busy
CLAIM_IDLE = 1.0  # ... growing to this while nothing comes (an update stored here wakes the loop at once)


class DurableInbox:
    """What every way of receiving updates shares: the inbox handled first on start, each new update stored
    before it is acknowledged and then queued, and the done marks. The poller (below) and the webhook
    receiver (handlers/webhook.py) differ only in how updates arrive and how they are acknowledged."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.rt = app.bot_data["rt"]
        self._done: list[tuple[int, asyncio.Future[bool]]] = []
        self._marks: dict[int, asyncio.Future[bool]] = {}  # ids marked (or being marked) by this process
        self._marking: asyncio.Task | None = None
        self.failed: BaseException | None = None  # a fatal error (invalid token) that stopped receiving
        # A database several instances share: updates are claimed from it rather than queued as they come.
        inbox = self.rt.db.inbox
        self._shared: SharedInboxRepo | None = inbox if isinstance(inbox, SharedInboxRepo) else None
        self._wake = asyncio.Event()
        self._claiming: asyncio.Task | None = None
        self._finished: list[int] = []  # to release (a shared inbox): finished here, their done marks written
        self._unwritten: set[int] = set()  # finished here, their done marks not written yet: released once they are
        self._releasing: asyncio.Task | None = None

    @property
    def platform(self) -> str:
        return self.rt.profile.name

    async def start(self) -> None:
        """Queues what the inbox holds undone (oldest first), or, on a shared inbox, starts claiming; a
        subclass then starts receiving."""
        if self._shared is not None:
            self._claiming = asyncio.get_running_loop().create_task(self._claim(), name="inbox-claim")
            return
        for row in await self.rt.db.inbox.pending(self.platform):
            await self._queue(Update.de_json(json.loads(row.payload), self.app.bot))

    async def announce(self) -> None:
        """Tells the platform where updates go, once the bot can take them (the webhook: setWebhook)."""

    async def stop(self) -> None:
        """Stops receiving (the done marks are written by `flush`)."""
        await self._stop_claiming()

    async def _stop_claiming(self) -> None:
        if self._claiming is not None:
            self._claiming.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._claiming
            self._claiming = None

    async def store(self, updates: list[Update]) -> None:
        """Stores updates in the inbox (one transaction) and queues those not received before (a shared
        inbox: wakes the claim loop). Only once this returns may the platform be told they arrived."""
        payloads = [(u.update_id, json.dumps(u.to_dict(), ensure_ascii=False)) for u in updates]
        accounts = {u.update_id: account_of(u) for u in updates}
        try:
            new = set(await self.rt.db.inbox.add(self.platform, payloads, accounts))
        except StorageUnavailable as exc:
            # The database is locked or read-only: the citizen is still answered (at least that the
            # bot is busy), from memory; only while the database is down is a crash able to lose these.
            log.warning("could not store %d updates (%s); handling them from memory", len(updates), exc)
            for update in updates:
                await self._queue(update)
            return
        if self._shared is not None:
            if new:
                self._wake.set()
            return
        for update in updates:
            if update.update_id in new:
                await self._queue(update)

    async def _queue(self, update: Update) -> None:
        self.rt.metrics.received(update)
        await self.app.update_queue.put(update)

    async def _claim(self) -> None:
        """Queues the updates the shared inbox hands this instance: at once when one was stored here, every
        CLAIM_EVERY seconds (up to CLAIM_IDLE when quiet) for those stored by the other instance (or left by
        one that died)."""
        backoff, idle = STORE_RETRY, CLAIM_EVERY
        while True:
            self._wake.clear()
            try:
                assert self._shared is not None
                rows = await self._shared.claim(self.platform)
            except StorageUnavailable as exc:
                log.warning("could not claim updates from the inbox (%s); trying again in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            except Exception:  # never stop taking updates for good: this instance would go silent
                log.exception("claiming updates from the inbox failed; trying again in %.0f s", backoff)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            backoff = STORE_RETRY
            for row in rows:
                await self._queue(Update.de_json(json.loads(row.payload), self.app.bot))
            if rows:
                idle = CLAIM_EVERY
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle)
                idle = CLAIM_EVERY if self._wake.is_set() else min(CLAIM_IDLE, idle * 2)

    def commit(self, update_id: int) -> asyncio.Future[bool]:
        """Marks an update done; the future resolves once the mark is written (True) or could not be (False:
        tried again later; the reply is never held up by the inbox)."""
        future = self._marks.get(update_id)
        if future is not None:
            return future
        future = self._marks[update_id] = asyncio.get_running_loop().create_future()
        self._done.append((update_id, future))
        if self._marking is None or self._marking.done():
            self._marking = asyncio.get_running_loop().create_task(self._mark(), name="inbox-done")
        return future

    def done(self, update: object) -> None:
        """Called when the bot is finished with an update (handled, failed, or dropped by flood control)."""
        self.rt.metrics.done(update)
        if isinstance(update, Update):
            written = self.commit(update.update_id)
            self._marks.pop(update.update_id, None)  # finished: no later commit will ask again
            if self._shared is None:
                return
            # Released only with its done mark written: released before, the other instance would take the
            # update, still undone in the inbox, and answer it again.
            if written.done() and written.result():
                self._release(update.update_id)
            else:
                self._unwritten.add(update.update_id)

    def _release(self, update_id: int) -> None:
        """Lets the shared inbox know an update is finished here, its done mark written (in groups, as the
        marks are)."""
        self._finished.append(update_id)
        if self._releasing is None or self._releasing.done():
            self._releasing = asyncio.get_running_loop().create_task(self._write_releases(), name="inbox-release")

    async def _write_releases(self) -> None:
        while self._finished:
            batch, self._finished = self._finished, []
            try:
                assert self._shared is not None
                await self._shared.release(self.platform, batch)
            except Exception as exc:  # the connection holding the accounts is gone, and with it the locks
                log.warning("could not release %d updates: %s", len(batch), exc)

    async def flush(self) -> None:
        """Writes the done marks still in memory (on the way out): one last try, never a wait for a
        database that stays locked. The accounts a shared inbox held are let go when the store closes."""
        if self._marking is not None and not self._marking.done():
            self._marking.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._marking
        await self._mark(retry=False)
        if self._releasing is not None and not self._releasing.done():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._releasing

    async def _mark(self, retry: bool = True) -> None:
        while self._done:
            batch, self._done = self._done, []
            written = False
            try:
                await self.rt.db.inbox.mark_done(self.platform, [u for u, _ in batch])
                written = True
                for update_id, _ in batch:
                    if update_id in self._unwritten:
                        self._unwritten.discard(update_id)
                        self._release(update_id)
            except Exception as exc:  # kept for the next try; at worst handled again after a crash
                log.warning("could not mark %d updates handled: %s", len(batch), exc)
                if not retry:
                    return
                again = [(u, asyncio.get_running_loop().create_future()) for u, _ in batch]
                self._marks.update((u, f) for u, f in again if u in self._marks)
                self._done[:0] = again
                await asyncio.sleep(STORE_RETRY)
            finally:
                for _, future in batch:
                    if not future.done():
                        future.set_result(written)


class DurablePoller(DurableInbox):
    """Fetches updates into the inbox and the application's queue (getUpdates): the offset moves only once
    a batch is stored."""

    def __init__(self, app: Application, *, poll_interval: float, poll_timeout: int) -> None:
        super().__init__(app)
        self.poll_interval, self.poll_timeout = poll_interval, poll_timeout
        self.offset: int | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Queues what the inbox holds undone (oldest first), then starts fetching."""
        await super().start()
        # No offset on start: the platform sends every update it has not seen confirmed, and those already
        # stored are stored (and handled) once. Starting after the inbox's newest id would skip updates after
        # a quiet week, when Telegram numbers new updates from a random, possibly lower, id.
        self.offset = None
        with contextlib.suppress(Exception):  # a webhook left set would make getUpdates fail
            await self.app.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.get_running_loop().create_task(self._poll(), name="durable-polling")

    async def stop(self) -> None:
        """Stops fetching, and tells the platform which updates are safely stored."""
        await super().stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self.offset is not None:
            with contextlib.suppress(Exception):
                await self.app.bot.get_updates(offset=self.offset, timeout=0, limit=1, allowed_updates=None)

    async def _poll(self) -> None:
        backoff = 1.0
        while True:
            try:
                updates = await self.app.bot.get_updates(
                    offset=self.offset, timeout=self.poll_timeout, allowed_updates=None
                )
            except (InvalidToken, Forbidden) as exc:  # Bale answers a wrong token with 403
                self.failed = exc
                log.error("the platform refused the token: %s; polling stopped", exc)
                return
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except TimedOut:
                continue
            except NetworkError as exc:
                log.warning("getUpdates failed (%s); trying again in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 1.5)
                continue
            backoff = 1.0
            if not updates:
                if self.poll_interval:
                    await asyncio.sleep(self.poll_interval)
                continue
            await self.store(updates)
            self.offset = updates[-1].update_id + 1
            if self.poll_interval:
                await asyncio.sleep(self.poll_interval)


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
