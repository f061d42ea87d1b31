"""A citizen talking to the dialogue itself (bot.dialogue), without python-telegram-bot or a fake Bot API:
turns in, replies recorded by an outbox that can also pretend the platform timed out or refused."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.dialogue import Dialogue, Turn, TurnResult
from bot.knowledge import load_knowledge
from bot.reply import Reply, render_plain
from bot.search import SearchEngine
from bot.settings import Settings
from storage import Clock, open_database

ROOT = Path(__file__).resolve().parent.parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
CITIZEN = 501


class RecordingOutbox:
    """Records what the dialogue sends; `confirm = False` plays a platform that did not answer in time,
    `fail` an exception class to raise instead of sending (RecipientGone, DeliveryFailed)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, Reply]] = []
        self.confirm = True
        self.fail: type[Exception] | None = None

    async def send(self, chat_id: int, reply: Reply) -> bool:
        if self.fail is not None:
            raise self.fail("refused")
        self.sent.append((chat_id, reply))
        return self.confirm

    def texts(self) -> list[str]:
        return [render_plain(r.text) for _, r in self.sent]

    def labels(self) -> list[str]:
        return [b.label for _, r in self.sent for row in r.buttons for b in row]

    def data_of(self, label: str) -> str:
        """The payload of the newest button labelled `label`."""
        return next(b.data for _, r in reversed(self.sent) for row in r.buttons for b in row if b.label == label)


@functools.cache
def shipped_engine() -> SearchEngine:
    """The search engine of the shipped knowledge, built once for all dialogue tests."""
    return SearchEngine(load_knowledge(KNOWLEDGE_DIR))


@asynccontextmanager
async def dialogue_on(db_path: Path, clock: Clock | None = None, **settings) -> AsyncIterator[Dialogue]:
    """The dialogue on a fresh database at `db_path` with the shipped knowledge; `settings` override."""
    db = await open_database(db_path, clock=clock)
    try:
        yield Dialogue(Settings(_env_file=None, **settings), db, shipped_engine())
    finally:
        await db.close()


async def say(d: Dialogue, text: str, user: int = CITIZEN, out: RecordingOutbox | None = None) -> RecordingOutbox:
    """The citizen types `text`; returns what the dialogue sent."""
    out = out or RecordingOutbox()
    await d.handle(Turn(user, user, text=text, first_name="مریم"), out)
    return out


async def tap(d: Dialogue, data: str, user: int = CITIZEN,
              out: RecordingOutbox | None = None) -> tuple[RecordingOutbox, TurnResult]:
    """The citizen taps a button carrying `data`; returns what was sent and the turn's result."""
    out = out or RecordingOutbox()
    return out, await d.handle(Turn(user, user, button=data), out)
