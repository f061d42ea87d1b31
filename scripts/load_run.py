"""Load run: `python -m bot run` against a Bot API server on 127.0.0.1 that plays many citizens at once, on
SQLite and then on PostgreSQL, then the same harness against a bare python-telegram-bot echo bot (the ceiling
of the stack).

Each simulated citizen waits for the bot's answer, thinks a moment, and goes on: searches, questions
about the service in view, button taps and a full registration with a real-looking national code.
Printed and written to docs/load-report.md: updates/s, reply latency p50/p99, errors, peak memory, every
registration stored, and the ratio to the echo bot.

PostgreSQL: `--postgres auto` (the default) starts a throwaway server as the tests do
(tests/support/postgres.py; skipped, and said so, without the server binaries), `--postgres URL` uses an
existing server (a fresh database is created on it and dropped afterwards), `--postgres off` leaves it out.

Usage: python scripts/load_run.py [--users 500] [--updates 20000] [--think 0.2 0.5] [--seed 1] [--postgres auto]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support import postgres  # noqa: E402
from tests.support.identity import random_national_code  # noqa: E402
from tests.support.process import BOT_RUN, bot_process  # noqa: E402

TOKEN = "4242:LOADTEST"

SEARCHES = [
    "وام کارا", "طرح کارا چه مدارکی میخواد", "فنی حرفه ای", "هزینه دوره مهارتی چقدره", "سمینار خودکفایی امداد",
    "خوشه کسب و کار", "آموزش شهرداران", "صدور گذرنامه", "ثبت نام دوره فنی و حرفه ای", "کمیته امداد کارآفرینی",
    "معرفی نامه کارا چقدر طول میکشه", "آدرس سایت کارا", "یارانه", "شناسایی خوشه های کسب و کار", "سلام",
]
FOLLOW_UPS = ["هزینه‌اش چقدره؟", "مدارکش چیه", "چقدر طول میکشه", "سایتش چیه", "مراحلش چیه"]
CONFIRMED = "ثبت‌نام شما در"  # the start of the confirmation that carries the tracking code
DEFAULT_FORM_SERVICES = ["13011031101", "13012712105", "business-clusters"]


# ----------------------------------------------------------------------------------------- the server


@dataclass
class Chat:
    waiter: asyncio.Future | None = None
    sent_at: float = 0.0
    last_buttons: list[str] = field(default_factory=list)
    last_message_id: int = 0
    next_id: int = 1
    texts: list[str] = field(default_factory=list)


class LoadServer:
    """A lean Bot API: long-polled updates, and every message the bot sends timed against the update
    that caused it. No deep copies or checks beyond what the run needs, so the server is not the limit."""

    def __init__(self) -> None:
        self.updates: list[dict] = []
        self.next_update = 1
        self.event = asyncio.Event()
        self.chats: dict[int, Chat] = {}
        self.latencies: list[float] = []
        self.errors = 0
        self.calls = 0
        self.query_id = 0
        self.tapped: dict[str, int] = {}  # callback query id -> the citizen who tapped

    def chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = Chat()
        return chat

    def push(self, kind: str, payload: dict) -> None:
        self.updates.append({"update_id": self.next_update, kind: payload})
        self.next_update += 1
        self.event.set()

    def user(self, uid: int) -> dict:
        return {"id": uid, "is_bot": False, "first_name": "شهروند"}

    def send_text(self, uid: int, text: str) -> asyncio.Future:
        chat = self.chat(uid)
        chat.waiter = asyncio.get_running_loop().create_future()
        chat.sent_at = time.perf_counter()
        msg = {"message_id": 10_000_000 + self.next_update, "from": self.user(uid),
               "chat": {"id": uid, "type": "private", "first_name": "شهروند"}, "date": int(time.time()), "text": text}
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self.push("message", msg)
        return chat.waiter

    def tap(self, uid: int, data: str) -> asyncio.Future:
        chat = self.chat(uid)
        chat.waiter = asyncio.get_running_loop().create_future()
        chat.sent_at = time.perf_counter()
        self.query_id += 1
        self.tapped[str(self.query_id)] = uid
        message = {"message_id": chat.last_message_id or 1, "from": {"id": 4242, "is_bot": True, "first_name": "bot"},
                   "chat": {"id": uid, "type": "private", "first_name": "شهروند"}, "date": int(time.time()), "text": "…"}
        self.push("callback_query", {"id": str(self.query_id), "from": self.user(uid), "chat_instance": str(uid),
                                     "message": message, "data": data})
        return chat.waiter

    def bot_message(self, chat_id: int, text: str, markup: dict | None) -> dict:
        chat = self.chat(chat_id)
        chat.next_id += 1
        chat.last_message_id = chat.next_id
        chat.texts.append(text)
        if markup and "inline_keyboard" in markup:
            chat.last_buttons = [b.get("callback_data") for row in markup["inline_keyboard"] for b in row
                                 if b.get("callback_data")]
        if chat.waiter is not None and not chat.waiter.done():
            self.latencies.append(time.perf_counter() - chat.sent_at)
            chat.waiter.set_result(text)
        return {"message_id": chat.next_id, "from": {"id": 4242, "is_bot": True, "first_name": "bot"},
                "chat": {"id": chat_id, "type": "private"}, "date": int(time.time()), "text": text}

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        for key in ("reply_markup", "allowed_updates", "commands"):
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        result: object = True
        if method == "getMe":
            result = {"id": 4242, "is_bot": True, "first_name": "bot", "username": "load_bot"}
        elif method == "getUpdates":
            offset = int(params.get("offset") or 0)
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            timeout = float(params.get("timeout") or 0)
            if not self.updates and timeout:
                self.event.clear()
                try:
                    await asyncio.wait_for(self.event.wait(), timeout)
                except TimeoutError:
                    pass
            result = self.updates[: int(params.get("limit") or 100)]
        elif method == "answerCallbackQuery":
            # A tap answered with a passing note only (a vote's thanks) is answered all the same.
            uid = self.tapped.pop(str(params.get("callback_query_id")), None)
            chat = self.chats.get(uid) if uid is not None else None
            if params.get("text") and chat is not None and chat.waiter is not None and not chat.waiter.done():
                self.latencies.append(time.perf_counter() - chat.sent_at)
                chat.waiter.set_result(str(params["text"]))
        elif method in ("sendMessage", "editMessageText"):
            text = str(params.get("text", ""))
            if len(text) > 4096:
                self.errors += 1
                return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: message is too long"},
                                         status=400)
            result = self.bot_message(int(params["chat_id"]), text, params.get("reply_markup"))
        return web.json_response({"ok": True, "result": result})


# ------------------------------------------------------------------------------------------ the citizens


async def citizen(server: LoadServer, uid: int, quota: int, rng: random.Random, think: tuple[float, float],
                  timeout: float, stats: dict) -> None:
    """One person: searches and questions, taps, and one registration; waits for each answer."""
    sent = 0
    registered = False

    async def step(fut: asyncio.Future) -> str | None:
        nonlocal sent
        sent += 1
        stats["sent"] += 1
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            stats["timeouts"] += 1
            return None
        finally:
            await asyncio.sleep(rng.uniform(*think))

    await step(server.send_text(uid, "/start"))
    while sent < quota:
        if not registered and quota - sent >= 7 and rng.random() < 0.35:
            registered = True
            sid = rng.choice(DEFAULT_FORM_SERVICES)
            code = random_national_code(rng)
            mobile = "0912" + "".join(str(rng.randrange(10)) for _ in range(7))
            answers = ["مریم احمدی", code, mobile, "تهران"]
            if await step(server.tap(uid, f"r:{sid}")) is None:
                continue
            for text in answers:
                await step(server.send_text(uid, text))
            # Under load an answer may come after the citizen's next message: wait for the summary's button.
            deadline = time.perf_counter() + timeout
            while not any(b.startswith("f:ok") for b in server.chat(uid).last_buttons) and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            confirm = next((b for b in server.chat(uid).last_buttons if b.startswith("f:ok")), "f:ok")
            await step(server.tap(uid, confirm))
            stats["registrations"] += 1
            stats["registrants"].append(uid)
            continue
        roll = rng.random()
        chat = server.chat(uid)
        if roll < 0.45:
            await step(server.send_text(uid, rng.choice(SEARCHES)))
        elif roll < 0.7:
            await step(server.send_text(uid, rng.choice(FOLLOW_UPS)))
        elif chat.last_buttons:
            await step(server.tap(uid, rng.choice(chat.last_buttons)))
        else:
            await step(server.send_text(uid, rng.choice(SEARCHES)))


# ---------------------------------------------------------------------------------------------- a run


def _peak_memory_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


async def run(label: str, command: list[str], database: Path | str | None, log_level: str, users: int, updates: int,
              think: tuple[float, float], seed: int, timeout: float) -> dict:
    server = LoadServer()
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_route("*", "/bot{token}/{method}", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    log_path = Path(tempfile.mkstemp(prefix=f"load-{label}-", suffix=".log")[1])
    try:
        # The server here limits nothing: sending unpaced measures the bot, not Telegram's 30 messages a second.
        env = {"BOT_SEND_RATE": "0"}
        if isinstance(database, str):  # a PostgreSQL URL
            env["BOT_DATABASE"], database = database, None
        async with bot_process(f"http://127.0.0.1:{port}", database, log_path, token=TOKEN, log_level=log_level,
                               command=command, env=env) as proc:
            try:
                # The bot is up once it answers a first /start.
                warm = server.send_text(1, "/start")
                await asyncio.wait_for(warm, 60)
                server.latencies.clear()
                rng = random.Random(seed)
                stats = {"sent": 0, "timeouts": 0, "registrations": 0, "registrants": []}
                per_user = max(1, updates // users)
                started = time.perf_counter()
                await asyncio.gather(*(
                    citizen(server, 10_000 + i, per_user, random.Random(rng.random()), think, timeout, stats)
                    for i in range(users)
                ))
                elapsed = time.perf_counter() - started
                peak = _peak_memory_mb(proc.pid)
                await asyncio.sleep(2)  # the last answers still on their way
                # A confirmation may arrive after the citizen's next message under load: look at the whole chat.
                confirmed = sum(any(CONFIRMED in t for t in server.chat(uid).texts) for uid in stats["registrants"])
            finally:
                try:  # the server keeps answering while the bot shuts down (it confirms the last updates)
                    code = await proc.terminate(within=30)
                except TimeoutError:
                    code = -9
    finally:
        await runner.cleanup()
    log_text = log_path.read_text(errors="replace")
    lat = sorted(server.latencies) or [float("nan")]
    return {
        "label": label, "updates": stats["sent"], "seconds": elapsed, "rate": stats["sent"] / elapsed,
        "p50": lat[len(lat) // 2] * 1000, "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
        "mean": statistics.fmean(lat) * 1000, "timeouts": stats["timeouts"], "api_errors": server.errors,
        "log_errors": log_text.count(" ERROR ") + log_text.count("Traceback"), "peak_mb": peak,
        "error_kinds": Counter(re.findall(r"^\w+(?:Error|Exception): .*$", log_text, flags=re.MULTILINE)),
        "registrations": stats["registrations"], "confirmed": confirmed, "exit": code, "log": str(log_path),
    }


async def check_database(db_path: Path) -> tuple[int, int, str]:
    """Requests stored, distinct tracking codes, and SQLite's own integrity verdict, after the run."""
    from storage.sqlite import SqliteStore

    async with await SqliteStore.open(db_path) as db:
        stored = (await db.fetchone("SELECT COUNT(*) FROM requests"))[0]
        distinct = (await db.fetchone("SELECT COUNT(DISTINCT tracking_code) FROM requests"))[0]
        integrity = await db.pragma("integrity_check")
    return stored, distinct, f"`PRAGMA integrity_check`: {integrity}"


