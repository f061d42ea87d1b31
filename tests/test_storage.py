"""The SQLite store (opening, migrations, transactions, failures), and the request/draft/chat repositories on
both backends (the `store` fixture: SQLite, then PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import sqlite3

import pytest

from storage import RequestNotFound, StorageUnavailable, is_well_formed
from storage.sqlite import Migration, SqliteStore, load_migrations
from storage.tracking import new_code

FORM = {"full_name": "مریم احمدی", "city": "تهران"}


async def make_request(db, user_id=1, national_code="0012345679", service_id="passport", platform="telegram"):
    return await db.requests.create(
        service_id=service_id,
        platform=platform,
        user_id=user_id,
        chat_id=user_id,
        national_code=national_code,
        mobile="09121234567",
        data=FORM,
    )


# -- opening and migrations -------------------------------------------------------------------------------


async def test_open_sets_wal_foreign_keys_and_timeouts(db):
    assert await db.pragma("journal_mode") == "wal"
    assert await db.pragma("foreign_keys") == 1
    assert await db.pragma("busy_timeout") == 5000
    assert await db.pragma("synchronous") == 1  # NORMAL


async def test_open_creates_missing_folders(tmp_path):
    path = tmp_path / "a" / "b" / "bot.db"
    db = await SqliteStore.open(path)
    await db.close()
    assert path.exists()


async def test_migrations_applied_once_and_reopen_keeps_data(tmp_path):
    path = tmp_path / "bot.db"
    latest = len(load_migrations())
    async with await SqliteStore.open(path) as db:
        assert await db.schema_version() == latest
        created = await make_request(db)
    async with await SqliteStore.open(path) as db:  # applying 0001 again would fail: its tables exist
        assert await db.schema_version() == latest
        request = await db.requests.get(created.tracking_code)
        assert request is not None and request.data == FORM


async def test_new_migration_is_applied_on_next_open(tmp_path):
    path = tmp_path / "bot.db"
    async with await SqliteStore.open(path):
        pass
    extra = Migration(len(load_migrations()) + 1, "9999_test.sql", "CREATE TABLE extra (x INTEGER);")
    async with await SqliteStore.open(path, migrations=[*load_migrations(), extra]) as db:
        assert await db.schema_version() == extra.version
        assert await db.fetchall("SELECT * FROM extra") == []


async def test_failed_migration_leaves_previous_version_intact(tmp_path):
    path = tmp_path / "bot.db"
    broken = Migration(
        len(load_migrations()) + 1,
        "9999_broken.sql",
        "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);",
    )
    with pytest.raises(sqlite3.OperationalError):
        await SqliteStore.open(path, migrations=[*load_migrations(), broken])
    async with await SqliteStore.open(path) as db:
        assert await db.schema_version() == len(load_migrations())
        assert await db.fetchall("SELECT name FROM sqlite_master WHERE name = 'half'") == []


async def test_database_newer_than_code_is_refused(tmp_path):
    path = tmp_path / "bot.db"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 999")
    raw.close()
    with pytest.raises(RuntimeError, match="newer"):
        await SqliteStore.open(path)


def test_migration_files_are_numbered_without_gaps():
    versions = [m.version for m in load_migrations()]
    assert versions == list(range(1, len(versions) + 1))


# -- transactions and failures ----------------------------------------------------------------------------


async def test_rollback_leaves_nothing_half_written(db):
    with pytest.raises(RuntimeError, match="boom"):
        async with db.write() as conn:
            await conn.execute(
                "INSERT INTO requests (tracking_code, service_id, user_id, chat_id, status, created_at,"
                " updated_at) VALUES ('123456789012', 's', 1, 1, 'submitted', 'x', 'x')"
            )
            await conn.execute(
                "INSERT INTO request_events (request_id, status, created_at)"
                " VALUES (last_insert_rowid(), 's', 'x')"
            )
            raise RuntimeError("boom")
    assert await db.fetchall("SELECT * FROM requests") == []
    assert await db.fetchall("SELECT * FROM request_events") == []
    # and the connection is usable again afterwards
    assert (await make_request(db)).duplicate is False


async def test_cancelled_writer_is_rolled_back(db):
    inside = asyncio.Event()

    async def slow_writer():
        async with db.write() as conn:
            await conn.execute("INSERT INTO chat_state (platform, user_id, updated_at) VALUES ('t', 1, 'x')")
            inside.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(slow_writer())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await db.fetchall("SELECT * FROM chat_state") == []
    await db.chats.set_current_service("t", 2, "passport")  # the lock and the connection are free again
    assert (await db.chats.get("t", 2)).current_service == "passport"


async def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        async with db.write() as conn:
            await conn.execute(
                "INSERT INTO request_events (request_id, status, created_at)"
                " VALUES (424242, 'submitted', 'x')"
            )


async def test_concurrent_writers_do_not_interleave(db):
    """Each coroutine's two inserts must commit or roll back together, even while others run."""

    async def pair(i: int, fail: bool) -> None:
        async with db.write() as conn:
            await conn.execute(
                "INSERT INTO chat_state (platform, user_id, updated_at) VALUES ('t', ?, 'x')", (i,)
            )
            await asyncio.sleep(0)
            await conn.execute(
                "INSERT INTO drafts (platform, user_id, service_id, updated_at) VALUES ('t', ?, 's', 'x')",
                (i,),
            )
            if fail:
                raise ValueError(i)

    results = await asyncio.gather(*(pair(i, i % 2 == 1) for i in range(40)), return_exceptions=True)
    assert sum(isinstance(r, ValueError) for r in results) == 20
    chats = {row[0] for row in await db.fetchall("SELECT user_id FROM chat_state")}
    drafts = {row[0] for row in await db.fetchall("SELECT user_id FROM drafts")}
    assert chats == drafts == set(range(0, 40, 2))


