"""The support desk end to end, on Telegram and on Bale: the real Application against the fake Bot API peer,
with the citizen in a private chat and the staff in a group (BOT_SUPPORT_CHAT_ID).

A citizen asks for a person → the ticket appears in the group → a staff member replies → the citizen
receives it, as from the support team → the ticket is closed. A group member who is not staff can do
nothing; a citizen's follow-up lands in the same ticket; a restart in the middle loses nothing. Votes on
answers are counted in the stats.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot import texts as T
from bot.knowledge import load_knowledge
from bot.payload import Action, pack
from handlers import send as send_module
from handlers.fakeapi import BotApiPeer
from handlers.notices import deliver_notices
from storage import open_database
from storage.tracking import new_code
from tests.support.botchat import FLOOD_BURST_FOR_TESTS, KNOWLEDGE_DIR, RunningBot, labels, running_app
from tests.support.identity import national_code

KNOWLEDGE = load_knowledge(KNOWLEDGE_DIR)
GROUP = -1001234567
STAFF, OTHER_STAFF, OUTSIDER, ADMIN = 9001, 9004, 9002, 9003
STAFF_NAME = "مینا رضایی"
CITIZEN = 4242
KARA_ID = "13011031101"
NOT_FOUND_QUESTION = "مجوز پرورش زنبور عسل"

Message = dict[str, Any]


@pytest.fixture(params=["telegram", "bale"])
def peer(request: pytest.FixtureRequest) -> BotApiPeer:
    return BotApiPeer(request.param)


@asynccontextmanager
async def desk_bot(peer: BotApiPeer, database: Path | str, **options: Any) -> AsyncIterator[RunningBot]:
    """The bot with the desk on (group GROUP, staff STAFF, admin ADMIN) on `database` (the conftest fixture:
    each test runs on SQLite and on PostgreSQL); a failed relay is retried at once."""
    settings = {"support_chat_id": GROUP, "staff_ids": frozenset({STAFF, OTHER_STAFF}),
                "admin_ids": frozenset({ADMIN}), "flood_burst": FLOOD_BURST_FOR_TESTS, "knowledge": KNOWLEDGE,
                **options}
    async with running_app(peer, database, **settings) as bot:
        bot.rt.dialogue.desk.retry_base = 0.0
        yield bot
    assert bot.errors == [], f"a handler failed: {bot.errors!r}"


def plain(message: Message) -> str:
    """What a person reads, without Bale's bold marks."""
    return (message["plain"] or "").replace("*", "")


def tickets_in(messages: list[Message]) -> list[Message]:
    return [m for m in messages if plain(m).startswith("🎫 #")]


async def arrivals(peer: BotApiPeer, chat_id: int, before: int, timeout: float = 10) -> list[Message]:  # noqa: ASYNC109
    """Waits until the bot has sent something to `chat_id` after its first `before` messages; returns it."""
    await peer.wait_until(lambda: len(peer.outbox(chat_id)) > before, timeout)
    return peer.outbox(chat_id)[before:]


async def open_ticket(bot: RunningBot, citizen_id: int = CITIZEN) -> Message:
    """The citizen asks something the bot cannot answer, then asks for a person; returns the ticket's
    message in the group."""
    citizen = bot.citizen(citizen_id)
    [not_found] = await citizen.send(NOT_FOUND_QUESTION)
    assert T.DESK_BUTTON in labels(not_found)
    before = len(bot.peer.sent(GROUP))
    [opened] = await citizen.tap(T.DESK_BUTTON)
    assert plain(opened).startswith(T.DESK_OPENED.split("(")[0])
    [posted] = bot.peer.sent(GROUP)[before:]
    return posted


