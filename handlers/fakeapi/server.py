"""The fake Bot API peer over HTTP on loopback, for a bot running in another process.

Point PTB at it with ``base_url=f"{base}/bot"`` and ``base_file_url=f"{base}/file/bot"``, where ``base`` is
what ``start_peer_server`` returns (``http://127.0.0.1:PORT``). The Bot API lives at
``/bot{token}/{method}`` and accepts GET query parameters, form-encoded, multipart and JSON bodies.
File downloads (``/file/bot{token}/...``) answer 404: the peer keeps no files.

A test or a load harness in another process plays the users through ``/_peer/...``; every endpoint takes
and returns JSON:

- ``POST /_peer/send`` ``{"user_id", "text", "first_name"?}``, and likewise ``tap`` (``user_id``,
  ``message_id``, ``data``), ``tap_button`` (``user_id``, ``text``), ``sticker``, ``photo``, ``voice``,
  ``location``, ``contact`` (``user_id``, ``phone_number``, ``contact_user_id``?), ``edit`` (``user_id``,
  ``message_id``, ``text``), ``channel_post`` (``chat_id``, ``text``): the keyword arguments of the
  ``BotApiPeer.user_*`` helper of that name; answers the Update.
- ``POST /_peer/fail_next`` ``{"method", "error_code", "description"?, "retry_after"?, "times"?}``,
  ``POST /_peer/delay`` ``{"method", "seconds"}``, ``POST /_peer/limit_rate`` ``{"per_second"}``,
  ``POST /_peer/block`` ``{"user_id"}``,
  ``POST /_peer/add_user`` ``{"user_id", "first_name"?}``.
- ``GET /_peer/sent?chat_id=N``, ``GET /_peer/outbox?chat_id=N``, ``GET /_peer/calls?method=M``,
  ``GET /_peer/state`` (platform, bot, pending update count), and
  ``GET /_peer/wait_for_reply?chat_id=N&count=1&timeout=5`` (504 when the bot stays silent).

Run standalone with ``python -m handlers.fakeapi.server --port 8081 --platform bale``: it prints its base URL on the
first line of stdout and serves until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import signal
from typing import Any

from aiohttp import web

from handlers.fakeapi.peer import BotApiPeer
from handlers.fakeapi.wire import UploadedFile

PEER_KEY: web.AppKey[BotApiPeer] = web.AppKey("peer", BotApiPeer)

_USER_ACTIONS = {
    "send": "user_sends",
    "tap": "user_taps",
    "tap_button": "user_taps_button",
    "sticker": "user_sends_sticker",
    "photo": "user_sends_photo",
    "document": "user_sends_document",
    "voice": "user_sends_voice",
    "location": "user_sends_location",
    "contact": "user_sends_contact",
    "edit": "user_edits",
    "channel_post": "channel_post",
    "fail_next": "fail_next",
    "delay": "delay",
    "limit_rate": "limit_rate",
    "block": "block",
    "add_user": "add_user",
    "add_group": "add_group",
    "member_send": "member_sends",
    "member_photo": "member_sends_photo",
    "member_document": "member_sends_document",
    "member_tap": "member_taps",
    "member_tap_button": "member_taps_button",
}

_dumps = functools.partial(json.dumps, ensure_ascii=False, default=lambda value: f"<{len(value)} bytes>")


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _without_content(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for record in records:
        if record.get("document"):
            record["document"].pop("content", None)
    return records


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="a JSON body must be an object")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[key] = UploadedFile(value.filename, value.file.read(), value.content_type)
            else:
                params[key] = value
    return params


async def _bot_api(request: web.Request) -> web.Response:
    try:
        params = await _read_params(request)
    except (ValueError, web.HTTPBadRequest):
        refusal = {"ok": False, "error_code": 400, "description": "Bad Request: can't parse request body"}
        return _json(refusal, 400)
    envelope = await request.app[PEER_KEY].call(
        request.match_info["method"], params, token=request.match_info["token"]
    )
    status = 200 if envelope.get("ok") else int(envelope.get("error_code") or 500)
    return _json(envelope, status)


async def _file(request: web.Request) -> web.Response:
    return _json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)


async def _control_post(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    name = _USER_ACTIONS.get(action)
    if name is None:
        return _json({"error": f"unknown action {action!r}", "actions": sorted(_USER_ACTIONS)}, 404)
    try:
        kwargs = await request.json() if request.body_exists else {}
        result = getattr(request.app[PEER_KEY], name)(**kwargs)
    except (TypeError, ValueError, KeyError) as error:
        return _json({"error": str(error)}, 400)
    return _json(result if result is not None else {"ok": True})


def _int_query(request: web.Request, name: str, default: int | None = None) -> int:
    value = request.query.get(name)
    if value is None:
        if default is None:
            raise web.HTTPBadRequest(text=f"{name} is required")
        return default
    try:
        return int(value)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} must be an integer") from None


async def _sent(request: web.Request) -> web.Response:
    peer = request.app[PEER_KEY]
    chat_id = _int_query(request, "chat_id")
    return _json(_without_content(peer.sent(chat_id, include_deleted="include_deleted" in request.query)))


async def _outbox(request: web.Request) -> web.Response:
    return _json(_without_content(request.app[PEER_KEY].outbox(_int_query(request, "chat_id"))))


async def _calls(request: web.Request) -> web.Response:
    peer = request.app[PEER_KEY]
    method = request.query.get("method")
    calls = [
        {"method": c.method, "params": c.params}
        for c in peer.calls
        if method is None or c.method.lower() == method.lower()
    ]
    return _json(calls)


async def _state(request: web.Request) -> web.Response:
    peer = request.app[PEER_KEY]
    return _json(
        {"platform": peer.platform, "bot": peer.bot_user, "pending_updates": len(peer.pending_updates)}
    )


async def _wait_for_reply(request: web.Request) -> web.Response:
    peer = request.app[PEER_KEY]
    try:
        timeout = float(request.query.get("timeout", "5"))
    except ValueError:
        raise web.HTTPBadRequest(text="timeout must be a number") from None
    try:
        replies = await peer.wait_for_reply(
            _int_query(request, "chat_id"), _int_query(request, "count", 1), timeout
        )
    except TimeoutError as error:
        return _json({"error": str(error)}, 504)
    return _json(_without_content(replies))


async def _release_long_polls(app: web.Application) -> None:
    app[PEER_KEY].interrupt_polls()


def make_app(peer: BotApiPeer) -> web.Application:
    """Builds the aiohttp application that serves ``peer``."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[PEER_KEY] = peer
    app.router.add_route("*", "/bot{token}/{method}", _bot_api)
    app.router.add_route("*", "/file/bot{token}/{path:.*}", _file)
    app.router.add_get("/_peer/sent", _sent)
    app.router.add_get("/_peer/outbox", _outbox)
    app.router.add_get("/_peer/calls", _calls)
    app.router.add_get("/_peer/state", _state)
    app.router.add_get("/_peer/wait_for_reply", _wait_for_reply)
    app.router.add_post("/_peer/{action}", _control_post)
    app.on_shutdown.append(_release_long_polls)
    return app


async def start_peer_server(
    peer: BotApiPeer, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Serves ``peer`` on ``host:port`` (0 picks a free port); returns the runner and ``http://host:port``.

    Stop it with ``await runner.cleanup()``: waiting long polls answer at once and other requests get
    one second to finish.
    """
    runner = web.AppRunner(make_app(peer), handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    return runner, f"http://{host}:{bound_port}"


async def _serve(args: argparse.Namespace) -> None:
    peer = BotApiPeer(args.platform, token=args.token, strict_chats=not args.lenient_chats)
    runner, base_url = await start_peer_server(peer, args.host, args.port)
    print(base_url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """Runs a peer server until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m handlers.fakeapi.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout)")
    parser.add_argument("--platform", choices=("telegram", "bale"), default="telegram")
    parser.add_argument("--token", default=None, help="refuse calls made with any other token")
    parser.add_argument(
        "--lenient-chats", action="store_true", help="let the bot write to chats no user has written from"
    )
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
