"""`python -m bot COMMAND`: the bot, the sandbox chat, and the tools of admins and staff.

Every command accepts `--knowledge DIR`; settings otherwise come from the environment or `.env`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.settings import load_settings


def _knowledge_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--knowledge", type=Path, default=None, metavar="DIR",
                   help="knowledge directory (default: BOT_KNOWLEDGE_DIR or ./knowledge)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Persian government-services bot")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="serve the bot (long polling); without BOT_TOKEN, the sandbox chat")
    _knowledge_arg(p)
    p.add_argument("--database", default=None, help="SQLite file, sqlite:///path or postgresql://... (default: BOT_DATABASE)")

    p = sub.add_parser("chat", help="local sandbox chat in the terminal, no token needed")
    _knowledge_arg(p)
    p.add_argument("--database", default=None, help="SQLite file, sqlite:///path or postgresql://... (default: BOT_DATABASE)")
    p.add_argument("--platform", choices=["telegram", "bale"], default=None)

    p = sub.add_parser("search", help="print the search decision for queries")
    _knowledge_arg(p)
    p.add_argument("--json", action="store_true", help="one JSON object per query")
    p.add_argument("query", nargs="+")

    p = sub.add_parser("ask", help="print the answer the bot would send")
    _knowledge_arg(p)
    p.add_argument("--service", default=None, help="id of the service being viewed (for follow-ups)")
    p.add_argument("query", nargs="+")

    p = sub.add_parser("validate", help="check every knowledge file; non-zero exit on any problem")
    _knowledge_arg(p)

    p = sub.add_parser("import-card",
                       help="draft knowledge files from service identity cards (شناسنامه خدمت): Word forms or texts")
    _knowledge_arg(p)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE",
                   help="cards: the official Word form (.docx, preferred) or the card's text (.txt)")
    p.add_argument("--out", type=Path, default=Path("drafts"), metavar="DIR",
                   help="directory for the drafts (default: ./drafts); not knowledge/services, drafts need review")

    p = sub.add_parser("logs", help="conversation log, newest first (personal numbers masked)")
    _staff_args(p)
    p.add_argument("--user", type=int, help="only this user id")
    p.add_argument("--since", help="from this day (Jalali 1405/08/30 or 2026-11-21)")
    p.add_argument("--until", help="up to and including this day")
    p.add_argument("--service", help="only this service id")
    p.add_argument("--unanswered", action="store_true", help="only questions the bot could not answer")
    p.add_argument("--limit", type=int, default=50)

    p = sub.add_parser("requests", help="registered requests: list, show, set-status")
    rsub = p.add_subparsers(dest="action", required=True)
    q = rsub.add_parser("list", help="requests, newest first")
    _staff_args(q)
    q.add_argument("--status", help="submitted, under_review, needs_documents, approved, rejected, done")
    q.add_argument("--service", help="only this service id")
    q.add_argument("--duplicates", action="store_true",
                   help="only possible duplicates: the same national code on an open request of another account")
    q.add_argument("--limit", type=int, default=50)
    q = rsub.add_parser("show", help="one request with its answers and history")
    _staff_args(q)
    q.add_argument("code")
    q = rsub.add_parser("set-status", help="move a request to a new status (the citizen is notified)")
    _staff_args(q)
    q.add_argument("code")
    q.add_argument("status", help="under_review, needs_documents, approved, rejected, done")
    q.add_argument("--note", help="a note for the citizen and the history")
    q.add_argument("--actor", help="who makes the change (default: your user name)")

    p = sub.add_parser("stats", help="messages and users per day, top services and unanswered, requests by status")
    _staff_args(p)
    p.add_argument("--days", type=int, default=7)

    p = sub.add_parser("export", help="CSV (UTF-8 with BOM) of the log or the requests")
    _staff_args(p)
    p.add_argument("what", choices=["logs", "requests"])
    p.add_argument("--out", type=Path, required=True, help="CSV file to write")
    p.add_argument("--with-personal-data", action="store_true",
                   help="requests: keep national codes, mobiles, user ids and every answer (recorded in the audit)")

    p = sub.add_parser("audit", help="who among staff read or changed personal data, newest first")
    _staff_args(p)
    p.add_argument("--limit", type=int, default=50)

    p = sub.add_parser("console", help="the web console for support staff and agency admins (BOT_CONSOLE_HOST:PORT)")
    _staff_args(p)
    p.add_argument("--host", default=None, help="address to listen on (default: BOT_CONSOLE_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default: BOT_CONSOLE_PORT, 8080)")

    p = sub.add_parser("console-user", help="the web console's users: add, list, disable")
    usub = p.add_subparsers(dest="action", required=True)
    q = usub.add_parser("add", help="a new user; the password is read from standard input")
    _staff_args(q)
    q.add_argument("name", help="user name: 3-32 Latin letters, digits, . _ -")
    q.add_argument("--role", required=True, choices=["viewer", "clerk", "editor", "admin"])
    q.add_argument("--agency", default=None,
                   help="only this agency's services (a provider or parent_agency of the knowledge files)")
    q = usub.add_parser("list", help="every user with role, agency and last sign-in")
    _staff_args(q)
    q = usub.add_parser("disable", help="stop a user from signing in (ends their sessions)")
    _staff_args(q)
    q.add_argument("name")

    p = sub.add_parser("link", help="the deep link that opens a service's card (and a QR code of it)")
    _knowledge_arg(p)
    p.add_argument("service", metavar="ID", help="the service's id (its knowledge file's name)")
    p.add_argument("--bot", default=None, help="the bot's username (default: BOT_USERNAME)")
    p.add_argument("--png", type=Path, default=None, metavar="FILE", help="also write the QR code as a PNG")

    p = sub.add_parser("backup", help="an online, consistent copy of the database, also while the bot runs")
    p.add_argument("file", type=Path, metavar="FILE", help="the copy to write (replaced if it exists; 0600)")
    p.add_argument("--database", default=None, help="SQLite file or sqlite:///path (default: BOT_DATABASE)")

    p = sub.add_parser("healthcheck", help="asks the running bot's /healthz (BOT_METRICS_LISTEN); exit status 0 if healthy")
    p.add_argument("--url", default=None, help="the /healthz URL (default: from BOT_METRICS_LISTEN)")

    p = sub.add_parser("prune", help="the retention pass the running bot makes every hour, now")
    _staff_args(p)
    p.add_argument("--force", action="store_true",
                   help="apply the ages to the clock as it is, even when it looks wrong (check the clock first)")

    p = sub.add_parser("migrate-db", help="copy a SQLite database to PostgreSQL (idempotent, resumable)")
    p.add_argument("--from", dest="source", required=True, metavar="URL", help="SQLite file or sqlite:///path")
    p.add_argument("--to", dest="target", required=True, metavar="URL", help="postgresql://user:password@host/db")
    p.add_argument("--batch", type=int, default=1000, help="rows per transaction (default: 1000)")
    return parser


def _staff_args(p: argparse.ArgumentParser) -> None:
    _knowledge_arg(p)
    p.add_argument("--database", default=None, help="SQLite file, sqlite:///path or postgresql://... (default: BOT_DATABASE)")


# Commands that open the database (national codes, mobiles, names) or write exports of it: whatever they or
# SQLite create is for the owner only. import-card is left out on purpose: its drafts are public knowledge
# files that the bot, maybe another user, must read.
PRIVATE_COMMANDS = frozenset({"run", "chat", "logs", "requests", "stats", "export", "prune", "audit", "console",
                              "console-user", "backup", "migrate-db"})
PRIVATE_UMASK = 0o077


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in PRIVATE_COMMANDS:
        os.umask(PRIVATE_UMASK)
    settings = load_settings(knowledge_dir=getattr(args, "knowledge", None), database=getattr(args, "database", None))
    if args.command == "validate":
        return cmd_validate(settings.knowledge_dir)
    if args.command == "import-card":
        return cmd_import_card(args.files, args.out, settings.knowledge_dir)
    if args.command in ("logs", "requests", "stats", "export", "prune", "audit", "console-user"):
        import asyncio

        return asyncio.run(cmd_staff(args, settings))
    if args.command == "console":
        return cmd_console(args, settings)

    if args.command == "migrate-db":
        import asyncio

        return asyncio.run(cmd_migrate_db(args.source, args.target, args.batch))
    if args.command in ("search", "ask"):
        return cmd_search(args, settings.knowledge_dir)
    if args.command == "link":
        return cmd_link(args.service, args.bot or settings.username, args.png, settings)
    if args.command == "backup":
        return cmd_backup(args.file, settings.database)
    if args.command == "healthcheck":
        return cmd_healthcheck(args.url, settings.metrics_listen)
    if args.command == "chat":
        from handlers.sandbox import run_sandbox

        return run_sandbox(settings if args.platform is None else settings.model_copy(update={"platform": args.platform}))
    if args.command == "run":
        if not settings.token:
            print("BOT_TOKEN تنظیم نشده است؛ گفت‌وگوی آزمایشی محلی (sandbox) اجرا می‌شود.", file=sys.stderr)
            from handlers.sandbox import run_sandbox

            return run_sandbox(settings)
        from handlers.app import run_server

        return run_server(settings)
    raise AssertionError(args.command)


async def cmd_staff(args: argparse.Namespace, settings) -> int:
    """The staff tools, on the bot's database."""
    from bot import staff
    from bot.knowledge import KnowledgeError, load_knowledge
    from storage import StorageUnavailable, database_exists, open_database

    try:
        knowledge = load_knowledge(settings.knowledge_dir)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        exists = database_exists(settings.database)
    except (ValueError, NotImplementedError) as exc:  # a URL of no backend we have
        print(f"BOT_DATABASE: {exc}", file=sys.stderr)
        return 2
    if not exists and args.command != "console-user":  # a console user may come before the first chat
        print(f"پایگاه داده {settings.database} وجود ندارد (BOT_DATABASE یا --database).", file=sys.stderr)
        return 2
    try:
        db = await open_database(settings.database)
    except StorageUnavailable as exc:
        print(f"پایگاه داده در دسترس نیست: {exc}", file=sys.stderr)
        return 2
    try:
        out = sys.stdout
        if args.command == "logs":
            try:
                since = staff.parse_day(args.since) if args.since else None
                until = staff.parse_day(args.until) if args.until else None
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 2
            return await staff.logs(db, out, user=args.user, since=since, until=until, service=args.service,
                                    unanswered=args.unanswered, limit=args.limit)
        if args.command == "requests":
            if args.action == "list":
                return await staff.requests_list(db, knowledge, out, status=args.status, service=args.service,
                                                 limit=args.limit, duplicates=args.duplicates)
            if args.action == "show":
                return await staff.requests_show(db, knowledge, out, args.code)
            return await staff.requests_set_status(db, out, args.code, args.status, args.note, args.actor)
        if args.command == "stats":
            return await staff.stats(db, knowledge, out, args.days)
        if args.command == "prune":
            return await staff.prune(db, settings, out, force=args.force)
        if args.command == "audit":
            return await staff.audit(db, out, args.limit)
        if args.command == "console-user":
            from console import users

            if args.action == "add":
                return await users.add(db, knowledge, args.name, args.role, args.agency)
            if args.action == "list":
                return await users.list_users(db)
            return await users.disable(db, args.name)
        return await staff.export(db, args.what, args.out, personal=args.with_personal_data, knowledge=knowledge)
    finally:
        await db.close()