async def test_nested_write_raises_instead_of_deadlocking(db):
    async with db.write():
        with pytest.raises(RuntimeError, match="already open"):
            async with db.write():
                pass


async def test_read_only_database_raises_storage_unavailable(tmp_path):
    path = tmp_path / "bot.db"
    async with await SqliteStore.open(path) as db:
        await make_request(db)
    # Root ignores file permissions, so read-only is simulated with SQLite's own read-only mode.
    async with await SqliteStore.open(path, read_only=True) as db:
        assert len(await db.requests.list()) == 1  # reads still work
        with pytest.raises(StorageUnavailable):
            await make_request(db, national_code="0000000019")
        with pytest.raises(StorageUnavailable):
            await db.log.add("telegram", 1, 1, "in", "سلام")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
async def test_read_only_file_raises_storage_unavailable(tmp_path):
    path = tmp_path / "bot.db"
    async with await SqliteStore.open(path) as db:
        await make_request(db)
    path.chmod(0o444)
    try:
        try:
            db = await SqliteStore.open(path)
        except StorageUnavailable:
            return  # refused at open (switching to WAL needs to write): also correct
        async with db:
            with pytest.raises(StorageUnavailable):
                await make_request(db, national_code="0000000019")
    finally:
        path.chmod(0o644)


async def test_locked_database_raises_storage_unavailable(tmp_path):
    path = tmp_path / "bot.db"
    async with await SqliteStore.open(path, busy_timeout_ms=50) as db:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            with pytest.raises(StorageUnavailable):
                await db.drafts.save("telegram", 1, "passport", 0, {})
            other.execute("ROLLBACK")
            await db.drafts.save("telegram", 1, "passport", 0, {})  # and works once it is released
        finally:
            other.close()


async def test_unopenable_path_raises_storage_unavailable(tmp_path):
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StorageUnavailable):
        await SqliteStore.open(tmp_path / "dir.db")


# -- requests ---------------------------------------------------------------------------------------------


async def test_create_stores_request_and_submitted_event(store, clock):
    created = await make_request(store)
    assert is_well_formed(created.tracking_code)
    assert created.duplicate is False
    assert created.created_at == clock.now
    request = await store.requests.get(created.tracking_code)
    assert request.status == "submitted"
    assert request.national_code == "0012345679"
    assert request.data == FORM
    assert [(e.status, e.actor) for e in request.events] == [("submitted", "citizen")]


