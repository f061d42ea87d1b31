"""`python -m bot migrate-db`: a SQLite database copied to PostgreSQL whole, checked by counts and checksums,
safe to run again (idempotent) and to resume after a stop."""

from __future__ import annotations

import datetime as dt

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
    await fill_console_and_desk(db)
    return codes


async def fill_console_and_desk(db: SqliteStore) -> None:
    """The web console's and the support desk's tables, children after their parents."""
    user = await db.console.add_user("maryam", "$argon2id$hash", "clerk", "وزارت کشور")
    await db.console.add_user("ali", "$argon2id$other", "admin")
    await db.console.set_disabled("ali")
    await db.console.record_login(user.id)
    await db.console.create_session("h1", user.id, "csrf-1", dt.timedelta(hours=12))
    await db.suggestions.mark_handled("ساعت کاری", "console:maryam")
    await db.suggestions.suggest("ساعت کاری", "ساعت کاری؟", "passport", "alias", "ساعت کاری", None, "console:maryam")
    first, _ = await db.tickets.open("telegram", 1, 1, service_id="passport", question="کد ملی ۰۰۱۲۳۴۵۶۷۸",
                                     context="← سلام", group_chat_id=-1001234567890)
    await db.tickets.mark_posted(first.id, 55)
    await db.tickets.take(first.id, 11, "مینا")
    await db.tickets.add_message(first.id, "telegram", "to_staff", "citizen", text="سلام", source="1:10")
    reply = await db.tickets.add_message(first.id, "telegram", "to_citizen", "staff", text="بفرمایید",
                                         staff_user_id=11, source="-1001234567890:4")
    await db.tickets.delivered(reply.id, 99)
    await db.tickets.add_message(first.id, "telegram", "to_citizen", "staff", kind="photo", file_id="F1")
    await db.tickets.suggest(first.id, "telegram", "گذرنامه", None, 11)
    await db.tickets.close(first.id, "staff")
    await db.tickets.open("bale", 2, 2, service_id=None, question=None, context="", group_chat_id=None)
    await db.feedback.vote("telegram", 1, "passport", "cost", 1)
    await db.feedback.vote("bale", 2, "passport", "documents", -1)


async def desk_and_console(db) -> tuple:
    """What the console and the desk read back, to compare one backend with the other."""
    tickets = [await db.tickets.get(i) for i in (1, 2)]
    return (
        await db.console.users(),
        await db.console.session("h1"),
        await db.suggestions.handled(),
        await db.suggestions.suggestions(),
        tickets,
        [await db.tickets.messages(t.id) for t in tickets],
        await db.tickets.suggestions(),
        await db.feedback.counts("service"),
    )


async def test_migrate_db_copies_everything_and_is_idempotent_and_resumable(tmp_path, postgres_url, clock, capsys):
    source = tmp_path / "bot.db"
    async with await SqliteStore.open(source, clock=clock) as db:
        codes = await fill(db, clock)
        expected = [await db.requests.get(code) for code in codes]
        expected_log = await db.log.page()
        expected_desk = await desk_and_console(db)

    assert await cmd_migrate_db(f"sqlite:///{source}", postgres_url, batch=2) == 0
    out = capsys.readouterr().out
    for table in ("requests", "request_events", "drafts", "chat_state", "message_log", "lookup_failures",
                  "staff_audit", "inbox", "outbox", "console_users", "console_sessions", "unanswered_handled",
                  "knowledge_suggestions", "tickets", "ticket_messages", "desk_suggestions", "feedback"):
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
        assert await desk_and_console(pg) == expected_desk  # ids, times, masking, NULLs alike
        async with pg.write() as conn:  # a run stopped half way: part of the log and of a ticket are missing
            await conn.execute("DELETE FROM message_log WHERE id <= 2")
            await conn.execute("DELETE FROM ticket_messages WHERE id >= 2")

    assert await cmd_migrate_db(str(source), postgres_url) == 0
    again = capsys.readouterr().out
    copied = {line.split()[0]: int(line.split()[2]) for line in again.splitlines()[1:]}
    assert copied["message_log"] == 2 and copied["requests"] == 0 and copied["request_events"] == 0
    assert copied["ticket_messages"] == 2 and copied["tickets"] == 0 and copied["console_users"] == 0

    async with await PostgresStore.open(postgres_url, clock=clock) as pg:
        # the sequences were moved past the copied ids: new rows do not clash with them
        await pg.requests.create("id_card", "telegram", 50, 50, "0000000507", None, {})
        assert await pg.log.add("telegram", 1, 1, "out", "درود") == len(expected_log) + 1
        await pg.audit.record("sara", "export")
        await pg.outbox.enqueue("bale", 8, "{}", 0)
        assert await desk_and_console(pg) == expected_desk
        assert (await pg.tickets.open("telegram", 1, 1, service_id=None, question=None, context="",
                                      group_chat_id=None))[0].id == 3
        message = await pg.tickets.add_message(3, "telegram", "to_staff", "citizen", text="باز")
        assert message.id == 4
        await pg.tickets.suggest(3, "telegram", "گذرنامه", None, 11)
        assert (await pg.console.add_user("sara", "$argon2id$x", "viewer")).id == 3
        assert (await pg.suggestions.suggest("x", None, "passport", "need", "x", None, "console:sara")).id == 2


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


async def test_migrate_db_fails_when_a_table_holding_rows_has_no_postgresql_version(tmp_path, postgres_url, clock,
                                                                                  capsys):
    source = tmp_path / "bot.db"
    async with await SqliteStore.open(source, clock=clock) as db:
        async with db.write() as conn:
            await conn.execute("CREATE TABLE later (x INTEGER)")  # a SQLite migration not ported yet
            await conn.execute("CREATE TABLE later_empty (x INTEGER)")
            await conn.execute("INSERT INTO later VALUES (1)")
    assert await cmd_migrate_db(str(source), postgres_url) == 1
    out = capsys.readouterr().out
    assert "later " in out and "not copied" in out and "later_empty" not in out


async def test_migrate_db_refuses_urls_of_the_wrong_backends(tmp_path, capsys):
    assert await cmd_migrate_db("postgresql://localhost/a", "postgresql://localhost/b") == 2
    assert await cmd_migrate_db(str(tmp_path / "missing.db"), "postgresql://localhost/b") == 2


async def test_a_copy_to_a_database_sorting_text_by_language_still_checks_out(tmp_path, postgres_server, clock, capsys):
    # SQLite orders text keys byte by byte («B» before «a»); a database with a language collation, as DBAs
    # create them, orders «a» before «B». The checksums must not take that for a difference.
    import contextlib

    from tests.support.postgres import database_url

    admin = await asyncpg.connect(postgres_server)
    try:
        await admin.execute("CREATE DATABASE by_language LOCALE_PROVIDER icu ICU_LOCALE 'en-US' TEMPLATE template0")
    finally:
        await admin.close()
    url = database_url(postgres_server, "by_language")
    try:
        source = tmp_path / "bot.db"
        async with await SqliteStore.open(source, clock=clock) as db:
            for question in ("a", "B", "_x", "ب"):
                await db.suggestions.mark_handled(question, "console:sara")
        assert await cmd_migrate_db(str(source), url) == 0
        assert "MISMATCH" not in capsys.readouterr().out
    finally:
        admin = await asyncpg.connect(postgres_server)
        with contextlib.suppress(Exception):
            await admin.execute("DROP DATABASE IF EXISTS by_language WITH (FORCE)")
        await admin.close()
