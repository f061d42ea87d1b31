"""A tiny forwarding HTTP proxy on 127.0.0.1 that records what passes through it, for the test that
BOT_PROXY_URL carries every Bot API call. Plain HTTP only (absolute-form requests, as httpx sends them to
an http:// proxy for an http:// target); one request per connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "transfer-encoding", "host",
              "content-length"}


class LoopbackProxy:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []  # (method, absolute URL), in order
        self.url = ""
        self._client = httpx.AsyncClient(timeout=30, trust_env=False)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, url, _ = lines[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
            body = await reader.readexactly(length) if length else b""
            self.requests.append((method, url))
            if not url.startswith("http://127.0.0.1:"):  # never anywhere but loopback
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            forwarded = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
            answer = await self._client.request(method, url, headers=forwarded, content=body)
            out = [f"HTTP/1.1 {answer.status_code} {answer.reason_phrase}",
                   f"Content-Type: {answer.headers.get('content-type', 'application/json')}",
                   f"Content-Length: {len(answer.content)}", "Connection: close", "", ""]
            writer.write("\r\n".join(out).encode("latin-1") + answer.content)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, httpx.HTTPError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def loopback_proxy() -> AsyncIterator[LoopbackProxy]:
    proxy = LoopbackProxy()
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    proxy.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield proxy
    finally:
        server.close()
        await proxy._client.aclose()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)
