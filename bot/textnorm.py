"""Persian text normalization for search: the same analysis runs on the catalogue and on the citizen's words.

hazm's Normalizer fixes what is written (Arabic ي/ك, spacing around affixes, half-spaces); the match key then
folds what still differs between two ways of typing one word: half-space vs space vs nothing, ة/ه, the alef
forms, hamza seats, diacritics, kashida and digit scripts. The lexicon then maps colloquial forms to written
ones and synonyms to one term. Stemming is deliberately light (hazm's Stemmer turns خدمات into خد).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.folding import fold
from bot.knowledge import Lexicon
from bot.lexdata import spoken_variants
from bot.persian import strip_invisibles

# Letters that sound alike in Persian and are confused when typing: folded only for the fuzzy key.
_PHONETIC = str.maketrans({"ص": "س", "ث": "س", "ذ": "ز", "ض": "ز", "ظ": "ز", "ط": "ت", "ح": "ه", "غ": "ق"})

MAX_QUERY_CHARS = 300
MAX_INDEX_CHARS = 20_000


@lru_cache(maxsize=1)
def _hazm_normalizer():
    import hazm.normalizer
    from hazm import Normalizer

    # hazm rebuilds its two character tables on every call (a tenth of a millisecond per message); they
    # never change, so they are built once.
    hazm.normalizer.maketrans = lru_cache(maxsize=8)(hazm.normalizer.maketrans)
    return Normalizer()


def clean(text: str) -> str:
    """Drops invisible and control characters and squeezes whitespace: safe to show, log and search."""
    return " ".join(strip_invisibles(text).split())


def normalize(text: str) -> str:
    """The citizen's text as hazm writes it (standard letters, half-spaces, Persian digits)."""
    text = clean(text)[:MAX_QUERY_CHARS]
    if not text:
        return ""
    return _hazm_normalizer().normalize(text)


def normalize_many(texts: list[str], chunk: int = 400) -> list[str]:
    """`normalize` over many texts at once: hazm's per-call set-up dominates short texts, so texts are
    normalized in newline-joined chunks (cleaned texts contain no newline)."""
    cleaned = [clean(t)[:MAX_INDEX_CHARS] for t in texts]
    out: list[str] = []
    normalizer = _hazm_normalizer()
    for i in range(0, len(cleaned), chunk):
        part = cleaned[i : i + chunk]
        result = normalizer.normalize("\n".join(part)).split("\n")
        if len(result) != len(part):  # never seen; be safe rather than misalign the index
            result = [normalizer.normalize(t) if t else "" for t in part]
        out.extend(r.strip() for r in result)
    return out


def phonetic(token: str) -> str:
    """A token with commonly confused letters merged (س/ص/ث, ز/ذ/ض/ظ, ت/ط, ه/ح, ق/غ)."""
    return token.translate(_PHONETIC)


_SUFFIXES = (("هایی", 6), ("های", 5), ("ها", 4), ("یان", 6), ("ان", 6), ("ات", 6), ("ی", 5))


def stem(token: str) -> str:
    """A light, conservative suffix strip (plural ها/ان/ات/گان, adjectival ی) for a secondary match key."""
    if len(token) >= 6 and token.endswith("گان"):  # «تولیدکنندگان» → «تولیدکننده»
        return token[:-3] + "ه"
    for suffix, min_len in _SUFFIXES:
        if len(token) >= min_len and token.endswith(suffix):
            return token[: -len(suffix)]
    return token


# Where one clause of a message ends: a question asked, a sentence finished, a list item.
_CLAUSE_SPLIT = re.compile(r"([.!?؟،,;؛:\n()«»\"]+)")
# Texts of the catalogue that hazm's normalizer would change in a way folding does not undo: a verb
# prefix written apart or joined («می خواهم», «میخواهم»). Every other text is folded directly, which is
# what makes indexing 10,000 cards fast.
_NEEDS_HAZM = re.compile(r"(?:^|\s)ن?می\S|(?:^|\s)ن?می\s")


