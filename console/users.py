"""`python -m bot console-user add|list|disable`: the console's users from the command line (the first admin
can only be made here). The password is read from standard input: typed twice without echo at a terminal,
or the first line of a pipe (`printf '%s\n' "$PASSWORD" | python -m bot console-user add ...`)."""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from bot.knowledge import Knowledge
from bot.persian import jalali_datetime, to_persian_digits
from bot.sanitize import printable
from console import texts as T
from console.auth import MIN_PASSWORD, hash_password, valid_name
from console.scope import agency_services
from storage import Duplicate, Store


def read_password(stdin: TextIO, err: TextIO) -> str | None:
    """The new password from standard input; None (after saying why) if it is too short or mistyped."""
    if stdin.isatty():
        first = getpass.getpass(T.CLI_PASSWORD)
        if getpass.getpass(T.CLI_PASSWORD_AGAIN) != first:
            print(T.CLI_PASSWORD_MISMATCH, file=err)
            return None
    else:
        first = stdin.readline().rstrip("\r\n")
    if len(first) < MIN_PASSWORD:
        print(T.CLI_PASSWORD_SHORT.format(n=to_persian_digits(MIN_PASSWORD)), file=err)
        return None
    return first


async def add(db: Store, knowledge: Knowledge, name: str, role: str, agency: str | None, *,
              stdin: TextIO | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Creates a user with the password from standard input; warns when the agency names no service."""
    stdin, out, err = stdin or sys.stdin, out or sys.stdout, err or sys.stderr
    if not valid_name(name):
        print(T.CLI_BAD_NAME, file=err)
        return 2
    agency = " ".join(agency.split()) if agency and agency.strip() else None
    password = read_password(stdin, err)
    if password is None:
        return 2
    try:
        await db.console.add_user(name, hash_password(password), role, agency)
    except Duplicate:
        print(T.USER_TAKEN.format(name=name), file=err)
        return 1
    await db.audit.record(_os_user(), T.ACT_USER_ADD, name, role + (f"؛ {agency}" if agency else ""))
    print(T.CLI_ADDED.format(name=name, role=T.ROLE_LABELS[role], agency=T.CLI_AGENCY.format(agency=agency) if agency else ""),
          file=out)
    if agency and not agency_services(knowledge, agency):
        print(T.CLI_AGENCY_UNKNOWN.format(agency=agency), file=err)
    return 0


async def list_users(db: Store, out: TextIO | None = None) -> int:
    """One line per user: name, role, agency, state, last sign-in."""
    out = out or sys.stdout
    users = await db.console.users()
    for u in users:
        state = T.CLI_ACTIVE if u.active else T.CLI_INACTIVE
        last = jalali_datetime(u.last_login_at) if u.last_login_at else "—"
        print(printable(f"{u.name}  {u.role} ({T.ROLE_LABELS[u.role]})  {u.agency or T.CLI_ALL_AGENCIES}  {state}  {last}"),
              file=out)
    if not users:
        print(T.CLI_NO_USERS, file=out)
    return 0


async def disable(db: Store, name: str, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Disables a user and ends their sessions."""
    out, err = out or sys.stdout, err or sys.stderr
    if await db.console.set_disabled(name, True) is None:
        print(T.CLI_NO_USER.format(name=name), file=err)
        return 1
    await db.audit.record(_os_user(), T.ACT_USER_DISABLE, name)
    print(T.CLI_DISABLED.format(name=name), file=out)
    return 0


def _os_user() -> str:
    from bot.staff import os_user

    return os_user()
