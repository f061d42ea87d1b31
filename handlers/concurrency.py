"""How updates are processed: different citizens at the same time, one citizen's updates in order, and a
citizen who floods the bot slowed down without slowing anyone else.

python-telegram-bot either processes every update one after the other or all of them concurrently with
no order at all; a government bot needs the middle: per-user order (an answer to question 2 must not
overtake the answer to question 1, a form must see its answers in sequence) with concurrency across
users (one slow database write or network call must not hold up the whole queue).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    warned: float = 0.0


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Concurrency across users, order within one user, and a token bucket per user.

    A user's updates beyond the bucket (a burst of `burst`, then `rate` per second) are dropped before
    they take a processing slot; the user is told once per `warn_every` seconds to slow down."""

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        *,
        rate: float = 2.0,
        burst: int = 10,
        warn_every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(max_concurrent_updates)
        self.rate, self.burst, self.warn_every, self.clock = rate, burst, warn_every, clock
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._buckets: dict[int, _Bucket] = {}
        self.on_throttled: Callable[[Update, bool], Awaitable[None]] | None = None
        # Told when the bot is finished with an update (handled, failed and apologised, or dropped).
        self.on_done: Callable[[object], None] | None = None
        self.dropped = 0

    async def process_update(self, update: object, coroutine: Awaitable) -> None:
        """Drops a flooding user's update before it takes a slot; otherwise waits for the user's turn and
        only then for a processing slot, so updates queued behind one slow handler never hold slots that
        other users need."""
        try:
            await self._process(update, coroutine)
        finally:
            if self.on_done is not None:
                self.on_done(update)

    async def _process(self, update: object, coroutine: Awaitable) -> None:
        key = account_of(update)
        if key is None:
            await super().process_update(update, coroutine)
            return
        if not self._allow(key):
            self.dropped += 1
            if hasattr(coroutine, "close"):
                coroutine.close()  # never awaited: PTB built it, we discard it
            await self._refuse(key, update)
            return
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await super().process_update(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # nobody else queued for this user: forget the lock
                del self._waiting[key]
                self._locks.pop(key, None)

    async def do_process_update(self, update: object, coroutine: Awaitable) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _allow(self, key: int) -> bool:
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.burst, now)
            if len(self._buckets) > 100_000:  # forget the quietest users rather than grow forever
                for k in list(self._buckets)[:50_000]:
                    del self._buckets[k]
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return True
        return False

    async def _refuse(self, key: int, update: object) -> None:
        """Tells a flooding user to slow down (once per `warn_every`); every dropped button tap is answered
        so it stops spinning."""
        bucket = self._buckets[key]
        now = self.clock()
        warn = now - bucket.warned >= self.warn_every
        if warn:
            bucket.warned = now
        if self.on_throttled is None:
            return
        try:
            await self.on_throttled(update, warn)  # type: ignore[arg-type]
        except Exception as exc:
            log.info("could not tell a flooding user to slow down: %s", exc)


def account_of(update: object) -> int | None:
    """Whose updates must keep their order: the user's id, else the chat's (None for neither). The shared
    inbox (handlers/inbox.py) hands an account's updates to one instance at a time by the same key."""
    if isinstance(update, Update):
        user = update.effective_user
        if user is not None:
            return user.id
        chat = update.effective_chat
        if chat is not None:
            return chat.id
    return None
