"""Rows kept in memory and written in batches, whatever the database: under load the conversation log then
costs one write for many messages instead of one each (storage/sqlite/log.py, storage/postgres/log.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

MAX_BUFFERED = 2000  # rows kept before a write is forced, whatever the interval

log = logging.getLogger(__name__)


class RowBuffer:
    """Off until `start`: then rows added are written every `interval` seconds by `write_many` (one
    transaction), or at once when MAX_BUFFERED are waiting. Rows still in memory are lost if the process is
    killed (only log rows are ever buffered, never a request)."""

    def __init__(self, write_many: Callable[[list[tuple]], Awaitable[None]]) -> None:
        self._write_many = write_many
        self._rows: list[tuple] | None = None
        self._flusher: asyncio.Task | None = None

    @property
    def on(self) -> bool:
        return self._rows is not None

    def start(self, interval: float) -> None:
        if self._rows is None:
            self._rows = []
            self._flusher = asyncio.get_running_loop().create_task(self._flush_every(interval), name="log-flush")

    async def add(self, row: tuple) -> None:
        assert self._rows is not None
        self._rows.append(row)
        if len(self._rows) >= MAX_BUFFERED:
            await self.flush()

    async def _flush_every(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.flush()
            except Exception:
                log.warning("could not write the conversation log", exc_info=True)

    async def flush(self) -> int:
        """Writes the rows kept in memory; returns how many (kept for the next try if the write fails)."""
        if not self._rows:
            return 0
        rows, self._rows = self._rows, []
        try:
            await self._write_many(rows)
        except BaseException:
            self._rows[:0] = rows
            raise
        return len(rows)

    async def stop(self) -> None:
        """Writes what is kept and goes back to writing each row at once."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        if self._rows is not None:
            await self.flush()
            self._rows = None
