"""The question types (intents) a citizen's message can carry, in one place.

The order of the members is their priority: when two types score the same, the earlier wins — a question
beats an action («چطور ثبت‌نام کنم» asks for the steps; the answer offers the register button), and both
beat small talk; asking for a person beats asking the bot. Each member knows whether a card section
answers it (`is_fact`), how the answer names it (`what`) and its button. The lexicon (`intents:` in
knowledge/lexicon.yaml) may only name these; a test checks that every member the lexicon names is known
and every fact type has a composer in answers.py.
"""

from __future__ import annotations

from enum import StrEnum

from bot import texts as T


class Intent(StrEnum):
    TRACK = "track"
    HUMAN = "human"  # the citizen asks for a person (the support desk, bot/dialogue/desk.py)
    DOCUMENTS = "documents"
    COST = "cost"
    DURATION = "duration"
    WEBSITE = "website"
    STEPS = "steps"
    REGISTER = "register"
    IN_PERSON = "in_person"
    PROVIDER = "provider"
    LAWS = "laws"
    AUDIENCE = "audience"
    HELP = "help"
    THANKS = "thanks"
    GREETING = "greeting"

    @property
    def is_fact(self) -> bool:
        """Answered from one section of a service's card."""
        return self in _FACT_LABELS

    @property
    def is_small_talk(self) -> bool:
        return self in (Intent.GREETING, Intent.THANKS, Intent.HELP)

    @property
    def what(self) -> str:
        """How an answer names the section («شناسنامه این خدمت درباره {what} چیزی نگفته است»)."""
        return _FACT_LABELS[self][0]

    @property
    def button(self) -> str:
        """The label of the section's button under a card."""
        return _FACT_LABELS[self][1]


_FACT_LABELS: dict[Intent, tuple[str, str]] = {
    Intent.DOCUMENTS: (T.WHAT["documents"], T.BTN_DOCUMENTS),
    Intent.COST: (T.WHAT["cost"], T.BTN_COST),
    Intent.DURATION: (T.WHAT["duration"], T.BTN_DURATION),
    Intent.WEBSITE: (T.WHAT["website"], T.BTN_WEBSITE),
    Intent.STEPS: (T.WHAT["steps"], T.BTN_STEPS),
    Intent.PROVIDER: (T.WHAT["provider"], T.BTN_CONTACT),
    Intent.LAWS: (T.WHAT["laws"], T.BTN_LAWS),
    Intent.AUDIENCE: (T.WHAT["audience"], T.BTN_AUDIENCE),
    Intent.IN_PERSON: (T.WHAT["in_person"], T.BTN_IN_PERSON),
}

PRIORITY: tuple[Intent, ...] = tuple(Intent)
FACTS: tuple[Intent, ...] = tuple(i for i in Intent if i.is_fact)
SMALL_TALK: frozenset[Intent] = frozenset(i for i in Intent if i.is_small_talk)
NAMES: tuple[str, ...] = tuple(i.value for i in Intent)
