"""Signing in and out. The sign-in form carries its own CSRF secret (a cookie and a hidden field that must
match), attempts are limited per name and per address, and every sign-in, failure and sign-out of a known
user is in the audit trail."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import Response

from console import texts as T
from console.app import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    Staff,
    audit,
    check_csrf,
    client_address,
    console_of,
    current_staff,
    page,
    redirect,
    render,
)
from console.auth import check_password, new_token, token_hash


def _safe_next(target: str | None) -> str:
    """Only a path of this site: «/requests?...», never «//elsewhere» or a full URL."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _login_page(request: Request, *, error: str | None = None, status: int = 200, name: str = "") -> Response:
    # The secret already in the browser is kept: a second tab (or a stray request) must not void the first form.
    secret = request.cookies.get(LOGIN_COOKIE) or ""
    if len(secret) < 40:
        secret = new_token()
    response = render(request, None, "login.html", status=status, error=error, login_csrf=secret, name=name,
                      next=_safe_next(request.query_params.get("next")))
    response.set_cookie(LOGIN_COOKIE, secret, max_age=3600, path="/login", httponly=True, samesite="strict",
                        secure=console_of(request).secure_cookies(request))
    return response


async def show_login(request: Request) -> Response:
    """Shows the sign-in form (or the dashboard, to someone signed in)."""
    if await current_staff(request) is not None:
        return redirect("/")
    return _login_page(request)


async def sign_in(request: Request) -> Response:
    """Checks the name and password; on success starts a session and goes where the user was heading."""
    console = console_of(request)
    form = await check_csrf(request, request.cookies.get(LOGIN_COOKIE))
    name = form.get("name", "").strip()
    password = form.get("password", "")
    address = client_address(request)
    wait = console.limiter.wait(name, address)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        return _login_page(request, error=T.LOGIN_THROTTLED.format(minutes=minutes), status=429, name=name)
    user = await console.db.console.user(name) if name else None
    if user is None or not user.active or not check_password(user.password_hash, password):
        if user is None or not user.active:
            check_password(None, password)  # the same time as a wrong password
        console.limiter.failed(name, address)
        if user is not None:
            await console.db.audit.record(f"console:{user.name}", T.ACT_LOGIN_FAILED, None, address)
        return _login_page(request, error=T.LOGIN_FAILED, status=401, name=name)
    console.limiter.succeeded(name)
    token, csrf = new_token(), new_token()
    await console.db.console.create_session(token_hash(token), user.id, csrf, SESSION_LIFETIME)
    await console.db.console.record_login(user.id)
    await console.db.audit.record(f"console:{user.name}", T.ACT_LOGIN, None, address)
    response = redirect(_safe_next(form.get("next")))
    response.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()), path="/",
                        httponly=True, samesite="strict", secure=console.secure_cookies(request))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@page()
async def sign_out(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Ends the session."""
    await console_of(request).db.console.end_session(staff.session.token_hash)
    await audit(request, staff, T.ACT_LOGOUT)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