@dataclass(frozen=True)
class Analysis:
    """A text as search sees it: its tokens, and for each token the clause it belongs to."""

    normalized: str
    tokens: tuple[str, ...]
    clauses: tuple[int, ...] = ()
    statements: frozenset[int] = frozenset()  # positions in sentences told, not asked (see `analyze`)


class Analyzer:
    """Applies the lexicon (colloquial forms, synonyms) on top of folding; one instance per knowledge load."""

    def __init__(self, lexicon: Lexicon):
        self._written: dict[str, tuple[str, ...]] = {}  # folded token → its written form (memo)
        self.colloquial: dict[str, tuple[str, ...]] = {}
        for spoken, written in lexicon.colloquial.items():
            key = fold(normalize(spoken))
            if key and " " not in key:
                self.colloquial[key] = tuple(fold(normalize(written)).split())
        self.phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for entry in lexicon.synonyms:
            term = tuple(self._base_tokens(normalize(entry.term)))
            for variant in entry.variants:
                v = tuple(self._base_tokens(normalize(variant)))
                if v and v != term:
                    self.phrases[v] = term
        self.max_phrase = max((len(p) for p in self.phrases), default=1)
        self.stopwords = frozenset(t for w in lexicon.stopwords for t in self._base_tokens(normalize(w)))

    def _base_tokens(self, text: str) -> list[str]:
        out: list[str] = []
        memo = self._written
        for tok in fold(text).split():
            written = memo.get(tok)
            if written is None:
                written = self.colloquial.get(tok)
                if written is None:  # «چجوریه» is «چجوری» + است
                    written = next((self.colloquial[v] for v in spoken_variants(tok) if v in self.colloquial), (tok,))
                if len(memo) < 200_000:
                    memo[tok] = written
            out.extend(written)
        return out

    def tokens(self, text: str) -> tuple[str, ...]:
        """Folded tokens with colloquial forms written out and synonyms replaced by their term."""
        base = self._base_tokens(text)
        out: list[str] = []
        i = 0
        while i < len(base):
            for n in range(min(self.max_phrase, len(base) - i), 0, -1):
                repl = self.phrases.get(tuple(base[i : i + n]))
                if repl is not None:
                    out.extend(repl)
                    i += n
                    break
            else:
                out.append(base[i])
                i += 1
        return tuple(out)

    def analyze(self, text: str) -> Analysis:
        """Normalizes a citizen's text and returns its tokens, clause by clause. When the message asks
        something (a question mark), the sentences it ends with a full stop are what the citizen tells
        («پدرم چند ساله مددجوی امداده.»), not what they ask."""
        normalized = normalize(text)
        tokens: list[str] = []
        clauses: list[int] = []
        statements: set[int] = set()
        asks = "?" in normalized or "؟" in normalized
        parts = _CLAUSE_SPLIT.split(normalized)
        for n, (part, end) in enumerate(zip(parts[::2], [*parts[1::2], ""], strict=True)):
            part_tokens = self.tokens(part)
            if asks and end and end[0] in ".!" and "?" not in end and "؟" not in end:
                statements.update(range(len(tokens), len(tokens) + len(part_tokens)))
            tokens.extend(part_tokens)
            clauses.extend([n] * len(part_tokens))
        return Analysis(normalized=normalized, tokens=tuple(tokens), clauses=tuple(clauses),
                        statements=frozenset(statements))

    def index_tokens(self, texts: list[str]) -> list[tuple[str, ...]]:
        """`tokens` of many catalogue texts at once, as the citizen's words are analysed (see _NEEDS_HAZM)."""
        cleaned = [clean(t)[:MAX_INDEX_CHARS] for t in texts]
        hazm_at = [i for i, t in enumerate(cleaned) if _NEEDS_HAZM.search(t)]
        for i, norm in zip(hazm_at, normalize_many([cleaned[i] for i in hazm_at]), strict=True):
            cleaned[i] = norm
        return [self.tokens(t) for t in cleaned]
