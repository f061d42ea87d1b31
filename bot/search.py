"""Finding the service a citizen means: an index built once per knowledge load, and a decision per query.

Scoring is lexical over the card's fields (title and aliases weigh most; description, steps, documents and
agency less), each query word weighted by how rare it is in the catalogue. Words the catalogue does not
contain are still counted, as the rarest of all: that is what keeps «صدور گذرنامه» from being answered
with a card that merely mentions «صدور». Typos are forgiven through a deletion neighbourhood of each
indexed word, checked with rapidfuzz, on a key where commonly confused letters are merged; split and
merged words through joined neighbours («ثبت نام» / «ثبتنام»).

The result is a decision, not a list: one confident match, a short choice, or "not found" with
suggestions.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz.distance import OSA

from bot.intents import IntentDetector, IntentResult
from bot.knowledge import Knowledge, Service
from bot.lexdata import is_content_word, is_function_word, is_light_verb, looks_like_verb, spoken_variants
from bot.lexdata import warm as warm_lexdata
from bot.persian import only_digits
from bot.textnorm import Analyzer, normalize_many, phonetic, stem

# How much a word found in each field counts, relative to the title.
FIELD_WEIGHTS = {
    "title": 1.0,
    "aliases": 1.0,
    "system_name": 0.7,
    "provider": 0.5,
    "parent_agency": 0.35,
    "audience": 0.4,
    "faq": 0.4,
    "steps": 0.35,
    "description": 0.3,
    "documents": 0.3,
    "laws": 0.2,
}
# Fields whose words are also indexed joined with their neighbours, for split and merged words.
NAME_FIELDS = ("title", "aliases", "system_name", "provider")

STEM_QUALITY = 0.9
FUZZY_QUALITY = 0.8
SHORT_FUZZY_QUALITY = 0.6
CUE_WEIGHT = 0.4  # a question word («هزینه») helps ranking a little but is not what the citizen looks for

# The decision. Coverage is the share of the query's informative words that the card explains.
CONFIDENT_COVERAGE = 0.75
CONFIDENT_SCORE = 0.4
CONFIDENT_MARGIN = 1.15
CHOICE_COVERAGE = 0.5
CHOICE_RATIO = 0.7
CHOICE_SCORE = 0.3  # below this the words were found only in minor fields (steps, description)
SUGGEST_COVERAGE = 0.3
SUGGEST_SCORE = 0.2  # a word found only in another card's steps is no suggestion
MAX_CHOICES = 5
TOP_K = 20  # candidates fully scored per query
MEMO_SIZE = 50_000  # query words whose matches are remembered
UNKNOWN_WORD_WEIGHT = 0.5
TRACKING_CODE_LENGTH = 12  # storage.tracking issues 12 digits
LIGHT_VERB_OBJECT_WEIGHT = 0.3


@dataclass(frozen=True)
class Candidate:
    """One service and how well it fits the query."""

    service: Service
    score: float
    coverage: float


@dataclass(frozen=True)
class Decision:
    """What the bot does with a query: answer about `match`, offer `candidates`, or say not found."""

    kind: Literal["match", "choice", "none", "empty"]
    candidates: tuple[Candidate, ...] = ()

    @property
    def match(self) -> Service | None:
        return self.candidates[0].service if self.kind == "match" else None


@dataclass(frozen=True)
class Understanding:
    """Everything the bot understood of one message."""

    query: str
    normalized: str
    intent: str | None
    decision: Decision
    service: Service | None  # the service to answer about (the match, or the current one for a follow-up)
    tracking_code: str | None = None
    used_hint: bool = False


class SearchIndex:
    """Inverted index over the catalogue, with a stem index and a typo neighbourhood."""

    def __init__(self, services: list[Service], analyzer: Analyzer):
        self.services = services
        self.analyzer = analyzer
        stop = analyzer.stopwords
        self.postings: dict[str, dict[int, float]] = defaultdict(dict)
        self.stems: dict[str, dict[int, float]] = defaultdict(dict)
        # Per service, its names (title, aliases) as (key, stem) pairs, for name coverage.
        self.names: list[list[tuple[tuple[str, str], ...]]] = [[] for _ in services]
        words: set[str] = set()  # keys that are words of a card (not joined neighbours)
        entries = [(doc, fname, text) for doc, svc in enumerate(services) for fname, texts in _fields(svc)
                   for text in texts]
        normalized = normalize_many([text for _, _, text in entries])
        for (doc, fname, _), norm in zip(entries, normalized, strict=True):
            weight = FIELD_WEIGHTS[fname]
            toks = [phonetic(t) for t in analyzer.tokens(norm)]
            content = [t for t in toks if t not in stop]
            for t in content:
                words.add(t)
                _put(self.postings[t], doc, weight)
                _put(self.stems[stem(t)], doc, weight)
            if fname in NAME_FIELDS:
                for joined in _joins(toks):
                    _put(self.postings[joined], doc, weight)
            if fname in ("title", "aliases") and content:
                self.names[doc].append(tuple((t, stem(t)) for t in content))
        self.postings = dict(self.postings)
        self.stems = dict(self.stems)
        self.words = frozenset(words)
        self.deletes: dict[str, list[str]] = defaultdict(list)
        for key in self.postings:
            if len(key) >= 3:
                for d in _deletions(key):
                    self.deletes[d].append(key)
        self.deletes = dict(self.deletes)
        self.n_docs = max(1, len(services))
        self._doc_of = {s.id: i for i, s in enumerate(services)}
        self._memo: dict[str, tuple[np.ndarray, np.ndarray, set[str]]] = {}
        self._build_name_arrays()

    def _build_name_arrays(self) -> None:
        """Every word of every name (title, aliases) as an occurrence, so name coverage is computed for the
        whole catalogue at once."""
        occ_name: list[int] = []
        by_key: dict[str, list[int]] = defaultdict(list)
        by_stem: dict[str, list[int]] = defaultdict(list)
        name_len: list[int] = []
        first: list[int] = []
        for names in self.names:
            first.append(len(name_len))
            for name in names or [()]:  # a service whose title is all stopwords still has a (blank) name
                for key, st in name:
                    by_key[key].append(len(occ_name))
                    by_stem[st].append(len(occ_name))
                    occ_name.append(len(name_len))
                name_len.append(max(1, len(name)))
        self.occ_name = np.array(occ_name, dtype=np.intp)
        self.n_occ = len(occ_name)
        self.n_names = len(name_len)
        self.name_len = np.array(name_len, dtype=float)
        self.doc_first_name = np.array(first or [0], dtype=np.intp)
        self.occ_by_key = {k: np.array(v, dtype=np.intp) for k, v in by_key.items()}
        self.occ_by_stem = {k: np.array(v, dtype=np.intp) for k, v in by_stem.items()}

    # ---------------------------------------------------------------------------------------- matching
    def _matches(self, key: str) -> tuple[np.ndarray, np.ndarray, set[str]]:
        """Documents matching one query word, with match quality × field weight, and the keys it hit.

        Citizens' words repeat, so results are memoized per word (the index never changes: a reload
        builds a new one)."""
        cached = self._memo.get(key)
        if cached is None:
            hits, hit_keys = self._match_uncached(key)
            cached = (np.fromiter(hits.keys(), dtype=np.intp, count=len(hits)),
                      np.fromiter(hits.values(), dtype=float, count=len(hits)), hit_keys)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.pop(next(iter(self._memo)))
            self._memo[key] = cached
        return cached

    def _match_uncached(self, key: str) -> tuple[dict[int, float], set[str]]:
        hits: dict[int, float] = dict(self.postings.get(key, {}))
        keys = {key} if key in self.postings else set()
        s = stem(key)
        for doc, w in self.stems.get(s, {}).items():
            _put(hits, doc, w * STEM_QUALITY)
        if key in self.postings or len(key) < 3:
            return hits, keys | {s}
        if is_function_word(key) or looks_like_verb(key) or is_light_verb(key):
            return hits, keys | {s}  # grammar is not misspelled catalogue words
        if len(key) == 3:  # short words: one substituted letter only, never the first
            for other in self._short_neighbours(key):
                keys.add(other)
                for doc, w in self.postings[other].items():
                    _put(hits, doc, w * SHORT_FUZZY_QUALITY)
            return hits, keys | {s}
        for variant in spoken_variants(key):
            if variant in self.postings or stem(variant) in self.stems:
                hits, more = self._match_uncached(variant)
                return hits, keys | more | {s}
        if is_content_word(key) and len(key) < 6:
            return hits, keys | {s}  # a real word we lack is a different word, not a typo of ours
        for other in self._neighbours(key):
            keys.add(other)
            for doc, w in self.postings[other].items():
                _put(hits, doc, w * FUZZY_QUALITY)
        if not hits:
            for left, right in _splits(key):
                if left in self.postings and right in self.postings:
                    both = self.postings[left].keys() & self.postings[right].keys()
                    for doc in both:
                        _put(hits, doc, min(self.postings[left][doc], self.postings[right][doc]))
                    keys.update((left, right))
        return hits, keys | {s}

    def _short_neighbours(self, key: str) -> Iterable[str]:
        """Three-letter words that differ from `key` in one letter, never the first («طرخ» → «طرح»)."""
        for i in (1, 2):
            for other in self.deletes.get(key[:i] + key[i + 1 :], ()):
                if len(other) == 3 and other[0] == key[0] and other[i] != key[i] and (
                    other[:i] + other[i + 1 :] == key[:i] + key[i + 1 :]
                ):
                    yield other

    def _neighbours(self, key: str) -> Iterable[str]:
        """Indexed words one edit (insertion, deletion, substitution, adjacent swap) away from `key`,
        found through shared deletions rather than by comparing with every word."""
        found: set[str] = set()
        deletions = _deletions(key)
        for d in deletions:  # the citizen typed a letter too many
            if d in self.postings:
                found.add(d)
        for d in (key, *deletions):  # a letter too few, a wrong letter, two letters swapped
            for other in self.deletes.get(d, ()):
                if other not in found and OSA.distance(key, other, score_cutoff=1) <= 1:
                    found.add(other)
        return found

    def rank(self, tokens: tuple[str, ...], cue_positions: frozenset[int]) -> tuple[list[Candidate], int]:
        """Scores every service that shares a word with the query; returns candidates best first and the
        number of informative (non-cue) words."""
        stop = self.analyzer.stopwords
        keys = [phonetic(t) for t in tokens]
        terms: list[tuple[int, str]] = [(i, k) for i, k in enumerate(keys) if k not in stop]
        if not terms:
            return [], 0
        per_term: list[tuple[np.ndarray, np.ndarray]] = []
        matched_keys: set[str] = set()
        for _, key in terms:
            ids, vals, hit_keys = self._matches(key)
            per_term.append((ids, vals))
            matched_keys |= hit_keys
        # Split words: two neighbouring query words that the index knows joined («ثبت نام» → «ثبتنام»).
        for j in range(len(terms) - 1):
            joined = terms[j][1] + terms[j + 1][1]
            if joined in self.words:  # a catalogue word the citizen typed in two parts
                matched_keys.add(joined)
                jids, jvals, _ = self._matches(joined)
                per_term[j] = _union_max(per_term[j], (jids, jvals), self.n_docs)
                per_term[j + 1] = _union_max(per_term[j + 1], (jids, jvals), self.n_docs)
        weights: list[float] = []
        content_total = 0.0
        content_count = 0
        light = _light_verb_objects(keys, stop)
        for (pos, key), (ids, _) in zip(terms, per_term, strict=True):
            idf = math.log(1 + self.n_docs / (len(ids) + 0.5))
            is_cue = pos in cue_positions
            if not len(ids) and not is_cue:
                idf *= _unknown_word_weight(key)
            if pos in light:
                idf *= LIGHT_VERB_OBJECT_WEIGHT
            weights.append(idf * (CUE_WEIGHT if is_cue else 1.0))
            if not is_cue and idf > 0:
                content_total += idf
                content_count += 1
        total = sum(weights)
        if total <= 0:
            return [], content_count
        scores = np.zeros(self.n_docs)
        covered = np.zeros(self.n_docs)
        for (pos, _), (ids, vals), w in zip(terms, per_term, weights, strict=True):
            if len(ids) and w > 0:
                scores[ids] += w * vals
                if pos not in cue_positions:
                    covered[ids] += w
        final = scores / total * (0.7 + 0.3 * self._name_coverage(matched_keys))
        found = np.flatnonzero(final)
        if len(found) > TOP_K:
            found = found[np.argpartition(-final[found], TOP_K - 1)[:TOP_K]]
        candidates = [
            Candidate(self.services[doc], round(float(final[doc]), 4),
                      round(float(covered[doc]) / content_total, 4) if content_total else 0.0)
            for doc in found.tolist()
        ]
        candidates.sort(key=lambda c: (-c.score, -c.coverage, c.service.title))
        return candidates, content_count

    def _name_coverage(self, matched: set[str]) -> np.ndarray:
        """Per service, how much of its best-fitting name (title or an alias) the query covers: each word
        of each name counts when the query hit its key or its stem."""
        hit = np.zeros(self.n_occ, dtype=bool)
        for key in matched:
            occ = self.occ_by_key.get(key)
            if occ is not None:
                hit[occ] = True
            occ = self.occ_by_stem.get(key)
            if occ is not None:
                hit[occ] = True
        per_name = np.bincount(self.occ_name[hit], minlength=self.n_names) / self.name_len
        return np.maximum.reduceat(per_name, self.doc_first_name)

    def names_contain(self, service: Service, tokens: tuple[str, ...], positions: Iterable[int]) -> bool:
        """Whether the words at `positions` all appear in one of the service's names."""
        doc = self._doc_of[service.id]
        words = {phonetic(tokens[p]) for p in positions}
        return bool(words) and any(words <= {key for key, _ in name} for name in self.names[doc])


