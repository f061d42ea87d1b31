"""The running bot follows the knowledge files: every BOT_KNOWLEDGE_POLL seconds it compares their
fingerprint (names, sizes, modification times; nothing is read) with the last one, and when they changed —
the console published a service, an admin edited a file or pulled from git — it reloads them through the
same path as /reload. A file that does not validate keeps the old knowledge, logged with every problem;
the watch never stops the bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from bot.dialogue import Dialogue
from bot.dialogue.staff import reload_knowledge
from bot.knowledge import knowledge_fingerprint
from bot.reply import render_plain

log = logging.getLogger(__name__)


async def follow_knowledge(dialogue: Dialogue, directory: Path, interval: float) -> None:
    """Reloads the knowledge whenever its files change, until cancelled."""
    last = await asyncio.to_thread(knowledge_fingerprint, directory)
    while True:
        await asyncio.sleep(interval)
        try:
            now = await asyncio.to_thread(knowledge_fingerprint, directory)
            if now == last:
                continue
            last = now
            before = dialogue.engine
            reply = await reload_knowledge(dialogue, directory)
            if dialogue.engine is before:
                log.error("the knowledge files changed but do not validate; the bot keeps the knowledge it had:\n%s",
                          render_plain(reply.text))
            else:
                log.info("knowledge files changed: reloaded, %d services", len(dialogue.knowledge.services))
        except asyncio.CancelledError:
            raise
        except Exception:  # a watch that dies would leave the bot on old knowledge without a word
            log.exception("could not check the knowledge files; trying again in %.1fs", interval)


@contextlib.asynccontextmanager
async def knowledge_followed(dialogue: Dialogue, directory: Path, interval: float) -> AsyncIterator[None]:
    """`follow_knowledge` running for the block (not at all when `interval` is 0)."""
    if interval <= 0:
        yield
        return
    task = asyncio.create_task(follow_knowledge(dialogue, directory, interval), name="knowledge-watch")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
