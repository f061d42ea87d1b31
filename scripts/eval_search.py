"""Search quality on the development sample, with the wider catalogue loaded; prints a table.

Usage: python scripts/eval_search.py [--queries TSV] [--others TSV] [--knowledge DIR] [-v]
Intents outside the sample's vocabulary (register, greeting, ...) count as «-».
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.catalog import minimal_cards, read_tsv, widen  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.search import SearchEngine  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
EVAL_INTENTS = {"documents", "cost", "duration", "website", "steps", "provider", "laws", "audience"}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=Path, default=SHARED / "queries-dev.tsv")
    ap.add_argument("--others", type=Path, default=SHARED / "other-services-dev.tsv")
    ap.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    base = load_knowledge(args.knowledge)
    seed_ids = {s.id for s in base.services}
    knowledge = widen(base, minimal_cards(read_tsv(args.others)))
    engine = SearchEngine(knowledge)
    titles = [s.title for s in knowledge.services]

    rows = read_tsv(args.queries)
    stats = {"in": 0, "in_ok": 0, "out": 0, "out_bad": 0, "intent": 0, "intent_ok": 0, "base_in_ok": 0,
             "base_out_bad": 0}
    for row in rows:
        query, expect, intent = row[0], row[1].strip(), (row[2].strip() if len(row) > 2 else "-")
        u = engine.understand(query)
        got = u.decision.match
        got_intent = u.intent if u.intent in EVAL_INTENTS else "-"
        base_title = process.extractOne(query, titles, scorer=fuzz.WRatio, processor=utils.default_process)[0]
        base_service = knowledge.services[titles.index(base_title)]
        if expect == "NONE":
            stats["out"] += 1
            bad = got is not None and got.id in seed_ids
            stats["out_bad"] += bad
            stats["base_out_bad"] += base_service.id in seed_ids
            ok = not bad
        else:
            stats["in"] += 1
            ok = got is not None and expect in got.title
            stats["in_ok"] += ok
            stats["base_in_ok"] += expect in base_title
        stats["intent"] += 1
        stats["intent_ok"] += got_intent == intent
        if args.verbose or not ok or got_intent != intent:
            mark = "ok " if ok and got_intent == intent else "XX "
            cands = ", ".join(f"{c.service.title[:25]}={c.score:.2f}/{c.coverage:.2f}" for c in u.decision.candidates[:3])
            print(f"{mark}{query!r:45} → {u.decision.kind:6} {got.title[:30] if got else None!r:34} "
                  f"intent={got_intent:9} (want {expect}, {intent}) [{cands}]")

    def pct(a: int, b: int) -> str:
        return f"{100 * a / b:5.1f}%" if b else "  n/a"

    print()
    print(f"{'measure':38} {'bot':>8} {'baseline':>9} {'target':>8}")
    print(f"{'top-1 right (in-scope, n=' + str(stats['in']) + ')':38} {pct(stats['in_ok'], stats['in']):>8} "
          f"{pct(stats['base_in_ok'], stats['in']):>9} {'>= 95%':>8}")
    print(f"{'out-of-scope matched to a seed (n=' + str(stats['out']) + ')':38} {pct(stats['out_bad'], stats['out']):>8} "
          f"{pct(stats['base_out_bad'], stats['out']):>9} {'<= 5%':>8}")
    print(f"{'question type right (n=' + str(stats['intent']) + ')':38} {pct(stats['intent_ok'], stats['intent']):>8} "
          f"{'':>9} {'>= 95%':>8}")
    print(f"catalogue: {len(knowledge.services)} services ({len(seed_ids)} curated)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