class SearchEngine:
    """Understands one message: normalizes, detects the intent, ranks services and decides."""

    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge
        self.analyzer = Analyzer(knowledge.lexicon)
        self.intents = IntentDetector(knowledge.lexicon, self.analyzer)
        self.index = SearchIndex(knowledge.services, self.analyzer)
        warm_lexdata()

    def understand(self, text: str, current_service: str | None = None) -> Understanding:
        """Decides what a message asks and about which service; `current_service` is the id of the card
        the citizen is looking at, used for follow-ups like «هزینه‌اش چقدره؟»."""
        analysis = self.analyzer.analyze(text)
        tokens = analysis.tokens
        intent_result: IntentResult = self.intents.detect(tokens)
        intent = intent_result.intent
        code = _tracking_code(tokens)
        if code is not None and intent != "track" and len(code) != TRACKING_CODE_LENGTH:
            # A bare number of another length is a mobile or a national code typed outside a form, not a
            # mistyped tracking code (which needs «پیگیری» to be recognised when its length is off).
            code = None
        if code is not None:
            intent = "track"
        candidates, content_count = self.index.rank(tokens, intent_result.cue_positions)
        if code is not None:
            content_count = 0
        decision = _decide(candidates, content_count)
        # Cue words that are part of the matched service's own name are not a question
        # («دوره آموزش آیین‌نامه‌ها» names a service; it does not ask for its laws).
        while (
            decision.match is not None
            and intent_result.intent is not None
            and self.index.names_contain(decision.candidates[0].service, tokens, intent_result.positions[intent_result.intent])
        ):
            intent_result = intent_result.without(intent_result.intent)
        if code is None:
            intent = intent_result.intent
        hint = self.knowledge.get(current_service) if current_service else None
        service = decision.match
        used_hint = False
        if hint is not None and intent is not None and intent not in ("greeting", "thanks", "help", "track"):
            if decision.kind == "empty" or (
                decision.kind in ("choice", "none")
                and (not decision.candidates or any(c.service.id == hint.id for c in decision.candidates))
            ):
                service, used_hint = hint, True
        return Understanding(
            query=text,
            normalized=analysis.normalized,
            intent=intent,
            decision=decision,
            service=service,
            tracking_code=code,
            used_hint=used_hint,
        )


