"""How the chat uses what search understood, through the real stack on Telegram and Bale: two questions
in one message, a single candidate answered rather than offered, a choice that remembers the question,
context that never lies, questions asked in the middle of a form, numbers typed alone, agencies, services
handled elsewhere and messages in English. Each test reads like the conversation.
"""

from __future__ import annotations

import pytest

from bot import texts as T
from tests.support.botchat import Chat, labels, title_line
from tests.support.identity import national_code

KARA = "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"
TVTO = "برگزاری دوره‌های آموزشی مهارتی"
CODE = national_code("001354241")


def shown(message: dict) -> str:
    return message["plain"].replace("*", "")


async def test_two_questions_in_one_message_get_both_answers_each_under_its_heading(chat: Chat) -> None:
    [reply] = await chat.send("وام کارا مدارکش چیه؟ از کدوم سایت درخواست بدم؟")
    text = shown(reply)
    assert text.splitlines()[0] == f"«{KARA}»"
    documents, website = text.index(T.BTN_DOCUMENTS), text.index(T.BTN_WEBSITE)
    assert documents < text.index("مستندات مرتبط با طرح اشتغال") < website < text.index("kara.mcls.gov.ir")


async def test_a_choice_button_answers_the_question_that_was_asked(chat: Chat) -> None:
    [offer] = await chat.send("هزینه آموزش چقدره؟")
    assert offer["plain"].splitlines()[0] == T.CHOICE and len(labels(offer)) >= 2
    assert any("«آموزش»" in line for line in offer["plain"].splitlines()[1:])  # why each option fits
    [answer] = await chat.tap(labels(offer)[0])
    assert shown(answer).startswith("هزینه «") or T.NOT_STATED.format(what="هزینه") in shown(answer)


async def test_not_found_forgets_the_service_and_a_follow_up_asks_which_service(chat: Chat) -> None:
    await chat.send("وام کارا")
    [missing] = await chat.send("طرح هدهد")
    assert missing["plain"].startswith("متأسفانه خدمتی با «طرح هدهد»")
    [follow_up] = await chat.send("هزینه‌اش چقدره؟")
    assert follow_up["plain"] == T.ASK_WHICH_SERVICE.format(what="هزینه")  # not an answer about Kara


async def test_a_bare_register_applies_to_the_current_service_never_another_one(chat: Chat) -> None:
    [nothing] = await chat.send("ثبت نام")
    assert nothing["plain"] == T.ASK_WHICH_SERVICE.format(what=T.REGISTER_WHAT)
    await chat.send("وام کارا")
    intro = (await chat.send("ثبت نام"))[0]
    assert KARA in shown(intro) and shown(intro).startswith("ثبت‌نام در")


async def test_a_fact_the_card_lacks_still_names_its_service(chat: Chat) -> None:
    await chat.send("وام کارا")
    [cost] = await chat.send("هزینه‌اش چقدره؟")
    assert shown(cost).splitlines()[0] == f"«{KARA}»"
    assert T.NOT_STATED.format(what="هزینه") in cost["plain"]


async def test_a_question_at_a_form_step_is_answered_and_the_step_asked_again(chat: Chat) -> None:
    await chat.send("میخوام برای وام کارا ثبت نام کنم")
    side, again = await chat.send("چند روز طول میکشه؟")
    assert "۴۵ روز" in shown(side)
    assert shown(again).startswith(T.FORM_QUESTION.format(n="۱", total="۴", label="نام و نام خانوادگی"))
    [next_question] = await chat.send("مریم احمدی")  # the side question was never stored as the name
    assert shown(next_question).startswith(T.FORM_QUESTION.format(n="۲", total="۴", label="کد ملی"))


@pytest.mark.parametrize("text", ["کجا باید برای وام کارا ثبت نام کنم؟", "آدرس ثبت نام وام کارا کجاست",
                                  "نشانی ثبت‌نام کنم وام کارا"])
