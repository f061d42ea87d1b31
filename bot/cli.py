"""`python -m bot COMMAND`: the bot, the sandbox chat, and the tools of admins and staff.

Every command accepts `--knowledge DIR`; settings otherwise come from the environment or `.env`.
"""

from __future__ import annotations

import argparse
import json
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
    p.add_argument("--database", type=Path, default=None, help="SQLite file (default: BOT_DATABASE)")

    p = sub.add_parser("chat", help="local sandbox chat in the terminal, no token needed")
    _knowledge_arg(p)
    p.add_argument("--database", type=Path, default=None, help="SQLite file (default: BOT_DATABASE)")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings(knowledge_dir=getattr(args, "knowledge", None), database=getattr(args, "database", None))
    if args.command == "validate":
        return cmd_validate(settings.knowledge_dir)
    if args.command in ("search", "ask"):
        return cmd_search(args, settings.knowledge_dir)
    if args.command == "chat":
        from bot.sandbox import run_sandbox

        return run_sandbox(settings if args.platform is None else settings.model_copy(update={"platform": args.platform}))
    if args.command == "run":
        if not settings.token:
            print("BOT_TOKEN تنظیم نشده است؛ گفت‌وگوی آزمایشی محلی (sandbox) اجرا می‌شود.", file=sys.stderr)
            from bot.sandbox import run_sandbox

            return run_sandbox(settings)
        from bot.app import run_polling

        return run_polling(settings)
    raise AssertionError(args.command)


def cmd_validate(directory: Path) -> int:
    """Reports every problem of every knowledge file as `file: field: message`."""
    from bot.knowledge import check_knowledge

    knowledge, problems = check_knowledge(directory)
    for problem in problems:
        print(problem)
    if problems:
        print(f"\n{len(problems)} مشکل پیدا شد؛ دانش بارگذاری نمی‌شود.", file=sys.stderr)
        return 1
    assert knowledge is not None
    print(f"✔ {len(knowledge.services)} خدمت و واژگان بدون مشکل بررسی شد ({directory}).")
    return 0


def cmd_search(args: argparse.Namespace, directory: Path) -> int:
    from bot.answers import respond
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
        match = u.decision.match
        if args.json:
            print(json.dumps({
                "query": query,
                "normalized": u.normalized,
                "intent": u.intent or "-",
                "match": {"id": match.id, "title": match.title} if match else None,
                "candidates": [
                    {"id": c.service.id, "title": c.service.title, "score": c.score}
                    for c in u.decision.candidates
                ],
            }, ensure_ascii=False))
            continue
        print(f"«{query}»  →  {_describe(u)}")
        for c in u.decision.candidates:
            print(f"    {c.score:.3f}  (پوشش {c.coverage:.2f})  {c.service.id}  {c.service.title}")
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
