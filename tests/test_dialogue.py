"""The dialogue on its own: turns in, replies out through a recording outbox — no python-telegram-bot, no
fake Bot API. What the citizen sees is asserted on the replies; what must stay true on the store.

The same conversations through the real Telegram/Bale stack are in test_conversation.py and
test_registration.py.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import texts as T
from bot.dialogue import DeliveryFailed, Dialogue, RecipientGone
from bot.dialogue.staff import stats_reply
from bot.knowledge import load_knowledge
from bot.payload import Action, pack
from bot.reply import render_plain
from storage.requests import CONFIRMATION_GRACE_SECONDS
from tests.support.dialogue import CITIZEN, RecordingOutbox, dialogue_on, say, tap
from tests.support.identity import national_code

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = load_knowledge(ROOT / "knowledge")
KARA = "13011031101"
ADMIN = 502
CODE_SHOWN = re.compile(r"کد رهگیری: ([۰-۹]{12})")


@pytest.fixture
async def dialogue(tmp_path: Path, clock) -> AsyncIterator[Dialogue]:
    async with dialogue_on(tmp_path / "bot.db", clock, admin_ids=frozenset({ADMIN})) as d:
        yield d


async def test_a_question_is_answered_from_the_card_and_names_the_service(dialogue: Dialogue) -> None:
    out = await say(dialogue, "مدارک لازم برای وام کارا چیه؟")
    [text] = out.texts()
    assert text.startswith("مدارک لازم برای «ارائه معرفی‌نامه دریافت تسهیلات طرح کارا»")
    assert out.labels() == [T.BTN_CARD, T.BTN_REGISTER, T.VOTE_UP, T.VOTE_DOWN]
    follow_up = await say(dialogue, "هزینه‌اش چقدره؟")  # the current service carries over
    assert "kara.mcls.gov.ir" in follow_up.texts()[0]


async def test_a_forged_or_stale_button_gets_an_alert_and_changes_nothing(dialogue: Dialogue) -> None:
    for data in ("s:no-such-service", "x:1", "i:13011031101:salary", "b:a:zz:99999", "m:nothing", "f:c:0:1"):
        out, result = await tap(dialogue, data)
        if data.startswith("f:"):  # a form button answers in the chat, like a stale one
            assert out.texts() == [T.STALE_BUTTON], data
        else:
            assert (out.texts(), result.alert) == ([], T.STALE_BUTTON), data
    state = await dialogue.store.chats.get(dialogue.platform, CITIZEN)
    assert state.current_service is None


async def test_registration_by_turns_issues_a_tracking_code(dialogue: Dialogue) -> None:
    await tap(dialogue, pack(Action.REGISTER, KARA))
    await say(dialogue, "مریم احمدی")
    await say(dialogue, national_code("001354241"))
    await say(dialogue, "09121234567")
    summary = await say(dialogue, "تهران")
    assert T.FORM_CONFIRM in summary.labels()
    confirm = next(b.data for _, r in summary.sent for row in r.buttons for b in row if b.label == T.FORM_CONFIRM)
    out, _ = await tap(dialogue, confirm)
    [code] = CODE_SHOWN.findall(out.texts()[0])
    [request] = await dialogue.store.requests.list()
    assert request.tracking_code == code.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    assert await dialogue.store.drafts.get(dialogue.platform, CITIZEN) is None


async def test_a_confirmation_the_platform_did_not_confirm_is_not_resent_but_shown_once_more(
    dialogue: Dialogue, clock
) -> None:
    await tap(dialogue, pack(Action.REGISTER, KARA))
    for answer in ("مریم احمدی", national_code("001354241"), "09121234567"):
        await say(dialogue, answer)
    summary = await say(dialogue, "تهران")
    confirm = next(b.data for _, r in summary.sent for row in r.buttons for b in row if b.label == T.FORM_CONFIRM)
    timed_out = RecordingOutbox()
    timed_out.confirm = False  # the platform did not answer in time: the message has most likely arrived
    await tap(dialogue, confirm, out=timed_out)
    [code] = CODE_SHOWN.findall(timed_out.texts()[0])
    clock.advance(seconds=CONFIRMATION_GRACE_SECONDS + 1)
    assert await dialogue.deliver_notices(RecordingOutbox()) == 0  # never a second confirmation
    next_turn = await say(dialogue, "سلام")
    assert code in next_turn.texts()[0] and T.TRACK_BUTTON in next_turn.labels()  # the code, once more
    assert all(code not in t for t in (await say(dialogue, "سلام")).texts())  # and only once


async def test_a_notice_to_a_citizen_who_left_is_dropped_and_a_failed_one_retried(dialogue: Dialogue) -> None:
    created = await dialogue.store.requests.create(KARA, dialogue.platform, CITIZEN, CITIZEN, None, None, {})
    await dialogue.store.requests.mark_confirmed(created.tracking_code)
    await dialogue.store.requests.set_status(created.tracking_code, "under_review", note=None, actor="staff")
    failing = RecordingOutbox()
    failing.fail = DeliveryFailed
    assert await dialogue.deliver_notices(failing) == 0  # kept for the next round
    gone = RecordingOutbox()
    gone.fail = RecipientGone
    assert await dialogue.deliver_notices(gone) == 1  # given up for good
    assert await dialogue.deliver_notices(RecordingOutbox()) == 0


async def test_admin_commands_answer_admins_only(dialogue: Dialogue) -> None:
    assert (await say(dialogue, "/stats")).texts() == [T.UNKNOWN_COMMAND]
    assert (await say(dialogue, "/reload")).texts() == [T.UNKNOWN_COMMAND]
    [stats] = (await say(dialogue, "/stats@khedmat_bot", user=ADMIN)).texts()
    assert stats.startswith(T.ADMIN_STATS_TITLE.format(days="۷"))


async def test_staff_reports_need_no_running_bot(dialogue: Dialogue) -> None:
    await say(dialogue, "وام کارا")
    reply = await stats_reply(dialogue.store, KNOWLEDGE, days=7)
    assert "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا" in render_plain(reply.text)


async def test_every_turn_and_reply_is_logged_with_what_was_understood(dialogue: Dialogue) -> None:
    await say(dialogue, "/start")
    await say(dialogue, "مجوز صید ماهی")
    await tap(dialogue, pack(Action.SERVICE, KARA))
    entries = list(reversed(await dialogue.store.log.query(limit=10)))  # oldest first
    assert [(e.direction, e.text[:12].rstrip("*")) for e in entries] == [
        ("out", "سلام مریم! 👋"[:12]), ("in", "/start"),
        ("out", "متأسفانه خدمتی با «مجوز صید ماهی»"[:12]), ("in", "مجوز صید ماهی"[:12]),
        ("out", "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"[:12]), ("in", f"[دکمه] s:{KARA}"[:12]),
    ]
    assert entries[3].answered is False and entries[5].service_id == KARA


async def test_a_question_reads_the_chat_state_once(dialogue: Dialogue, monkeypatch) -> None:
    # PostgreSQL has no cache in front of it: each read of the state is a round trip per message.
    await say(dialogue, "وام کارا")
    chats = dialogue.store.chats
    reads: list[int] = []
    real_get = chats.get

    async def counting_get(platform: str, user_id: int):
        reads.append(user_id)
        return await real_get(platform, user_id)

    monkeypatch.setattr(chats, "get", counting_get)
    follow_up = await say(dialogue, "هزینه‌اش چقدره؟")
    assert "kara.mcls.gov.ir" in follow_up.texts()[0]  # the current service still carries over
    assert reads == [CITIZEN]


async def test_a_form_changed_by_an_admin_midway_asks_the_new_question_and_stores_nothing_wrong(
    dialogue: Dialogue,
) -> None:
    # The bot reloads published knowledge at once: a citizen may be half-way through the form it changes.
    from bot.editor.publish import knowledge_with
    from bot.forms import DEFAULT_FIELDS
    from bot.knowledge import FormField, Registration
    from bot.search import SearchEngine

    await tap(dialogue, pack(Action.REGISTER, KARA))
    await say(dialogue, "مریم احمدی")
    asked = await say(dialogue, national_code("001354241"))
    assert "شماره همراه" in asked.texts()[-1]
    father = FormField(name="father_name", label="نام پدر", type="person_name")
    fields = [DEFAULT_FIELDS[0], father, *DEFAULT_FIELDS[1:]]
    kara = KNOWLEDGE.get(KARA).model_copy(update={"registration": Registration(fields=fields)})
    dialogue.engine = SearchEngine(knowledge_with(KNOWLEDGE, kara))  # what the knowledge watch does

    changed = await say(dialogue, "09121234567")  # answers the question that moved
    assert changed.texts()[-2] == T.FORM_CHANGED
    assert changed.texts()[-1].startswith(T.FORM_QUESTION.format(n="۲", total="۵", label="نام پدر"))
    draft = await dialogue.store.drafts.get(dialogue.platform, CITIZEN)
    assert "father_name" not in draft.answers and "mobile" not in draft.answers
    for answer in ("علی احمدی", national_code("001354241"), "09121234567"):
        await say(dialogue, answer)
    summary = (await say(dialogue, "تهران")).texts()[-1]
    assert "نام پدر: علی احمدی" in summary and "شماره همراه: ۰۹۱۲۱۲۳۴۵۶۷" in summary
