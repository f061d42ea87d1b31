"""What the platform does once a webhook is set: it POSTs each pending update to the webhook's URL, in
order, with Telegram's ``X-Telegram-Bot-Api-Secret-Token`` header when setWebhook gave a ``secret_token``
(Bale sends none), and forgets the update only when the bot answers 200; any other answer, or none, and
the update is posted again after a pause.

    async with WebhookPusher(peer) as pusher:   # posts while the block runs
        peer.user_sends(42, "سلام")
        [answer] = await peer.wait_for_reply(42)

Only loopback URLs are expected here (tests, load runs); the pusher refuses others.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

import httpx

from handlers.fakeapi.state import PeerState

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class WebhookPusher:
    """Delivers the peer's pending updates to its webhook while running."""

    def __init__(self, peer: PeerState, *, retry: float = 0.2, timeout: float = 10.0) -> None:
        self.peer, self.retry, self.timeout = peer, retry, timeout
        self.answers: list[int] = []  # the HTTP status of every post, in order (0: no answer)
        self._task: asyncio.Task | None = None
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> WebhookPusher:
        self._client = httpx.AsyncClient(timeout=self.timeout, trust_env=False)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="peer-webhook")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    async def push_pending(self) -> int:
        """Posts the pending updates in order until one is refused; returns how many the bot took."""
        hook = self.peer.webhook
        if not hook or not hook.get("url"):
            return 0
        url = str(hook["url"])
        if urlsplit(url).hostname not in LOOPBACK:
            raise ValueError(f"the fake peer posts only to loopback, not to {url!r}")
        headers = {SECRET_HEADER: str(hook["secret_token"])} if hook.get("secret_token") else {}
        taken = 0
        while self.peer._updates:
            update: dict[str, Any] = self.peer._updates[0]
            assert self._client is not None
            try:
                answer = await self._client.post(url, json=update, headers=headers)
                status = answer.status_code
            except httpx.HTTPError:
                status = 0
            self.answers.append(status)
            if status != 200:
                return taken
            if self.peer._updates and self.peer._updates[0] is update:
                self.peer._updates.pop(0)
            taken += 1
        return taken

    async def _run(self) -> None:
        while True:
            if self.peer._updates and self.peer.webhook:
                await self.push_pending()
                if self.answers and self.answers[-1] != 200:
                    await asyncio.sleep(self.retry)  # refused: the platform tries again later
                continue
            await self.peer._wait_change(1.0)