async def test_a_citizen_talks_to_a_person_who_answers_as_the_support_team_and_closes(
    peer: BotApiPeer, database: Path | str
) -> None:
    async with desk_bot(peer, database) as bot:
        group, citizen = bot.group(GROUP), bot.citizen(CITIZEN)
        posted = await open_ticket(bot)
        text = plain(posted)
        assert text.startswith("🎫 #۱") and f"«{NOT_FOUND_QUESTION}»" in text
        assert f"👤 {NOT_FOUND_QUESTION}" in text  # the citizen's recent turns, oldest first
        assert text.index(f"👤 {NOT_FOUND_QUESTION}") < text.index("🤖 متأسفانه")
        assert posted["buttons"] == [[T.DESK_BTN_TAKE, T.DESK_BTN_CLOSE], [T.DESK_BTN_SUGGEST]]

        # While the ticket is open the bot does not answer the citizen itself: the follow-up goes to the ticket.
        assert await citizen.send("برای پسرم می‌خواهم؛ مدارکش چیه؟") == []
        follow_up = group.messages()[-1]
        assert plain(follow_up) == "💬 #۱ شهروند:\nبرای پسرم می‌خواهم؛ مدارکش چیه؟"
        assert follow_up["reply_to"] == posted["message_id"]  # threaded under the ticket, on both platforms

        before = len(peer.outbox(CITIZEN))
        await group.reply(STAFF, posted, "سلام؛ گذرنامه را پلیس مهاجرت و گذرنامه صادر می‌کند.", name=STAFF_NAME)
        [answer] = peer.outbox(CITIZEN)[before:]
        assert plain(answer) == "👤 پاسخ کارشناس پشتیبانی:\nسلام؛ گذرنامه را پلیس مهاجرت و گذرنامه صادر می‌کند."
        assert "مینا" not in plain(answer) and str(STAFF) not in plain(answer)  # never the staff member's name

        # A reply to the follow-up (not to the ticket's own message) reaches the citizen too.
        await group.reply(STAFF, follow_up, "مدارک: شناسنامه و کارت ملی.")
        assert plain(peer.outbox(CITIZEN)[-1]) == "👤 پاسخ کارشناس پشتیبانی:\nمدارک: شناسنامه و کارت ملی."

        # Whoever answered first has taken it; closing tells the citizen, and the bot answers again.
        report = await group.send(STAFF, "/ticket 1")
        assert f"{T.DESK_TICKET_TAKEN.format(name=STAFF_NAME)}" in plain(report[0])
        notes = await group.tap(STAFF, T.DESK_BTN_CLOSE, on=posted, name=STAFF_NAME)
        assert [plain(m) for m in notes] == [T.DESK_CLOSED_NOTE.format(number="۱", name=STAFF_NAME)]
        assert plain(peer.outbox(CITIZEN)[-1]) == T.DESK_CLOSED_BY_STAFF.format(number="۱")
        [card] = await citizen.send("مدارک وام کارا چیه؟")
        assert plain(card).startswith("مدارک لازم برای")
        assert labels(card)[-2:] == [T.VOTE_UP, T.VOTE_DOWN]
        # After the close a staff reply is not relayed; staff are told.
        before = len(peer.outbox(CITIZEN))
        [closed] = await group.reply(STAFF, posted, "یک نکته دیگر")
        assert plain(closed) == T.DESK_IS_CLOSED.format(number="۱") and peer.outbox(CITIZEN)[before:] == []

        logged = [e.text for e in await bot.db.log.query(user_id=CITIZEN, limit=50)]
        assert any(t.startswith("[به کارشناس #1]") for t in logged)
        assert any(t.startswith("[از کارشناس #1] سلام؛ گذرنامه") for t in logged)


async def test_a_group_member_who_is_not_staff_can_do_nothing(peer: BotApiPeer, database: Path | str) -> None:
    async with desk_bot(peer, database) as bot:
        group = bot.group(GROUP)
        posted = await open_ticket(bot)
        before = len(peer.outbox(CITIZEN))
        assert await group.reply(OUTSIDER, posted, "من هم می‌دانم!") == []
        assert await group.send(OUTSIDER, "/open") == []
        assert await group.tap(OUTSIDER, T.DESK_BTN_CLOSE, on=posted) == []
        assert group.callback_answer() == {"text": T.DESK_NOT_STAFF, "show_alert": True}
        assert peer.outbox(CITIZEN)[before:] == []
        assert (await bot.db.tickets.get(1)).is_open
        # An admin may act in the group as staff does.
        await group.reply(ADMIN, posted, "پاسخ مدیر")
        assert plain(peer.outbox(CITIZEN)[-1]).endswith("پاسخ مدیر")


