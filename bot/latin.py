"""Messages in Latin letters: English, and Persian typed in Latin letters (Finglish, «vam kara chie»).

Both are turned into Persian text that the ordinary analysis then reads, so they get the same decisions as
Persian. English goes through the admins' English lexicon (knowledge/lexicon.yaml, `english:`): phrases
to Persian terms, question cues kept as they are (the intent detector knows them), filler words dropped.
Finglish needs no list: each Latin word is compared with the words the bot already knows (the catalogue,
the lexicon, hazm's dictionary) through a consonant skeleton («vam» and «وام» both reduce to «m»), and
among the words with the same skeleton the one whose romanization is closest wins («dore» → «دوره», not
«در»). Words nothing fits are kept as they are, as unknown words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Literal

from bot.knowledge import Lexicon

Language = Literal["fa", "finglish", "en"]

_PERSIAN_LETTER = re.compile("[\u0600-\u06ff]")
_LATIN_LETTER = re.compile("[A-Za-z]")
# A message as pieces: Latin words (with inner ' or -), runs of anything else but spaces (Persian words,
# digits, punctuation), so punctuation survives for the clause boundaries of the analysis.
_PIECE = re.compile(r"[A-Za-z]+(?:['’\-][A-Za-z]+)*|[^\sA-Za-z]+")

# Source of a Finglish candidate, best first: a word of the lexicon (cues, colloquial forms), a word of
# the catalogue, a word of the general dictionary. The cost is added to the spelling distance.
LEXICON, CATALOGUE, DICTIONARY = 0, 1, 2
_SOURCE_COST = {LEXICON: -0.2, CATALOGUE: 0.0, DICTIONARY: 0.8}
_MAX_COST = {LEXICON: 1.2, CATALOGUE: 1.2, DICTIONARY: 0.7}

# Persian letters as consonants of the skeleton; vowels (ا آ و ی) and ع carry no consonant. Final ه after
# a consonant is the vowel e («دوره» dore) and is dropped too.
_SKELETON_FA = {
    "ب": "b", "پ": "p", "ت": "t", "ط": "t", "ث": "s", "س": "s", "ص": "s", "ج": "j", "چ": "C", "ح": "h",
    "ه": "h", "خ": "x", "د": "d", "ذ": "z", "ز": "z", "ض": "z", "ظ": "z", "ر": "r", "ژ": "Z", "ش": "S",
    "غ": "q", "ق": "q", "ف": "f", "ک": "k", "گ": "g", "ل": "l", "م": "m", "ن": "n",
}
# The same letters for comparing spellings (one symbol per sound: x = kh, S = sh, C = ch, Z = zh, q = gh).
_ROMAN_FA = {**_SKELETON_FA, "ع": "", "ا": "a", "آ": "a"}
_VOWEL_FA = "اآوی"
_DIGRAPHS = (("kh", "x"), ("sh", "S"), ("ch", "C"), ("zh", "Z"), ("gh", "q"), ("ph", "f"))
_LATIN_CONSONANTS = frozenset("bptsjhdzrfkglmnqxSCZ")
# Latin endings that stand for Persian ones glued to a word («hazinash» = هزینه‌اش, «marahelesh»).
_SUFFIXES = (
    ("eshoon", "شون"), ("ashoon", "شون"), ("esh", "ش"), ("ash", "ش"), ("haye", "های"), ("hash", "هاش"),
    ("ha", "ها"), ("am", "م"), ("ye", "ی"), ("ei", "ای"), ("i", "ی"),
)
# Spelling distance between a Finglish word and a Persian word of the same skeleton: Persian does not
# write its short vowels, so a Latin a/e/o with nothing opposite costs little; a long vowel (ا و ی) the
# Latin word lacks costs more.
_SHORT_VOWELS = frozenset("aeo")
_VOWELS = frozenset("aeio")


def script_language(text: str, english_share: Callable[[list[str]], float]) -> Language:
    """"fa" when the message is mostly Persian letters; otherwise "en" when most Latin words are English
    words the lexicon knows, "finglish" when they are not."""
    persian = len(_PERSIAN_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if latin == 0 or persian >= latin:
        return "fa"
    words = [w.lower() for w in re.findall(r"[A-Za-z]+(?:['’\-][A-Za-z]+)*", text)]
    return "en" if english_share(words) > 0.5 else "finglish"


def latin_skeleton(word: str) -> str:
    """The consonants of a Latin-letter Persian word («sharayet» → «Srt», «khooshe» → «xS»)."""
    w = word.lower().replace("'", "").replace("’", "").replace("-", "")
    if len(w) > 2 and w.endswith("eh"):
        w = w[:-1]
    for digraph, code in _DIGRAPHS:
        w = w.replace(digraph, code)
    w = w.replace("c", "k").replace("|", "")
    out: list[str] = []
    for ch in w:
        if ch in _LATIN_CONSONANTS and (not out or out[-1] != ch):
            out.append(ch)
    return "".join(out)


def persian_skeleton(word: str) -> str:
    """The consonants of a Persian word, comparable with `latin_skeleton` («شرایط» → «Srt»)."""
    out: list[str] = []
    for i, ch in enumerate(word):
        if ch == "ه" and i == len(word) - 1 and i > 0 and word[i - 1] not in _VOWEL_FA:
            continue  # final ه after a consonant is the vowel e
        code = _SKELETON_FA.get(ch)
        if code and (not out or out[-1] != code):
            out.append(code)
    return "".join(out)


def romanize(word: str) -> str:
    """A Latin rendering of a Persian word, written the way `_plain` writes Finglish, for comparing the
    vowels of words with the same skeleton («دوره» → «dore», «وام» → «vam», «میخواد» → «mixad»)."""
    out: list[str] = []
    n = len(word)
    for i, ch in enumerate(word):
        prev = word[i - 1] if i else ""
        nxt = word[i + 1] if i + 1 < n else ""
        if ch == "و":
            if prev == "خ" and nxt == "ا":
                continue  # «خوا» is said «kha»
            out.append("v" if i == 0 or prev in "اآی" or (nxt and nxt in "اآی") else "o")
        elif ch == "ی":
            out.append("i")
        elif ch == "ه":
            out.append("e" if i == n - 1 and i > 0 and prev not in _VOWEL_FA else "h")
        elif ch == "ا" and i == 0 and n > 1 and word[1] in "وی":
            continue  # «ایران» iran, «او» o
        else:
            out.append(_ROMAN_FA.get(ch, ""))
    return _merge("".join(out))


def romanizations(word: str) -> list[str]:
    """`romanize`, and for a word starting with «ا» also with the e and o that letter often stands for
    («امداد» emdad, «اشتغال» eshteghal, «استانداری» ostandari)."""
    roman = romanize(word)
    if word[:1] == "ا" and roman[:1] == "a":
        return [roman, "e" + roman[1:], "o" + roman[1:]]
    return [roman]


def _plain(word: str) -> str:
    """A Latin word with spelling variants merged (oo/ou/u → o, ee/y → i, w → v, one symbol per digraph,
    doubled letters), as `romanize` writes Persian."""
    w = word.lower().replace("'", "").replace("’", "").replace("-", "")
    if len(w) > 2 and w.endswith("eh"):
        w = w[:-1]
    for digraph, code in _DIGRAPHS:
        w = w.replace(digraph, code)
    for a, b in (("oo", "o"), ("ou", "o"), ("u", "o"), ("ee", "i"), ("y", "i"), ("w", "v"), ("c", "k"), ("|", "")):
        w = w.replace(a, b)
    return _merge(w)


def _merge(w: str) -> str:
    """Doubled letters written once."""
    out: list[str] = []
    for ch in w:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=1)
def _dictionary_skeletons() -> dict[str, tuple[str, ...]]:
    """hazm's dictionary words by skeleton, built once on the first Finglish message."""
    from bot.lexdata import dictionary_words

    by: dict[str, list[str]] = {}
    for word in dictionary_words():
        if 2 <= len(word) <= 14:
            by.setdefault(persian_skeleton(word), []).append(word)
    return {k: tuple(v) for k, v in by.items()}


