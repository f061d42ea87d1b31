"""`python -m bot run` as an operator starts it: a real process, polling a Bot API server on loopback HTTP
(the fake peer of handlers.fakeapi.server, or the load run's lean server).

Used by the process tests and by scripts/load_run.py, so nothing here needs pytest: a bot that does not
answer or does not stop raises with the tail of its log.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from handlers.fakeapi import BotApiPeer

ROOT = Path(__file__).resolve().parent.parent.parent
TOKEN = "123:ABC"
BOT_RUN = (sys.executable, "-m", "bot", "run")
FIRST_ANSWER_TIMEOUT = 25  # the process imports PTB and hazm and builds the search index first


class BotProcess:
    """One bot subprocess; its stdout and stderr go to a log file so a failure can show it."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process, self.log = process, log

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    async def terminate(self, within: float = 8) -> int:
        """SIGTERM, then the exit code. A process that takes longer than `within` seconds is killed, and
        TimeoutError says so with the tail of its log."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            await self.kill()
            raise TimeoutError(f"the bot did not stop within {within}s of SIGTERM:\n{self.log_tail()}") from None

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no flush."""
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


@contextlib.asynccontextmanager
async def bot_process(
    base_url: str,
    database: Path | None,
    log: Path,
    *,
    platform: str = "telegram",
    token: str = TOKEN,
    log_level: str = "INFO",
    command: Sequence[str] = BOT_RUN,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[BotProcess]:
    """Runs `command` (the bot by default) against the Bot API at `base_url`, with the shipped knowledge and
    the database file `database`; kills it if the block ends with it still running. `env` adds settings
    (BOT_WEBHOOK_URL, BOT_PROXY_URL, ...)."""
    environ: dict[str, Any] = {
        **os.environ,
        "BOT_TOKEN": token,
        "BOT_API_BASE_URL": base_url,
        "BOT_PLATFORM": platform,
        "BOT_LOG_LEVEL": log_level,
    }
    if database is not None:
        environ["BOT_DATABASE"] = str(database)
    environ.pop("BOT_KNOWLEDGE_DIR", None)  # the shipped knowledge
    environ.update(env or {})
    with log.open("a", encoding="utf-8") as out:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=environ, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out
        )
    bot = BotProcess(process, log)
    try:
        yield bot
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for a server whose address must be known before it starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def reply(peer: BotApiPeer, bot: BotProcess, user: int, timeout: float) -> dict[str, Any]:  # noqa: ASYNC109
    """The next message the bot process sends (or edits) in the chat of `user`; fails with the bot's log."""
    try:
        [message] = await peer.wait_for_reply(user, count=1, timeout=timeout)
    except TimeoutError as error:
        raise AssertionError(f"{error}\n--- bot log ---\n{bot.log_tail()}") from None
    return message
