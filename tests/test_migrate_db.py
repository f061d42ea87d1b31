"""`python -m bot migrate-db`: a SQLite database copied to PostgreSQL whole, checked by counts and checksums,
safe to run again (idempotent) and to resume after a stop."""

from __future__ import annotations

import asyncpg

from bot.cli import cmd_migrate_db
from storage.postgres import PostgresStore
from storage.sqlite import SqliteStore


async def fill(db: SqliteStore, clock) -> list[str]:
    """A database with rows in every table (and NULLs, booleans, Persian JSON, times) to copy."""
    codes = []
    for i in range(3):
        clock.advance(minutes=7)
        codes.append((await db.requests.create("passport", "telegram", i, i, f"{i:010d}", "09121234567",
                                               {"نام": "مریم", "شهر": "قم", "n": i})).tracking_code)
    await db.requests.set_status(codes[0], "under_review", note="بررسی", actor="staff:ali")
    await db.requests.mark_confirmed(codes[1])
    await db.drafts.save("bale", 7, "passport", 2, {"city": "قم"}, editing="city")
    await db.chats.set_current_service("telegram", 5, "passport")
    await db.chats.set_data("telegram", 5, {"page": 2})
    for answered in (True, False, None):
        await db.log.add("telegram", 1, 1, "in", "ساعت کاری؟", answered=answered, score=0.5, handling_ms=12.25)
    await db.lookups.record_failure("telegram", 9)
    await db.audit.record("ali", "requests show", codes[0])
    await db.inbox.add("telegram", [(100, '{"update_id":100}'), (101, '{"update_id":101}')])
    await db.inbox.mark_done("telegram", [100])
    await db.outbox.enqueue("bale", 7, '{"text":"سلام"}', 30)
    return codes


async def test_migrate_db_copies_everything_and_is_idempotent_and_resumable(tmp_path, postgres_url, clock, capsys):
    source = tmp_path / "bot.db"
    async with await SqliteStore.open(source, clock=clock) as db:
        codes = await fill(db, clock)
        expected = [await db.requests.get(code) for code in codes]
        expected_log = await db.log.page()

    assert await cmd_migrate_db(f"sqlite:///{source}", postgres_url, batch=2) == 0
    out = capsys.readouterr().out
    for table in ("requests", "request_events", "drafts", "chat_state", "message_log", "lookup_failures",
                  "staff_audit", "inbox", "outbox"):
        line = next(line for line in out.splitlines() if line.startswith(table + " "))
        assert line.endswith("ok"), line
    assert "MISMATCH" not in out

    async with await PostgresStore.open(postgres_url, clock=clock) as pg:
        assert [await pg.requests.get(code) for code in codes] == expected  # ids, times, JSON, history alike
        assert await pg.log.page() == expected_log
        assert (await pg.drafts.get("bale", 7)).answers == {"city": "قم"}
        assert (await pg.chats.get("telegram", 5)).data == {"page": 2}
        assert [u.update_id for u in await pg.inbox.pending("telegram")] == [101]
        assert len(await pg.outbox.waiting_chats("bale")) == 1
        assert [a.action for a in await pg.audit.recent()] == ["requests show"]
        async with pg.write() as conn:  # a run stopped half way: part of the log is missing
            await conn.execute("DELETE FROM message_log WHERE id <= 2")

    assert await cmd_migrate_db(str(source), postgres_url) == 0
    again = capsys.readouterr().out
    copied = {line.split()[0]: int(line.split()[2]) for line in again.splitlines()[1:]}
    assert copied["message_log"] == 2 and copied["requests"] == 0 and copied["request_events"] == 0

    async with await PostgresStore.open(postgres_url, clock=clock) as pg:
        # the sequences were moved past the copied ids: new rows do not clash with them
        await pg.requests.create("id_card", "telegram", 50, 50, "0000000507", None, {})
        assert await pg.log.add("telegram", 1, 1, "out", "درود") == len(expected_log) + 1
        await pg.audit.record("sara", "export")
        await pg.outbox.enqueue("bale", 8, "{}", 0)


async def test_migrate_db_reports_a_row_that_differs(tmp_path, postgres_url, clock, capsys):
    source = tmp_path / "bot.db"
    async with await SqliteStore.open(source, clock=clock) as db:
        await fill(db, clock)
    assert await cmd_migrate_db(str(source), postgres_url) == 0
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("UPDATE drafts SET step = 3")
    finally:
        await conn.close()
    capsys.readouterr()
    assert await cmd_migrate_db(str(source), postgres_url) == 1
    assert "drafts" in next(line for line in capsys.readouterr().out.splitlines() if "MISMATCH" in line)


async def test_migrate_db_refuses_urls_of_the_wrong_backends(tmp_path, capsys):
    assert await cmd_migrate_db("postgresql://localhost/a", "postgresql://localhost/b") == 2
    assert await cmd_migrate_db(str(tmp_path / "missing.db"), "postgresql://localhost/b") == 2
