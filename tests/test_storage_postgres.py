"""What only the PostgreSQL backend has to prove: migrations under an advisory lock, its driver's errors
translated, append-only audit rows, and two instances sharing one database. The behaviour both backends
share is tested once for both (the `store` fixture in test_storage*.py)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from storage import Duplicate, StorageUnavailable
from storage.postgres import Migration, PostgresStore, load_migrations


async def test_two_instances_starting_at_once_migrate_once(postgres_url, clock):
    first, second = await asyncio.gather(*(PostgresStore.open(postgres_url, clock=clock) for _ in range(2)))
    try:
        rows = await first.fetchall("SELECT version FROM schema_migrations ORDER BY version")
        assert [row[0] for row in rows] == [m.version for m in load_migrations()]
        assert await second.schema_version() == len(load_migrations())
    finally:
        await first.close()
        await second.close()
    async with await PostgresStore.open(postgres_url) as again:  # reopening applies nothing twice
        assert await again.schema_version() == len(load_migrations())


async def test_a_failed_migration_leaves_the_previous_version_and_a_newer_database_is_refused(postgres_url):
    broken = Migration(len(load_migrations()) + 1, "broken.sql", "CREATE TABLE half (x int); SELECT no_such_column;")
    with pytest.raises(asyncpg.PostgresError):
        await PostgresStore.open(postgres_url, migrations=[*load_migrations(), broken])
    async with await PostgresStore.open(postgres_url) as db:
        assert await db.schema_version() == len(load_migrations())
        assert await db.fetchval("SELECT to_regclass('half')") is None
        async with db.write() as conn:
            await conn.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'future.sql')")
    with pytest.raises(RuntimeError, match="newer than this code"):
        await PostgresStore.open(postgres_url)


async def test_migration_files_are_numbered_without_gaps():
    versions = [m.version for m in load_migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_a_unique_key_taken_inside_a_write_is_a_neutral_duplicate(postgres_url, clock):
    async with await PostgresStore.open(postgres_url, clock=clock) as db:
        code = (await db.requests.create("passport", "telegram", 1, 1, "0012345679", None, {})).tracking_code
        with pytest.raises(Duplicate):
            async with db.write() as conn:
                await conn.execute(
                    "INSERT INTO requests (tracking_code, service_id, user_id, chat_id, status, created_at, updated_at)"
                    " VALUES ($1, 's', 2, 2, 'submitted', now(), now())", code,
                )
        assert await db.requests.count() == 1


async def test_a_lock_held_elsewhere_past_the_patience_is_storage_unavailable(postgres_url, clock):
    async with await PostgresStore.open(postgres_url, clock=clock, patience=0.2) as db:
        await db.drafts.save("telegram", 1, "passport", 0, {})
        other = await asyncpg.connect(postgres_url)  # another process holds the row
        try:
            tx = other.transaction()
            await tx.start()
            await other.execute("SELECT * FROM drafts FOR UPDATE")
            with pytest.raises(StorageUnavailable):
                await db.drafts.save("telegram", 1, "passport", 1, {})
            await tx.rollback()
            await db.drafts.save("telegram", 1, "passport", 2, {})  # and works once it is released
            assert (await db.drafts.get("telegram", 1)).step == 2
        finally:
            await other.close()


async def test_a_read_only_database_is_storage_unavailable_for_writes_only(postgres_url, clock):
    async with await PostgresStore.open(postgres_url, clock=clock) as db:
        await db.requests.create("passport", "telegram", 1, 1, "0012345679", None, {})
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f"ALTER DATABASE {postgres_url.rsplit('/', 1)[1]} SET default_transaction_read_only = on")
    finally:
        await admin.close()
    async with await PostgresStore.open(postgres_url, clock=clock) as db:
        assert len(await db.requests.list()) == 1
        with pytest.raises(StorageUnavailable):
            await db.requests.create("passport", "telegram", 2, 2, "0000000019", None, {})
        with pytest.raises(StorageUnavailable):
            await db.log.add("telegram", 1, 1, "in", "سلام")


async def test_a_server_gone_away_is_storage_unavailable(postgres_url, clock):
    async with await PostgresStore.open(postgres_url, clock=clock, patience=1) as db:
        admin = await asyncpg.connect(postgres_url)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'khedmat-bot' AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()
        for step in range(3):  # the pool may notice at once, or on the first use: never a driver error
            try:
                await db.drafts.save("telegram", 1, "passport", step, {})
            except StorageUnavailable:
                pass
        await db.drafts.save("telegram", 1, "passport", 9, {})  # the pool has reconnected
        assert (await db.drafts.get("telegram", 1)).step == 9


async def test_staff_audit_is_append_only(postgres_url, clock):
    async with await PostgresStore.open(postgres_url, clock=clock) as db:
        await db.audit.record("ali", "requests show", "123456789012")
        for sql in ("UPDATE staff_audit SET os_user = 'nobody'", "DELETE FROM staff_audit", "TRUNCATE staff_audit"):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                async with db.write() as conn:
                    await conn.execute(sql)
        assert [(e.os_user, e.action) for e in await db.audit.recent()] == [("ali", "requests show")]


async def test_two_instances_registering_the_same_request_store_it_once(postgres_url, clock):
    """A double tap whose two updates reach two instances still gives one code (the account lock)."""
    first = await PostgresStore.open(postgres_url, clock=clock)
    second = await PostgresStore.open(postgres_url, clock=clock)
    try:
        results = await asyncio.gather(*(
            db.requests.create("passport", "telegram", 1, 1, "0012345679", None, {}, daily_limit=5)
            for db in (first, second, first, second)
        ))
        assert len({r.tracking_code for r in results}) == 1
        assert sum(not r.duplicate for r in results) == 1
        assert await first.requests.count() == 1
    finally:
        await first.close()
        await second.close()
