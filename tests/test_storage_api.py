"""The storage seam: the URL picks the backend, the SQLite store keeps the protocols' promises, and callers
see only neutral errors, so a second backend can be added without touching bot/ or handlers/."""

from __future__ import annotations

import inspect
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

import storage
from bot.settings import Settings
from storage import (
    AuditRepo,
    ChatsRepo,
    ConsoleRepo,
    DraftsRepo,
    Duplicate,
    FeedbackRepo,
    KnowledgeVersionsRepo,
    LogRepo,
    LookupsRepo,
    RequestsRepo,
    StorageError,
    StorageUnavailable,
    Store,
    SuggestionsRepo,
    TicketsRepo,
    open_database,
)
from storage.api import InboxRepo, OutboxRepo
from storage.postgres import PostgresStore
from storage.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
REPOS = {"chats": ChatsRepo, "drafts": DraftsRepo, "requests": RequestsRepo, "log": LogRepo, "lookups": LookupsRepo,
         "audit": AuditRepo, "inbox": InboxRepo, "outbox": OutboxRepo, "console": ConsoleRepo,
         "suggestions": SuggestionsRepo, "tickets": TicketsRepo, "feedback": FeedbackRepo,
         "versions": KnowledgeVersionsRepo}


async def opened(url: str | Path) -> SqliteStore:
    db = await open_database(url)
    try:
        assert isinstance(db, SqliteStore)
        await db.drafts.save("telegram", 1, "passport", 0, {})  # really usable, not just open
    finally:
        await db.close()
    return db


# -- choosing the backend ---------------------------------------------------------------------------------


async def test_a_plain_path_opens_sqlite_and_creates_its_folder(tmp_path: Path) -> None:
    await opened(tmp_path / "a" / "bot.db")
    await opened(str(tmp_path / "b" / "bot.db"))
    assert (tmp_path / "a" / "bot.db").is_file() and (tmp_path / "b" / "bot.db").is_file()


async def test_a_sqlite_url_opens_sqlite_relative_with_three_slashes_absolute_with_four(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    await opened("sqlite:///data/bot.db")
    assert (tmp_path / "data" / "bot.db").is_file()
    absolute = tmp_path / "abs" / "bot.db"
    await opened(f"sqlite:///{absolute}")  # an absolute path after the third slash: four in all
    assert absolute.is_file()


@pytest.mark.parametrize("url", ["mysql://bot:secret@db.example/bot", "http://example.org/bot.db", "redis://x"])
async def test_an_unknown_scheme_is_refused_with_a_clear_message(url: str) -> None:
    with pytest.raises(ValueError, match=r"unknown database URL scheme .*sqlite:///") as info:
        await open_database(url)
    assert url.split("://")[0] in str(info.value)
    assert "secret" not in str(info.value)  # the rest of a URL may hold a password


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite://host/bot.db", "sqlite:///bot.db?mode=ro"])
async def test_a_sqlite_url_without_a_plain_file_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SQLite URL"):
        await open_database(url)


async def test_a_postgresql_url_opens_postgresql_in_any_spelling(postgres_url: str) -> None:
    rest = postgres_url.split("://", 1)[1]
    for url in (postgres_url, f"postgres://{rest}", f"postgresql+asyncpg://{rest}"):
        db = await open_database(url)
        try:
            assert isinstance(db, PostgresStore)
            await db.drafts.save("telegram", 1, "passport", 0, {})  # really usable, not just open
        finally:
            await db.close()
    assert storage.database_exists(postgres_url) is True  # the server owns it: nothing to create


async def test_an_unreachable_postgresql_server_is_storage_unavailable_without_the_password() -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StorageUnavailable) as info:
        await open_database(f"postgresql://bot:secret@127.0.0.1:{port}/bot", patience=1)
    assert "secret" not in str(info.value)


async def test_an_unopenable_database_is_storage_unavailable(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StorageUnavailable):
        await open_database(f"sqlite:///{tmp_path / 'dir.db'}")


