"""The catalogue index: BM25F over each card's fields, typo-tolerant word matching, and name coverage.

Every word of a card is indexed with a BM25F weight (title and aliases weigh most, then the situations of
`needs`, then description, audience, steps, documents...; a word repeated across fields counts more, but
saturates). A query word matches a card word exactly, by a light stem, as a spoken or inflected form
(«خونگی» → «خانگی», «عشایریم» → «عشایر»), or as a typo (a deletion neighbourhood of each indexed word,
checked with rapidfuzz, on a key where commonly confused letters are merged); split and merged words match
through joined neighbours («ثبت نام» / «ثبتنام»).

Each query word weighs what it tells apart: its rarity in the catalogue (idf). A word the catalogue lacks
weighs fully when it names something (a citizen asking for «گذرنامه» wants a service we may not have),
half when it is unknown even to the dictionary, nothing when it is grammar, a verb or a place; the
catalogue's rarity is checked against the services handled elsewhere, so a word many of those have
(«وام») weighs little. What counts against a card are only the unexplained words of the phrases that
mention it, the more the nearer they stand: greetings and a life story around a service name do not
dilute it, «مسکن» next to «وام» does.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import OSA

from bot.lexdata import (
    inflected_variants,
    is_content_word,
    is_function_word,
    is_light_verb,
    is_place,
    is_possessed,
    is_verb_form,
    looks_like_verb,
    spoken_variants,
)
from bot.textnorm import Analyzer, phonetic, stem

# How much a word found in each field counts, relative to the title (BM25F field weights), and how much a
# long field dilutes its words (BM25's b).
FIELD_WEIGHTS = {
    "title": 1.0,
    "aliases": 1.0,
    "needs": 0.8,
    "system_name": 0.7,
    "provider": 0.5,
    "audience": 0.5,
    "parent_agency": 0.35,
    "faq": 0.4,
    "description": 0.4,
    "steps": 0.35,
    "documents": 0.3,
    "laws": 0.2,
}
FIELD_B = {"title": 0.2, "aliases": 0.2, "system_name": 0.2, "provider": 0.2, "parent_agency": 0.2}
DEFAULT_B = 0.5
K1 = 1.2
# Fields whose words are also indexed joined with their neighbours, for split and merged words.
NAME_FIELDS = ("title", "aliases", "system_name", "provider")
# Fields of running text: their verbs and grammar words («می‌خواهم یک حرفه یاد بگیرم») are not indexed.
TEXT_FIELDS = frozenset({"needs", "audience", "faq", "description", "steps", "documents", "laws"})
FIELD_ORDER = tuple(FIELD_WEIGHTS)

STEM_QUALITY = 0.9
VARIANT_QUALITY = 0.9
FUZZY_QUALITY = 0.8
SHORT_FUZZY_QUALITY = 0.6
CUE_WEIGHT = 0.4  # a question word («هزینه») helps ranking a little but is not what the citizen looks for
UNKNOWN_WORD_WEIGHT = 0.5
LIGHT_VERB_OBJECT_WEIGHT = 0.3
CUE_BONUS = 0.25  # a question word found in the card («مدارک» in its documents) tips close fits
HALF_EVIDENCE = 0.5  # evidence at which a fit is half as strong as it can be (1 ≈ one word found nowhere else)
TOP_K = 8  # candidates returned per query
PRE_K = 12  # candidates fully scored per query
MEMO_SIZE = 50_000  # query words whose matches are remembered
_COPULAS = frozenset({"است", "هست", "هستند", "هستیم", "هستم", "بود", "باشد", "شود", "شد", "نیست", "نیستم"})
_CLAUSE_WORDS = frozenset({"که", "تا", "ولی", "اما", "چون", "وقتی", "اگر"})  # a new clause starts here


@dataclass(frozen=True)
class Scored:
    """One indexed entry and how well it fits the query.

    `score` ranks: the quality of the fit times its strength. `quality` is how well the entry explains the
    phrases that mention it (matched weight, by how well each word matched and in which field, over the
    weight of those phrases, scaled by name coverage); `coverage` is the share of the informative words of
    those phrases that the entry explains at all; `evidence` is how much the entry's matched words weigh
    (in units of one word found nowhere else); `share` is the part of all the message's informative words
    that it explains; `names` how much of its best name (title or alias) the query covers."""

    doc: int
    score: float
    quality: float
    coverage: float
    evidence: float
    share: float
    names: float
    matched: tuple[int, ...]  # query positions it matched (not cues)
    peak: float = 0.0  # the weight of its rarest matched word (about 0.5 or more: a word few others have)


class SearchIndex:
    """Inverted index over searchable entries (services, then services handled elsewhere)."""

    def __init__(self, docs: list[list[tuple[str, list[str]]]], analyzer: Analyzer, n_primary: int | None = None):
        """`docs` are the entries' fields; the first `n_primary` (all by default) are the catalogue, whose
        words' rarity weighs them (the others only compete)."""
        self.analyzer = analyzer
        self.n_docs = max(1, len(docs))
        self.n_primary = max(1, len(docs) if n_primary is None else n_primary)
        stop = analyzer.stopwords
        entries = [(doc, fname, text) for doc, fields in enumerate(docs) for fname, texts in fields for text in texts]
        unique = list(dict.fromkeys(text for _, _, text in entries))
        tokens_of = dict(zip(unique, analyzer.index_tokens(unique), strict=True))
        self.raw_words = frozenset(t for toks in tokens_of.values() for t in toks if t not in stop)

        key_memo: dict[str, str] = {}
        stem_memo: dict[str, str] = {}
        content_of: dict[str, list[str]] = {}
        for text, toks in tokens_of.items():
            keys = [key_memo.get(t) or key_memo.setdefault(t, phonetic(t)) for t in toks]
            content_of[text] = [k for k in keys if k not in stop]
        grammar_memo: dict[str, bool] = {}

        def meaningful(text: str) -> list[str]:
            """The content words of a running text, without its verbs and grammar words."""
            out = []
            for t in tokens_of[text]:
                grammar = grammar_memo.get(t)
                if grammar is None:
                    grammar = grammar_memo.setdefault(t, t in stop or is_verb_form(t) or t in _COPULAS)
                if not grammar:
                    out.append(key_memo[t])
            return out

        # Field lengths (all texts of one field of one entry together) and their averages, for BM25F.
        field_content: dict[tuple[int, str], list[str]] = defaultdict(list)
        for doc, fname, text in entries:
            field_content[(doc, fname)].extend(meaningful(text) if fname in TEXT_FIELDS else content_of[text])
        total: dict[str, int] = defaultdict(int)
        count: dict[str, int] = defaultdict(int)
        for (_, fname), content in field_content.items():
            total[fname] += len(content)
            count[fname] += 1
        avg = {f: max(1.0, total[f] / count[f]) for f in total}

        acc: list[dict[str, float]] = [{} for _ in range(self.n_docs)]
        acc_stem: list[dict[str, float]] = [{} for _ in range(self.n_docs)]
        self.doc_fields: list[list[tuple[str, frozenset[str]]]] = [[] for _ in range(self.n_docs)]
        # Words of the situations admins wrote: there «یاد بگیرم» or «راه بیندازم» is meant, not a light verb.
        self.need_words = frozenset(k for (_, fname), content in field_content.items() if fname == "needs"
                                    for k in content)
        for (doc, fname), content in field_content.items():
            if not content:
                continue
            b = FIELD_B.get(fname, DEFAULT_B)
            unit = FIELD_WEIGHTS[fname] / (1 - b + b * len(content) / avg[fname])
            a, s = acc[doc], acc_stem[doc]
            for k in content:
                a[k] = a.get(k, 0.0) + unit
                st = stem_memo.get(k) or stem_memo.setdefault(k, stem(k))
                s[st] = s.get(st, 0.0) + unit
                if fname in TEXT_FIELDS:  # «بیکارم» in a situation also stands for «بیکار»
                    for base in inflected_variants(k)[:1]:
                        bst = stem(base)
                        if bst != st:
                            s[bst] = s.get(bst, 0.0) + unit
            self.doc_fields[doc].append((fname, frozenset(content)))
        for fields in self.doc_fields:
            fields.sort(key=lambda f: FIELD_ORDER.index(f[0]))

        postings: dict[str, dict[int, float]] = defaultdict(dict)
        stems: dict[str, dict[int, float]] = defaultdict(dict)
        for doc in range(self.n_docs):
            for k, tf in acc[doc].items():
                postings[k][doc] = _saturate(tf)
            for k, tf in acc_stem[doc].items():
                stems[k][doc] = _saturate(tf)
        self.words = frozenset(postings)  # keys that are words of a card (not joined neighbours)
        # Per entry, its names (title, aliases) as (key, stem) pairs, for name coverage.
        self.names: list[list[tuple[tuple[str, str], ...]]] = [[] for _ in range(self.n_docs)]
        alias_joins: set[str] = set()
        for doc, fname, text in entries:
            if fname in NAME_FIELDS:
                keys = [key_memo[t] for t in tokens_of[text]]
                joined_weight = _saturate(FIELD_WEIGHTS[fname])
                if fname == "aliases":
                    alias_joins.update(_joins(keys))
                for joined in _joins(keys):
                    row = postings[joined]
                    if row.get(doc, 0.0) < joined_weight:
                        row[doc] = joined_weight
            if fname in ("title", "aliases") and content_of[text]:
                self.names[doc].append(tuple((k, stem_memo[k]) for k in content_of[text]))
        self.postings = dict(postings)
        self.stems = dict(stems)
        # The typo neighbourhood covers the words of the cards, and the joined words of aliases (few, and
        # written as citizens write them); not the joined neighbours of every title.
        deletes: dict[str, list[str]] = defaultdict(list)
        for key in self.words | alias_joins:
            if len(key) >= 3:
                for d in {key[:i] + key[i + 1 :] for i in range(len(key))}:
                    deletes[d].append(key)
        self.deletes = dict(deletes)
        self.idf_max = _idf(self.n_docs, 0)
        self.idf_max_primary = _idf(self.n_primary, 0)
        self._memo: dict[str, tuple[np.ndarray, np.ndarray, dict[int, float], frozenset[str]]] = {}

    # ---------------------------------------------------------------------------------------- matching
    def matches(self, key: str) -> tuple[np.ndarray, np.ndarray, dict[int, float], frozenset[str]]:
        """Entries matching one query word (ids, match quality × field weight, the same as a dict) and
        the index keys it hit. Citizens' words repeat, so results are memoized per word (the index never
        changes: a reload builds a new one)."""
        cached = self._memo.get(key)
        if cached is None:
            hits, hit_keys = self._match_uncached(key)
            cached = (np.fromiter(hits.keys(), dtype=np.intp, count=len(hits)),
                      np.fromiter(hits.values(), dtype=float, count=len(hits)), hits, frozenset(hit_keys))
            if len(self._memo) >= MEMO_SIZE:
                self._memo.pop(next(iter(self._memo)))
            self._memo[key] = cached
        return cached

    def _match_uncached(self, key: str, depth: int = 0) -> tuple[dict[int, float], set[str]]:
        exact = self.postings.get(key, {})
        keys = {key} if exact else set()
        s = stem(key)
        # The word itself where a card has it, else a word of the same stem (at a lower quality).
        hits: dict[int, float] = {doc: w * STEM_QUALITY for doc, w in self.stems.get(s, {}).items()}
        hits.update(exact)
        if key in self.postings or len(key) < 3:
            return hits, keys | {s}
        if is_function_word(key) or looks_like_verb(key) or is_light_verb(key):
            return hits, keys | {s}  # grammar is not misspelled catalogue words
        if depth == 0:
            for variant in (*spoken_variants(key), *inflected_variants(key)):
                if variant in self.postings or stem(variant) in self.stems:
                    more_hits, more = self._match_uncached(variant, depth + 1)
                    for doc, w in more_hits.items():
                        _put(hits, doc, w * VARIANT_QUALITY)
                    return hits, keys | more | {s}
        if len(key) == 3:  # short words: one substituted letter only, never the first
            for other in self._short_neighbours(key):
                keys.add(other)
                for doc, w in self.postings[other].items():
                    _put(hits, doc, w * SHORT_FUZZY_QUALITY)
            return hits, keys | {s}
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
        deletions = {key[:i] + key[i + 1 :] for i in range(len(key))}
        for d in deletions:  # the citizen typed a letter too many
            if d in self.postings:
                found.add(d)
        for d in (key, *deletions):  # a letter too few, a wrong letter, two letters swapped
            for other in self.deletes.get(d, ()):
                if other not in found and OSA.distance(key, other, score_cutoff=1) <= 1:
                    found.add(other)
        return found

    # ----------------------------------------------------------------------------------------- ranking
    def rank(self, tokens: tuple[str, ...], cue_positions: frozenset[int], clauses: tuple[int, ...],
             ignore: frozenset[int] = frozenset()) -> tuple[list[Scored], int]:
        """Scores every entry that shares a word with the query; returns the best TOP_K, best first, and
        the number of informative (non-cue) words. Positions in `ignore` are not searched for (numbers)."""
        stop = self.analyzer.stopwords
        keys = [phonetic(t) for t in tokens]
        chunk = _chunks(tokens, clauses)
        seen: set[str] = set()  # a word said twice is one piece of evidence
        terms = [(i, k) for i, k in enumerate(keys)
                 if k not in stop and i not in ignore and not k.isdigit() and not is_place(tokens[i])
                 and not (k in seen or seen.add(k))]
        if not terms:
            return [], 0
        hits: list[tuple[np.ndarray, np.ndarray, dict[int, float]]] = []
        matched_keys: set[str] = set()
        for _, key in terms:
            ids, vals, by_doc, hit_keys = self.matches(key)
            hits.append((ids, vals, by_doc))
            matched_keys |= hit_keys
        # Split words: two neighbouring query words that the index knows joined («ثبت نام» → «ثبتنام»).
        for j in range(len(terms) - 1):
            joined = terms[j][1] + terms[j + 1][1]
            if joined in self.words:
                matched_keys.add(joined)
                _, _, jdict, _ = self.matches(joined)
                hits[j] = _union_max(hits[j], jdict)
                hits[j + 1] = _union_max(hits[j + 1], jdict)
        light = _light_verb_objects(keys, stop)
        weights: list[float] = []
        for (pos, key), (ids, _, _) in zip(terms, hits, strict=True):
            # Rarity among our services, unless the services handled elsewhere show the word is common.
            w = min(_idf(self.n_primary, int(np.count_nonzero(ids < self.n_primary))) / self.idf_max_primary,
                    _idf(self.n_docs, len(ids)) / self.idf_max)
            if pos in cue_positions:
                w *= CUE_WEIGHT
            elif not len(ids):
                w *= _unknown_word_weight(tokens[pos], key, stop)
            if pos in light and key not in self.need_words:
                w *= LIGHT_VERB_OBJECT_WEIGHT
            weights.append(w)
        informative = [(pos, w) for (pos, _), w in zip(terms, weights, strict=True) if pos not in cue_positions]
        content_count = sum(1 for _, w in informative if w > 0)
        all_content = sum(w for _, w in informative)
        if all_content <= 0:
            return [], content_count

        pre = np.zeros(self.n_docs)
        for (ids, vals, _), w in zip(hits, weights, strict=True):
            if len(ids) and w > 0:
                pre[ids] += w * vals
        found = np.flatnonzero(pre)
        if len(found) > PRE_K:  # names weigh 0.7 to 1: the best PRE_K by words hold the best TOP_K
            found = found[np.argpartition(-pre[found], PRE_K - 1)[:PRE_K]]
        # Each candidate, fully: which query words it matched (Q), in which phrases, and how well.
        docs = found.tolist()
        q = np.array([[by_doc.get(d, 0.0) for d in docs] for _, _, by_doc in hits])  # terms × candidates
        w = np.array(weights)
        cue = np.array([pos in cue_positions for pos, _ in terms])
        w_content = np.where(cue, 0.0, w)
        ev = w_content @ q
        cue_ev = np.where(cue, w, 0.0) @ q
        hit = (q > 0) & (w_content > 0)[:, None]  # matched informative words
        matched_w = w_content @ hit
        # The words that count against a candidate: the unexplained words of the phrases naming it, the
        # more the nearer they stand to its words («مسکن» right after «وام»; a job title three words
        # before «شهرداری» less so).
        term_chunk = np.array([chunk[pos] for pos, _ in terms])
        same_chunk = term_chunk[:, None] == term_chunk[None, :]  # terms × terms
        positions = np.array([pos for pos, _ in terms], dtype=float)
        distance = np.abs(positions[:, None] - positions[None, :])
        distance = np.where(same_chunk, distance, np.inf)
        # For each term and candidate: the distance to the nearest word the candidate matched.
        nearest = np.where(hit[None, :, :], distance[:, :, None], np.inf).min(axis=1)  # terms × candidates
        relevant = w_content @ np.where(hit, 1.0, _nearness(nearest))
        out: list[Scored] = []
        for j, doc in enumerate(docs):
            if matched_w[j] <= 0:
                continue  # only question words in common
            names = self._name_coverage(doc, matched_keys)
            rel = float(relevant[j])
            e = float(ev[j])
            quality = min(1.0, (e + float(cue_ev[j]) * CUE_BONUS) / rel) * (0.7 + 0.3 * names)
            out.append(Scored(
                doc=doc,
                score=quality * e / (e + HALF_EVIDENCE),
                quality=quality,
                coverage=float(matched_w[j]) / rel,
                evidence=e,
                share=float(matched_w[j]) / all_content,
                names=names,
                matched=tuple(pos for t, (pos, _) in enumerate(terms) if hit[t, j]),
                peak=float((w_content * hit[:, j]).max()),
            ))
        out.sort(key=lambda c: (-round(c.score, 6), -c.coverage, c.doc))
        return out[:TOP_K], content_count

    def _name_coverage(self, doc: int, matched: set[str]) -> float:
        """How much of the entry's best-fitting name (title or an alias) the query covers: each word of a
        name counts when the query hit its key or its stem."""
        best = 0.0
        for name in self.names[doc]:
            hit = sum(1 for key, st in name if key in matched or st in matched)
            best = max(best, hit / len(name))
        return best

    def names_contain(self, doc: int, tokens: tuple[str, ...], positions: Iterable[int]) -> bool:
        """Whether the words at `positions` all appear in one of the entry's names."""
        words = {phonetic(tokens[p]) for p in positions}
        return bool(words) and any(words <= {key for key, _ in name} for name in self.names[doc])

    def fields_of(self, doc: int, key: str) -> str | None:
        """The weightiest field of the entry in which a query word was found (its key, stem or a form)."""
        forms = {key, stem(key), *spoken_variants(key), *inflected_variants(key)}
        for fname, words in self.doc_fields[doc]:
            if forms & words:
                return fname
        for fname, words in self.doc_fields[doc]:
            if any(stem(w) in forms for w in words if w[:2] == key[:2]):
                return fname
        return None