async def test_200_concurrent_creates_give_200_distinct_well_formed_codes(store):
    results = await asyncio.gather(
        *(make_request(store, user_id=i, national_code=f"{i:010d}") for i in range(200))
    )
    codes = [r.tracking_code for r in results]
    assert len(set(codes)) == 200
    assert all(is_well_formed(code) for code in codes)
    assert not any(r.duplicate for r in results)
    assert (await store.fetchone("SELECT COUNT(*) FROM requests"))[0] == 200
    assert (await store.fetchone("SELECT COUNT(*) FROM request_events"))[0] == 200


async def test_duplicate_open_request_returns_the_same_code(store):
    first = await make_request(store)
    again = await make_request(store)
    assert again.duplicate is True
    assert again.tracking_code == first.tracking_code
    assert (await store.fetchone("SELECT COUNT(*) FROM requests"))[0] == 1


async def test_concurrent_double_submit_gives_one_request(store):
    results = await asyncio.gather(*(make_request(store) for _ in range(5)))
    assert len({r.tracking_code for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1


async def test_the_same_national_code_from_another_account_is_stored_and_flagged(store):
    first = await make_request(store, user_id=1)
    other = await make_request(store, user_id=2)
    assert other.duplicate is False and other.tracking_code != first.tracking_code
    assert (await store.requests.get(other.tracking_code)).duplicate_of == first.tracking_code


async def test_closed_request_or_other_service_is_not_a_duplicate(store):
    first = await make_request(store)
    await store.requests.set_status(first.tracking_code, "rejected", actor="staff")
    assert (await make_request(store)).duplicate is False
    assert (await make_request(store, service_id="id_card")).duplicate is False


async def test_code_clash_is_retried_with_a_new_code(store):
    taken = (await make_request(store)).tracking_code
    fresh = new_code()
    codes = iter([taken, taken, fresh])
    repo = type(store.requests)(store, new_code=lambda: next(codes))
    created = await repo.create("passport", "telegram", 2, 2, "0000000019", None, {})
    assert created.tracking_code == fresh


async def test_owner_only_lookup(store):
    created = await make_request(store, user_id=1)
    assert (await store.requests.get_for_user(created.tracking_code, "telegram", 1)) is not None
    assert await store.requests.get_for_user(created.tracking_code, "telegram", 2) is None
    assert await store.requests.get_for_user(created.tracking_code, "bale", 1) is None
    assert await store.requests.get_for_user("123", "telegram", 1) is None


async def test_lookup_accepts_persian_digits_and_spaces(store):
    code = (await make_request(store)).tracking_code
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    typed = f"{persian[:4]} {persian[4:8]}-{persian[8:]}"
    request = await store.requests.get_for_user(typed, "telegram", 1)
    assert request is not None and request.tracking_code == code


async def test_status_transitions_and_events(store, clock):
    code = (await make_request(store)).tracking_code
    clock.advance(hours=1)
    await store.requests.set_status(code, "under_review", actor="staff:ali")
    await store.requests.set_status(code, "needs_documents", note="تصویر شناسنامه", actor="staff:ali")
    await store.requests.set_status(code, "under_review", note="مدارک رسید", actor="staff:ali")
    clock.advance(hours=1)
    request = await store.requests.set_status(code, "approved", actor="staff:sara")
    request = await store.requests.set_status(code, "done", actor="staff:sara")
    assert request.status == "done" and not request.is_open
    assert request.updated_at == clock.now
    assert [e.status for e in request.events] == [
        "submitted",
        "under_review",
        "needs_documents",
        "under_review",
        "approved",
        "done",
    ]
    assert request.events[2].note == "تصویر شناسنامه"


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ((), "unknown"),
        ((), "submitted"),
        (("rejected",), "under_review"),
        (("approved",), "rejected"),
        (("approved", "done"), "under_review"),
        (("under_review",), "submitted"),
    ],
)
async def test_invalid_transitions_are_refused_in_persian(store, path, bad):
    code = (await make_request(store)).tracking_code
    for status in path:
        await store.requests.set_status(code, status)
    with pytest.raises(ValueError) as info:
        await store.requests.set_status(code, bad)
    assert any("\u0600" <= ch <= "\u06ff" for ch in str(info.value))
    request = await store.requests.get(code)
    assert len(request.events) == len(path) + 1  # nothing appended