async def check_postgres(url: str) -> tuple[int, int, str]:
    """Requests stored, distinct tracking codes, and updates left undone in the inbox, after the run."""
    from storage.postgres import PostgresStore

    async with await PostgresStore.open(url) as db:
        stored = await db.fetchval("SELECT COUNT(*) FROM requests")
        distinct = await db.fetchval("SELECT COUNT(DISTINCT tracking_code) FROM requests")
        undone = await db.fetchval("SELECT COUNT(*) FROM inbox WHERE done_at IS NULL")
    return stored, distinct, f"{undone} updates left undone in the inbox"


@contextlib.contextmanager
def postgres_database(choice: str):
    """A fresh, empty PostgreSQL database for the run (its URL), or None with the reason it is left out."""
    if choice == "off":
        yield None, "left out (--postgres off)"
        return
    if choice == "auto":
        bin_dir = postgres.server_binaries()
        if bin_dir is None:
            yield None, "left out: " + postgres.SKIP_REASON
            return
        with postgres.temporary_server(bin_dir) as server, _database_on(server) as url:
            yield url, f"a throwaway PostgreSQL {bin_dir.parent.name} server on 127.0.0.1 (fsync off)"
        return
    with _database_on(choice) as url:
        yield url, "the PostgreSQL server given with --postgres"