async def test_typed_requests_photos_and_documents_go_both_ways_by_file_id(peer: BotApiPeer, database: Path | str) -> None:
    async with desk_bot(peer, database) as bot:
        group, citizen = bot.group(GROUP), bot.citizen(CITIZEN)
        await citizen.send("هزینه وام کارا چقدره؟")
        [opened] = await citizen.send("میخوام با یه آدم حرف بزنم")
        assert plain(opened).startswith(T.DESK_OPENED.split("(")[0])
        [posted] = tickets_in(group.messages())
        assert "«هزینه وام کارا چقدره؟»" in plain(posted)  # the question is the one asked before
        [again] = await citizen.tap_data(pack(Action.DESK, "open"))  # one ticket at a time
        assert plain(again) == T.DESK_ALREADY_OPEN.format(number="۱")
        assert await citizen.send("اپراتور") == []  # typed: it goes to the ticket like anything else
        assert plain(group.messages()[-1]) == "💬 #۱ شهروند:\nاپراتور"

        photo = await citizen.act(lambda: peer.user_sends_photo(CITIZEN, caption="عکس کارت ملی"))
        assert photo == []
        sent_photo = group.messages()[-1]
        original = citizen.last_update["message"]["photo"][-1]["file_id"]
        assert sent_photo["method"] == "sendPhoto" and sent_photo["photo"][0]["file_id"] == original
        assert plain(sent_photo) == "💬 #۱ شهروند فایلی فرستاد\nعکس کارت ملی"
        assert sent_photo["reply_to"] == posted["message_id"]
        await citizen.act(lambda: peer.user_sends_document(CITIZEN, "فرم.pdf"))
        sent_document = group.messages()[-1]
        assert sent_document["method"] == "sendDocument"
        assert sent_document["document"]["file_id"] == citizen.last_update["message"]["document"]["file_id"]
        [declined] = await citizen.sticker()
        assert plain(declined) == T.DESK_KINDS

        before = len(peer.outbox(CITIZEN))
        update = peer.member_sends_photo(GROUP, STAFF, caption="نمونه فرم پرشده", reply_to=sent_photo["message_id"])
        await bot.wait(update)
        [relayed] = peer.outbox(CITIZEN)[before:]
        assert relayed["method"] == "sendPhoto"
        assert relayed["photo"][0]["file_id"] == update["message"]["photo"][-1]["file_id"]
        assert plain(relayed) == f"{T.DESK_STAFF_FILE}\nنمونه فرم پرشده"
        [refused] = await group.act(lambda: peer.member_sends_sticker(GROUP, STAFF, reply_to=posted["message_id"]))
        assert plain(refused) == T.DESK_STAFF_KINDS


async def test_cancel_closes_the_ticket_while_start_and_tracking_codes_stay_the_bots(
    peer: BotApiPeer, database: Path | str
) -> None:
    async with desk_bot(peer, database) as bot:
        group, citizen = bot.group(GROUP), bot.citizen(CITIZEN)
        posted = await open_ticket(bot)
        created = await bot.db.requests.create(KARA_ID, peer.platform, CITIZEN, CITIZEN, national_code("001234567"),
                                               "09121234567", {})
        await bot.db.requests.mark_confirmed(created.tracking_code)
        [status] = await citizen.send(created.tracking_code)  # a tracking code is the bot's to answer
        assert plain(status).startswith(T.TRACK_TITLE.format(code="")[:-1].strip())
        menu, reminder = await citizen.send("/start")
        assert T.MENU_SEARCH in labels(menu) and plain(reminder) == T.DESK_STILL_OPEN.format(number="۱")
        [closed] = await citizen.send("/cancel")
        assert plain(closed) == T.DESK_CLOSED_BY_CITIZEN.format(number="۱")
        note = group.messages()[-1]
        assert plain(note) == T.DESK_CLOSED_BY_CITIZEN_NOTE.format(number="۱")
        assert note["reply_to"] == posted["message_id"]
        assert plain((await citizen.send("مدارک وام کارا چیه؟"))[0]).startswith("مدارک لازم برای")


