"""The web console's users and sessions in SQLite (migration 0005). The contract is storage.api.ConsoleRepo.

Secrets never reach this module: passwords arrive as argon2 hashes, session tokens as their SHA-256.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from typing import TYPE_CHECKING

from storage.api import Duplicate
from storage.records import CONSOLE_ROLES, ConsoleSession, ConsoleUser
from storage.sqlite._common import from_iso, to_iso

if TYPE_CHECKING:
    from storage.sqlite.db import SqliteStore

MSG_BAD_ROLE = "نقش «{role}» شناخته نیست؛ یکی از: {allowed}"
MSG_NAME_TAKEN = "کاربری به نام «{name}» هست."


def _user(row: sqlite3.Row, prefix: str = "") -> ConsoleUser:
    return ConsoleUser(
        id=row[f"{prefix}id"],
        name=row[f"{prefix}name"],
        role=row[f"{prefix}role"],
        agency=row[f"{prefix}agency"],
        created_at=from_iso(row[f"{prefix}created_at"]),  # type: ignore[arg-type]
        disabled_at=from_iso(row[f"{prefix}disabled_at"]),
        last_login_at=from_iso(row[f"{prefix}last_login_at"]),
        password_hash=row[f"{prefix}password_hash"],
    )


_USER_COLUMNS = ("id", "name", "role", "agency", "created_at", "disabled_at", "last_login_at", "password_hash")


class SqliteConsole:
    """Console users and sessions. Get it as ``db.console``."""

    def __init__(self, db: SqliteStore) -> None:
        self._db = db

    async def add_user(self, name: str, password_hash: str, role: str, agency: str | None = None) -> ConsoleUser:
        """Creates a user; Duplicate if the name is taken, ValueError for an unknown role."""
        if role not in CONSOLE_ROLES:
            raise ValueError(MSG_BAD_ROLE.format(role=role, allowed="، ".join(CONSOLE_ROLES)))
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    "INSERT INTO console_users (name, password_hash, role, agency, created_at) VALUES (?, ?, ?, ?, ?)",
                    (name, password_hash, role, agency or None, to_iso(self._db.now())),
                )
        except Duplicate as exc:
            raise Duplicate(MSG_NAME_TAKEN.format(name=name)) from exc
        user = await self.user(name)
        assert user is not None
        return user

    async def user(self, name: str) -> ConsoleUser | None:
        """The user of that name (disabled or not), None if there is none."""
        row = await self._db.fetchone("SELECT * FROM console_users WHERE name = ?", (name,))
        return _user(row) if row else None

    async def users(self) -> list[ConsoleUser]:
        """Every user, by name."""
        return [_user(row) for row in await self._db.fetchall("SELECT * FROM console_users ORDER BY name")]

    async def set_disabled(self, name: str, disabled: bool = True) -> ConsoleUser | None:
        """Disables (or enables) a user; disabling ends their sessions. None: no such user."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE console_users SET disabled_at = ? WHERE name = ?",
                (to_iso(self._db.now()) if disabled else None, name),
            )
            if cursor.rowcount and disabled:
                await conn.execute(
                    "DELETE FROM console_sessions WHERE user_id = (SELECT id FROM console_users WHERE name = ?)", (name,)
                )
        return await self.user(name)

    async def set_password(self, name: str, password_hash: str) -> bool:
        """Replaces a user's password hash and ends their sessions; False if there is no such user."""
        async with self._db.write() as conn:
            cursor = await conn.execute("UPDATE console_users SET password_hash = ? WHERE name = ?", (password_hash, name))
            await conn.execute(
                "DELETE FROM console_sessions WHERE user_id = (SELECT id FROM console_users WHERE name = ?)", (name,)
            )
            return cursor.rowcount > 0

    async def record_login(self, user_id: int) -> None:
        """Notes the time of a successful sign-in."""
        async with self._db.write() as conn:
            await conn.execute("UPDATE console_users SET last_login_at = ? WHERE id = ?", (to_iso(self._db.now()), user_id))

    async def create_session(self, token_hash: str, user_id: int, csrf_token: str, lifetime: _dt.timedelta) -> None:
        """Stores a new session ending `lifetime` from now; expired sessions go at the same time."""
        now = self._db.now()
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM console_sessions WHERE expires_at <= ?", (to_iso(now),))
            await conn.execute(
                "INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (token_hash, user_id, csrf_token, to_iso(now), to_iso(now), to_iso(now + lifetime)),
            )

    async def session(self, token_hash: str, idle: _dt.timedelta | None = None) -> ConsoleSession | None:
        """The live session of that token with its user (see ConsoleRepo.session); its last-seen time moves
        to now."""
        columns = ", ".join(f"u.{c} AS u_{c}" for c in _USER_COLUMNS)
        row = await self._db.fetchone(
            f"SELECT s.*, {columns} FROM console_sessions s JOIN console_users u ON u.id = s.user_id"
            " WHERE s.token_hash = ?",
            (token_hash,),
        )
        if row is None:
            return None
        now = self._db.now()
        expires_at = from_iso(row["expires_at"])
        last_seen = from_iso(row["last_seen_at"])
        assert expires_at is not None and last_seen is not None
        user = _user(row, "u_")
        if now >= expires_at or not user.active or (idle is not None and now - last_seen > idle):
            await self.end_session(token_hash)
            return None
        if now - last_seen > _dt.timedelta(seconds=30):  # no write for every page of a busy session
            async with self._db.write() as conn:
                await conn.execute("UPDATE console_sessions SET last_seen_at = ? WHERE token_hash = ?",
                                   (to_iso(now), token_hash))
            last_seen = now
        return ConsoleSession(
            token_hash=token_hash, user=user, csrf_token=row["csrf_token"],
            created_at=from_iso(row["created_at"]), last_seen_at=last_seen, expires_at=expires_at,  # type: ignore[arg-type]
        )

    async def end_session(self, token_hash: str) -> None:
        """Signs the session out."""
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM console_sessions WHERE token_hash = ?", (token_hash,))