def cmd_console(args: argparse.Namespace, settings) -> int:
    """Serves the web console on the bot's database (created if the bot has not run yet)."""
    from bot.knowledge import KnowledgeError, load_knowledge
    from console.server import run_console

    try:
        knowledge = load_knowledge(settings.knowledge_dir)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 2
    changes = {k: v for k, v in (("console_host", args.host), ("console_port", args.port)) if v is not None}
    return run_console(settings.model_copy(update=changes), knowledge)

LINK_ROOTS = {"telegram": "https://t.me/{bot}?start={service}", "bale": "https://ble.ir/{bot}?start={service}"}


def cmd_link(service_id: str, bot_name: str | None, png: Path | None, settings) -> int:
    """`python -m bot link ID`: the link that opens a service's card in the bot (for an agency's web page),
    and with --png a QR code of it (for the counter)."""
    from bot.knowledge import KnowledgeError, load_knowledge

    try:
        knowledge = load_knowledge(settings.knowledge_dir)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 2
    service = knowledge.get(service_id)
    if service is None:
        print(f"خدمتی با شناسه «{service_id}» در دانش نیست ({settings.knowledge_dir}).", file=sys.stderr)
        return 2
    if not bot_name:
        print("نام کاربری بات را با --bot یا BOT_USERNAME بدهید (مثلاً khedmat_bot).", file=sys.stderr)
        return 2
    link = LINK_ROOTS[settings.platform].format(bot=bot_name.lstrip("@"), service=service.id)
    print(link)
    if png is not None:
        import segno

        segno.make(link, error="m").save(str(png), scale=8, border=4)
        print(f"✔ QR code: {png}  ({service.title})")
    return 0


