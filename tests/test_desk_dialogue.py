"""The support desk in the dialogue alone: turns in, replies and posts out through a recording outbox (no
python-telegram-bot, no fake Bot API); and the working hours that say roughly when a person answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import texts as T
from bot.dialogue import DeliveryFailed, Dialogue, Post, StaffTurn, Turn
from bot.knowledge import load_knowledge
from bot.persian import TEHRAN
from bot.reply import Reply, render_plain
from bot.search import SearchEngine
from bot.settings import Settings
from bot.workhours import parse_hours
from storage import Store
from tests.support.identity import national_code

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = load_knowledge(ROOT / "knowledge")
GROUP, STAFF, CITIZEN = -100500, 77, 501


class Outbox:
    """Records replies (`send`) and posts (`post`, numbered like a chat's messages); can refuse posts."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, Reply]] = []
        self.posts: list[tuple[int, Post, int]] = []
        self.refuse_posts = False

    async def send(self, chat_id: int, reply: Reply) -> bool:
        self.sent.append((chat_id, reply))
        return True

    async def post(self, chat_id: int, post: Post) -> int | None:
        if self.refuse_posts:
            raise DeliveryFailed("refused")
        message_id = 100 + len(self.posts)
        self.posts.append((chat_id, post, message_id))
        return message_id

    def texts(self) -> list[str]:
        return [render_plain(r.text) for _, r in self.sent]

    def posted(self, chat_id: int) -> list[str]:
        return [render_plain(p.reply.text) for c, p, _ in self.posts if c == chat_id]


@pytest.fixture
async def dialogue(store: Store, clock) -> AsyncIterator[Dialogue]:
    """The desk's dialogue on a fresh database of each backend in turn (conftest `store`)."""
    d = Dialogue(Settings(support_chat_id=GROUP, staff_ids=frozenset({STAFF})), store, SearchEngine(KNOWLEDGE))
    d.desk.clock = clock
    yield d


async def say(d: Dialogue, text: str, out: Outbox | None = None, message_id: int | None = None) -> Outbox:
    out = out or Outbox()
    await d.handle(Turn(CITIZEN, CITIZEN, text=text, message_id=message_id), out)
    return out


async def test_a_request_for_a_person_that_names_a_question_carries_it_masked(dialogue: Dialogue) -> None:
    await say(dialogue, f"کد ملی من {national_code('001234567')} است")
    out = await say(dialogue, "اپراتور، درباره صدور گذرنامه سؤال دارم")
    assert out.texts()[0].startswith("درخواست گفت‌وگوی شما با کارشناس ثبت شد (شماره ۱)")
    [posted] = out.posted(GROUP)
    assert "پرسش: «اپراتور، درباره صدور گذرنامه سؤال دارم»" in posted
    assert national_code("001234567") not in posted and "👤 کد ملی من" in posted  # the context, masked


async def test_a_service_named_with_a_cue_word_is_no_request_for_a_person(dialogue: Dialogue) -> None:
    out = await say(dialogue, "ثبت نام دوره کارشناسی")  # «کارشناسی» is a degree, not «کارشناس»
    assert out.posts == [] and await dialogue.store.tickets.open_for("telegram", CITIZEN) is None


async def test_a_ticket_the_group_refused_is_posted_by_the_delivery_round_with_what_waited(dialogue: Dialogue) -> None:
    out = Outbox()
    out.refuse_posts = True
    dialogue.desk.retry_base = 0.0  # retried at the next round
    await say(dialogue, "اپراتور", out)
    await say(dialogue, "پرسشم درباره یارانه است", out, message_id=11)
    await say(dialogue, "پرسشم درباره یارانه است", out, message_id=11)  # the same update, handled twice
    assert out.posts == []
    out.refuse_posts = False
    assert await dialogue.deliver_notices(out) == 2
    posted = out.posted(GROUP)
    assert posted[0].startswith("🎫 #۱") and posted[1:] == ["💬 #۱ شهروند:\nپرسشم درباره یارانه است"]
    assert out.posts[1][1].reply_to == out.posts[0][2]  # threaded under the ticket
    assert await dialogue.deliver_notices(out) == 0


async def test_staff_answer_from_the_group_only(dialogue: Dialogue) -> None:
    out = await say(dialogue, "اپراتور")
    root = out.posts[0][2]
    other_chat = Outbox()
    await dialogue.handle_staff(StaffTurn(STAFF, -999, 5, "مینا", text="سلام", reply_to=root), other_chat)
    await dialogue.handle_staff(StaffTurn(STAFF + 1, GROUP, 6, "ناشناس", text="سلام", reply_to=root), other_chat)
    assert other_chat.posts == [] and other_chat.sent == []
    await dialogue.handle_staff(StaffTurn(STAFF, GROUP, 7, "مینا", text="سلام، بفرمایید", reply_to=root), other_chat)
    [(chat, post, _)] = other_chat.posts
    assert chat == CITIZEN and render_plain(post.reply.text) == "👤 پاسخ کارشناس پشتیبانی:\nسلام، بفرمایید"


async def test_a_button_on_a_closed_ticket_says_it_is_closed(dialogue: Dialogue) -> None:
    from bot.payload import TicketOp, ticket

    await say(dialogue, "اپراتور")
    await say(dialogue, "/cancel")  # the citizen closes it
    for op in (TicketOp.TAKE, TicketOp.CLOSE):
        tapped = await dialogue.handle_staff(StaffTurn(STAFF, GROUP, 9, "مینا", button=ticket(op, 1)), Outbox())
        assert tapped.alert == T.DESK_ALREADY_CLOSED.format(number="۱")  # a tap sends nobody anything


async def test_unanswered_lists_only_the_suggestions_editors_have_not_decided(dialogue: Dialogue) -> None:
    from bot.dialogue.staff import suggestions_lines

    for question in ("وام ازدواج", "گذرنامه"):
        await dialogue.store.tickets.suggest(None, "telegram", question, None, STAFF)
    [passport, _] = await dialogue.store.tickets.suggestions()  # newest first
    await dialogue.store.tickets.decide_suggestion(passport.id, "rejected", "console:sara", "خدمت ما نیست")
    lines = "\n".join(await suggestions_lines(dialogue.store, KNOWLEDGE))
    assert "وام ازدواج" in lines and "گذرنامه" not in lines


def test_working_hours_say_roughly_when_a_person_answers() -> None:
    hours = parse_hours("sat-wed 08:00-16:00")
    assert hours.describe() == "شنبه تا چهارشنبه، ساعت ۸:۰۰ تا ۱۶:۰۰"
    saturday_morning = dt.datetime(2025, 3, 22, 7, 0, tzinfo=TEHRAN)
    assert not hours.is_open(saturday_morning) and hours.when_text(saturday_morning) == "امروز ساعت ۸:۰۰"
    assert hours.is_open(saturday_morning.replace(hour=9))
    assert hours.when_text(saturday_morning.replace(hour=17)) == "فردا (یکشنبه) ساعت ۸:۰۰"
    thursday = dt.datetime(2025, 3, 20, 10, 0, tzinfo=TEHRAN)
    assert not hours.is_open(thursday) and hours.when_text(thursday) == "شنبه ساعت ۸:۰۰"
    assert parse_hours("8-14").describe() == "شنبه تا جمعه، ساعت ۸:۰۰ تا ۱۴:۰۰"
    assert parse_hours("thu-sat 9:30-12").describe() == "شنبه، پنجشنبه تا جمعه، ساعت ۹:۳۰ تا ۱۲:۰۰"
    for bad in ("always", "sat-wed 16-08", "someday 8-9"):
        with pytest.raises(ValueError, match="BOT_SUPPORT_HOURS"):
            parse_hours(bad)


async def test_the_ticket_tells_the_citizen_when_outside_working_hours(dialogue: Dialogue, clock) -> None:
    clock.now = dt.datetime(2025, 3, 20, 10, 0, tzinfo=TEHRAN)  # a Thursday
    out = await say(dialogue, "اپراتور")
    assert T.DESK_WHEN_CLOSED.format(hours="شنبه تا چهارشنبه، ساعت ۸:۰۰ تا ۱۶:۰۰", next="شنبه ساعت ۸:۰۰") in out.texts()[0]


def test_settings_read_the_desk_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_SUPPORT_CHAT_ID", "-1001234")
    monkeypatch.setenv("BOT_STAFF_IDS", "7, bale:8")
    settings = Settings(_env_file=None)
    assert settings.desk_enabled and settings.support_chat_id == -1001234
    assert settings.is_staff("telegram", 7) and settings.is_staff("bale", 8) and not settings.is_staff("telegram", 8)
    monkeypatch.setenv("BOT_SUPPORT_CHAT_ID", "")
    assert not Settings(_env_file=None).desk_enabled
