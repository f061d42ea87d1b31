"""The durable inbox on a database two instances share: an update is let go (another instance may then take
the citizen's next ones) only once its done mark is written — let go before, the other instance would find
it undone and answer it a second time."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from telegram import Update

from handlers import inbox as inbox_module
from handlers.inbox import DurableInbox


class FlakySharedInbox:
    """A shared inbox whose first done marks fail (the database was briefly unreachable)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.events: list[tuple[str, list[int]]] = []

    async def add(self, platform, updates, accounts=None):
        return [u for u, _ in updates]

    async def pending(self, platform):
        return []

    async def mark_done(self, platform, update_ids):
        if self.failures:
            self.failures -= 1
            self.events.append(("mark failed", list(update_ids)))
            raise ConnectionError("the database went away")
        self.events.append(("marked", list(update_ids)))

    async def last_update_id(self, platform):
        return None

    async def prune(self, days):
        return 0

    async def claim(self, platform, limit=1000):
        return []

    async def release(self, platform, update_ids):
        self.events.append(("released", list(update_ids)))


def receiver(store: FlakySharedInbox) -> DurableInbox:
    metrics = SimpleNamespace(received=lambda update: None, done=lambda update: None)
    rt = SimpleNamespace(db=SimpleNamespace(inbox=store), metrics=metrics, profile=SimpleNamespace(name="telegram"))
    return DurableInbox(SimpleNamespace(bot_data={"rt": rt}, bot=None))


async def _settle(store: FlakySharedInbox, event: str) -> None:
    async with asyncio.timeout(5):
        while not any(e == event for e, _ in store.events):  # noqa: ASYNC110 - a fake store sets no event
            await asyncio.sleep(0.01)


async def test_an_update_is_let_go_only_after_its_done_mark_is_written(monkeypatch) -> None:
    monkeypatch.setattr(inbox_module, "STORE_RETRY", 0.05)
    store = FlakySharedInbox(failures=1)
    inbox = receiver(store)
    await inbox.commit(7)  # before the first reply: the mark fails, the reply still goes out
    inbox.done(Update(update_id=7))
    await _settle(store, "released")
    assert store.events == [("mark failed", [7]), ("marked", [7]), ("released", [7])]


async def test_an_update_finished_before_its_mark_is_written_waits_for_it(monkeypatch) -> None:
    monkeypatch.setattr(inbox_module, "STORE_RETRY", 0.05)
    store = FlakySharedInbox(failures=2)
    inbox = receiver(store)
    inbox.commit(8)
    inbox.done(Update(update_id=8))  # finished while the mark is still being tried
    await _settle(store, "released")
    assert store.events == [("mark failed", [8]), ("mark failed", [8]), ("marked", [8]), ("released", [8])]
