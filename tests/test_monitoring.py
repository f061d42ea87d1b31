"""Health, metrics and logs of the running bot: `/healthz` and `/metrics` on BOT_METRICS_LISTEN (the real
Application against the fake peer, asked over HTTP), and the JSON log format.

/healthz turns unhealthy (503) when the database cannot be written (read-only, or locked by another
process) or the Bot API stops answering, and healthy again when it recovers; /metrics counts what
happened. Neither, nor the log, shows anything personal.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from pathlib import Path

import httpx
import pytest

from bot.logs import configure_logging
from handlers import monitor
from handlers.fakeapi import BotApiPeer
from storage import open_database
from storage.sqlite import SqliteStore
from tests.support.botchat import RunningBot, running_app
from tests.support.process import TOKEN
from tests.test_faults import locked

USER = 7070
NATIONAL_CODE = "0012345678"


def http(bot: RunningBot) -> str:
    [server] = bot.app.bot_data["http"]
    return server.base_url


async def get(bot: RunningBot, path: str) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        return await client.get(http(bot) + path)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of Prometheus' text format (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name:
            got = ",".join(sorted((match[2] or "").split(","))) if match[2] else ""
            if got == wanted:
                return float(match[3])
    return 0.0


async def test_healthz_reports_a_healthy_bot_and_metrics_count_what_happened(tmp_path: Path) -> None:
    peer = BotApiPeer("telegram")
    async with running_app(peer, tmp_path / "bot.db", token=TOKEN, metrics_listen="127.0.0.1:0", notices=False) as bot:
        health = await get(bot, "/healthz")
        assert health.status_code == 200
        report = health.json()
        assert report["status"] == "ok" and report["mode"] == "polling" and report["platform"] == "telegram"
        assert report["database"] == {"ok": True}
        assert report["knowledge"]["ok"] and report["knowledge"]["services"] > 0
        assert report["bot_api"]["ok"] and report["bot_api"]["last_success_seconds_ago"] < 30

        chat = bot.citizen(USER)
        await chat.send("/start")
        await chat.send("وام کارا")  # found
        await chat.send("هزینه‌اش چقدره؟")  # found: a follow-up on the service in view
        await chat.send("صدور گذرنامه")  # not in the catalogue
        await chat.send("آموزش")  # two services: a choice is offered
        peer.fail_next("sendMessage", 502)  # retried by the outbox, counted as an error of the API
        await chat.send("وام کارا")
        created = await bot.db.requests.create("13011031101", "telegram", USER + 1, USER + 1, None, None, {})
        await bot.db.requests.set_status(created.tracking_code, "under_review")

        answer = await get(bot, "/metrics")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
        text = answer.text
    assert sample(text, "bot_updates_handled_total", kind="command") == 1
    assert sample(text, "bot_updates_handled_total", kind="text") == 5
    assert sample(text, "bot_questions_total", outcome="found") == 3
    assert sample(text, "bot_questions_total", outcome="not_found") == 1
    assert sample(text, "bot_questions_total", outcome="clarified") == 1
    assert sample(text, "bot_reply_latency_seconds_count") == 6
    assert sample(text, "bot_api_errors_total", method="sendMessage", code="502") == 1
    assert sample(text, "bot_api_calls_total", method="sendMessage") >= 7
    assert sample(text, "bot_registrations_total") == 1
    assert sample(text, "bot_requests", status="under_review") == 1
    assert sample(text, "bot_notices_pending") >= 1  # the status change (the notice loop is off)
    assert str(USER) not in text and "وام" not in text  # nothing about a citizen


async def test_healthz_turns_unhealthy_when_the_database_is_read_only(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    await (await open_database(path)).close()
    peer = BotApiPeer("bale")
    read_only = await SqliteStore.open(path, read_only=True)
    try:
        async with running_app(peer, path, db=read_only, metrics_listen="127.0.0.1:0") as bot:
            answer = await get(bot, "/healthz")
            report = answer.json()
            assert answer.status_code == 503 and report["status"] == "unhealthy"
            assert report["database"]["ok"] is False and "readonly" in report["database"]["error"]
            assert report["knowledge"]["ok"] and report["bot_api"]["ok"]  # only the database is wrong
    finally:
        await read_only.close()


async def test_healthz_is_unhealthy_while_another_process_locks_the_database_and_recovers(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    db = await SqliteStore.open(path, busy_timeout_ms=200)
    try:
        async with running_app(BotApiPeer("telegram"), path, db=db, metrics_listen="127.0.0.1:0") as bot:
            with locked(path):
                assert (await get(bot, "/healthz")).status_code == 503
            assert (await get(bot, "/healthz")).status_code == 200
    finally:
        await db.close()


async def test_healthz_turns_unhealthy_when_the_bot_api_keeps_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(monitor, "API_GRACE", 0.5)
    peer = BotApiPeer("telegram")
    async with running_app(peer, tmp_path / "bot.db", metrics_listen="127.0.0.1:0") as bot:
        assert (await get(bot, "/healthz")).status_code == 200
        peer.fail_next("getUpdates", 502, times=1000)
        peer.interrupt_polls()
        await asyncio.sleep(1.5)  # the poller's first retry after a second fails too
        report = (await get(bot, "/healthz")).json()
        assert report["status"] == "unhealthy" and report["bot_api"]["last_failure"] == "502"
        assert report["database"]["ok"] and report["knowledge"]["ok"]
        peer._faults.clear()
        for _ in range(80):  # the poller's next try (its pause grows) gets through
            if (await get(bot, "/healthz")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert (await get(bot, "/healthz")).status_code == 200


async def test_health_and_metrics_share_the_webhook_address_when_they_are_given_the_same(tmp_path: Path) -> None:
    from tests.support.process import free_port

    port = free_port()
    peer = BotApiPeer("telegram")
    async with running_app(peer, tmp_path / "bot.db", token=TOKEN, webhook_url=f"http://127.0.0.1:{port}/hook",
                           webhook_listen=f"127.0.0.1:{port}", metrics_listen=f"127.0.0.1:{port}") as bot:
        assert [s.port for s in bot.app.bot_data["http"]] == [port]
        report = (await get(bot, "/healthz")).json()
        assert report["mode"] == "webhook" and report["status"] == "ok"


def test_json_logs_are_one_object_a_line_without_personal_data() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("INFO", "json", stream=stream)
        log = logging.getLogger("handlers.test")
        log.warning("chat %s: the platform refused a reply for now", 987654321)
        try:
            raise ValueError(f"national code {NATIONAL_CODE} refused")
        except ValueError:
            log.exception("failed for %s", "a.person@example.com")
        log.debug("not shown at INFO")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = stream.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]
    assert len(entries) == 2
    assert entries[0]["level"] == "WARNING" and entries[0]["logger"] == "handlers.test"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entries[0]["time"])
    assert "987654321" not in lines[0] and entries[0]["message"].startswith("chat ")
    assert "ValueError" in entries[1]["exception"]
    assert NATIONAL_CODE not in stream.getvalue() and "a.person" not in stream.getvalue()
