"""A real PostgreSQL server for the tests: started once per test session with the Debian binaries
(/usr/lib/postgresql/<version>/bin) on a temporary directory and a free loopback port, stopped and deleted
at the end. Each test gets its own fresh database on it (see tests/conftest.py).

The server refuses to run as root, so under root (CI, this machine) it runs as `nobody`; its directory is
under /tmp (not pytest's 0700 tmp folder, which `nobody` could not enter). fsync is off: the data is thrown
away anyway. No server binary means the PostgreSQL half of the suite is skipped, saying why.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

SKIP_REASON = (
    "no PostgreSQL server binary (/usr/lib/postgresql/*/bin/postgres): install Debian's `postgresql` package"
    " to run the PostgreSQL half of the suite"
)


def server_binaries() -> Path | None:
    """The bin folder of the newest installed PostgreSQL, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def temporary_server(bin_dir: Path) -> Iterator[str]:
    """Starts a throwaway server; yields the URL of its `postgres` database (user postgres, no password)."""
    folder = Path(tempfile.mkdtemp(prefix="khedmat-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, "nobody")
        data = folder / "data"
        subprocess.run(
            _as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync",
                             "-E", "UTF8", "--locale=C.UTF-8"]),
            check=True, capture_output=True,
        )
        port = _free_port()
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" \
                  " -c full_page_writes=off -c max_connections=200"
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                             "-w", "-t", "60", "start"]),
            check=True, capture_output=True,
        )
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                           capture_output=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def database_url(server_url: str, name: str) -> str:
    """The URL of database `name` on the server of `server_url`."""
    return server_url.rsplit("/", 1)[0] + "/" + name


_numbers = iter(range(1, 1 << 30))


@contextlib.asynccontextmanager
async def fresh_database(server_url: str):
    """A new, empty database on the server (its URL), dropped afterwards even if connections remain."""
    import asyncpg

    name = f"test_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    try:
        yield database_url(server_url, name)
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()
