"""Conversations with the real bot: `build_application` and its handlers, run by PTB against the fake peer.

Every test reads like a chat: the citizen sends or taps, the bot answers, and the test checks what a person
sees (`plain` text and button labels). The `chat` fixture runs each test on both platform profiles.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import pytest
import yaml

from bot import answers
from bot import texts as T
from bot.persian import to_persian_digits
from bot.reply import Button, Reply, bold
from handlers.fakeapi import MAX_TEXT_LENGTH
from handlers.send import send
from storage import StorageUnavailable
from tests.support.botchat import ROOT, USER, Chat, data_of, labels, title_line

SERVICES_DIR = ROOT / "knowledge" / "services"
MAIN_MENU = [
    [T.MENU_SEARCH],
    [T.MENU_BY_AGENCY, T.MENU_BY_EVENT],
    [T.MENU_BY_TYPE, T.MENU_TRACK],
    [T.MENU_HELP],
]
SECTION_BUTTONS = (T.BTN_DOCUMENTS, T.BTN_COST, T.BTN_DURATION, T.BTN_STEPS, T.BTN_WEBSITE)


# --------------------------------------------------------------------------------------------------
# Start and the main menu
# --------------------------------------------------------------------------------------------------


async def test_start_shows_the_welcome_and_the_main_menu(chat: Chat) -> None:
    welcome = await chat.answer("/start")
    assert welcome["plain"].startswith("سلام علی!")
    assert "مدارک لازم برای وام کارا چیه؟" in welcome["plain"]
    assert welcome["buttons"] == MAIN_MENU
    assert "جست‌وجوی خدمت" in welcome["buttons"][0][0]


async def test_help_search_and_track_from_the_menu(chat: Chat) -> None:
    await chat.send("/start")
    help_ = await chat.tap_for_one(T.MENU_HELP)
    assert "/cancel" in help_["plain"] and "کد رهگیری" in help_["plain"]
    menu = await chat.tap_for_one(T.BACK_TO_MENU)
    assert menu["buttons"] == MAIN_MENU
    assert (await chat.tap_for_one(T.MENU_SEARCH))["plain"] == T.SEARCH_PROMPT
    await chat.send("/start")
    assert (await chat.tap_for_one(T.MENU_TRACK))["plain"] == T.TRACK_PROMPT
    assert title_line(await chat.answer("/help")) == T.HELP_TITLE
    assert (await chat.answer("/nonsense"))["plain"] == T.UNKNOWN_COMMAND
    assert (await chat.answer("/cancel"))["plain"] == T.NOTHING_TO_CANCEL


# --------------------------------------------------------------------------------------------------
# The five services: found by an ordinary query, every section answered from the card
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """What a citizen should read about one service (literal), checked again against its YAML file."""

    query: str
    file: str
    documents: tuple[str, ...]
    cost: tuple[str, ...]
    duration: str
    first_step: str
    website: tuple[str, ...]


NOT_STATED_COST = T.NOT_STATED.format(what="هزینه")
NOT_STATED_SITE = T.NOT_STATED.format(what="نشانی اینترنتی")

CARDS = [
    Card(
        "وام کارا", "13011031101.yaml",
        documents=("۱. مستندات مرتبط با طرح اشتغال",),
        cost=(NOT_STATED_COST, "kara.mcls.gov.ir"),
        duration="۴۵ روز",
        first_step="۱. هماهنگی و نظارت بر دستگاه‌های اجرایی در حوزه مشاغل خانگی",
        website=("http://kara.mcls.gov.ir/", "سامانه کارا"),
    ),
    Card(
        "سمینار خودکفایی امداد", "13012712105.yaml",
        documents=("۱. بخشنامه‌ها",),
        cost=(T.COST_FREE,),
        duration="یک ماه بعد از تکمیل مدارک",
        first_step="۱. شناسایی مددجویان مستعد اشتغال توسط حوزه مددکاری و انجام مشاوره شغلی",
        website=("https://soha.emdad.ir/", "سامانه هوشمند امداد"),
    ),
    Card(
        "دوره فنی حرفه ای", "tvto-skill-training.yaml",
        documents=("۱. اطلاعات شخصی و شغلی", "۲. فایل عکس"),
        cost=("۲۰٬۰۰۰ ریال", "خرید کارت اعتباری جهت ثبت‌نام در دوره", T.COST_ELECTRONIC.strip()),
        duration="نسبت به نوع آموزش متفاوت است",
        first_step="۱. تعریف دوره از طریق مرکز و تایید آن توسط مرکز - اداره کل - ستاد",
        website=("www.portaltvto.com", "www.eskill.ir"),
    ),
    Card(
        "خوشه کسب و کار", "business-clusters.yaml",
        documents=("۱. انجام مطالعات", "۲. درخواست رسمی شرکت استانی", "۳. ارائه مجوز از دستگاه مادر"),
        cost=(T.COST_FREE,),
        duration="سه سال",
        first_step="۱. شناسایی و اولویت‌بندی خوشه‌های کسب‌وکار استان",
        website=(NOT_STATED_SITE, "از شرکت شهرک‌های صنعتی کل کشور بپرسید"),
    ),
    Card(
        "آموزش شهرداران", "municipal-training.yaml",
        documents=("۱. ابلاغیه سازمان شهرداری‌ها و دهیاری‌ها", "۲. درخواست شهرداری"),
        cost=(NOT_STATED_COST, "از استانداری بپرسید"),
        duration="یک ماه",
        first_step="۱. تعیین نیازهای آموزشی",
        website=(NOT_STATED_SITE, "از استانداری بپرسید"),
    ),
]


def _numbered_lines(text: str) -> list[str]:
    """The items of a numbered list as shown («۱. ...»), without their numbers."""
    return [re.sub(r"^[۰-۹]+\. ", "", line) for line in text.splitlines() if re.match(r"^[۰-۹]+\. ", line)]


@pytest.mark.parametrize("card", CARDS, ids=[c.file.removesuffix(".yaml") for c in CARDS])
async def test_each_service_is_found_and_every_section_answers_from_its_card(chat: Chat, card: Card) -> None:
    source = yaml.safe_load((SERVICES_DIR / card.file).read_text(encoding="utf-8"))

    found = await chat.answer(card.query)
    assert title_line(found) == source["title"]
    assert set(SECTION_BUTTONS) <= set(labels(found))

    documents = await chat.tap_for_one(T.BTN_DOCUMENTS)
    assert all(d in documents["plain"] for d in card.documents)
    assert _numbered_lines(documents["plain"]) == source["documents"]

    cost = await chat.tap_for_one(T.BTN_COST)
    assert all(c in cost["plain"] for c in card.cost)
    if "costs" not in source:  # the card is silent: the bot must not invent "free"
        assert "رایگان" not in cost["plain"]
    elif all(c["amount"] == 0 for c in source["costs"]):
        assert T.COST_FREE in cost["plain"]
    else:
        assert "رایگان" not in cost["plain"]

    duration = await chat.tap_for_one(T.BTN_DURATION)
    assert card.duration in duration["plain"] and source["duration"] in duration["plain"]

    steps = await chat.tap_for_one(T.BTN_STEPS)
    assert card.first_step in steps["plain"]
    citizens_own = [source["steps"][n - 1] for n in source.get("citizen_steps", [])]  # shown first, then all
    assert _numbered_lines(steps["plain"]) == citizens_own + source["steps"]

    website = await chat.tap_for_one(T.BTN_WEBSITE)
    assert all(w in website["plain"] for w in card.website)
    for url in source.get("websites", []):
        assert url.removeprefix("http://").removeprefix("https://").rstrip("/") in website["plain"]
    if source.get("websites"):
        assert T.BTN_OPEN_SITE in labels(website)

    # Back from a fact to the summary of the same service.
    back = await chat.tap(T.BTN_CARD)
    assert title_line(back[-1]) == source["title"]


async def test_register_opens_the_form_at_its_first_question(chat: Chat) -> None:
    await chat.send("وام کارا")
    intro, question = await chat.tap(T.BTN_REGISTER)
    assert intro["plain"].replace("*", "").startswith("ثبت‌نام در «ارائه معرفی‌نامه دریافت تسهیلات طرح کارا»")
    assert question["plain"].replace("*", "").startswith("پرسش ۱ از ۴: نام و نام خانوادگی")
    assert labels(question) == [T.FORM_CANCEL_BUTTON]


# --------------------------------------------------------------------------------------------------
# Questions and follow-ups
# --------------------------------------------------------------------------------------------------


async def test_a_question_is_answered_directly_and_a_follow_up_means_the_same_service(chat: Chat) -> None:
    documents = await chat.answer("مدارک لازم برای وام کارا چیه؟")
    assert "مدارک لازم برای" in documents["plain"] and "طرح کارا" in documents["plain"]
    assert "مستندات مرتبط با طرح اشتغال" in documents["plain"]

    cost = await chat.answer("هزینه‌اش چقدره؟")
    assert NOT_STATED_COST in cost["plain"]  # the card of کارا says nothing about cost...
    assert "kara.mcls.gov.ir" in cost["plain"]  # ...so the citizen is sent to its website
    assert "رایگان" not in cost["plain"]


async def test_a_follow_up_without_a_service_asks_which_one(chat: Chat) -> None:
    asked = await chat.answer("هزینه‌اش چقدره؟")
    assert asked["plain"] == T.ASK_WHICH_SERVICE.format(what="هزینه")


async def test_a_follow_up_after_start_no_longer_refers_to_the_old_service(chat: Chat) -> None:
    await chat.send("وام کارا")
    await chat.send("/start")
    asked = await chat.answer("مدارکش چیه؟")
    assert "مستندات" not in asked["plain"]


async def test_the_service_being_viewed_belongs_to_one_citizen(chat: Chat) -> None:
    await chat.send("وام کارا")
    neighbour = chat.other_citizen(USER + 1)
    asked = await neighbour.answer("مدارکش چیه؟")
    assert asked["plain"] == T.ASK_WHICH_SERVICE.format(what="مدارک لازم")
    assert "مستندات مرتبط با طرح اشتغال" in (await chat.answer("مدارکش چیه؟"))["plain"]


async def test_an_unknown_service_is_answered_honestly(chat: Chat) -> None:
    answer = await chat.answer("مجوز صید ماهی")  # neither ours nor in the directory of services elsewhere
    assert answer["plain"].startswith("متأسفانه خدمتی با «مجوز صید ماهی» در فهرست خدمات من پیدا نکردم.")
    assert "از درگاه یا تلفن همان دستگاه بپرسید" in answer["plain"]


# --------------------------------------------------------------------------------------------------
# Whatever else a citizen (or a channel) sends
# --------------------------------------------------------------------------------------------------

NON_TEXT = {
    "sticker": lambda peer: peer.user_sends_sticker(USER),
    "photo": lambda peer: peer.user_sends_photo(USER, caption="این عکس مدرک من است"),
    "voice": lambda peer: peer.user_sends_voice(USER),
    "location": lambda peer: peer.user_sends_location(USER),
    "contact": lambda peer: peer.user_sends_contact(USER, "09121234567"),
}


@pytest.mark.parametrize("kind", list(NON_TEXT))
async def test_something_other_than_text_gets_a_polite_answer(chat: Chat, kind: str) -> None:
    [answer] = await chat.act(lambda: NON_TEXT[kind](chat.peer))
    assert answer["plain"] == T.NON_TEXT


async def test_an_edited_message_is_not_answered_in_silence(chat: Chat) -> None:
    await chat.send("وام کار")
    sent = chat.last_update["message"]["message_id"]
    [answer] = await chat.act(lambda: chat.peer.user_edits(USER, sent, "وام کارا"))
    assert answer["plain"] == T.EDITED


async def test_a_channel_post_is_ignored_without_a_crash(chat: Chat) -> None:
    sends_before = len(chat.peer.calls_to("sendMessage"))
    await chat.act(lambda: chat.peer.channel_post(-1001234, "اطلاعیه: وام کارا"))
    assert len(chat.peer.calls_to("sendMessage")) == sends_before
    assert (await chat.answer("/start"))["buttons"] == MAIN_MENU  # and the bot still serves


async def test_a_very_long_message_gets_the_too_long_answer(chat: Chat) -> None:
    text = ("وام کارا " * 600)[:5000]
    answer = await chat.answer(text)
    assert answer["plain"] == T.TOO_LONG.format(limit="۱۰۰۰")


# --------------------------------------------------------------------------------------------------
# Buttons: forged, stale and double taps
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    ["s:nonexistent", "zzz", "i:13011031101:bogus", "b:a:xx:999999", "b:a:xx:1", "m:nope", "i:13011031101", "r:"],
)
async def test_forged_button_data_gets_a_polite_alert(chat: Chat, data: str) -> None:
    menu = await chat.answer("/start")
    shown = await chat.tap_data(data, menu["message_id"])
    assert shown == []  # nothing sent, the menu left as it was
    assert chat.callback_answer() == {"text": T.STALE_BUTTON, "show_alert": True}
    assert chat.peer.sent(USER)[-1]["buttons"] == MAIN_MENU
    assert (await chat.answer("وام کارا"))["buttons"]  # the conversation goes on


async def test_every_tap_is_answered(chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap(T.MENU_BY_TYPE)
    await chat.send("وام کارا")
    await chat.tap(T.BTN_DOCUMENTS)
    await chat.tap_data("zzz")
    answered = {c["callback_query_id"] for c in chat.peer.calls_to("answerCallbackQuery")}
    assert answered == set(chat.query_ids) and len(chat.query_ids) == 3


async def test_a_double_tap_on_a_menu_button_shows_the_list_once(chat: Chat) -> None:
    menu = await chat.answer("/start")
    shown = await chat.tap_twice(data_of(menu, T.MENU_BY_AGENCY), menu["message_id"])
    # The second edit is "message is not modified": no error, no second message.
    assert [(m["event"], m["plain"]) for m in shown] == [("edit", T.BROWSE_AGENCIES)]
    assert chat.peer.sent(USER)[-1]["plain"] == T.BROWSE_AGENCIES


async def test_a_double_tap_on_a_section_button_answers_without_error(chat: Chat) -> None:
    card = await chat.answer("وام کارا")
    shown = await chat.tap_twice(data_of(card, T.BTN_DOCUMENTS), card["message_id"])
    assert shown and all("مستندات مرتبط با طرح اشتغال" in m["plain"] for m in shown)


async def test_a_refused_edit_falls_back_to_a_new_message(chat: Chat) -> None:
    await chat.send("/start")
    chat.peer.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
    shown = await chat.tap(T.MENU_BY_AGENCY)
    assert [(m["event"], m["plain"]) for m in shown] == [("send", T.BROWSE_AGENCIES)]


async def test_a_failing_button_still_stops_spinning_and_apologises(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat.errors_expected = True

    def broken(*args: object) -> None:
        raise RuntimeError("composer broke")

    await chat.send("وام کارا")
    monkeypatch.setattr(answers, "fact", broken)
    [apology] = await chat.tap(T.BTN_DOCUMENTS)
    assert apology["plain"] == T.ERROR
    assert chat.callback_answer() is not None  # answered by the error handler


async def test_a_citizen_who_blocked_the_bot_does_not_stop_it_serving_others(chat: Chat) -> None:
    chat.errors_expected = True
    await chat.send("/start")
    chat.peer.block(USER)
    assert await chat.send("وام کارا") == []
    assert [type(e).__name__ for e in chat.errors] == ["Forbidden"]
    neighbour = chat.other_citizen(USER + 1)
    assert title_line(await neighbour.answer("وام کارا")) == "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"


# --------------------------------------------------------------------------------------------------
# Choices, small talk and tracking
# --------------------------------------------------------------------------------------------------


async def test_a_vague_query_offers_a_choice_and_a_tap_opens_the_card(chat: Chat) -> None:
    offer = await chat.answer("آموزش")
    assert offer["plain"].splitlines()[0] == T.CHOICE
    assert len(labels(offer)) >= 2
    picked = labels(offer)[0]
    card = (await chat.tap(picked))[-1]
    assert title_line(card).startswith(picked.removesuffix("…"))
    assert T.BTN_DOCUMENTS in labels(card)


async def test_small_talk_is_answered_kindly(chat: Chat) -> None:
    assert (await chat.answer("سلام"))["plain"] == T.GREETING
    assert (await chat.answer("ممنون"))["plain"] == T.THANKS


async def test_a_citizen_tracks_their_own_request_and_nobody_else_can(chat: Chat) -> None:
    created = await chat.rt.db.requests.create("13011031101", chat.platform, USER, USER, None, None, {})
    code = created.tracking_code
    typed = " ".join(to_persian_digits(code[i : i + 4]) for i in range(0, len(code), 4))  # «۱۲۳۴ ۵۶۷۸ ۹۰۱۲»

    status = await chat.answer(f"کد رهگیری {typed}")
    assert to_persian_digits(code) in status["plain"]
    assert "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا" in status["plain"]

    stranger = chat.other_citizen(USER + 1)
    assert (await stranger.answer(f"کد رهگیری {typed}"))["plain"] == T.TRACK_NOT_FOUND

    mistyped = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert (await chat.answer(f"کد رهگیری {mistyped}"))["plain"] == T.TRACK_MISTYPED


async def test_someone_guessing_tracking_codes_is_slowed_down(chat: Chat) -> None:
    for _ in range(5):
        assert (await chat.answer("کد رهگیری ۱۲۳۴۵۶۷۸۹۰۱۲"))["plain"] == T.TRACK_MISTYPED
    assert (await chat.answer("کد رهگیری ۱۲۳۴۵۶۷۸۹۰۱۲"))["plain"] == T.TRACK_WAIT.format(seconds="۳۰")


# --------------------------------------------------------------------------------------------------
# Browsing
# --------------------------------------------------------------------------------------------------


async def test_browse_from_the_main_menu_by_agency_to_a_service(chat: Chat) -> None:
    await chat.send("/start")
    agencies = (await chat.tap(T.MENU_BY_AGENCY))[-1]
    assert agencies["plain"] == T.BROWSE_AGENCIES
    assert "سازمان آموزش فنی و حرفه‌ای (۱)" in labels(agencies)
    assert labels(agencies)[-1] == T.BACK_TO_MENU

    services = (await chat.tap("سازمان آموزش فنی و حرفه‌ای (۱)"))[-1]
    assert services["plain"] == "خدمات «سازمان آموزش فنی و حرفه‌ای»:"
    assert labels(services) == ["برگزاری دوره‌های آموزشی مهارتی", T.BACK_TO_MENU]

    card = (await chat.tap("برگزاری دوره‌های آموزشی مهارتی"))[-1]
    assert title_line(card) == "برگزاری دوره‌های آموزشی مهارتی"
    assert "۲۰٬۰۰۰ ریال" in card["plain"]
    # The card now counts as the service being viewed.
    assert "فایل عکس" in (await chat.answer("مدارکش چیه؟"))["plain"]


async def test_browse_by_life_event_and_by_type(chat: Chat) -> None:
    await chat.send("/start")
    events = (await chat.tap(T.MENU_BY_EVENT))[-1]
    assert events["plain"] == T.BROWSE_EVENTS
    education = next(label for label in labels(events) if label.startswith("آموزش"))
    group = (await chat.tap(education))[-1]
    assert {"برگزاری دوره‌های آموزشی مهارتی", T.BACK_TO_MENU} <= set(labels(group))

    menu = (await chat.tap(T.BACK_TO_MENU))[-1]
    assert menu["buttons"] == MAIN_MENU
    types = (await chat.tap(T.MENU_BY_TYPE))[-1]
    assert types["plain"] == T.BROWSE_TYPES and len(labels(types)) >= 2


# --------------------------------------------------------------------------------------------------
# Platform profiles
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chat", ["telegram"], indirect=True)
async def test_telegram_gets_html_with_every_dynamic_value_escaped(chat: Chat) -> None:
    [welcome] = await chat.send("/start", first_name="<b>&")
    assert welcome["plain"].startswith("سلام <b>&!")  # shown literally, not as bold
    assert "&lt;b&gt;&amp;" in welcome["text"]

    card = await chat.answer("وام کارا")
    assert card["text"].startswith("<b>ارائه معرفی‌نامه")  # bold is real HTML
    assert card["plain"].startswith("ارائه معرفی‌نامه")

    unknown = await chat.answer("صدور <گذرنامه> & ویزا")
    assert unknown["plain"].startswith("متأسفانه خدمتی با «صدور <گذرنامه> & ویزا»")  # the query, literally
    await chat.send("وام کارا")
    await chat.tap(T.BTN_DOCUMENTS)
    await chat.tap(T.BTN_CARD)  # an edit

    calls = chat.peer.calls_to("sendMessage") + chat.peer.calls_to("editMessageText")
    assert calls and all(c.get("parse_mode") == "HTML" for c in calls)


@pytest.mark.parametrize("chat", ["bale"], indirect=True)
async def test_bale_never_gets_a_parse_mode(chat: Chat) -> None:
    [welcome] = await chat.send("/start", first_name="*علی_")
    assert welcome["plain"].startswith("سلام ∗علی‗!")  # no stray Markdown from a name
    card = await chat.answer("وام کارا")
    assert card["plain"].startswith("*ارائه معرفی‌نامه دریافت تسهیلات طرح کارا*")  # Bale's bold
    await chat.tap(T.BTN_DOCUMENTS)
    await chat.tap(T.BTN_CARD)
    await chat.send("/start")
    await chat.tap(T.MENU_BY_AGENCY)
    await chat.answer("صدور گذرنامه")

    edits = chat.peer.calls_to("editMessageText")
    calls = chat.peer.calls_to("sendMessage") + edits
    assert len(calls) >= 7 and edits
    assert all("parse_mode" not in c for c in calls)


@pytest.mark.parametrize("chat", ["bale"], indirect=True)
async def test_bale_refusing_commands_and_descriptions_does_not_stop_the_bot(chat: Chat) -> None:
    await chat.app.post_init(chat.app)  # what PTB's run_polling would call after initialize()
    assert chat.peer.calls_to("setMyCommands") and chat.peer.calls_to("setMyShortDescription")  # asked...
    assert chat.peer.commands == {}  # ...and refused
    assert (await chat.answer("/start"))["buttons"] == MAIN_MENU


@pytest.mark.parametrize("chat", ["telegram"], indirect=True)
async def test_telegram_gets_the_commands_menu_from_post_init(chat: Chat) -> None:
    await chat.app.post_init(chat.app)
    [commands] = chat.peer.commands.values()
    assert [c["command"] for c in commands] == ["start", "help", "cancel"]
    assert chat.peer.descriptions["short_description"] == {"": T.BOT_NAME}


@pytest.mark.parametrize("chat", ["telegram"], indirect=True)
async def test_starting_the_bot_like_serve_sets_the_commands_menu(chat: Chat) -> None:
    """The fixture starts the app exactly as serve() does (initialize, post_init, start, start_polling)."""
    assert (await chat.answer("/start"))["buttons"] == MAIN_MENU
    assert chat.peer.calls_to("setMyCommands")


@pytest.mark.parametrize("chat", ["bale"], indirect=True)
@pytest.mark.parametrize("stub", [True, {"message_id": 1}, {}], ids=["true", "message-id-only", "empty"])
async def test_bale_edit_stub_still_shows_the_new_content(chat: Chat, stub: object) -> None:
    chat.peer.edit_stub = stub
    await chat.send("/start")
    shown = await chat.tap(T.MENU_BY_AGENCY)
    assert shown and shown[-1]["plain"] == T.BROWSE_AGENCIES
    assert "کمیته امداد امام خمینی (ره) (۱)" in labels(shown[-1])
    if stub is True:  # PTB understands a bare `true`: the menu was edited in place
        assert [m["event"] for m in shown] == ["edit"]
    # From a list, a card replaces (or follows) it; the citizen sees it either way.
    group = (await chat.tap("کمیته امداد امام خمینی (ره) (۱)"))[-1]
    assert group["plain"] == "خدمات «کمیته امداد امام خمینی (ره)»:"
    card = (await chat.tap(labels(group)[0]))[-1]
    assert "حمایت از اشتغال نیازمندان" in card["plain"]
    assert T.BTN_DOCUMENTS in labels(card)
    assert "بخشنامه‌ها" in (await chat.tap(T.BTN_DOCUMENTS))[-1]["plain"]


# --------------------------------------------------------------------------------------------------
# Long answers and a failing platform
# --------------------------------------------------------------------------------------------------


async def test_a_reply_longer_than_a_message_is_split_at_line_breaks(chat: Chat) -> None:
    chat.peer.add_user(USER)
    lines = [f"{i}. مدرک شماره {i} <الف> & «ب» — توضیح کوتاه درباره این مدرک" for i in range(1, 301)]
    reply = Reply(bold("فهرست بلند") + "\n" + "\n".join(lines), ((Button("↩️ بازگشت", "m:home"),),))
    await send(chat.rt.profile, chat.app.bot, USER, reply)

    messages = chat.peer.sent(USER)
    assert len(messages) >= 3
    assert all(len(m["plain"]) <= MAX_TEXT_LENGTH and len(m["text"]) <= MAX_TEXT_LENGTH for m in messages)
    shown = "\n".join(m["plain"] for m in messages).splitlines()
    assert shown[0].strip("*") == "فهرست بلند"
    assert shown[1:] == lines  # every line, in order, none cut in two
    assert [bool(m["buttons"]) for m in messages] == [False] * (len(messages) - 1) + [True]


async def test_flood_control_once_still_delivers_the_answer(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22.8 otherwise warns while building RetryAfter
    chat.peer.fail_next("sendMessage", 429, retry_after=1)
    await chat.send("وام کارا")
    deadline = asyncio.get_running_loop().time() + 2.5  # retry_after is 1 s
    while not any(title_line(m).startswith("ارائه معرفی‌نامه") for m in chat.peer.sent(USER)):
        assert asyncio.get_running_loop().time() < deadline, [m["plain"] for m in chat.peer.sent(USER)]
        await asyncio.sleep(0.05)
    assert T.ERROR not in [m["plain"] for m in chat.peer.sent(USER)]


async def test_a_failing_engine_reaches_the_citizen_as_the_error_text(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat.errors_expected = True

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine broke")

    monkeypatch.setattr(chat.rt.engine, "understand", broken)
    [apology] = await chat.send("وام کارا")
    assert apology["plain"] == T.ERROR
    assert [str(e) for e in chat.errors] == ["engine broke"]
    assert (await chat.answer("/start"))["buttons"] == MAIN_MENU  # commands still work


async def test_a_busy_database_asks_the_citizen_to_retry(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    chat.errors_expected = True

    async def locked(*args: object, **kwargs: object) -> None:
        raise StorageUnavailable("database is locked")

    monkeypatch.setattr(chat.rt.db.chats, "get", locked)
    [answer] = await chat.send("وام کارا")
    assert answer["plain"] == T.BUSY