async def test_a_restart_in_the_middle_loses_nothing(peer: BotApiPeer, database: Path | str) -> None:
    peer.add_group(GROUP)
    peer.block(GROUP)  # the group refuses: the ticket is stored, not posted
    async with desk_bot(peer, database) as bot:
        citizen = bot.citizen(CITIZEN)
        await citizen.send(NOT_FOUND_QUESTION)
        [opened] = await citizen.tap(T.DESK_BUTTON)
        assert plain(opened).startswith(T.DESK_OPENED.split("(")[0])
        assert await citizen.send("پاسخم را همین‌جا بدهید") == []  # kept for the ticket, not answered by the bot
        assert peer.sent(GROUP) == []
    peer.unblock(GROUP)

    async with desk_bot(peer, database) as bot:  # the notice loop posts the ticket, then the follow-up
        await peer.wait_until(lambda: len(peer.sent(GROUP)) >= 2, timeout=10)
        [posted, follow_up] = peer.sent(GROUP)
        assert plain(posted).startswith("🎫 #۱") and follow_up["reply_to"] == posted["message_id"]
        assert plain(follow_up).endswith("پاسخم را همین‌جا بدهید")

    # While the bot is down, staff reply and the citizen writes again; both wait at the platform.
    staff_reply = peer.member_sends(GROUP, STAFF, "پاسخ پس از راه‌اندازی دوباره", reply_to=posted["message_id"])
    citizen_update = peer.user_sends(CITIZEN, "یک سؤال دیگر هم دارم")
    before = len(peer.outbox(CITIZEN))
    async with desk_bot(peer, database) as bot:
        await bot.wait(staff_reply, citizen_update)
        assert [plain(m) for m in peer.outbox(CITIZEN)[before:]] == [
            "👤 پاسخ کارشناس پشتیبانی:\nپاسخ پس از راه‌اندازی دوباره"]
        last = peer.sent(GROUP)[-1]
        assert plain(last).endswith("یک سؤال دیگر هم دارم") and last["reply_to"] == posted["message_id"]
        assert [t.id for t in await bot.db.tickets.list_open(peer.platform)] == [1]  # the same ticket


