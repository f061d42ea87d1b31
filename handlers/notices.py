"""The delivery loop: while the application runs, replies the platform refused for now leave the durable
outbox, and the dialogue delivers status changes (made by staff in this process or from the command line)
and confirmations that could not be sent at the time; retention runs about once an hour."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram.ext import Application

from handlers.context import runtime_of
from handlers.send import TelegramOutbox, drain_outbox

log = logging.getLogger(__name__)

NOTIFY_EVERY = 2.0  # seconds between looks for status changes to deliver
PRUNE_EVERY_ROUNDS = 1800  # about an hour of rounds
STOP_PATIENCE = 5.0  # seconds the way out waits for the round in hand to finish


async def deliver_notices(app: Application) -> int:
    """One round of delivery; returns how many notices were delivered."""
    rt = runtime_of(app)
    return await rt.dialogue.deliver_notices(TelegramOutbox(rt, app.bot))


async def prune(rt) -> None:
    """Retention (see bot.dialogue.registration.prune)."""
    await rt.dialogue.prune()


async def notice_loop(app: Application, every: float = NOTIFY_EVERY, stop: asyncio.Event | None = None) -> None:
    """Delivers status notices while the application runs; started before `app.start()` (from post_init),
    it waits for the start and ends by itself soon after `app.stop()` begins, or after the round in hand
    once `stop` is set."""
    stop = stop or asyncio.Event()
    for _ in range(600):  # wait up to a minute for start(); an app that never starts is left alone
        if app.running or stop.is_set():
            break
        await asyncio.sleep(0.1)
    rounds = 0
    while app.running and not stop.is_set():
        try:
            if rounds % PRUNE_EVERY_ROUNDS == 0:
                await prune(runtime_of(app))
            await drain_outbox(runtime_of(app), app.bot)
            await deliver_notices(app)
        except Exception:
            log.exception("delivering status notices failed")
        rounds += 1
        for _ in range(int(every / 0.1)):
            if not app.running or stop.is_set():
                return
            await asyncio.sleep(0.1)


def start_notices(app: Application) -> asyncio.Task:
    """Starts delivering status notices in the background."""
    stop = asyncio.Event()
    task = asyncio.get_running_loop().create_task(notice_loop(app, stop=stop), name="status-notices")
    app.bot_data["notice_task"] = task
    app.bot_data["notice_stop"] = stop
    return task


async def stop_notices(app: Application, patience: float = STOP_PATIENCE) -> None:
    """Stops the notice loop after the round in hand (a message sent and not yet marked as sent would be
    sent again after a restart), or at once when the round takes longer than `patience` seconds."""
    task = app.bot_data.pop("notice_task", None)
    stop = app.bot_data.pop("notice_stop", None)
    if task is None or task.done():
        return
    if stop is not None:
        stop.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
            await asyncio.wait_for(asyncio.shield(task), patience)
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
