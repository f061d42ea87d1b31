"""`python -m bot console`: the console application with its pages, served by uvicorn.

    app = build_app(settings, knowledge)              # opens settings.database when it starts
    app = build_app(settings, knowledge, store=db)    # on a store the caller opened (tests)
"""

from __future__ import annotations

import sys

from starlette.applications import Starlette

from bot.knowledge import Knowledge
from bot.settings import Settings
from console import texts as T
from console.app import Console, make_app
from console.auth import Grants, LoginLimiter
from console.pages import routes
from storage import Store


def build_app(settings: Settings, knowledge: Knowledge, store: Store | None = None, *,
              limiter: LoginLimiter | None = None, grants: Grants | None = None) -> Starlette:
    """The console on `store`, or on `settings.database` opened when the application starts."""
    console = Console(settings, knowledge, store, limiter or LoginLimiter(), grants or Grants())
    return make_app(console, routes())


def run_console(settings: Settings, knowledge: Knowledge) -> int:
    """Serves the console on BOT_CONSOLE_HOST:BOT_CONSOLE_PORT until interrupted."""
    import uvicorn

    print(T.CLI_SERVING.format(host=settings.console_host, port=settings.console_port), file=sys.stderr)
    uvicorn.run(build_app(settings, knowledge), host=settings.console_host, port=settings.console_port,
                log_level=settings.log_level.lower(), server_header=False, proxy_headers=True)
    return 0
