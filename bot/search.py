"""Finding the service a citizen means: an index built once per knowledge load, and a decision per query.

A message is first read as Persian (English and Finglish are turned into Persian by bot.latin), split into
words and clauses, and its question types found (bot.intents). The catalogue is ranked by bot.retrieval
(BM25F over every field of every card, with the fuzzy name match), together with the services handled
elsewhere (knowledge/elsewhere.yaml), which compete so that a message about a passport is never answered
with one of ours. The result is a decision, not a list: one service that clearly fits, a short choice
(each option with a line saying why), or "not found" with suggestions and, when another body provides what
was asked, that body. A message that only names an agency lists the agency's services; an official service
id in the text names its service; a bare national code or mobile number is recognised as such and never
taken for a tracking code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot import texts as T
from bot.agencies import AgencyDirectory
from bot.folding import ZWNJ, fold
from bot.identifiers import normalize_mobile, normalize_national_code
from bot.intents import IntentDetector, IntentResult
from bot.knowledge import ElsewhereService, Knowledge, Lexicon, Service
from bot.latin import Language, LatinReader
from bot.latin import warm as warm_latin
from bot.lexdata import inflected_variants
from bot.lexdata import warm as warm_lexdata
from bot.persian import only_digits, to_latin_digits
from bot.retrieval import Scored, SearchIndex
from bot.textnorm import Analyzer, normalize, phonetic

# The decision. Coverage is the share of the informative words of the phrases naming a service that the
# service explains; evidence how much its matched words weigh (1 ≈ one word found nowhere else).
CONFIDENT_COVERAGE = 0.75
CONFIDENT_SCORE = 0.4
CONFIDENT_MARGIN = 1.15
RIVAL_EVIDENCE = 1.2  # a runner-up with clearly more evidence makes the first one no clear fit
CONFIDENT_EVIDENCE = 0.45
CONFIDENT_SHARE = 0.2  # a service named by one word of a long message about something else is not clear
# A situation told at length: several distinctive words of one card, far more than any other card has.
SITUATION_WORDS = 3
SITUATION_EVIDENCE = 1.1
SITUATION_COVERAGE = 0.3
SITUATION_MARGIN = 1.9
SITUATION_SCORE_MARGIN = 1.3
# One word that is only a small part of a service's names («کارت» of «کارت اعتباری فنی و حرفه‌ای») is no
# clear sign of it: a clear fit needs half a name, or more than one word (a word of its situations alone,
# «آرایشگری», is fine); and words other services share too («کسب و کار», «مجوز») need a whole name.
CLEAR_NAMES = 0.5
CLEAR_EVIDENCE_WITHOUT_NAME = 0.8
DISTINCTIVE = 0.45
# A long message with much evidence for one card and far less for any other.
STRONG_EVIDENCE = 2.0
STRONG_COVERAGE = 0.2
STRONG_MARGIN = 1.5
# A service named by one of its names (title or alias, complete) fits even amid other words.
NAMED_COVERAGE = 0.4
CHOICE_COVERAGE = 0.5
CHOICE_RATIO = 0.7
CHOICE_SCORE = 0.3  # below this the words were found only in minor fields (steps, description)
CHOICE_EVIDENCE = 0.25  # a word most of our services share («کار») is not enough to offer any of them
CHOICE_SHARE = 0.15
SUGGEST_COVERAGE = 0.3
SUGGEST_SCORE = 0.2  # a word found only in another card's steps is no suggestion
ELSEWHERE_COVERAGE = 0.75  # a service handled elsewhere is named when it clearly fits
ELSEWHERE_QUALITY = 0.6  # ...with words found as written or nearly: a short word's typo («فیل» → «فیش») is not enough
MAX_CHOICES = 5
MAX_WHY_WORDS = 3
TRACKING_CODE_LENGTH = 12  # storage.tracking issues 12 digits

NumberKind = Literal["national_code", "mobile", "tracking_code", "service_id"]
_DIGIT_RUN = re.compile(r"\+?\d[\d\s\-]*\d|\d")
_LATIN = re.compile("[A-Za-z]")
# Words that say what a number is («کد ملیم ...», «شماره موبایلم ...»), not which service is meant.
_NUMBER_WORDS = frozenset({"شماره", "موبایل", "همراه", "تلفن", "کد", "ملی", "کدملی", "شمارم", "تماس"})


@dataclass(frozen=True)
class Candidate:
    """One service and how well it fits the query; `why` says in one Persian line which of the citizen's
    words matched which part of the card."""

    service: Service
    score: float
    coverage: float
    why: str = ""


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
    """Everything the bot understood of one message.

    `intent` is the primary question (by priority), `intents` every question asked, in the order asked
    («مدارکش چیه؟ سایتش کجاست؟» → documents, website). `language` is how the message was written: "fa",
    "finglish" (Persian in Latin letters) or "en"; the bot answers in Persian either way. `number_kind`
    says what a number in the message looks like: a national code or a mobile number typed outside a form
    (never a tracking code), a tracking code, or an official service id. `agency` is the agency a message
    names when it names nothing else (its services are the candidates). `elsewhere` is the service of
    another body the message asks for, when none of ours fits."""

    query: str
    normalized: str
    intent: str | None
    decision: Decision
    service: Service | None  # the service to answer about (the match, or the current one for a follow-up)
    tracking_code: str | None = None
    used_hint: bool = False
    intents: list[str] = field(default_factory=list)
    language: Language = "fa"
    number_kind: NumberKind | None = None
    agency: str | None = None
    elsewhere: ElsewhereService | None = None


class SearchEngine:
    """Understands one message: reads it, detects the question types, ranks services and decides."""

    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge
        self.analyzer = Analyzer(knowledge.lexicon)
        self.intents = IntentDetector(knowledge.lexicon, self.analyzer)
        self.services = list(knowledge.services)
        self.elsewhere = list(getattr(knowledge, "elsewhere", []) or [])
        docs = [_fields(s) for s in self.services] + [_elsewhere_fields(e) for e in self.elsewhere]
        self.index = SearchIndex(docs, self.analyzer, n_primary=len(self.services))
        self.agencies = AgencyDirectory(self.services, knowledge.lexicon, self.analyzer)
        self.latin = LatinReader(knowledge.lexicon, lambda: self.index.raw_words,
                                 _lexicon_words(knowledge.lexicon, self.analyzer))
        self.by_number = {s.id: s for s in self.services if s.id.isdigit()}
        self._doc_of = {s.id: i for i, s in enumerate(self.services)}
        warm_lexdata()
        warm_latin()

    def understand(self, text: str, current_service: str | None = None) -> Understanding:
        """Decides what a message asks and about which service; `current_service` is the id of the card
        the citizen is looking at, used for follow-ups like «هزینه‌اش چقدره؟»."""
        language = self.latin.language(text)
        if language != "fa":
            read = self.latin.to_persian(normalize(text), language)
        elif _LATIN.search(text):  # a Persian message with a Latin word or two («سایت kara»)
            read = self.latin.to_persian(normalize(text), "finglish")
        else:
            read = text
        analysis = self.analyzer.analyze(read)
        tokens = analysis.tokens
        intent_result: IntentResult = self.intents.detect(tokens, analysis.statements)
        intent = intent_result.intent
        code, number_kind, by_id = self._numbers(text, tokens, intent)
        digits = frozenset(i for i, t in enumerate(tokens) if only_digits(t) == t and t)
        if number_kind in ("mobile", "national_code"):  # «شماره موبایلم ۰۹۱۲...»: the words name the number
            digits |= {i for i, t in enumerate(tokens) if t in _NUMBER_WORDS or set(inflected_variants(t)) & _NUMBER_WORDS}
        ranked, content_count = self.index.rank(tokens, intent_result.cue_positions, analysis.clauses, digits)
        services = [r for r in ranked if r.doc < len(self.services)]
        others = [r for r in ranked if r.doc >= len(self.services) and (r.names >= 0.999 or self._own_words(r, tokens))]
        decision = _decide(services, content_count, self.services)
        elsewhere = None
        if others and content_count:
            decision, elsewhere = self._compare_elsewhere(decision, services, others[0])
        decision = self._with_reasons(decision, tokens, services, analysis.normalized)
        agency = None
        if by_id is not None:
            decision = Decision("match", (Candidate(by_id, 1.0, 1.0, T.WHY_SERVICE_ID.format(id=by_id.id)),))
        elif content_count:
            found = self.agencies.match(tokens, intent_result.cue_positions)
            if found is not None:
                agency = found.name
                whole_name = bool(services) and services[0].names >= 0.999 and decision.match is not None
                decision = _agency_decision(decision, found.services, found.related, agency, whole_name)
        # Cue words that are part of the matched service's own name are not a question
        # («دوره آموزش آیین‌نامه‌ها» names a service; it does not ask for its laws).
        while (
            decision.match is not None
            and intent_result.intent is not None
            and intent_result.intent in intent_result.positions
            and self._in_names(decision.match, tokens, intent_result.positions[intent_result.intent])
        ):
            intent_result = intent_result.without(intent_result.intent)
        asked = intent_result.asked
        if code is not None:
            intent, asked = "track", ["track"]
        else:
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
            intents=asked,
            language=language,
            number_kind=number_kind,
            agency=agency,
            elsewhere=elsewhere if decision.kind in ("none", "empty") and number_kind is None else None,
        )

    # ------------------------------------------------------------------------------------------ numbers
    def _numbers(self, text: str, tokens: tuple[str, ...], intent: str | None
                 ) -> tuple[str | None, NumberKind | None, Service | None]:
        """(tracking code, what the number looks like, the service whose official id it is)."""
        runs = [to_latin_digits(m.group()) for m in _DIGIT_RUN.finditer(to_latin_digits(text))]
        for run in runs:
            service = self.by_number.get(only_digits(run))
            if service is not None:
                return None, "service_id", service
        code = _tracking_code(tokens)
        plus = any(r.startswith("+") for r in runs)
        if code is not None and intent != "track":
            if plus or (code.startswith("98") and normalize_mobile(code)) or len(code) != TRACKING_CODE_LENGTH:
                # A bare number of another length (or a 98-prefixed mobile: codes never start with 98) is a
                # mobile or a national code typed outside a form, not a mistyped tracking code (which needs
                # «پیگیری» to be recognised when its length is off).
                code = None
        if code is not None:
            return code, "tracking_code", None
        for run in runs:
            digits = only_digits(run)
            if len(digits) == 10 and not run.startswith("+") and normalize_national_code(digits):
                return None, "national_code", None  # (a mobile is written with its 0 or +98 far more often)
            if normalize_mobile(("+" if run.startswith("+") else "") + digits) and len(digits) >= 10:
                return None, "mobile", None
        return None, None, None

    # ---------------------------------------------------------------------------------------- elsewhere
    def _compare_elsewhere(self, decision: Decision, services: list[Scored], other: Scored
                           ) -> tuple[Decision, ElsewhereService | None]:
        """A service handled elsewhere that fits at least as well as ours takes the message away from ours
        (none of ours is matched); it is named when it clearly fits and none of ours does."""
        entry = self.elsewhere[other.doc - len(self.services)]
        clear = other.coverage >= ELSEWHERE_COVERAGE and other.quality >= max(CHOICE_SCORE, ELSEWHERE_QUALITY)
        top = services[0] if services else None
        if top is None or (other.score >= top.score and other.evidence >= top.evidence
                           and other.coverage >= CHOICE_COVERAGE):
            return Decision("none"), entry if clear else None
        if decision.kind == "none" and clear and other.score >= top.score * CHOICE_RATIO:
            return decision, entry
        return decision, None

    def _own_words(self, other: Scored, tokens: tuple[str, ...]) -> bool:
        """Whether a service handled elsewhere matched a word none of ours has («مسکن» in «وام مسکن»):
        sharing only our words («تسهیلات») is no sign that it is what the citizen means."""
        n = len(self.services)
        return any(all(doc >= n for doc in self.index.matches(phonetic(tokens[p]))[2]) for p in other.matched)

    # ------------------------------------------------------------------------------------------ reasons
    def _with_reasons(self, decision: Decision, tokens: tuple[str, ...], services: list[Scored],
                      normalized: str) -> Decision:
        """The decision with a `why` line for each option of a choice and for a match."""
        if decision.kind not in ("choice", "match"):
            return decision
        # The citizen's words as they wrote them («آموزش», not the folded «اموزش»).
        written = {fold(w): w for w in normalized.replace(ZWNJ, " ").split()}
        tokens = tuple(written.get(t, t) for t in tokens)
        by_doc = {r.doc: r for r in services}
        out = []
        for i, c in enumerate(decision.candidates):
            scored = by_doc.get(self._doc(c.service)) if decision.kind == "choice" or i == 0 else None
            why = self._why(scored, tokens) if scored is not None else ""
            out.append(Candidate(c.service, c.score, c.coverage, why))
        return Decision(decision.kind, tuple(out))

    def _why(self, scored: Scored, tokens: tuple[str, ...]) -> str:
        """«خوشه»، «صنعتی» در نام‌های رایج خدمت؛ «کارگاه» در موقعیت‌های رایج این خدمت"""
        by_field: dict[str, list[str]] = {}
        for pos in scored.matched:
            fname = self.index.fields_of(scored.doc, phonetic(fold(tokens[pos])))
            if fname is not None:
                words = by_field.setdefault(fname, [])
                if tokens[pos] not in words:
                    words.append(tokens[pos])
        parts = []
        for fname, words in list(by_field.items())[:2]:
            quoted = "، ".join(f"«{w}»" for w in words[:MAX_WHY_WORDS])
            parts.append(T.WHY_WORDS.format(words=quoted, field=T.WHY_FIELDS.get(fname, fname)))
        return T.WHY_JOIN.join(parts)

    def _doc(self, service: Service) -> int:
        return self._doc_of.get(service.id, -1)

    def _in_names(self, service: Service, tokens: tuple[str, ...], positions: frozenset[int]) -> bool:
        doc = self._doc(service)
        return doc >= 0 and self.index.names_contain(doc, tokens, positions)


def _decide(ranked: list[Scored], content_count: int, services: list[Service]) -> Decision:
    """One clear fit → match; a few close fits → choice; otherwise none (with suggestions)."""
    cands = [Candidate(services[r.doc], round(r.score, 4), round(r.coverage, 4)) for r in ranked]
    if content_count == 0:
        return Decision("empty", tuple(cands[:MAX_CHOICES]))
    if not ranked:
        return Decision("none")
    top = ranked[0]
    second = ranked[1] if len(ranked) > 1 else None
    ahead = second is None or (
        (top.score >= second.score * CONFIDENT_MARGIN or top.coverage >= second.coverage + 0.25)
        and second.evidence <= top.evidence * RIVAL_EVIDENCE
    )
    clear = (
        top.coverage >= CONFIDENT_COVERAGE
        and top.quality >= CONFIDENT_SCORE
        and top.evidence >= CONFIDENT_EVIDENCE
        and top.share >= CONFIDENT_SHARE
        and (top.names >= 0.999 or (top.peak >= DISTINCTIVE and (top.names >= CLEAR_NAMES or top.names == 0
                                                                  or top.evidence >= CLEAR_EVIDENCE_WITHOUT_NAME)))
        and ahead
    )
    named = top.names >= 0.999 and top.coverage >= NAMED_COVERAGE and top.evidence >= CONFIDENT_EVIDENCE and ahead
    situation = (
        len(top.matched) >= SITUATION_WORDS
        and top.evidence >= SITUATION_EVIDENCE
        and top.coverage >= SITUATION_COVERAGE
        and (second is None or (top.evidence >= second.evidence * SITUATION_MARGIN
                                and top.score >= second.score * SITUATION_SCORE_MARGIN))
    )
    strong = (
        top.evidence >= STRONG_EVIDENCE
        and top.coverage >= STRONG_COVERAGE
        and (second is None or (top.evidence >= second.evidence * STRONG_MARGIN
                                and top.score >= second.score * STRONG_MARGIN))
    )
    if clear or named or situation or strong:
        return Decision("match", tuple(cands[:MAX_CHOICES]))
    if (top.coverage >= CHOICE_COVERAGE and top.quality >= CHOICE_SCORE and top.evidence >= CHOICE_EVIDENCE
            and top.share >= CHOICE_SHARE):
        close = [c for c, r in zip(cands, ranked, strict=True)
                 if r.score >= top.score * CHOICE_RATIO and r.coverage >= CHOICE_COVERAGE]
        return Decision("choice", tuple(close[:MAX_CHOICES]))
    suggestions = [c for c, r in zip(cands, ranked, strict=True)
                   if r.coverage >= SUGGEST_COVERAGE and r.quality >= SUGGEST_SCORE]
    return Decision("none", tuple(suggestions[:3]))


def _agency_decision(decision: Decision, own: tuple[Service, ...], related: tuple[Service, ...],
                     agency: str, whole_name: bool) -> Decision:
    """The services of a named agency: its own one as the match when it has one, a choice when several;
    the other services of its parent agency follow as further options."""
    if not own:
        return decision
    why = T.WHY_AGENCY.format(agency=agency)
    if decision.match is not None and (decision.match == own[0] if len(own) == 1 else whole_name):
        first = decision.candidates[0]  # the agency's own name is also the service's («فنی حرفه ای»)
        rest = tuple(Candidate(s, 1.0, 1.0, why) for s in (*own, *related) if s != first.service)
        return Decision("match", (first, *rest)[:MAX_CHOICES])
    cands = tuple(Candidate(s, 1.0, 1.0, why) for s in (*own, *related))[:MAX_CHOICES]
    return Decision("match" if len(own) == 1 else "choice", cands)


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
        ("needs", list(getattr(service, "needs", []) or [])),
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


def _elsewhere_fields(entry: ElsewhereService) -> list[tuple[str, list[str]]]:
    return [("title", [entry.title]), ("aliases", list(entry.aliases))]


def _lexicon_words(lexicon: Lexicon, analyzer: Analyzer) -> set[str]:
    """The Persian words of the lexicon (cues, colloquial forms, synonyms, stopwords, agencies), folded: the
    first place a Finglish word is looked for."""
    texts = [*lexicon.colloquial, *lexicon.colloquial.values(), *lexicon.stopwords]
    for entry in lexicon.synonyms:
        texts += [entry.term, *entry.variants]
    for cues in lexicon.intents.values():
        texts += [*cues.strong, *cues.weak]
    for name, variants in lexicon.agencies.items():
        texts += [name, *variants]
    texts += list(lexicon.english.terms.values())
    return {w for t in texts for w in fold(normalize(t)).split() if not w.isascii()}