_NEARNESS = np.array([1.0, 1.0, 0.7, 0.45, 0.25])  # by distance 0, 1, 2, 3, 4 and beyond


def _nearness(distance: np.ndarray) -> np.ndarray:
    """How much an unexplained word counts against a candidate, by its distance to the candidate's words
    in the same phrase (nothing in another phrase)."""
    near = _NEARNESS[np.minimum(np.nan_to_num(distance, posinf=99), 4).astype(int)]
    return np.where(np.isinf(distance), 0.0, near)


def _idf(n_docs: int, df: int) -> float:
    """BM25's inverse document frequency: high for a word few entries have, near zero for one all have."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def _saturate(tf: float) -> float:
    """BM25's term-frequency saturation, scaled so that one occurrence in a title of average length is 1
    (and capped there: a word in the title and again in the description is still one word found)."""
    return min(1.0, tf * (K1 + 1) / (tf + K1))


def _chunks(tokens: tuple[str, ...], clauses: tuple[int, ...]) -> list[int]:
    """For each token, the phrase it belongs to: a clause (up to a punctuation mark) cut after each verb,
    so «وام مسکن» is one phrase and «تازه از سربازی برگشتم» is another than «لوله‌کشی یاد بدن»."""
    out: list[int] = []
    n = 0
    previous_clause = clauses[0] if clauses else 0
    for i, token in enumerate(tokens):
        clause = clauses[i] if i < len(clauses) else previous_clause
        if clause != previous_clause:
            n += 1
            previous_clause = clause
        if token in _CLAUSE_WORDS:
            n += 1
        out.append(n)
        if token in _COPULAS or is_verb_form(token):
            n += 1
    return out


def _light_verb_objects(keys: list[str], stop: frozenset[str]) -> set[int]:
    """Positions of nouns that are part of a compound verb («شرکت کنه», «برگزار میکنه», «استفاده کنم»):
    they say what the citizen does, not which service."""
    out: set[int] = set()
    for i in range(len(keys) - 1):
        j = i + 1
        if keys[j] in ("می", "نمی") and j + 1 < len(keys):
            j += 1
        if keys[i] not in stop and is_light_verb(keys[j] if keys[j - 1] not in ("می", "نمی") else "می" + keys[j]):
            if not (len(keys[i]) >= 5 and keys[i].endswith("ی")):  # «زنبورداری میکنم» is what they do
                out.add(i)
    return out


def _unknown_word_weight(token: str, key: str, stop: frozenset[str] = frozenset()) -> float:
    """How much a word the catalogue lacks counts against every entry: fully when it names something
    (a citizen asking for «گذرنامه» wants a service we may not have), not at all when it is grammar, a verb
    or a place, half when it is unknown even to the dictionary (a rare word, or a typo of something)."""
    if is_function_word(key) or looks_like_verb(key) or is_light_verb(key) or is_place(token) or token in _COPULAS:
        return 0.0
    if is_verb_form(token):
        return UNKNOWN_WORD_WEIGHT if is_content_word(token) else 0.0  # «بدن» body, or «بدهند»
    if is_possessed(token):
        return UNKNOWN_WORD_WEIGHT  # «پسرم»: the citizen's life more than what they ask for
    if is_content_word(key) or is_content_word(token):
        return 1.0
    for variant in (*spoken_variants(token), *inflected_variants(token)):
        if variant in stop or is_function_word(variant) or looks_like_verb(variant):
            return 0.0
        if is_content_word(variant):
            return 1.0
    return UNKNOWN_WORD_WEIGHT


def _union_max(a: tuple[np.ndarray, np.ndarray, dict[int, float]], b: dict[int, float]
               ) -> tuple[np.ndarray, np.ndarray, dict[int, float]]:
    """Two hit lists merged, keeping the better quality of each entry."""
    merged = dict(a[2])
    for doc, q in b.items():
        _put(merged, doc, q)
    return (np.fromiter(merged.keys(), dtype=np.intp, count=len(merged)),
            np.fromiter(merged.values(), dtype=float, count=len(merged)), merged)


def _put(target: dict[int, float], doc: int, weight: float) -> None:
    if weight > target.get(doc, 0.0):
        target[doc] = weight


def _joins(tokens: list[str]) -> Iterable[str]:
    for n in (2, 3):
        for i in range(len(tokens) - n + 1):
            yield "".join(tokens[i : i + n])


def _splits(key: str) -> Iterable[tuple[str, str]]:
    for i in range(2, len(key) - 1):
        yield key[:i], key[i:]
