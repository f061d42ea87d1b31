"""The question types are written once (bot.questions.Intent); everything else derives from it."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot import answers
from bot.knowledge import load_knowledge
from bot.questions import FACTS, PRIORITY, Intent

ROOT = Path(__file__).resolve().parent.parent


def test_every_question_type_the_lexicon_names_is_known() -> None:
    raw = yaml.safe_load((ROOT / "knowledge" / "lexicon.yaml").read_text(encoding="utf-8"))
    unknown = sorted(set(raw["intents"]) - {i.value for i in Intent})
    assert unknown == []


def test_every_known_question_type_has_cue_words_in_the_lexicon() -> None:
    lexicon = load_knowledge(ROOT / "knowledge").lexicon
    assert [i for i in Intent if i not in lexicon.intents] == []


def test_every_fact_type_is_answered_from_the_card_with_its_own_button() -> None:
    service = load_knowledge(ROOT / "knowledge").get("13011031101")
    for intent in FACTS:
        reply = answers.fact(service, intent)
        assert reply.text != answers.service_card(service).text, intent  # not the fallback summary
        assert intent.what and intent.button
    assert len({i.button for i in FACTS}) == len(FACTS)


def test_questions_outrank_actions_and_both_outrank_small_talk() -> None:
    order = list(PRIORITY)
    assert order.index(Intent.STEPS) < order.index(Intent.REGISTER) < order.index(Intent.GREETING)
    assert all(order.index(i) < order.index(Intent.HELP) for i in FACTS)