def _light_verb_objects(keys: list[str], stop: frozenset[str]) -> set[int]:
    """Positions of nouns that are part of a compound verb («شرکت کنه», «برگزار میکنه», «استفاده کنم»):
    they say what the citizen does, not which service."""
    out: set[int] = set()
    for i in range(len(keys) - 1):
        j = i + 1
        if keys[j] in ("می", "نمی") and j + 1 < len(keys):
            j += 1
        if keys[i] not in stop and is_light_verb(keys[j] if keys[j - 1] not in ("می", "نمی") else "می" + keys[j]):
            out.add(i)
    return out


def _unknown_word_weight(key: str) -> float:
    """How much a word the catalogue lacks counts against every card: fully when it names something
    (a citizen asking for «گذرنامه» wants a service we may not have), not at all when it is grammar or a
    verb, half when it is unknown even to the dictionary (a rare word, or a typo of something)."""
    if is_function_word(key) or looks_like_verb(key) or is_light_verb(key):
        return 0.0
    if is_content_word(key):
        return 1.0
    for variant in spoken_variants(key):
        if is_function_word(variant):
            return 0.0
        if is_content_word(variant):
            return 1.0
    return UNKNOWN_WORD_WEIGHT


def _decide(candidates: list[Candidate], content_count: int) -> Decision:
    if content_count == 0:
        return Decision("empty", tuple(candidates[:MAX_CHOICES]) if candidates else ())
    if not candidates:
        return Decision("none")
    top = candidates[0]
    second = candidates[1] if len(candidates) > 1 else None
    if (
        top.coverage >= CONFIDENT_COVERAGE
        and top.score >= CONFIDENT_SCORE
        and (
            second is None
            or top.score >= second.score * CONFIDENT_MARGIN
            or top.coverage >= second.coverage + 0.25
        )
    ):
        return Decision("match", tuple(candidates[:MAX_CHOICES]))
    if top.coverage >= CHOICE_COVERAGE and top.score >= CHOICE_SCORE:
        close = [c for c in candidates if c.score >= top.score * CHOICE_RATIO and c.coverage >= CHOICE_COVERAGE]
        return Decision("choice", tuple(close[:MAX_CHOICES]))
    suggestions = [c for c in candidates if c.coverage >= SUGGEST_COVERAGE and c.score >= SUGGEST_SCORE]
    return Decision("none", tuple(suggestions[:3]))


