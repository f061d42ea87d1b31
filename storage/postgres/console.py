"""The web console's users and sessions on PostgreSQL (migration 0002), as on SQLite
(storage/sqlite/console.py). The contract is storage.api.ConsoleRepo.

Secrets never reach this module: passwords arrive as argon2 hashes, session tokens as their SHA-256.
The console may run on another host than the bot, against the same database: nothing is cached here.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

import asyncpg

from storage.api import Duplicate
from storage.records import CONSOLE_ROLES, ConsoleSession, ConsoleUser

if TYPE_CHECKING:
    from storage.postgres.db import PostgresStore

MSG_BAD_ROLE = "نقش «{role}» شناخته نیست؛ یکی از: {allowed}"
MSG_NAME_TAKEN = "کاربری به نام «{name}» هست."
_USER_COLUMNS = ("id", "name", "role", "agency", "created_at", "disabled_at", "last_login_at", "password_hash")
_SEEN_EVERY = _dt.timedelta(seconds=30)  # no write for every page of a busy session


def _user(row: asyncpg.Record, prefix: str = "") -> ConsoleUser:
    return ConsoleUser(**{column: row[f"{prefix}{column}"] for column in _USER_COLUMNS})


class PostgresConsole:
    """Console users and sessions. Get it as ``db.console``."""

    def __init__(self, db: PostgresStore) -> None:
        self._db = db

    async def add_user(self, name: str, password_hash: str, role: str, agency: str | None = None) -> ConsoleUser:
        """Creates a user; Duplicate if the name is taken, ValueError for an unknown role."""
        if role not in CONSOLE_ROLES:
            raise ValueError(MSG_BAD_ROLE.format(role=role, allowed="، ".join(CONSOLE_ROLES)))
        try:
            async with self._db.write() as conn:
                row = await conn.fetchrow(
                    "INSERT INTO console_users (name, password_hash, role, agency, created_at)"
                    " VALUES ($1, $2, $3, $4, $5) RETURNING *",
                    name, password_hash, role, agency or None, self._db.now(),
                )
        except Duplicate as exc:
            raise Duplicate(MSG_NAME_TAKEN.format(name=name)) from exc
        return _user(row)

    async def user(self, name: str) -> ConsoleUser | None:
        """The user of that name (disabled or not), None if there is none."""
        row = await self._db.fetchone("SELECT * FROM console_users WHERE name = $1", (name,))
        return _user(row) if row else None

    async def users(self) -> list[ConsoleUser]:
        """Every user, by name (in code-point order, as SQLite sorts)."""
        return [_user(row) for row in await self._db.fetchall('SELECT * FROM console_users ORDER BY name COLLATE "C"')]

    async def set_disabled(self, name: str, disabled: bool = True) -> ConsoleUser | None:
        """Disables (or enables) a user; disabling ends their sessions. None: no such user."""
        async with self._db.write() as conn:
            row = await conn.fetchrow(
                "UPDATE console_users SET disabled_at = $1 WHERE name = $2 RETURNING *",
                self._db.now() if disabled else None, name,
            )
            if row is not None and disabled:
                await conn.execute("DELETE FROM console_sessions WHERE user_id = $1", row["id"])
        return _user(row) if row is not None else None

    async def set_password(self, name: str, password_hash: str) -> bool:
        """Replaces a user's password hash and ends their sessions; False if there is no such user."""
        async with self._db.write() as conn:
            user_id = await conn.fetchval(
                "UPDATE console_users SET password_hash = $1 WHERE name = $2 RETURNING id", password_hash, name
            )
            if user_id is not None:
                await conn.execute("DELETE FROM console_sessions WHERE user_id = $1", user_id)
        return user_id is not None

    async def record_login(self, user_id: int) -> None:
        """Notes the time of a successful sign-in."""
        async with self._db.write() as conn:
            await conn.execute("UPDATE console_users SET last_login_at = $1 WHERE id = $2", self._db.now(), user_id)

    async def create_session(self, token_hash: str, user_id: int, csrf_token: str, lifetime: _dt.timedelta) -> None:
        """Stores a new session ending `lifetime` from now; expired sessions go at the same time."""
        now = self._db.now()
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM console_sessions WHERE expires_at <= $1", now)
            await conn.execute(
                "INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)"
                " VALUES ($1, $2, $3, $4, $4, $5)",
                token_hash, user_id, csrf_token, now, now + lifetime,
            )

    async def session(self, token_hash: str, idle: _dt.timedelta | None = None) -> ConsoleSession | None:
        """The live session of that token with its user (see ConsoleRepo.session); its last-seen time moves
        to now."""
        columns = ", ".join(f"u.{c} AS u_{c}" for c in _USER_COLUMNS)
        row = await self._db.fetchone(
            f"SELECT s.*, {columns} FROM console_sessions s JOIN console_users u ON u.id = s.user_id"
            " WHERE s.token_hash = $1",
            (token_hash,),
        )
        if row is None:
            return None
        now = self._db.now()
        expires_at, last_seen = row["expires_at"], row["last_seen_at"]
        user = _user(row, "u_")
        if now >= expires_at or not user.active or (idle is not None and now - last_seen > idle):
            await self.end_session(token_hash)
            return None
        if now - last_seen > _SEEN_EVERY:
            async with self._db.write() as conn:
                await conn.execute("UPDATE console_sessions SET last_seen_at = $1 WHERE token_hash = $2", now, token_hash)
            last_seen = now
        return ConsoleSession(token_hash=token_hash, user=user, csrf_token=row["csrf_token"],
                              created_at=row["created_at"], last_seen_at=last_seen, expires_at=expires_at)

    async def end_session(self, token_hash: str) -> None:
        """Signs the session out."""
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM console_sessions WHERE token_hash = $1", token_hash)
