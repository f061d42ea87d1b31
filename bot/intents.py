"""Question type (intent): what the citizen asks about, from cue words the admins keep in the lexicon.

Cues are matched on the same analysed tokens as search, so «مدارکش چیه» and «مدارك لازم» both reach the
documents cue. Strong cues decide alone; weak ones only tip the balance. A longer cue claims its words, so
«چقدر طول میکشه» is a duration question and not also a cost one (while «چقدره» alone is a cost question).
A message may ask several things («مدارکش چیه؟ از کدوم سایت درخواست بدم؟»): all of them are listed in
the order asked, and the primary one is chosen by priority as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import questions
from bot.knowledge import Lexicon
from bot.lexdata import spoken_variants
from bot.textnorm import Analyzer

STRONG, WEAK = 2, 1
MIN_SCORE = 2

# When two intents score the same, the earlier one wins (bot.questions: the order of the Intent members).
PRIORITY = tuple(i.value for i in questions.PRIORITY)
SMALL_TALK = frozenset(i.value for i in questions.SMALL_TALK)

# Pronoun endings glued to a cue word: «هزینه‌ش», «مدارکشو», «سایتشون».
_GLUED = ("شون", "شو", "ش", "اش", "هاش", "ها", "ی", "هایی")


@dataclass(frozen=True)
class IntentResult:
    """The detected intent (None when the text asks nothing in particular) and which tokens were cues."""

    intent: str | None
    cue_positions: frozenset[int]
    scores: dict[str, int]
    positions: dict[str, frozenset[int]]

    def without(self, intent: str) -> IntentResult:
        """The result had `intent` not been a question (its cue words were part of a service's name)."""
        scores = {k: v for k, v in self.scores.items() if k != intent}
        positions = {k: v for k, v in self.positions.items() if k != intent}
        return IntentResult(
            intent=_choose(scores),
            cue_positions=frozenset().union(*positions.values()) if positions else frozenset(),
            scores=scores,
            positions=positions,
        )

    @property
    def asked(self) -> list[str]:
        """Every question type the message asks, in the order asked. Small talk counts only when nothing
        else is asked; registering is an action, which another question in the same message explains
        («از کدوم سایت درخواست بدم» asks for the website); a tracking request stands alone."""
        found = sorted((i for i, s in self.scores.items() if s >= MIN_SCORE), key=lambda i: min(self.positions[i]))
        domain = [i for i in found if i not in SMALL_TALK]
        if "track" in domain:
            return ["track"]
        if len(domain) > 1 and "register" in domain:
            domain.remove("register")
        if domain == ["register"]:  # beside the action, a weak cue is enough to ask («آدرس ثبت نام»)
            explained = sorted((i for i, s in self.scores.items() if 0 < s < MIN_SCORE and i not in SMALL_TALK),
                               key=lambda i: min(self.positions[i]))
            domain = explained or domain
        if domain:
            return domain
        return [self.intent] if self.intent else []


class IntentDetector:
    """Matches the lexicon's cue phrases against analysed tokens."""

    def __init__(self, lexicon: Lexicon, analyzer: Analyzer):
        self.phrases: list[tuple[tuple[str, ...], str, int]] = []
        cue_lists = [(intent, cues.strong, cues.weak) for intent, cues in lexicon.intents.items()]
        cue_lists += [(intent, cues, []) for intent, cues in lexicon.english.intents.items()]
        for intent, strong, weak in cue_lists:
            for words, weight in ((strong, STRONG), (weak, WEAK)):
                for phrase in words:
                    toks = analyzer.tokens(phrase)
                    if toks:
                        self.phrases.append((toks, intent, weight))
        # Longer phrases first, so «طول می کشد» claims its tokens before «طول».
        self.phrases.sort(key=lambda p: -len(p[0]))
        self.by_first: dict[str, list[tuple[tuple[str, ...], str, int]]] = {}
        for phrase in self.phrases:
            self.by_first.setdefault(phrase[0][0], []).append(phrase)
        self.single = {p[0][0] for p in self.phrases if len(p[0]) == 1}
        self.cue_tokens = {t for p in self.phrases for t in p[0]}

    def _unglue(self, token: str) -> str:
        """The cue a token stands for when an ending is glued to it («قانونیه», «هزینه‌ش», «مراحلی»).
        A one-word cue is preferred; otherwise a word of a longer cue («ماهه» in «چند ماهه»)."""
        if token in self.single:
            return token
        forms = [token[: -len(end)] for end in _GLUED if len(token) > len(end) + 2 and token.endswith(end)]
        forms += spoken_variants(token)
        for form in forms:
            if form in self.single:
                return form
        if token in self.cue_tokens:
            return token
        for form in forms:
            if form in self.cue_tokens:
                return form
        return token

    def detect(self, tokens: tuple[str, ...], statements: frozenset[int] = frozenset()) -> IntentResult:
        """Scores every intent over the tokens and returns the winner, if any scored enough. Cues in
        `statements` (sentences the citizen tells rather than asks) are not questions."""
        toks = tuple(self._unglue(t) for t in tokens)
        found: list[tuple[int, int, str, int]] = []  # (start, size, intent, weight)
        for i, tok in enumerate(toks):
            for phrase, intent, weight in self.by_first.get(tok, ()):
                size = len(phrase)
                if toks[i : i + size] == phrase:
                    found.append((i, size, intent, weight))
        # Longer cues first: their words are theirs, a shorter cue of another intent inside them is not a
        # second question. A cue right after «با» names a subject («آشنایی با مقررات»), it does not ask.
        found.sort(key=lambda m: (-m[1], m[0]))
        claimed: dict[int, str] = {}
        scores: dict[str, int] = {}
        positions: dict[str, set[int]] = {}
        for start, size, intent, weight in found:
            span = range(start, start + size)
            if any(claimed.get(p, intent) != intent for p in span) or (start and toks[start - 1] == "با"):
                continue
            if start in statements and intent not in SMALL_TALK:
                continue
            claimed.update(dict.fromkeys(span, intent))
            scores[intent] = scores.get(intent, 0) + weight
            positions.setdefault(intent, set()).update(span)
        frozen = {k: frozenset(v) for k, v in positions.items()}
        return IntentResult(
            intent=_choose(scores),
            cue_positions=frozenset().union(*frozen.values()) if frozen else frozenset(),
            scores=scores,
            positions=frozen,
        )


def _choose(scores: dict[str, int]) -> str | None:
    best = None
    for intent in PRIORITY:
        score = scores.get(intent, 0)
        if score >= MIN_SCORE and (best is None or score > scores[best]):
            best = intent
    # A question about the service outranks the greeting around it («سلام، مدارک کارا چیه؟»).
    if best in SMALL_TALK:
        domain = [i for i in PRIORITY if i not in SMALL_TALK and scores.get(i, 0) >= MIN_SCORE]
        if domain:
            best = domain[0]
    return best
