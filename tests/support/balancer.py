"""A load balancer on loopback for webhook tests and load runs: what nginx or HAProxy would be in front of two
bot instances. Each POST goes, with its path, headers and body, to a backend chosen at random (so one
citizen's updates reach both instances); a backend that refuses the connection or does not answer is
skipped for the other one, as a balancer's health check would, and only when none answers does the
platform get 502 (and post the update again later).

    async with LoadBalancer(["127.0.0.1:8001", "127.0.0.1:8002"]) as lb:
        url = f"{lb.url}/hook"        # BOT_WEBHOOK_URL of both instances

Nothing here needs pytest (scripts/load_run.py uses it too).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

import httpx
from aiohttp import web


class LoadBalancer:
    """Forwards POSTs to `backends` (host:port), chosen with `seed`'s random numbers."""

    def __init__(self, backends: Sequence[str], *, seed: int = 1, timeout: float = 10.0) -> None:
        self.backends = list(backends)
        self.rng = random.Random(seed)
        self.timeout = timeout
        self.taken: Counter[str] = Counter()  # 200s per backend
        self.failed: Counter[str] = Counter()  # connections refused or unanswered per backend
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> LoadBalancer:
        self._client = httpx.AsyncClient(timeout=self.timeout, trust_env=False)
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_route("POST", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.aclose()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        first = self.rng.randrange(len(self.backends))
        assert self._client is not None
        for backend in self.backends[first:] + self.backends[:first]:
            try:
                answer = await self._client.post(f"http://{backend}{request.rel_url}", content=body, headers=headers)
            except httpx.HTTPError:
                self.failed[backend] += 1
                continue
            if answer.status_code == 200:
                self.taken[backend] += 1
            return web.Response(status=answer.status_code, body=answer.content)
        return web.Response(status=502)