async def test_database_exists_only_after_the_first_open(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    assert storage.database_exists(url) is False
    await opened(url)
    assert storage.database_exists(url) is True and storage.database_exists(tmp_path / "bot.db") is True


def test_bot_database_setting_takes_a_path_or_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_DATABASE", "sqlite:////var/lib/bot/bot.db")
    assert Settings().database == "sqlite:////var/lib/bot/bot.db"  # not folded by Path into "sqlite:/var/..."
    monkeypatch.setenv("BOT_DATABASE", "data/other.db")
    assert Settings().database == Path("data/other.db")
    monkeypatch.delenv("BOT_DATABASE")
    assert Settings(_env_file=None).database == Path("data/bot.db")


# -- each store keeps the protocols -----------------------------------------------------------------------


def _methods(protocol: type) -> dict[str, object]:
    return {name: value for name, value in vars(protocol).items()
            if callable(value) and (not name.startswith("_") or name in ("__aenter__", "__aexit__"))}


async def test_each_store_satisfies_every_protocol(store: Store) -> None:
    db = store
    assert isinstance(db, Store)
    for attribute, protocol in REPOS.items():
        repo = getattr(db, attribute)
        assert isinstance(repo, protocol), attribute
        for name, declared in _methods(protocol).items():
            actual = getattr(repo, name)
            assert inspect.iscoroutinefunction(actual) == inspect.iscoroutinefunction(declared), f"{attribute}.{name}"
            wanted = list(inspect.signature(declared).parameters.values())[1:]  # without self
            got = list(inspect.signature(actual).parameters.values())
            assert [(p.name, p.kind, p.default) for p in got] == [(p.name, p.kind, p.default) for p in wanted], \
                f"{attribute}.{name}"
    for name in _methods(Store):
        if name == "alone":  # an async context manager
            async with db.alone("a test") as mine:
                assert mine is True
            continue
        assert inspect.iscoroutinefunction(getattr(db, name)), name


def test_every_repository_of_the_store_is_checked() -> None:
    assert set(REPOS) == {name for name, value in vars(Store).items() if isinstance(value, property)}


def test_the_protocols_cover_what_callers_use() -> None:
    """Every `db.<repo>.<method>` / `store.<repo>.<method>` in product code (the bot, its handlers, the
    console) is declared by a protocol, so every backend has it."""
    used: set[tuple[str, str]] = set()
    call = re.compile(r"\b(?:db|store)\.(" + "|".join(REPOS) + r")\.(\w+)")
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py"), *ROOT.glob("console/**/*.py")]:
        used |= set(call.findall(path.read_text(encoding="utf-8")))
    assert {repo for repo, _ in used} >= {"requests", "log", "tickets", "console"}, "the pattern is out of date"
    missing = sorted(f"{repo}.{method}" for repo, method in used if method not in _methods(REPOS[repo]))
    assert missing == []


# -- neutral errors ---------------------------------------------------------------------------------------


async def test_a_tracking_code_that_keeps_clashing_is_a_neutral_duplicate(store: Store) -> None:
    taken = (await store.requests.create("passport", "telegram", 1, 1, "0012345679", None, {})).tracking_code
    repo = type(store.requests)(store, new_code=lambda: taken)
    with pytest.raises(Duplicate) as info:
        await repo.create("passport", "telegram", 2, 2, "0000000019", None, {})
    assert not isinstance(info.value, sqlite3.Error | asyncpg.PostgresError) and isinstance(info.value, StorageError)
    assert len(await store.requests.list()) == 1  # nothing half stored


async def test_a_unique_key_taken_inside_a_write_is_a_neutral_duplicate(db: SqliteStore) -> None:
    code = (await db.requests.create("passport", "telegram", 1, 1, "0012345679", None, {})).tracking_code
    with pytest.raises(Duplicate):
        async with db.write() as conn:
            await conn.execute(
                "INSERT INTO requests (tracking_code, service_id, user_id, chat_id, status, created_at, updated_at)"
                " VALUES (?, 's', 2, 2, 'submitted', 'x', 'x')", (code,)
            )


# -- the seam stays a seam --------------------------------------------------------------------------------


def test_only_the_backends_import_their_drivers() -> None:
    """Product code reaches a backend only through storage.open_database (which imports storage.sqlite or
    storage.postgres)."""
    driver = re.compile(r"^\s*(import|from)\s+(sqlite3|aiosqlite|asyncpg)\b", re.MULTILINE)
    backend = re.compile(r"^\s*(import|from)\s+(sqlite3|aiosqlite|asyncpg|storage\.sqlite|storage\.postgres)\b",
                         re.MULTILINE)
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.glob("storage/*.py") if driver.search(p.read_text(encoding="utf-8"))]
    offenders += [str(p.relative_to(ROOT)) for p in [*ROOT.glob("bot/*.py"), *ROOT.glob("handlers/*.py")]
                  if backend.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_importing_storage_loads_no_driver() -> None:
    code = ("import sys, storage, storage.api, storage.records;"
            " print('aiosqlite' in sys.modules, 'sqlite3' in sys.modules, 'asyncpg' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.split() == ["False", "False", "False"]
