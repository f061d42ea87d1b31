"""`/healthz` and `/metrics` (BOT_METRICS_LISTEN): whether the bot can do its work, and what it did.

/healthz answers 200 when all three hold, 503 otherwise, with a JSON body saying which failed:
- the database takes a write now (a read-only or full disk, a lock held too long fail it);
- knowledge is loaded (at least one service);
- the Bot API was reached: a call succeeded, and no failure (network error, timeout, 5xx, refused token)
  came after the last success unless that success is recent (API_GRACE). In webhook mode a quiet bot makes
  few calls; the webhook watch (handlers/webhook.py) asks the platform every minute.

/metrics is Prometheus' text format (handlers/metrics.py). Neither says anything about a citizen.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.context import Runtime
from storage import StorageUnavailable

API_GRACE = 120.0  # seconds a success still counts after later failures (a blip is not an outage)
CHECK_TIMEOUT = 5.0


async def health(rt: Runtime, mode: str, clock=time.monotonic) -> tuple[bool, dict[str, Any]]:
    """(healthy, the report /healthz shows)."""
    now = clock()
    try:
        await asyncio.wait_for(rt.db.check_writable(), CHECK_TIMEOUT)
        database: dict[str, Any] = {"ok": True}
    except (StorageUnavailable, TimeoutError) as exc:
        database = {"ok": False, "error": str(exc) or "timed out"}
    services = len(rt.knowledge.services)
    knowledge = {"ok": services > 0, "services": services}
    api = rt.metrics.api
    api_ok = api.last_ok is not None and (
        api.last_failure is None or api.last_failure <= api.last_ok or now - api.last_ok <= API_GRACE
    )
    bot_api: dict[str, Any] = {
        "ok": api_ok,
        "last_success_seconds_ago": None if api.last_ok is None else round(now - api.last_ok, 1),
        "last_failure_seconds_ago": None if api.last_failure is None else round(now - api.last_failure, 1),
        "last_failure": api.last_failure_code,
    }
    healthy = database["ok"] and knowledge["ok"] and api_ok
    report = {
        "status": "ok" if healthy else "unhealthy",
        "platform": rt.profile.name,
        "mode": mode,
        "database": database,
        "knowledge": knowledge,
        "bot_api": bot_api,
    }
    return healthy, report


def monitor_routes(rt: Runtime, mode: str) -> list[Route]:
    """The routes of /healthz and /metrics for the bot of `rt` (mode: polling or webhook)."""

    async def healthz(request: Request) -> Response:
        healthy, report = await health(rt, mode)
        return JSONResponse(report, status_code=200 if healthy else 503)

    async def metrics(request: Request) -> Response:
        try:
            await asyncio.wait_for(rt.metrics.refresh(rt), CHECK_TIMEOUT)
        except (StorageUnavailable, TimeoutError):
            pass  # the figures from the database stay as last read; the counters are still worth having
        return Response(rt.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", metrics, methods=["GET"])]
