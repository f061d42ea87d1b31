"""Outgoing pacing: every Bot API call that names a chat (messages, edits, notices, ticket relays) passes
python-telegram-bot's AIORateLimiter, which keeps the whole bot under the platform's rate and waits out
short flood control (429 with a retry_after) before trying again.

Two things differ from the library's defaults, both for a bot that must not lose a reply:

- The overall rate is smoothed: one message every 1/rate seconds rather than a burst of `rate` and then
  `rate` a second, so no one-second window ever holds more than the platform allows (Telegram does not say
  how it counts; a burst of 30 followed by 30 more in the same second is the case that earns 429s).
- A 429 asking for a wait longer than `max_wait` is not waited out inline (it would hold the handler, and
  every other send, for that long): it goes back to the caller at once, and handlers/send.py keeps the
  reply in the durable outbox for the delivery loop.

Per-group limits are the library's (about 20 a minute in a group); private chats have none of their own.

A call may carry `BeforeSend(hook)` as its `rate_limit_args`: the hook runs once the pacing lets the call
go, just before it is made. The outbox marks an update done there (handlers/inbox.py), so a process
killed while replies wait for their turn handles those updates again after the restart instead of
losing their answers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BeforeSend:
    """`rate_limit_args` of a call: `hook` is awaited when the call's turn has come (before every try; the
    hook itself does its work once)."""

    hook: Callable[[], Awaitable[None]]


class _LongWait(Exception):
    """Carries a RetryAfter past AIORateLimiter's own retry loop, which would sleep it out."""

    def __init__(self, flood: RetryAfter) -> None:
        super().__init__(str(flood))
        self.flood = flood


class Pacing(AIORateLimiter):
    """AIORateLimiter at `rate` messages a second for the whole bot (0: no overall limit), retrying a 429
    up to `retries` times when it asks for at most `max_wait` seconds."""

    def __init__(self, rate: float, *, retries: int, max_wait: float) -> None:
        if rate > 0:
            super().__init__(overall_max_rate=1, overall_time_period=1 / rate, max_retries=retries)
        else:
            super().__init__(overall_max_rate=0, max_retries=retries)
        self.rate, self.max_wait = rate, max_wait

    async def process_request(self, callback, args: Any, kwargs: dict[str, Any], endpoint: str,
                              data: dict[str, Any], rate_limit_args: int | None):
        """The library's pacing and retries, except that a long flood wait is raised at once; a BeforeSend
        hook runs when the call's turn has come."""
        max_wait = self.max_wait
        before = rate_limit_args.hook if isinstance(rate_limit_args, BeforeSend) else None
        if before is not None:
            rate_limit_args = None

        async def once(*a: Any, **kw: Any):
            if before is not None:
                await before()
            try:
                return await callback(*a, **kw)
            except RetryAfter as exc:
                if _seconds(exc.retry_after) > max_wait:
                    raise _LongWait(exc) from None
                raise

        try:
            return await super().process_request(once, args, kwargs, endpoint, data, rate_limit_args)
        except _LongWait as long:
            raise long.flood from None


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