def warm() -> None:
    """Builds the dictionary's skeleton table now (once per process, a fraction of a second), not on the
    first Finglish message."""
    _dictionary_skeletons()


class LatinReader:
    """Turns an English or Finglish message into Persian text for the analysis; one per knowledge load.

    `vocabulary` yields the catalogue's words (folded); it is read on the first Finglish message only."""

    def __init__(self, lexicon: Lexicon, vocabulary: Callable[[], Iterable[str]], lexicon_words: Iterable[str]):
        english = lexicon.english
        self.terms: dict[tuple[str, ...], str] = {}
        for phrase, persian in english.terms.items():
            words = tuple(_words(phrase))
            if words:
                self.terms[words] = persian
        self.cues: set[tuple[str, ...]] = set()
        for cues in english.intents.values():
            self.cues.update(tuple(_words(c)) for c in cues if _words(c))
        for cues in lexicon.intents.values():  # «hello», «thanks» are Persian cues too
            self.cues.update(tuple(_words(c)) for c in [*cues.strong, *cues.weak] if _LATIN_LETTER.search(c))
        self.stopwords = frozenset(w for s in english.stopwords for w in _words(s))
        self.max_phrase = max((len(p) for p in [*self.terms, *self.cues]), default=1)
        self.english_words = frozenset(
            {w for p in self.terms for w in p} | {w for p in self.cues for w in p} | self.stopwords
        )
        self._vocabulary_source = vocabulary
        self._lexicon_words = frozenset(lexicon_words)
        self._by_skeleton: dict[str, list[tuple[str, int]]] | None = None
        self._memo: dict[str, str] = {}

    def language(self, text: str) -> Language:
        """The message's language: "fa", "en" or "finglish"."""
        return script_language(text, self._english_share)

    def _english_share(self, words: list[str]) -> float:
        return sum(w in self.english_words for w in words) / len(words) if words else 0.0

    def to_persian(self, text: str, language: Language) -> str:
        """The message as Persian text (English phrases translated, Finglish words transliterated)."""
        pieces = _PIECE.findall(text)
        out: list[str] = []
        i = 0
        while i < len(pieces):
            piece = pieces[i]
            if not _LATIN_LETTER.match(piece):
                out.append(piece)
                i += 1
                continue
            run = [piece.lower()]  # the Latin words from here (for phrases)
            j = i + 1
            while j < len(pieces) and len(run) < self.max_phrase and _LATIN_LETTER.match(pieces[j]):
                run.append(pieces[j].lower())
                j += 1
            taken, words = self._phrase(run, language)
            out.append(words)
            i += taken
        return " ".join(w for w in out if w)

    def _phrase(self, run: list[str], language: Language) -> tuple[int, str]:
        """How many words from the start of `run` make one unit, and their Persian."""
        for n in range(len(run), 0, -1):
            key = tuple(run[:n])
            if language == "en" and key in self.cues:
                return n, " ".join(key)  # the intent detector reads English cues as they are
            if key in self.terms:
                return n, self.terms[key]
            if key in self.cues:
                return n, " ".join(key)
        word = run[0]
        if language == "en":
            return 1, "" if word in self.stopwords else word
        return 1, self.transliterate(word)

    # ------------------------------------------------------------------------------------------ Finglish
    def transliterate(self, word: str) -> str:
        """The Persian word a Finglish word stands for, or the word itself when nothing fits."""
        cached = self._memo.get(word)
        if cached is None:
            cached = self._best(word)
            if cached is None:
                for latin, persian in _SUFFIXES:
                    if len(word) > len(latin) + 2 and word.endswith(latin):
                        base = self._best(word[: -len(latin)])
                        if base is not None:
                            cached = base + persian
                            break
            cached = cached or word
            if len(self._memo) < 20_000:
                self._memo[word] = cached
        return cached

    def _best(self, word: str) -> str | None:
        best: tuple[float, str] | None = None
        # «sh» is mostly ش, but also س + ه («tashilat» تسهیلات); likewise «kh», «gh», «zh».
        spellings = [word, *(word.replace(d, d[0] + "|" + d[1]) for d, _ in _DIGRAPHS[:5] if d in word)]
        for n, spelling in enumerate(spellings):
            skeleton = latin_skeleton(spelling)
            plain = _plain(spelling)
            for persian, source in self._candidates(skeleton):
                if not skeleton and source != LEXICON:
                    continue  # «va», «o», «ya»: only the lexicon's little words have no consonant
                distance = min(spelling_distance(plain, r) for r in romanizations(persian))
                if distance > _MAX_COST[source]:
                    continue
                cost = distance + _SOURCE_COST[source] + (0.3 if n else 0.0)
                if best is None or cost < best[0]:
                    best = (cost, persian)
        return best[1] if best else None

    def _candidates(self, skeleton: str) -> Iterable[tuple[str, int]]:
        if self._by_skeleton is None:
            by: dict[str, list[tuple[str, int]]] = {}
            for word in self._lexicon_words:
                by.setdefault(persian_skeleton(word), []).append((word, LEXICON))
            for word in self._vocabulary_source():
                if word not in self._lexicon_words and _PERSIAN_LETTER.match(word):
                    by.setdefault(persian_skeleton(word), []).append((word, CATALOGUE))
            self._by_skeleton = by
        yield from self._by_skeleton.get(skeleton, ())
        known = {w for w, _ in self._by_skeleton.get(skeleton, ())}
        for word in _dictionary_skeletons().get(skeleton, ()):
            if word not in known:
                yield word, DICTIONARY


def spelling_distance(latin: str, roman: str) -> float:
    """How far a Finglish word is from a romanized Persian word (both as `_plain` writes them)."""
    n, m = len(latin), len(roman)
    previous = [0.0] * (m + 1)
    for j in range(1, m + 1):
        previous[j] = previous[j - 1] + _missing_cost(roman[j - 1], j == m)
    for i in range(1, n + 1):
        a = latin[i - 1]
        extra = 0.3 if a in _SHORT_VOWELS else 0.6 if a == "i" else 1.5
        current = [previous[0] + extra] + [0.0] * m
        for j in range(1, m + 1):
            b = roman[j - 1]
            same = 0.0 if a == b else 0.6 if a in _VOWELS and b in _VOWELS else 1.5
            current[j] = min(previous[j - 1] + same, previous[j] + extra, current[j - 1] + _missing_cost(b, j == m))
        previous = current
    return previous[m]


def _missing_cost(letter: str, last: bool) -> float:
    """A letter of the Persian word that the Latin word lacks: a long vowel costs 1, a final e less."""
    if letter == "e" and last:
        return 0.5
    return 1.0 if letter in _VOWELS else 1.5


def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z]+(?:['’\-][A-Za-z]+)*", text)]
