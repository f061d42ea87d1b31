"""Who may use the console and how they prove it: roles, password hashes, session tokens, form secrets
(CSRF) and the brake on password guessing.

- Passwords are hashed with argon2id (argon2-cffi's defaults); storage keeps only the hash.
- A session is a random token in an HttpOnly, SameSite=Strict cookie; the database keeps its SHA-256, so a
  copy of the database opens no session. Each session has its own CSRF secret, carried by every form.
- Sign-in attempts are limited per user name and per client address, in this process's memory, on a
  monotonic clock: a burst of failures makes that name (or address) wait, a success does not wipe the
  failures of the address.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from enum import IntEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD = 10
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$")

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone: only spends the time of a check")


class Role(IntEnum):
    """Each role may do everything the one before may, and more."""

    VIEWER = 1  # reads masked data
    CLERK = 2  # also changes request statuses, sees personal data with a reason, handles unanswered questions
    EDITOR = 3  # also the knowledge (suggestions today; the service editor later)
    ADMIN = 4  # also the users and the audit trail

    @classmethod
    def of(cls, name: str) -> Role:
        return cls[name.upper()]

    @property
    def key(self) -> str:
        return self.name.lower()


def valid_name(name: str) -> bool:
    """A user name: 3 to 32 Latin letters, digits, dots, underscores or dashes (it goes into audit rows)."""
    return bool(NAME_RE.match(name))


def hash_password(password: str) -> str:
    """The argon2id hash stored for a password."""
    return _hasher.hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash (an unknown user) it spends the same time and says no."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh secret for a session cookie or a form (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_secret(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of two secrets; a missing one never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class LoginLimiter:
    """At most `per_name` failed sign-ins per user name and `per_address` per client address within
    `window` seconds; beyond that, the next attempt waits until the oldest failure leaves the window.
    Kept in memory: the console is one process, and a restart forgetting a window is acceptable."""

    def __init__(self, per_name: int = 5, per_address: int = 20, window: float = 900.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_name, self.per_address, self.window, self._clock = per_name, per_address, window, clock
        self._by_key: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        times = self._by_key.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def wait(self, name: str, address: str) -> float:
        """Seconds before this name may be tried again from this address; 0.0: go ahead."""
        now = self._clock()
        waits = [0.0]
        for key, limit in ((f"n:{name.lower()}", self.per_name), (f"a:{address}", self.per_address)):
            times = self._recent(key)
            if len(times) >= limit:
                waits.append(self.window - (now - times[-limit]))
        return max(waits)

    def failed(self, name: str, address: str) -> None:
        """Counts a failed sign-in against the name and the address."""
        now = self._clock()
        for key in (f"n:{name.lower()}", f"a:{address}"):
            self._recent(key).append(now)
        if len(self._by_key) > 10_000:  # someone spraying names: forget the quiet ones
            for key in [k for k, v in self._by_key.items() if not v]:
                del self._by_key[key]

    def succeeded(self, name: str) -> None:
        """A right password forgets the failures of the name (not those of the address)."""
        self._by_key.pop(f"n:{name.lower()}", None)


class Grants:
    """Short-lived permissions to see personal data, given when a clerk states a reason: per session and
    per thing (a request, a conversation), in memory, for `lifetime` seconds."""

    def __init__(self, lifetime: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime, self._clock = lifetime, clock
        self._until: dict[tuple[str, str], float] = {}

    def give(self, session: str, target: str) -> None:
        now = self._clock()
        self._until = {k: v for k, v in self._until.items() if v > now}
        self._until[(session, target)] = now + self.lifetime

    def has(self, session: str, target: str) -> bool:
        return self._until.get((session, target), 0.0) > self._clock()