async def test_a_relay_the_platform_refuses_is_sent_again_by_the_delivery_loop(
    peer: BotApiPeer, database: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(send_module, "NETWORK_RETRIES", (0.0, 0.0, 0.0))
    async with desk_bot(peer, database, notices=False) as bot:
        group = bot.group(GROUP)
        posted = await open_ticket(bot)
        peer.fail_next("sendMessage", 502, times=4)  # the relay's tries, all refused
        before = len(peer.outbox(CITIZEN))
        await group.reply(STAFF, posted, "پاسخی که دیر می‌رسد")
        assert peer.outbox(CITIZEN)[before:] == []
        [waiting] = await bot.db.tickets.undelivered(peer.platform)
        assert waiting.attempts == 1 and waiting.direction == "to_citizen"
        assert await deliver_notices(bot.app) == 1  # one round of the delivery loop
        assert [plain(m) for m in peer.outbox(CITIZEN)[before:]] == ["👤 پاسخ کارشناس پشتیبانی:\nپاسخی که دیر می‌رسد"]
        assert await bot.db.tickets.undelivered(peer.platform) == []
        assert await deliver_notices(bot.app) == 0  # sent once


async def test_a_citizen_who_blocked_the_bot_is_given_up_and_staff_are_told(peer: BotApiPeer, database: Path | str) -> None:
    async with desk_bot(peer, database) as bot:
        group = bot.group(GROUP)
        posted = await open_ticket(bot)
        peer.block(CITIZEN)
        [told] = await group.reply(STAFF, posted, "سلام")
        assert plain(told) == T.DESK_CITIZEN_GONE.format(number="۱")
        assert await bot.db.tickets.undelivered(peer.platform) == []


async def test_staff_commands_open_ticket_request_and_status(peer: BotApiPeer, database: Path | str) -> None:
    async with desk_bot(peer, database) as bot:
        group = bot.group(GROUP)
        assert plain((await group.send(STAFF, "/open"))[0]) == T.DESK_OPEN_EMPTY
        await open_ticket(bot)
        [listing] = await group.send(STAFF, "/open")
        assert T.DESK_OPEN_TITLE in plain(listing) and "#۱" in plain(listing) and T.DESK_NOT_TAKEN in plain(listing)
        [taken] = await group.tap(OTHER_STAFF, T.DESK_BTN_TAKE, name="رضا")
        assert plain(taken) == T.DESK_TAKEN.format(number="۱", name="رضا")
        assert await group.tap(STAFF, T.DESK_BTN_TAKE) == []
        assert group.callback_answer()["text"] == T.DESK_TAKEN_BY_OTHER.format(name="رضا")

        [report] = await group.send(STAFF, "/ticket ۱")
        assert plain(report).startswith("🎫 #۱") and "رضا" in plain(report)
        # A reply to the report reaches the citizen too (its number starts the bot's message).
        await group.reply(STAFF, report, "از طریق گزارش")
        assert plain(peer.outbox(CITIZEN)[-1]).endswith("از طریق گزارش")
        assert plain((await group.send(STAFF, "/ticket 99"))[0]) == T.DESK_NO_TICKET.format(number="۹۹")
        assert plain((await group.send(STAFF, "/help"))[0]) == T.DESK_STAFF_HELP
        assert await group.send(STAFF, "/open@another_bot") == []  # another bot's command

        code = national_code("002345678")
        created = await bot.db.requests.create(KARA_ID, peer.platform, CITIZEN, CITIZEN, code, "09121234567", {})
        await bot.db.requests.mark_confirmed(created.tracking_code)
        [shown] = await group.send(STAFF, f"/request {created.tracking_code}")
        assert code not in plain(shown) and "09121234567" not in plain(shown) and "۰۹۱۲" in plain(shown)
        assert plain(shown).startswith(T.DESK_REQUEST_TITLE.format(code="")[:-1].strip())
        [unknown] = await group.send(STAFF, f"/request {new_code()}")
        assert "پیدا نشد" in plain(unknown)

        before = len(peer.outbox(CITIZEN))
        [done] = await group.send(STAFF, f"/status {created.tracking_code} در حال بررسی مدارک را دیدیم")
        assert plain(done).startswith("✔ وضعیت")
        [notice] = await arrivals(peer, CITIZEN, before)  # the delivery loop tells the citizen
        assert "مدارک را دیدیم" in plain(notice) and "در حال بررسی" in plain(notice)
        request = await bot.db.requests.get(created.tracking_code)
        assert request.status == "under_review" and request.events[-1].actor == f"staff:{peer.platform}:{STAFF}"
        [refused] = await group.send(STAFF, f"/status {created.tracking_code} submitted")
        assert "نمی‌توان" in plain(refused)  # the status rules, in Persian
        [usage] = await group.send(STAFF, f"/status {created.tracking_code} شاید")
        assert plain(usage).startswith("به شکل /status")
        audit = [(e.os_user, e.action) for e in await bot.db.audit.recent()]
        assert (f"staff:{peer.platform}:{STAFF}", "group /status") in audit
        assert (f"staff:{peer.platform}:{STAFF}", "group /request") in audit


async def test_an_admin_learns_a_groups_id_with_chatid(peer: BotApiPeer, tmp_path: Path) -> None:
    async with running_app(peer, tmp_path / "bot.db", knowledge=KNOWLEDGE, admin_ids=frozenset({ADMIN})) as bot:
        new_group = bot.group(-1009876)
        assert await new_group.send(OUTSIDER, "/chatid") == []
        assert await new_group.send(ADMIN, "سلام") == []
        [told] = await new_group.send(ADMIN, "/chatid")
        assert plain(told) == T.DESK_CHAT_ID.format(chat_id=-1009876)


async def test_staff_suggest_an_alias_for_the_admins_to_review(peer: BotApiPeer, database: Path | str) -> None:
    async with desk_bot(peer, database) as bot:
        group, admin = bot.group(GROUP), bot.citizen(ADMIN)
        citizen = bot.citizen(CITIZEN)
        await citizen.send("وام طرح کارا برای روستا")
        await citizen.send("اپراتور")
        [posted] = tickets_in(group.messages())
        [choice] = await group.tap(STAFF, T.DESK_BTN_SUGGEST, on=posted)
        assert plain(choice).startswith("#۱: «وام طرح کارا برای روستا»")
        kara = KNOWLEDGE.get(KARA_ID).title
        assert [kara[:49]] in [[label.rstrip("…")] for label in labels(choice)] or any(
            label.startswith(kara[:30]) for label in labels(choice))
        assert labels(choice)[-1] == T.DESK_BTN_NEED
        kara_label = next(label for label in labels(choice) if label.startswith(kara[:30]))
        [noted] = await group.tap(STAFF, kara_label, on=choice)
        assert "برای بررسی مدیر ثبت شد" in plain(noted)
        assert await group.tap(STAFF, kara_label, on=choice) == []
        assert group.callback_answer()["text"] == T.DESK_SUGGESTED_BEFORE
        await group.tap(STAFF, T.DESK_BTN_NEED, on=choice)
        [unanswered] = await admin.send("/unanswered")
        text = plain(unanswered)
        assert T.ADMIN_SUGGESTIONS_TITLE in text
        assert T.ADMIN_SUGGESTION_ALIAS.format(question="وام طرح کارا برای روستا", title=kara) in text
        assert T.ADMIN_SUGGESTION_NEED.format(question="وام طرح کارا برای روستا") in text


async def test_votes_on_answers_are_counted_per_service_and_question_type(peer: BotApiPeer, database: Path | str) -> None:
    async with desk_bot(peer, database) as bot:
        citizen, other, admin = bot.citizen(CITIZEN), bot.citizen(CITIZEN + 1), bot.citizen(ADMIN)
        [answer] = await citizen.send("مدارک وام کارا چیه؟")
        assert labels(answer)[-2:] == [T.VOTE_UP, T.VOTE_DOWN]
        assert await citizen.tap(T.VOTE_UP) == []
        assert citizen.callback_answer() == {"text": T.VOTE_THANKS, "show_alert": False}
        [sorry] = await citizen.tap(T.VOTE_DOWN)  # changed: one vote per answer
        assert plain(sorry) == T.VOTE_SORRY and labels(sorry) == [T.DESK_BUTTON]
        [opened] = await citizen.tap(T.DESK_BUTTON)
        assert plain(opened).startswith(T.DESK_OPENED.split("(")[0])
        await other.send("هزینه وام کارا چقدره؟")
        await other.tap(T.VOTE_UP)
        [stats] = await admin.send("/stats")
        lines = plain(stats).splitlines()
        kara = KNOWLEDGE.get(KARA_ID).title
        assert T.ADMIN_FEEDBACK_SERVICES in lines
        assert T.ADMIN_FEEDBACK_ITEM.format(title=kara, up="۱", down="۱") in lines
        assert T.ADMIN_FEEDBACK_ITEM.format(title=T.WHAT["documents"], up="۰", down="۱") in lines
        assert T.ADMIN_FEEDBACK_ITEM.format(title=T.WHAT["cost"], up="۱", down="۰") in lines
        assert T.ADMIN_TICKETS.format(open="۱", closed="۰") in lines


async def test_with_the_desk_off_nothing_offers_a_person(peer: BotApiPeer, tmp_path: Path) -> None:
    async with running_app(peer, tmp_path / "bot.db", knowledge=KNOWLEDGE, flood_burst=FLOOD_BURST_FOR_TESTS) as bot:
        citizen = bot.citizen(CITIZEN)
        [not_found] = await citizen.send(NOT_FOUND_QUESTION)
        assert T.DESK_BUTTON not in labels(not_found)
        [help_message] = await citizen.send("/help")
        assert T.DESK_BUTTON not in labels(help_message)
        [declined] = await citizen.send("میخوام با یه آدم حرف بزنم")
        assert plain(declined) == T.DESK_UNAVAILABLE
        [answer] = await citizen.send("مدارک وام کارا چیه؟")
        [sorry] = await citizen.tap(T.VOTE_DOWN) or [None]
        assert sorry is None and citizen.callback_answer()["text"] == T.VOTE_THANKS
        assert answer is not None and bot.errors == []


async def test_the_help_offers_a_person_when_the_desk_is_on(peer: BotApiPeer, database: Path | str) -> None:
    async with desk_bot(peer, database) as bot:
        citizen = bot.citizen(CITIZEN)
        [help_message] = await citizen.send("/help")
        assert T.DESK_BUTTON in labels(help_message)
        [typed_help] = await citizen.send("راهنما")
        assert T.DESK_BUTTON in labels(typed_help)


def test_the_stats_command_counts_votes_and_lists_staff_suggestions(
    tmp_path: Path, database: Path | str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:

    async def seed() -> None:
        async with await open_database(database) as db:
            await db.feedback.vote("telegram", 1, KARA_ID, "documents", 1)
            await db.feedback.vote("telegram", 2, KARA_ID, "documents", -1)
            await db.feedback.vote("bale", 1, KARA_ID, "cost", -1)
            opened, _ = await db.tickets.open("telegram", 1, 1, service_id=None, question="وام روستایی",
                                              context="", group_chat_id=GROUP)
            await db.tickets.suggest(opened.id, "telegram", "وام روستایی", KARA_ID, STAFF)

    asyncio.run(seed())
    for name in list(os.environ):
        if name.startswith("BOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    os.umask(old)
    capsys.readouterr()
    try:
        code = cli.main(["stats", "--database", str(database)])
    finally:
        os.umask(old)
    out = capsys.readouterr().out
    assert code == 0
    kara = KNOWLEDGE.get(KARA_ID).title
    assert T.ADMIN_FEEDBACK_ITEM.format(title=kara, up="۱", down="۲") in out
    assert T.ADMIN_FEEDBACK_ITEM.format(title=T.WHAT["documents"], up="۱", down="۱") in out
    assert T.ADMIN_FEEDBACK_ITEM.format(title=T.WHAT["cost"], up="۰", down="۱") in out
    assert T.ADMIN_TICKETS.format(open="۱", closed="۰") in out
    assert T.ADMIN_SUGGESTION_ALIAS.format(question="وام روستایی", title=kara) in out
