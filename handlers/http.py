"""A small HTTP server inside the bot's event loop: Starlette routes served by uvicorn, for the webhook
receiver (handlers/webhook.py) and for /healthz and /metrics (handlers/monitor.py).

uvicorn is driven by hand rather than through `uvicorn.run`: it must not install signal handlers of its
own (the bot's SIGTERM handling stops it in order), nor configure logging, nor write access logs (a
webhook path may hold its secret).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator, Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5  # seconds requests in flight get to finish when the server stops


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the bot's own handlers stop it
        yield


class HttpServer:
    """Serves `routes` on host:port (port 0: a free one, read back from `port` once started)."""

    def __init__(self, host: str, port: int, routes: Sequence[BaseRoute], *, name: str = "http") -> None:
        self.host, self.port, self.name = host, port, name
        self.app = Starlette(routes=list(routes))
        self._server: _Server | None = None
        self._task: asyncio.Task | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Binds and serves; raises OSError when the address cannot be had."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="off", server_header=False,
                                timeout_graceful_shutdown=SHUTDOWN_GRACE)
        self._server = _Server(config)
        self._task = asyncio.get_running_loop().create_task(self._server.serve(sockets=[sock]), name=self.name)
        while not self._server.started:
            if self._task.done():
                sock.close()
                self._task.result()  # raises what stopped it
                raise OSError(f"the {self.name} server on {self.host}:{self.port} did not start")
            await asyncio.sleep(0.01)
        log.info("%s: listening on %s:%d", self.name, self.host, self.port)

    async def stop(self) -> None:
        """Stops accepting connections; requests in flight finish (for up to SHUTDOWN_GRACE seconds)."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self._server = self._task = None
