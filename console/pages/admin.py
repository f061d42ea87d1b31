"""For admins: the audit trail and the console's users. An admin with
an agency sees and manages the users of that agency only, and the audit rows of those users."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.persian import to_persian_digits
from console import texts as T
from console.app import Forbidden, NotFound, Staff, audit, console_of, flash, page, redirect, render
from console.auth import MIN_PASSWORD, Role, hash_password, valid_name
from console.scope import agencies, agency_key
from storage import ConsoleUser, Duplicate

AUDIT_SHOWN = 300


def _manages(staff: Staff, user: ConsoleUser) -> bool:
    """Whether this admin may see and change that user: any, or those of the admin's own agency."""
    if staff.scope.agency is None:
        return True
    return user.agency is not None and agency_key(user.agency) == agency_key(staff.scope.agency)


@page(Role.ADMIN)
async def show_audit(request: Request, staff: Staff) -> Response:
    """Who did what, when: the console's users and the command line's OS accounts, newest first."""
    console = console_of(request)
    entries = await console.db.audit.recent(AUDIT_SHOWN)
    if staff.scope.agency is not None:
        mine = {f"console:{u.name}" for u in await console.db.console.users() if _manages(staff, u)}
        entries = [e for e in entries if e.os_user in mine]
    return render(request, staff, "audit.html", entries=entries)


@page(Role.ADMIN)
async def list_users(request: Request, staff: Staff) -> Response:
    """The console's users with their roles and agencies, and the form to add one."""
    console = console_of(request)
    users = [u for u in await console.db.console.users() if _manages(staff, u)]
    return render(request, staff, "users.html", users=users, roles=[r.key for r in Role],
                  agencies=agencies(console.knowledge), min_password=to_persian_digits(MIN_PASSWORD))


@page(Role.ADMIN)
async def add_user(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Creates a user (an agency admin: only in their own agency)."""
    console = console_of(request)
    name = form.get("name", "").strip()
    role = form.get("role", "")
    password = form.get("password", "")
    agency = " ".join(form.get("agency", "").split()) or None
    if staff.scope.agency is not None:
        if agency is not None and agency_key(agency) != agency_key(staff.scope.agency):
            flash(request, staff, T.USER_OTHER_AGENCY)
            return redirect("/users")
        agency = staff.scope.agency
    if not valid_name(name) or role not in T.ROLE_LABELS or len(password) < MIN_PASSWORD:
        flash(request, staff, T.USER_INVALID.format(n=to_persian_digits(MIN_PASSWORD)))
        return redirect("/users")
    try:
        await console.db.console.add_user(name, hash_password(password), role, agency)
    except Duplicate:
        flash(request, staff, T.USER_TAKEN.format(name=name))
        return redirect("/users")
    await audit(request, staff, T.ACT_USER_ADD, name, f"{role}" + (f"؛ {agency}" if agency else ""))
    flash(request, staff, T.USER_ADDED.format(name=name, role=T.ROLE_LABELS[role]))
    return redirect("/users")


async def _managed(request: Request, staff: Staff) -> ConsoleUser:
    user = await console_of(request).db.console.user(request.path_params["name"])
    if user is None or not _manages(staff, user):
        raise NotFound
    if user.id == staff.user.id:
        raise Forbidden  # no admin locks themself out
    return user


@page(Role.ADMIN)
async def disable_user(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Disables a user and ends their sessions."""
    user = await _managed(request, staff)
    await console_of(request).db.console.set_disabled(user.name, True)
    await audit(request, staff, T.ACT_USER_DISABLE, user.name)
    flash(request, staff, T.USER_DISABLED.format(name=user.name))
    return redirect("/users")


@page(Role.ADMIN)
async def enable_user(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Lets a disabled user sign in again."""
    user = await _managed(request, staff)
    await console_of(request).db.console.set_disabled(user.name, False)
    await audit(request, staff, T.ACT_USER_ENABLE, user.name)
    flash(request, staff, T.USER_ENABLED.format(name=user.name))
    return redirect("/users")
