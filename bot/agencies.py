"""Agencies as citizens name them: «وزارت کار», «فنی حرفه ای», «امداد», «استانداری تهران».

An agency is a provider or parent agency written on the cards (a provider like «وزارت تعاون، کار و رفاه
اجتماعی - معاونت توسعه کارآفرینی و اشتغال» also names each of its parts), plus the other names admins list
under `agencies:` in the lexicon. A message that only names an agency (with, at most, words like «اداره»
or «سازمان», a place, and a question) is answered with that agency's services: those it provides, those of
the agencies under it, and the other services of its parent agency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.folding import fold
from bot.knowledge import Lexicon, Service
from bot.lexdata import inflected_variants, is_function_word, is_place, spoken_variants
from bot.textnorm import Analyzer, phonetic, stem

# Words that are part of agency names but do not tell agencies apart; a message may add or drop them.
GENERIC = frozenset(
    phonetic(w) for w in (
        "اداره", "اداره کل", "کل", "سازمان", "وزارت", "وزارتخانه", "نهاد", "شرکت", "مرکز", "دفتر", "معاونت",
        "کشور", "ایران", "استان", "شهرستان", "ره", "ع", "امام", "خمینی", "شعبه", "جمهوری", "اسلامی",
    )
)
GENERIC = frozenset(w for g in GENERIC for w in g.split())
_PARTS = re.compile(r"\s+[-–—]\s+")


@dataclass(frozen=True)
class Agency:
    """An agency of the catalogue: its name as the cards write it and its services, own ones first."""

    name: str
    services: tuple[Service, ...]  # provided by it or by the agencies under it
    related: tuple[Service, ...]  # the other services of its parent agency


class AgencyDirectory:
    """Recognises a message that only names an agency."""

    def __init__(self, services: list[Service], lexicon: Lexicon, analyzer: Analyzer):
        self.analyzer = analyzer
        self._keys: dict[str, str] = {}
        own: dict[str, dict[str, Service]] = {}  # agency key → services by id, in catalogue order
        display: dict[str, str] = {}
        parent_of: dict[str, set[str]] = {}
        for service in services:
            names = [service.provider, *_PARTS.split(service.provider)]
            keys = {self._key(n) for n in names}
            if service.parent_agency:
                parent = self._key(service.parent_agency)
                keys.add(parent)
                display.setdefault(parent, service.parent_agency)
                for k in keys - {parent}:
                    parent_of.setdefault(k, set()).add(parent)
            for name in names:
                display.setdefault(self._key(name), name.strip())
            for k in keys:
                own.setdefault(k, {}).setdefault(service.id, service)
        self.names: list[tuple[frozenset[str], str]] = []  # (words of one way of naming it, agency key)
        for key in own:
            self.names.append((frozenset(key.split()), key))
        for canonical, variants in lexicon.agencies.items():
            key = self._key(canonical)
            display.setdefault(key, canonical)
            for variant in [canonical, *variants]:
                words = frozenset(self._key(variant).split())
                if words:
                    self.names.append((words, key))
        self.own = {k: list(v.values()) for k, v in own.items()}
        self.vocabulary = frozenset(w for name, _ in self.names for w in name) | GENERIC
        self.longest = max((len(name) for name, _ in self.names), default=0)
        self.display = display
        self.parent_of = parent_of

    def _key(self, name: str) -> str:
        """An agency name as a set-like key: its content words, stemmed, in order."""
        key = self._keys.get(name)
        if key is None:
            words = [stem(phonetic(t)) for t in self.analyzer.tokens(fold(name))]
            key = " ".join(w for w in words if w not in self.analyzer.stopwords and not is_function_word(w))
            self._keys[name] = key
        return key

    def match(self, tokens: tuple[str, ...], skip: frozenset[int]) -> Agency | None:
        """The agency a message names, if the message names nothing else (positions in `skip` are the
        question's cue words)."""
        if len(tokens) > self.longest + 6:
            return None  # a long message is not just an agency's name
        words: list[set[str]] = []
        for i, token in enumerate(tokens):
            key = phonetic(token)
            if key in self.analyzer.stopwords or is_function_word(key) or is_place(token) or key.isdigit():
                continue
            forms = {stem(key), key, *(stem(v) for v in (*spoken_variants(key), *inflected_variants(key)))}
            if i in skip and not forms & self.vocabulary:
                continue  # a question word («کجاست»), unless it is part of a name («اداره»)
            words.append(forms)
        if not words:
            return None
        all_forms = set().union(*words)
        best: tuple[int, str] | None = None
        for name, key in self.names:
            if not name & all_forms:
                continue
            core = name - GENERIC or name
            covered = {w for w in name if any(w in forms for forms in words)}
            if not core <= covered:
                continue
            if name & GENERIC and core != name and not covered & GENERIC and len(core) < 2:
                continue  # «کار» alone does not name «وزارت کار»
            if all(forms & name or forms & GENERIC for forms in words) and (best is None or len(name) > best[0]):
                best = (len(name), key)
        if best is None:
            return None
        key = best[1]
        services = list(self.own.get(key, []))
        related: list[Service] = []
        for parent in self.parent_of.get(key, ()):
            related += [s for s in self.own.get(parent, []) if s not in services and s not in related]
        return Agency(name=self.display.get(key, key), services=tuple(services), related=tuple(related))