@contextlib.contextmanager
def _database_on(server_url: str):
    """A database created for the run on the server at `server_url` (its URL), dropped afterwards."""
    import asyncpg

    name = f"loadrun_{os.getpid()}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f"CREATE DATABASE {name}"))
    try:
        yield postgres.database_url(server_url, name)
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=500)
    ap.add_argument("--updates", type=int, default=20_000)
    ap.add_argument("--think", type=float, nargs=2, default=(0.2, 0.5), help="seconds a citizen waits between messages")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for an answer before counting an error")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--report", type=Path, default=ROOT / "docs" / "load-report.md")
    ap.add_argument("--postgres", default="auto", help="auto (a throwaway server), off, or a server's URL")
    ap.add_argument("--note", default="", help="a sentence for the report (e.g. that the machine was shared)")
    args = ap.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="loadrun-"))
    print(f"work folder: {workdir}", file=sys.stderr)
    db_path = workdir / "bot.db"
    profile = ["-m", "cProfile", "-o", str(workdir / "bot.prof")] if os.environ.get("LOAD_PROFILE") else []
    command = [BOT_RUN[0], *profile, *BOT_RUN[1:]]
    load = (args.users, args.updates, tuple(args.think), args.seed, args.timeout)
    ours = asyncio.run(run("bot", command, db_path, "WARNING", *load))
    checks = {"sqlite": (*asyncio.run(check_database(db_path)), ours)}
    with postgres_database(args.postgres) as (pg_url, pg_how):
        if pg_url is not None:
            pg = asyncio.run(run("bot-pg", [*BOT_RUN], pg_url, "WARNING", *load))
            checks["postgres"] = (*asyncio.run(check_postgres(pg_url)), pg)
    echo = asyncio.run(run("echo", [sys.executable, str(ROOT / "scripts" / "echo_bot.py")], None, "WARNING", *load))
    ratio = ours["rate"] / echo["rate"] if echo["rate"] else float("nan")

    runs = [ours, *([checks["postgres"][3]] if "postgres" in checks else []), echo]
    names = ["bot (SQLite)", *(["bot (PostgreSQL)"] if "postgres" in checks else []), "echo bot"]
    rows = [("", *names), ("---", *["---:"] * len(names))]
    for key, name, fmt in [
        ("updates", "updates sent", "{:.0f}"), ("seconds", "duration (s)", "{:.1f}"), ("rate", "updates/s", "{:.0f}"),
        ("p50", "reply latency p50 (ms)", "{:.1f}"), ("p99", "reply latency p99 (ms)", "{:.1f}"),
        ("timeouts", "updates without answer", "{:.0f}"), ("api_errors", "Bot API errors", "{:.0f}"),
        ("log_errors", "errors in the bot's log", "{:.0f}"), ("peak_mb", "peak memory (MB, VmHWM)", "{:.0f}"),
    ]:
        rows.append((name, *(fmt.format(r[key]) for r in runs)))
    table = "\n".join("| " + " | ".join(row) + " |" for row in rows)

    def clean(r: dict) -> bool:
        return r["timeouts"] == 0 and r["log_errors"] == 0 and r["api_errors"] == 0

    def stored_all(backend: str) -> bool:
        stored, distinct, _, r = checks[backend]
        return stored == distinct == r["confirmed"]

    met = ratio >= 0.5 and all(clean(c[3]) and stored_all(b) for b, c in checks.items())
    verdict = "met" if met else "NOT met"
    lines = []
    for backend, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        if backend in checks:
            stored, distinct, verdict_db, r = checks[backend]
            lines.append(f"- Registrations on {label}: {r['registrations']} completed forms, {r['confirmed']} "
                         f"confirmations with a tracking code, {stored} rows stored, {distinct} distinct tracking "
                         f"codes; {verdict_db}.")
    for r, name in zip(runs, names, strict=True):
        for kind, count in r["error_kinds"].most_common(3):
            lines.append(f"- In the log of the {name}: {count} × `{kind}`.")
    if "postgres" in checks:
        pg = checks["postgres"][3]
        lines.append(f"- PostgreSQL ({pg_how}): {pg['rate'] / ours['rate']:.0%} of SQLite's throughput, reply "
                     f"latency p50 {pg['p50']:.0f} ms against {ours['p50']:.0f} ms.")
    else:
        lines.append(f"- PostgreSQL: {pg_how}.")
    note = f"\n{args.note}\n" if args.note else ""
    text = f"""# Load run

Run on {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}:
{args.users} simulated citizens, about {args.updates} updates, think time {args.think[0]}–{args.think[1]} s between
an answer and the next message. The bot ran as `python -m bot run` against a Bot API server on 127.0.0.1
(`scripts/load_run.py`), first on SQLite, then on PostgreSQL (one instance, same harness and seed); the same
harness then drove a bare python-telegram-bot echo bot (`scripts/echo_bot.py`, same transport and
concurrency, no work) as the ceiling of the stack. The bot process, the database server and the harness
share the machine's CPUs.
{note}
{table}

- Throughput ratio bot (SQLite) / echo bot: **{ratio:.0%}** (target ≥ 50%).
{chr(10).join(lines)}
- Targets (≥ 50% of the echo bot, zero errors, every registration stored on each backend): **{verdict}**.

Reproduce: `make load` (or `.venv/bin/python scripts/load_run.py --users {args.users} --updates {args.updates}`;
`--postgres off` for SQLite alone, `--postgres postgresql://...` for a server of your own).
"""
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text, encoding="utf-8")
    print(text)
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    raise SystemExit(main())