def cmd_backup(target: Path, database) -> int:
    """`python -m bot backup FILE`: SQLite's backup API, while the bot runs; the copy checked and counted."""
    import asyncio

    from storage import StorageUnavailable, backup_database

    try:
        report = asyncio.run(backup_database(database, target))
    except FileNotFoundError:
        print(f"پایگاه داده {database} وجود ندارد (BOT_DATABASE یا --database).", file=sys.stderr)
        return 2
    except (ValueError, NotImplementedError, StorageUnavailable) as exc:
        print(f"پشتیبان گرفته نشد: {exc}", file=sys.stderr)
        return 2
    rows = ", ".join(f"{table} {count}" for table, count in report.rows.items())
    print(f"{'✔' if report.ok else '✘'} {report.path}: {report.size:,} bytes, schema {report.schema_version}, "
          f"integrity {report.integrity}")
    print(f"  rows: {rows}")
    return 0 if report.ok else 1


def cmd_healthcheck(url: str | None, listen: str | None) -> int:
    """`python -m bot healthcheck`: GET /healthz of the running bot; exit status 0 when it answers 200 (what
    the Docker HEALTHCHECK runs: the slim image has no curl)."""
    import urllib.error
    import urllib.request

    from bot.settings import host_port

    if url is None:
        if not listen:
            print("BOT_METRICS_LISTEN تنظیم نشده است: /healthz در دسترس نیست.", file=sys.stderr)
            return 2
        host, port = host_port(listen)
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        url = f"http://{f'[{host}]' if ':' in host else host}:{port}/healthz"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through HTTP_PROXY
    try:
        with opener.open(url, timeout=10) as answer:
            print(answer.read().decode("utf-8", "replace"))
            return 0
    except urllib.error.HTTPError as exc:
        print(exc.read().decode("utf-8", "replace"))
        return 1
    except OSError as exc:
        print(f"/healthz پاسخ نداد: {exc}", file=sys.stderr)
        return 1

