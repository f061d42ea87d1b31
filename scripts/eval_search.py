"""Search quality on the evaluation samples; prints a table per sample.

Two kinds of sample:

* citizen samples (`--citizen TSV`: query, expected service id or NONE, expected question type or `-`, `a+b`
  for two questions, category): realistic messages of nine kinds. Measured on the shipped catalogue (what
  the bot serves): first-try top-1 per category (the bot answers about the right service without asking),
  in-scope overall, out-of-scope messages matched to a catalogue service, and question types (the whole
  ordered list of questions asked: `-` means none, `a+b` means both, in that order). A last line repeats
  in-scope and false matches with the other services of other-services-dev.tsv loaded as well.
* the older samples (`--queries TSV`: query, a distinctive part of the expected title or NONE, intent), on
  the catalogue widened with other real services, against a rapidfuzz baseline, as before.

Usage: python scripts/eval_search.py [--citizen TSV | --queries TSV] [--others TSV] [--knowledge DIR] [-v]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.catalog import minimal_cards, read_tsv, widen  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.search import SearchEngine  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
EVAL_INTENTS = {"documents", "cost", "duration", "website", "steps", "provider", "laws", "audience"}
CATEGORIES = ("need-phrased", "finglish", "english", "colloquial-typos", "multi-question", "out-of-scope",
              "long-rambling", "agency-name-only", "numbers-and-codes")


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}%" if b else "  n/a"


def evaluate_citizen(path: Path, others: Path, knowledge_dir: Path, verbose: bool) -> int:
    """The citizen sample: top-1 per category, false matches, question types."""
    base = load_knowledge(knowledge_dir)
    seed_ids = {s.id for s in base.services}
    engine = SearchEngine(base)
    wide = SearchEngine(widen(base, minimal_cards(read_tsv(others)))) if others.exists() else None
    rows = [r for r in read_tsv(path) if r and r[0] != "query"]
    per_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # in-scope right, in-scope total
    st = defaultdict(int)
    for row in rows:
        query, expect, want_intents, category = ([*row, "", "", "", ""])[:4]
        expect, category = expect.strip(), category.strip()
        want = [] if want_intents.strip() in ("", "-") else want_intents.strip().split("+")
        u = engine.understand(query)
        got = u.decision.match
        got_intents = list(u.intents)
        intent_ok = got_intents == want and (len(want) != 1 or u.intent == want[0])
        st["intent"] += 1
        st["intent_ok"] += intent_ok
        if len(want) > 1:
            st["multi"] += 1
            st["multi_ok"] += intent_ok
        if expect == "NONE":
            st["out"] += 1
            bad = got is not None and got.id in seed_ids
            st["out_bad"] += bad
            ok = not bad
        else:
            st["in"] += 1
            ok = got is not None and got.id == expect
            st["in_ok"] += ok
            per_cat[category][0] += ok
            per_cat[category][1] += 1
        if wide is not None:
            wm = wide.understand(query).decision.match
            if expect == "NONE":
                st["w_out_bad"] += wm is not None and wm.id in seed_ids
            else:
                st["w_in_ok"] += wm is not None and wm.id == expect
        if verbose or not ok or not intent_ok:
            mark = "ok " if ok and intent_ok else "XX "
            cands = ", ".join(f"{c.service.id[:14]}={c.score:.2f}/{c.coverage:.2f}" for c in u.decision.candidates[:3])
            extra = "".join(f" {k}={v}" for k, v in (("lang", u.language), ("agency", u.agency),
                                                      ("number", u.number_kind),
                                                      ("elsewhere", u.elsewhere.title if u.elsewhere else None))
                            if v and v != "fa")
            print(f"{mark}[{category[:8]}] {query[:60]!r:62} → {u.decision.kind:6} {got.id if got else None!s:20} "
                  f"intents={'+'.join(got_intents) or '-':18} (want {expect}, {'+'.join(want) or '-'}){extra} [{cands}]")
    print()
    print(f"{path.name}: {len(rows)} messages, shipped catalogue ({len(seed_ids)} services)")
    print(f"{'category':22} {'top-1':>14}")
    for cat in [*CATEGORIES, *sorted(set(per_cat) - set(CATEGORIES))]:
        if cat in per_cat:
            a, b = per_cat[cat]
            print(f"{cat:22} {a:>3}/{b:<3} {pct(a, b):>7}")
    worst = min((a / b for a, b in per_cat.values() if b), default=1.0)
    print(f"{'measure':44} {'bot':>8} {'target':>8}")
    print(f"{'in-scope first-try top-1 (n=' + str(st['in']) + ')':44} {pct(st['in_ok'], st['in']):>8} {'>= 90%':>8}")
    print(f"{'lowest category':44} {100 * worst:7.1f}% {'>= 70%':>8}")
    print(f"{'out-of-scope matched to a service (n=' + str(st['out']) + ')':44} {pct(st['out_bad'], st['out']):>8} "
          f"{'<= 5%':>8}")
    print(f"{'question types right (n=' + str(st['intent']) + ')':44} {pct(st['intent_ok'], st['intent']):>8} "
          f"{'>= 90%':>8}")
    print(f"{'  of which two-question rows (n=' + str(st['multi']) + ')':44} {pct(st['multi_ok'], st['multi']):>8}")
    if wide is not None:
        print(f"{'with other services loaded: in-scope top-1':44} {pct(st['w_in_ok'], st['in']):>8}")
        print(f"{'with other services loaded: false matches':44} {pct(st['w_out_bad'], st['out']):>8}")
    return 0


def evaluate_queries(path: Path, others: Path, knowledge_dir: Path, verbose: bool) -> int:
    """The older samples: a distinctive part of the title, on the widened catalogue, against a baseline."""
    base = load_knowledge(knowledge_dir)
    seed_ids = {s.id for s in base.services}
    knowledge = widen(base, minimal_cards(read_tsv(others)))
    engine = SearchEngine(knowledge)
    titles = [s.title for s in knowledge.services]

    rows = read_tsv(path)
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
        if verbose or not ok or got_intent != intent:
            mark = "ok " if ok and got_intent == intent else "XX "
            cands = ", ".join(f"{c.service.title[:25]}={c.score:.2f}/{c.coverage:.2f}" for c in u.decision.candidates[:3])
            print(f"{mark}{query!r:45} → {u.decision.kind:6} {got.title[:30] if got else None!r:34} "
                  f"intent={got_intent:9} (want {expect}, {intent}) [{cands}]")

    print()
    print(f"{path.name}")
    print(f"{'measure':38} {'bot':>8} {'baseline':>9} {'target':>8}")
    print(f"{'top-1 right (in-scope, n=' + str(stats['in']) + ')':38} {pct(stats['in_ok'], stats['in']):>8} "
          f"{pct(stats['base_in_ok'], stats['in']):>9} {'>= 95%':>8}")
    print(f"{'out-of-scope matched to a seed (n=' + str(stats['out']) + ')':38} {pct(stats['out_bad'], stats['out']):>8} "
          f"{pct(stats['base_out_bad'], stats['out']):>9} {'<= 5%':>8}")
    print(f"{'question type right (n=' + str(stats['intent']) + ')':38} {pct(stats['intent_ok'], stats['intent']):>8} "
          f"{'':>9} {'>= 95%':>8}")
    print(f"catalogue: {len(knowledge.services)} services ({len(seed_ids)} curated)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--citizen", type=Path, default=None, help="a citizen sample (4 columns, with categories)")
    ap.add_argument("--queries", type=Path, default=SHARED / "queries-dev.tsv")
    ap.add_argument("--others", type=Path, default=SHARED / "other-services-dev.tsv")
    ap.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.citizen is not None:
        return evaluate_citizen(args.citizen, args.others, args.knowledge, args.verbose)
    return evaluate_queries(args.queries, args.others, args.knowledge, args.verbose)


if __name__ == "__main__":
    raise SystemExit(main())
