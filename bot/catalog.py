"""Wider catalogues for evaluation and benchmarks: other real service titles loaded as minimal cards."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bot.knowledge import Knowledge, Service


def read_tsv(path: Path) -> list[list[str]]:
    """Rows of a tab-separated file, without comment lines (#) and blank lines."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rows.append(line.split("\t"))
    return rows


def minimal_cards(rows: list[list[str]], prefix: str = "other") -> list[Service]:
    """Cards with only title and agency, as most real catalogue entries are."""
    out = []
    for row in rows:
        title, agency = row[0].strip(), (row[1].strip() if len(row) > 1 else "نامشخص")
        digest = hashlib.sha1(title.encode()).hexdigest()[:10]
        out.append(Service(id=f"{prefix}-{digest}", title=title, provider=agency))
    return out


def widen(knowledge: Knowledge, extra: list[Service]) -> Knowledge:
    """The same knowledge with more services (ids must not collide)."""
    return Knowledge(services=[*knowledge.services, *extra], lexicon=knowledge.lexicon, source=knowledge.source,
                     elsewhere=knowledge.elsewhere)