async def cmd_migrate_db(source: str, target: str, batch: int = 1000) -> int:
    """Copies every table of a SQLite database to PostgreSQL and prints counts and checksums per table; 0
    when every table matches, 1 when one does not, 2 when a database cannot be used. Run it again to resume."""
    from storage import StorageUnavailable, copy_database

    try:
        reports, missing = await copy_database(source, target, batch=batch)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    except StorageUnavailable as exc:
        print(f"پایگاه داده در دسترس نیست: {exc}", file=sys.stderr)
        return 2
    print(f"{'table':<16} {'sqlite':>9} {'copied':>9} {'postgres':>9}  {'sqlite sum':<16}  {'postgres sum':<16}")
    for r in reports:
        mark = "ok" if r.matches else "MISMATCH"
        print(f"{r.table:<16} {r.source_rows:>9} {r.copied:>9} {r.target_rows:>9}  {r.source_checksum:<16}  "
              f"{r.target_checksum:<16}  {mark}")
    for table in missing:
        print(f"{table:<16} not copied: PostgreSQL has no such table (a newer migration is missing)")
    return 0 if all(r.matches for r in reports) and not missing else 1


def cmd_validate(directory: Path) -> int:
    """Reports every problem of every knowledge file as `file: field: message`."""
    from bot.knowledge import check_knowledge
    from bot.sanitize import printable

    knowledge, problems = check_knowledge(directory)
    for problem in problems:
        print(printable(str(problem)))  # a file's text quoted in a message must not drive the terminal
    if problems:
        print(f"\n{len(problems)} مشکل پیدا شد؛ دانش بارگذاری نمی‌شود.", file=sys.stderr)
        return 1
    assert knowledge is not None
    elsewhere = f"، {len(knowledge.elsewhere)} خدمت دستگاه‌های دیگر" if knowledge.elsewhere else ""
    print(f"✔ {len(knowledge.services)} خدمت{elsewhere} و واژگان بدون مشکل بررسی شد ({directory}).")
    return 0