async def test_asking_where_to_register_gives_the_cards_address_not_the_form(chat: Chat, text: str) -> None:
    [reply] = await chat.send(text)
    assert "kara.mcls.gov.ir" in reply["plain"]
    assert T.FORM_QUESTION.split("{")[0] not in shown(reply)


async def test_province_and_city_in_one_answer(chat: Chat) -> None:
    await chat.send("میخوام تو دوره فنی حرفه ای ثبت نام کنم")
    for answer in ("مریم احمدی", CODE, "09121234567", "۱۳۸۰/۰۶/۳۱", "دیپلم"):
        await chat.send(answer)
    [asked] = await chat.send("فارس، مرودشت")
    assert shown(asked).startswith(  # the next question, not the city again
        T.FORM_QUESTION.format(n="۷", total="۷", label="آیا پیش‌تر گواهینامه مهارت گرفته‌اید؟"))
    await chat.tap(T.FORM_SKIP)
    summary = chat.peer.sent(chat.user_id)[-1]
    assert "استان و شهر محل آموزش: فارس، مرودشت" in shown(summary)


async def test_a_national_code_alone_is_never_echoed_and_the_chats_own_requests_are_offered(chat: Chat) -> None:
    [reply] = await chat.send(CODE)
    assert reply["plain"].startswith(T.NUMBER_NATIONAL_CODE) and T.NUMBER_HOW_TO_TRACK in reply["plain"]
    digits = CODE.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert CODE not in reply["plain"] and digits not in reply["plain"]

    await chat.send("میخوام برای وام کارا ثبت نام کنم")
    for answer in ("مریم احمدی", CODE, "09121234567", "تهران"):
        await chat.send(answer)
    confirmation = (await chat.tap(T.FORM_CONFIRM))[-1]
    [mobile] = await chat.send("۰۹۱۲ ۱۲۳ ۴۵۶۷")
    assert mobile["plain"].startswith(T.NUMBER_MOBILE) and "۴۵۶۷" not in mobile["plain"].splitlines()[0]
    [button] = labels(mobile)
    code = button.split("— ")[-1]
    assert code in confirmation["plain"]  # the button follows the request just made
    [status] = await chat.tap(button)
    assert title_line(status) == T.TRACK_TITLE.format(code=code)


async def test_an_official_service_id_opens_that_service(chat: Chat) -> None:
    [card] = await chat.send("شناسه خدمت ۱۳۰۱۱۰۳۱۱۰۱")
    assert title_line(card) == KARA


async def test_an_agency_lists_its_services_and_its_parents(chat: Chat) -> None:
    [reply] = await chat.send("وزارت کار")
    assert reply["plain"] == T.AGENCY_SERVICES.format(agency="وزارت تعاون، کار و رفاه اجتماعی")
    assert {KARA, TVTO} <= set(labels(reply))


async def test_a_service_handled_elsewhere_says_where_to_go_never_an_invented_address(chat: Chat) -> None:
    [reply] = await chat.send("صدور گذرنامه")
    assert "پلیس" in reply["plain"] and "https://epolice.ir" in reply["plain"]
    assert all(label for label in labels(reply))


async def test_english_is_answered_in_persian_with_one_english_line(chat: Chat) -> None:
    [reply] = await chat.send("website of the Kara job loan scheme")
    assert "kara.mcls.gov.ir" in reply["plain"]
    assert reply["plain"].splitlines()[-1] == T.ENGLISH_NOTE


async def test_how_to_get_it_shows_the_citizens_own_steps_first(chat: Chat) -> None:
    [reply] = await chat.send("چطوری وام کارا بگیرم")
    lines = shown(reply).splitlines()
    assert lines[0] == T.STEPS_YOURS.format(title=KARA)
    assert lines[1] == "۱. تکمیل فرم ثبت‌نام و دریافت کد رهگیری"
    assert T.STEPS_ALL in lines  # the card's full list stays available