async def test_set_status_of_unknown_code(store):
    with pytest.raises(RequestNotFound):
        await store.requests.set_status("123456789012", "done")


async def test_list_and_count_by_status(store, clock):
    codes = []
    for i in range(5):
        clock.advance(minutes=1)
        codes.append(
            (
                await make_request(
                    store, user_id=i, national_code=f"{i:010d}", service_id="passport" if i < 3 else "id_card"
                )
            ).tracking_code
        )
    await store.requests.set_status(codes[0], "under_review")
    await store.requests.set_status(codes[4], "under_review")
    newest_first = [r.tracking_code for r in await store.requests.list()]
    assert newest_first == codes[::-1]
    assert [r.tracking_code for r in await store.requests.list(status="under_review")] == [codes[4], codes[0]]
    assert [
        r.tracking_code for r in await store.requests.list(status="under_review", service_id="passport")
    ] == [codes[0]]
    assert [r.tracking_code for r in await store.requests.list(limit=2, offset=1)] == [codes[3], codes[2]]
    counts = await store.requests.count_by_status()
    assert counts["submitted"] == 3 and counts["under_review"] == 2 and counts["done"] == 0


async def test_for_user_lists_only_own_requests(store):
    await make_request(store, user_id=1, national_code="0012345679")
    await make_request(store, user_id=1, national_code="0000000019")
    await make_request(store, user_id=2, national_code="0000000027")
    assert len(await store.requests.for_user("telegram", 1)) == 2


# -- drafts and chat state --------------------------------------------------------------------------------


async def test_draft_save_get_replace_delete(store):
    assert await store.drafts.get("bale", 7) is None
    await store.drafts.save("bale", 7, "passport", 1, {"name": "علی"})
    await store.drafts.save("bale", 7, "passport", 2, {"name": "علی", "city": "قم"}, editing="city")
    draft = await store.drafts.get("bale", 7)
    assert (draft.step, draft.answers, draft.editing) == (2, {"name": "علی", "city": "قم"}, "city")
    assert await store.drafts.get("telegram", 7) is None  # same id on another platform is another person
    assert await store.drafts.delete("bale", 7) is True
    assert await store.drafts.delete("bale", 7) is False
    assert await store.drafts.get("bale", 7) is None


async def test_draft_prune(store, clock):
    await store.drafts.save("bale", 1, "passport", 1, {})
    clock.advance(days=10)
    await store.drafts.save("bale", 2, "passport", 1, {})
    assert await store.drafts.prune(older_than_days=7) == 1
    assert await store.drafts.get("bale", 1) is None and await store.drafts.get("bale", 2) is not None


async def test_chat_state(store):
    empty = await store.chats.get("telegram", 5)
    assert empty.current_service is None and empty.data == {}
    await store.chats.set_current_service("telegram", 5, "passport")
    await store.chats.set_data("telegram", 5, {"page": 2})
    await store.chats.set_current_service("telegram", 5, "id_card")  # keeps data
    state = await store.chats.get("telegram", 5)
    assert (state.current_service, state.data) == ("id_card", {"page": 2})
    await store.chats.set_current_service("telegram", 5, None)
    assert (await store.chats.get("telegram", 5)).current_service is None


async def test_the_retention_pass_forgets_handled_updates_after_two_days(store, clock):
    # The raw updates hold whatever citizens typed (national codes included); they are kept only to recognise
    # an update the platform sends again, which it does within 24 hours.
    from bot.dialogue.registration import retention
    from bot.settings import Settings

    await store.inbox.add("telegram", [(1, '{"update_id": 1}'), (2, '{"update_id": 2}')])
    await store.inbox.mark_done("telegram", [1, 2])
    clock.advance(days=3)
    await store.inbox.add("telegram", [(3, '{"update_id": 3}'), (4, '{"update_id": 4}')])
    await store.inbox.mark_done("telegram", [3])
    done = await retention(store, Settings(_env_file=None))
    assert done["inbox"] == 2
    assert await store.inbox.add("telegram", [(3, "again"), (4, "again")]) == []  # recent: still recognised
    assert [u.update_id for u in await store.inbox.pending("telegram")] == [4]  # never handled: kept
