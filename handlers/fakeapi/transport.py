"""The in-process transport: python-telegram-bot's requests answered by a ``BotApiPeer`` without HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from handlers.fakeapi.peer import BotApiPeer
from handlers.fakeapi.wire import UploadedFile


class PeerRequest(BaseRequest):
    """Routes python-telegram-bot's HTTP calls to a ``BotApiPeer`` in the same process.

    Build the application with ``.request(PeerRequest(peer)).get_updates_request(PeerRequest(peer))``.
    Read timeouts are enforced (``TimedOut``), so ``peer.delay`` can exercise the bot's timeout paths.
    """

    __slots__ = ("_peer", "_read_timeout")

    def __init__(self, peer: BotApiPeer, read_timeout: float | None = 5.0) -> None:
        self._peer = peer
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when PTB passes none."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open: the peer lives in memory."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answers one PTB request from the peer: ``(HTTP status, JSON envelope bytes)``."""
        if "/file/bot" in url:
            return 404, json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}).encode()
        head, _, endpoint = url.rpartition("/")
        token = head.rpartition("/")[2].removeprefix("bot")
        params: dict[str, Any] = {}
        if request_data is not None:
            params.update(request_data.parameters)
            for name, (filename, content, mime_type) in request_data.multipart_data.items():
                data = content.read() if hasattr(content, "read") else content
                params[name] = UploadedFile(filename, bytes(data), mime_type)
        timeout = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        try:
            envelope = await asyncio.wait_for(self._peer.call(endpoint, params, token=token), timeout)
        except TimeoutError as error:
            raise TimedOut(f"the peer did not answer {endpoint} within {timeout}s") from error
        status = 200 if envelope.get("ok") else int(envelope.get("error_code") or 500)
        return status, json.dumps(envelope, ensure_ascii=False).encode("utf-8")