def _tracking_code(tokens: tuple[str, ...]) -> str | None:
    """A long number in the message is read as a tracking code (10 to 24 digits, spaces allowed)."""
    digits = "".join(only_digits(t) for t in tokens if only_digits(t) == t)
    if 10 <= len(digits) <= 24 and sum(1 for t in tokens if t.isdigit()) >= 1:
        return digits
    return None


def _fields(service: Service) -> list[tuple[str, list[str]]]:
    faq = [f.question for f in service.faq]
    return [
        ("title", [service.title]),
        ("aliases", list(service.aliases)),
        ("system_name", [service.system_name] if service.system_name else []),
        ("provider", [service.provider]),
        ("parent_agency", [service.parent_agency] if service.parent_agency else []),
        ("audience", [service.audience] if service.audience else []),
        ("faq", faq),
        ("steps", list(service.steps)),
        ("description", [service.description] if service.description else []),
        ("documents", list(service.documents)),
        ("laws", list(service.laws)),
    ]


def _union_max(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two (services, qualities) hit lists merged, keeping the better quality of each service."""
    dense = np.zeros(n)
    dense[a[0]] = a[1]
    dense[b[0]] = np.maximum(dense[b[0]], b[1])
    ids = np.flatnonzero(dense)
    return ids, dense[ids]


def _put(target: dict[int, float], doc: int, weight: float) -> None:
    if weight > target.get(doc, 0.0):
        target[doc] = weight


def _joins(tokens: list[str]) -> Iterable[str]:
    for n in (2, 3):
        for i in range(len(tokens) - n + 1):
            yield "".join(tokens[i : i + n])


def _deletions(key: str) -> Iterable[str]:
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


def _splits(key: str) -> Iterable[tuple[str, str]]:
    for i in range(2, len(key) - 1):
        yield key[:i], key[i:]
