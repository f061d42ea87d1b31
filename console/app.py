"""The web console's plumbing: who is signed in, what they may do, and what every page shares (rendering,
redirects, the audit trail, security headers, error pages). console.server.build_app puts the pages
(console/pages/) on it.

Every page but the sign-in form needs a session; every POST needs the session's CSRF secret (and, when
the browser sends one, an Origin of this site). Pages are declared with `@page(Role.X)` in console/pages/.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.knowledge import Knowledge, check_knowledge, knowledge_fingerprint
from bot.settings import Settings
from console import texts as T
from console.auth import Grants, LoginLimiter, Role, same_secret, token_hash
from console.render import environment
from console.scope import Scope as AgencyScope
from storage import ConsoleSession, ConsoleUser, Store, open_database

log = logging.getLogger(__name__)

SESSION_COOKIE = "console_session"
LOGIN_COOKIE = "console_login"  # the sign-in form's own CSRF secret, before there is a session
SESSION_LIFETIME = dt.timedelta(hours=12)
SESSION_IDLE = dt.timedelta(hours=1)

SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 b"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                 b"base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # same-origin, not no-referrer: with no-referrer Chromium posts forms with «Origin: null».
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class ConsoleError(Exception):
    """Ends a request with a page: raised by checks deep in a handler."""


class LoginRequired(ConsoleError):
    pass


class Forbidden(ConsoleError):
    pass


class NotFound(ConsoleError):
    pass


class CsrfFailed(ConsoleError):
    pass


@dataclass
class Console:
    """What the pages share: settings, knowledge, the store, and the in-memory brakes and grants."""

    settings: Settings
    knowledge: Knowledge
    store: Store | None = None
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    grants: Grants = field(default_factory=Grants)
    flashes: dict[str, str] = field(default_factory=dict)
    env: Any = field(default_factory=environment)
    fingerprint: tuple | None = None  # of the knowledge files `knowledge` was read from (None: not yet looked)

    @property
    def db(self) -> Store:
        assert self.store is not None, "the console's store is opened when the application starts"
        return self.store

    def refresh_knowledge(self) -> None:
        """Reads the knowledge files again when they changed on disk (a publish, an admin's edit), so agency
        scopes and titles follow them; files that do not validate leave the knowledge as it was."""
        now = knowledge_fingerprint(self.settings.knowledge_dir)
        if now == self.fingerprint:
            return
        knowledge, _ = check_knowledge(self.settings.knowledge_dir)
        if knowledge is not None:
            self.knowledge = knowledge
        self.fingerprint = now

    def secure_cookies(self, request: Request) -> bool:
        """Cookies get Secure behind HTTPS: the setting, or a request that came in over https."""
        return self.settings.console_https or request.url.scheme == "https"


@dataclass(frozen=True)
class Staff:
    """The signed-in user of a request, with their role and what they may see."""

    user: ConsoleUser
    session: ConsoleSession
    role: Role
    scope: AgencyScope

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def actor(self) -> str:
        """How the audit trail and a request's history name a console user (the CLI's rows name OS accounts)."""
        return f"console:{self.user.name}"

    def can(self, role: Role) -> bool:
        return self.role >= role


def console_of(request: Request) -> Console:
    return request.app.state.console


async def current_staff(request: Request) -> Staff | None:
    """The user of the request's session cookie, or None (no cookie, unknown, expired, disabled)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    console = console_of(request)
    session = await console.db.console.session(token_hash(token), idle=SESSION_IDLE)
    if session is None:
        return None
    user = session.user
    return Staff(user, session, Role.of(user.role), AgencyScope.of(console.knowledge, user.agency))


def _same_origin(request: Request) -> bool:
    """No Origin (an older browser, a script) or this site's; a form posted from another site is refused."""
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


async def check_csrf(request: Request, expected: str | None) -> dict[str, str]:
    """The form of a POST, once its CSRF secret matches `expected` and its origin is this site."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if not _same_origin(request) or not same_secret(expected, values.get("csrf")):
        raise CsrfFailed
    return values


Handler = Callable[..., Awaitable[Response]]


def page(role: Role = Role.VIEWER) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Declares a page: signed-in users of `role` or above only; a POST must carry the session's CSRF
    secret. The handler is called as `handler(request, staff)` or, for a POST, `handler(request, staff, form)`."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            staff = await current_staff(request)
            if staff is None:
                raise LoginRequired
            if request.method == "POST":
                form = await check_csrf(request, staff.session.csrf_token)
                if not staff.can(role):
                    raise Forbidden
                return await handler(request, staff, form)
            if not staff.can(role):
                raise Forbidden
            return await handler(request, staff)

        return endpoint

    return wrap


def render(request: Request, staff: Staff | None, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from its template, with the user, their CSRF secret and any message left for them."""
    console = console_of(request)
    flash = console.flashes.pop(staff.session.token_hash, None) if staff else None
    html = console.env.get_template(template).render(
        request=request, staff=staff, csrf=staff.session.csrf_token if staff else None, flash=flash,
        Role=Role, path=request.url.path, **context,
    )
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


def redirect(url: str) -> RedirectResponse:
    """To another page after a POST (303: the browser GETs it)."""
    return RedirectResponse(url, status_code=303)


def flash(request: Request, staff: Staff, message: str) -> None:
    """Leaves a message for the next page this session sees: kept in memory, so nothing in a URL can
    put words on a page."""
    console_of(request).flashes[staff.session.token_hash] = message


async def audit(request: Request, staff: Staff, action: str, target: str | None = None, detail: str | None = None) -> None:
    """Appends a row to the staff audit trail, under the console user's name."""
    await console_of(request).db.audit.record(staff.actor, action, target, detail)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


# -- errors -----------------------------------------------------------------------------------------------


async def _login_required(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _error_page(status: int, message: str) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def show(request: Request, exc: Exception) -> Response:
        staff = await current_staff(request)
        return render(request, staff, "error.html", status=status, message=message)

    return show


async def _not_found(request: Request, exc: Exception) -> Response:
    staff = await current_staff(request)
    if staff is None and not request.url.path.startswith("/static/"):
        return await _login_required(request, exc)  # no page, not even "not found", without a session
    return render(request, staff, "error.html", status=404, message=T.NOT_FOUND)


# -- the application --------------------------------------------------------------------------------------


class SecurityHeaders:
    """Adds the security headers to every response (pages, redirects, static files, errors)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def make_app(console: Console, routes: list[BaseRoute]) -> Starlette:
    """The Starlette application of `console` with its pages; without a store, it opens
    `console.settings.database` when it starts and closes it when it stops. (console.server.build_app
    puts the pages in.)"""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own = console.store is None
        if own:
            console.store = await open_database(console.settings.database)
        try:
            yield
        finally:
            if own and console.store is not None:
                await console.store.close()
                console.store = None

    static = str(resources.files("console").joinpath("static"))
    app = Starlette(
        routes=[*routes, Mount("/static", StaticFiles(directory=static), name="static")],
        lifespan=lifespan,
        exception_handlers={
            LoginRequired: _login_required,
            Forbidden: _error_page(403, T.FORBIDDEN),
            CsrfFailed: _error_page(403, T.CSRF_FAILED),
            NotFound: _not_found,
            404: _not_found,
        },
    )
    app.state.console = console
    app.add_middleware(SecurityHeaders)
    return app