def cmd_import_card(files: list[Path], out: Path, knowledge_dir: Path) -> int:
    """Writes one draft per card (a .docx form or a .txt text), checks each with the knowledge model, and
    prints what was found and what a person must check. Non-zero exit when a file cannot be read or a draft
    would not validate."""
    from rapidfuzz import fuzz

    from bot.importer import draft_yaml, import_file, key
    from bot.knowledge import parse_service

    existing: list[tuple[str, str, str]] = []  # (id, title key, file)
    services_dir = Path(knowledge_dir) / "services"
    for path in sorted(services_dir.glob("*.yaml")) if services_dir.is_dir() else []:
        service, _ = parse_service(path.read_text(encoding="utf-8", errors="replace"), str(path))
        if service is not None:
            existing.append((service.id, key(service.title), str(path)))

    def same_service(service_id: str, title: str) -> str | None:
        """The knowledge file of the same service: same id, or a title that differs only by extraction glitches."""
        title_key = key(title)
        return next((f for i, t, f in existing if i == service_id or fuzz.ratio(t, title_key) >= 90), None)

    status = 0
    rows: list[tuple[str, str, int, int, int]] = []
    written: set[str] = set()
    for path in files:
        try:
            draft = import_file(path.name, path.read_bytes())
        except OSError as exc:
            print(f"✘ {path}: خوانده نشد ({exc})", file=sys.stderr)
            status = 1
            continue
        except ValueError as exc:  # not a card file we read (the message says which are)
            print(f"✘ {path}: {exc}", file=sys.stderr)
            status = 1
            continue
        content = draft_yaml(draft)
        target = out / f"{draft.data['id']}.yaml"
        _, problems = parse_service(content, str(target))
        if problems:
            for problem in problems:
                print(f"✘ {problem}", file=sys.stderr)
            status = 1
            continue
        if str(target) in written:
            print(f"⚠ {path}: شناسه {draft.data['id']} در این اجرا تکراری است؛ پیش‌نویس قبلی بازنویسی شد.", file=sys.stderr)
        out.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        written.add(str(target))
        _print_card_report(path, target, draft, same_service(draft.data["id"], draft.data["title"]))
        rows.append((path.name, draft.data["id"], len(draft.fields_found), len(draft.fields_flagged), len(draft.review)))
    if rows:
        width = max(len(r[0]) for r in rows)
        print(f"\n{'card'.ljust(width)}  {'id'.ljust(16)}  found  flagged  review")
        for name, sid, found, flagged, notes in rows:
            print(f"{name.ljust(width)}  {sid.ljust(16)}  {found:5}  {flagged:7}  {notes:6}")
    return status


def _print_card_report(path: Path, target: Path, draft, same: str | None) -> None:
    print(f"\n■ {path.name} → {target}" + ("  (متن راست‌به‌چپِ به‌هم‌ریخته)" if draft.scrambled else ""))
    if same:
        print(f"  همین خدمت در دانش هست: {same} (پیش‌نویس را با آن مقایسه کنید)")
    print(f"  fields found ({len(draft.fields_found)}): {', '.join(draft.fields_found)}")
    print(f"  fields flagged ({len(draft.fields_flagged)}): {', '.join(draft.fields_flagged) or '—'}")
    for note in draft.review:
        print(f"    - {note['field']}: {note['reason']}")
        if note.get("raw"):
            print(f"        raw: {note['raw']}")


def cmd_search(args: argparse.Namespace, directory: Path) -> int:
    from bot.answers import respond
    from bot.editor.publish import understanding_summary
    from bot.knowledge import KnowledgeError, load_knowledge
    from bot.reply import render_plain
    from bot.search import SearchEngine

    try:
        knowledge = load_knowledge(directory)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 2
    engine = SearchEngine(knowledge)
    if args.command == "ask":
        u = engine.understand(" ".join(args.query), current_service=args.service)
        reply = respond(u)
        print(render_plain(reply.text))
        for row in reply.buttons:
            print("  ".join(f"[{b.label}]" for b in row))
        return 0
    for query in args.query:
        u = engine.understand(query)
        if args.json:
            print(json.dumps(understanding_summary(query, u), ensure_ascii=False))
            continue
        print(f"«{query}»  →  {_describe(u)}")
        extra = {"زبان": u.language if u.language != "fa" else None, "پرسش‌ها": "+".join(u.intents) or None,
                 "عدد": u.number_kind, "دستگاه": u.agency, "جای دیگر": u.elsewhere.title if u.elsewhere else None}
        if any(extra.values()):
            print("    " + "  ".join(f"{k}: {v}" for k, v in extra.items() if v))
        for c in u.decision.candidates:
            print(f"    {c.score:.3f}  (پوشش {c.coverage:.2f})  {c.service.id}  {c.service.title}")
            if c.why:
                print(f"           {c.why}")
    return 0


def _describe(u) -> str:
    intent = f"پرسش: {u.intent}" if u.intent else "پرسش: —"
    if u.decision.kind == "match":
        return f"یافت شد: {u.decision.match.title}  ({intent})"
    if u.decision.kind == "choice":
        return f"چند گزینه نزدیک ({intent})"
    if u.decision.kind == "empty":
        return f"نام خدمتی در پرسش نیست ({intent})"
    return f"پیدا نشد ({intent})"
