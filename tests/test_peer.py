"""The fake Bot API peer behaves like Telegram and Bale where the bot can go wrong.

A plain PTB ``Application`` with a tiny echo bot runs against the peer, in-process (``PeerRequest``) and over
HTTP on 127.0.0.1 (``handlers.fakeapi.server``): what the user types comes back, buttons get answered, and the
failures the real servers give (429 flood control, "message is not modified", Bale refusing parse_mode)
reach PTB as the exceptions production code will see.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from handlers.fakeapi import NO_CONTACT_USER, BotApiPeer, PeerRequest, UploadedFile, html_to_plain, start_peer_server
from tests.support.botchat import polling

TOKEN = "123:ABC"
USER = 42
TRANSPORTS = pytest.mark.parametrize("http", [False, True], ids=["in-process", "http"])
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _retry_after_as_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22.8 warns (PTBDeprecationWarning, an error under our pytest config) while *building* a
    # RetryAfter unless PTB_TIMEDELTA is set; see test_ptb_warns_while_building_retry_after.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


# --------------------------------------------------------------------------------------------------
# A tiny bot
# --------------------------------------------------------------------------------------------------

MENU = InlineKeyboardMarkup.from_row(
    [InlineKeyboardButton("پیگیری", callback_data="track"), InlineKeyboardButton("ثبت", callback_data="reg")]
)


async def greet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Shows the menu."""
    await update.effective_message.reply_text("سلام! چه کاری انجام دهم؟", reply_markup=MENU)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Repeats what the user wrote."""
    await update.effective_message.reply_text(update.effective_message.text)


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers the tap and replaces the menu with the choice."""
    query = update.callback_query
    await query.answer(f"انتخاب شد: {query.data}")
    context.bot_data["edit_result"] = await query.edit_message_text(f"انتخاب شما: {query.data}")


async def until(condition: Callable[[], object], seconds: float = 2.0) -> None:
    """Waits until the bot (or a client) has got as far as ``condition`` says."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the condition lives in PTB or aiohttp, which set no event
            await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def running_bot(peer: BotApiPeer, *, http: bool = False) -> AsyncIterator[Application]:
    """Runs the tiny bot against ``peer`` (polling) until the block ends, then shuts everything down."""
    runner = None
    builder = ApplicationBuilder().token(TOKEN)
    if http:
        runner, base = await start_peer_server(peer)
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    else:
        builder = builder.request(PeerRequest(peer)).get_updates_request(PeerRequest(peer))
    app = builder.build()
    app.add_handler(CommandHandler("start", greet))
    app.add_handler(CallbackQueryHandler(choose))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    try:
        async with polling(app, poll_interval=0.01, long_poll=dtm.timedelta(seconds=2)):
            yield app
    finally:
        if runner is not None:
            await runner.cleanup()


# --------------------------------------------------------------------------------------------------
# Conversations through PTB
# --------------------------------------------------------------------------------------------------


@TRANSPORTS
async def test_what_the_user_types_comes_back(http: bool) -> None:
    peer = BotApiPeer()
    async with running_bot(peer, http=http):
        peer.user_sends(USER, "سلام، کد رهگیری من چیست؟")
        [reply] = await peer.wait_for_reply(USER)
        assert reply["text"] == "سلام، کد رهگیری من چیست؟"
        assert reply["event"] == "send"

        peer.user_sends(USER, "دوباره")
        [reply] = await peer.wait_for_reply(USER)
        assert reply["plain"] == "دوباره"
    assert [m["text"] for m in peer.sent(USER)] == ["سلام، کد رهگیری من چیست؟", "دوباره"]
    # Message ids are per chat and shared by the user and the bot, as in a private Telegram chat.
    assert [m["message_id"] for m in peer.sent(USER)] == [2, 4]
    methods = [call.method for call in peer.calls]
    assert methods[:2] == ["getMe", "deleteWebhook"]
    assert not peer.pending_updates


@TRANSPORTS
@pytest.mark.parametrize("platform", ["telegram", "bale"])
async def test_a_tap_is_answered_and_the_menu_replaced(http: bool, platform: str) -> None:
    peer = BotApiPeer(platform)
    async with running_bot(peer, http=http) as app:
        peer.user_sends(USER, "/start")
        [menu] = await peer.wait_for_reply(USER)
        assert menu["buttons"] == [["پیگیری", "ثبت"]]

        tap = peer.user_taps_button(USER, "ثبت")
        [edited] = await peer.wait_for_reply(USER)
        assert edited["event"] == "edit"
        assert edited["message_id"] == menu["message_id"]
        assert edited["text"] == "انتخاب شما: reg"
        assert edited["buttons"] == []  # an edit that does not repeat the keyboard drops it
        assert peer.callback_answer(tap["callback_query"]["id"]) == {"text": "انتخاب شد: reg"}
        await until(lambda: "edit_result" in app.bot_data)  # the edit's answer reaches the handler
        edit_result = app.bot_data["edit_result"]

    if platform == "bale":
        # Bale's editMessageText answers `true`, and PTB hands that True to the handler instead of a Message.
        assert edit_result is True
    else:
        assert edit_result.message_id == menu["message_id"]
    [shown] = peer.sent(USER)
    assert shown["edits"] == 1 and shown["text"] == "انتخاب شما: reg"


@TRANSPORTS
async def test_flood_control_reaches_ptb_as_retry_after(http: bool) -> None:
    peer = BotApiPeer()
    async with running_bot(peer, http=http) as app:
        peer.add_user(USER)
        peer.fail_next("sendMessage", 429, retry_after=7)
        with pytest.raises(RetryAfter) as caught:
            await app.bot.send_message(USER, "اطلاعیه")
        assert caught.value.retry_after == dtm.timedelta(seconds=7)
        assert peer.sent(USER) == []

        await app.bot.send_message(USER, "اطلاعیه")
        assert [m["text"] for m in peer.sent(USER)] == ["اطلاعیه"]


def test_ptb_warns_while_building_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PTB_TIMEDELTA")
    with pytest.warns(PTBDeprecationWarning):
        RetryAfter(3)


@TRANSPORTS
async def test_identical_edits_and_second_answers_are_refused(http: bool) -> None:
    peer = BotApiPeer()
    async with running_bot(peer, http=http) as app:
        peer.add_user(USER)
        message = await app.bot.send_message(USER, "منو", reply_markup=MENU)
        with pytest.raises(BadRequest, match="not modified"):
            await app.bot.edit_message_text("منو", USER, message.message_id, reply_markup=MENU)
        with pytest.raises(BadRequest, match="not modified"):
            await app.bot.edit_message_reply_markup(USER, message.message_id, reply_markup=MENU)
        # Same text, keyboard dropped: that is a change.
        edited = await app.bot.edit_message_text("منو", USER, message.message_id)
        assert edited.reply_markup is None

        tap = peer.user_taps(USER, message.message_id, "track")
        await peer.wait_for_reply(USER)  # the bot answered and edited
        with pytest.raises(BadRequest, match="Query is too old"):
            await app.bot.answer_callback_query(tap["callback_query"]["id"])


@TRANSPORTS
async def test_bale_refuses_parse_mode_and_bot_settings(http: bool) -> None:
    peer = BotApiPeer("bale")
    async with running_bot(peer, http=http) as app:
        peer.add_user(USER)
        with pytest.raises(BadRequest, match="Parse_mode is not supported"):
            await app.bot.send_message(USER, "<b>سلام</b>", parse_mode=ParseMode.HTML)
        message = await app.bot.send_message(USER, "*سلام*")
        with pytest.raises(BadRequest, match="Parse_mode is not supported"):
            await app.bot.edit_message_text("<b>x</b>", USER, message.message_id, parse_mode=ParseMode.HTML)
        assert await app.bot.edit_message_text("سلام دوباره", USER, message.message_id) is True
        with pytest.raises(BadRequest):
            await app.bot.set_my_commands([("start", "شروع")])
        with pytest.raises(BadRequest):
            await app.bot.set_my_description("ربات خدمات")
    assert peer.sent(USER)[0]["text"] == "سلام دوباره"


async def test_bale_polls_without_waiting() -> None:
    peer = BotApiPeer("bale")
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer = await peer.call("getUpdates", {"timeout": 5, "allowed_updates": ["callback_query"]})
    assert answer == {"ok": True, "result": []}
    assert loop.time() - started < 0.5
    peer.user_sends(USER, "سلام")  # allowed_updates is ignored on Bale
    assert len((await peer.call("getUpdates", {}))["result"]) == 1


@TRANSPORTS
async def test_documents_are_recorded_with_their_content(http: bool) -> None:
    peer = BotApiPeer()
    async with running_bot(peer, http=http) as app:
        peer.add_user(USER)
        message = await app.bot.send_document(
            USER, b"name,code\n", filename="requests.csv", caption="<b>فهرست</b>", parse_mode=ParseMode.HTML
        )
        assert message.document.file_name == "requests.csv"
        assert message.caption == "فهرست"
    [record] = peer.sent(USER)
    assert record["method"] == "sendDocument"
    assert record["document"]["content"] == b"name,code\n"
    assert record["plain"] == "فهرست"


async def test_a_slow_peer_times_out_yet_the_message_was_sent() -> None:
    peer = BotApiPeer()
    peer.add_user(USER)
    app = ApplicationBuilder().token(TOKEN).request(PeerRequest(peer, read_timeout=0.05)).build()
    async with app:
        peer.delay("sendMessage", 0.5)
        with pytest.raises(TimedOut):
            await app.bot.send_message(USER, "کند")
    assert [m["text"] for m in peer.sent(USER)] == ["کند"]


@pytest.mark.parametrize(("platform", "error"), [("telegram", InvalidToken), ("bale", Forbidden)])
async def test_a_wrong_token_is_refused(platform: str, error: type[Exception]) -> None:
    peer = BotApiPeer(platform, token="999:OTHER")
    app = ApplicationBuilder().token(TOKEN).request(PeerRequest(peer)).build()
    with pytest.raises(error):
        await app.initialize()
    await app.shutdown()


# --------------------------------------------------------------------------------------------------
# The peer's own rules, called directly
# --------------------------------------------------------------------------------------------------


async def test_telegram_html_is_checked_like_telegram() -> None:
    peer = BotApiPeer()
    peer.add_user(USER)

    async def send(text: str) -> dict:
        return await peer.call("sendMessage", {"chat_id": USER, "text": text, "parse_mode": "HTML"})

    good = await send("<b>هزینه</b>: ۱۰۰ &lt; ۲۰۰ &amp; <a href='https://my.gov.ir'>پنجره</a>")
    assert good["ok"] and good["result"]["text"] == "هزینه: ۱۰۰ < ۲۰۰ & پنجره"
    for text, reason in [
        ("<b>بدون پایان", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("۱۰۰ < ۲۰۰", 'Unsupported start tag "" at byte offset 7'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ]:
        answer = await send(text)
        assert answer == {
            "ok": False,
            "error_code": 400,
            "description": f"Bad Request: can't parse entities: {reason}",
        }, text
    assert html_to_plain("R&D &foo; &#1575;") == "R&D &foo; ا"
    assert len(peer.sent(USER)) == 1


async def test_limits_of_text_and_callback_data() -> None:
    peer = BotApiPeer()
    peer.add_user(USER)

    async def send(text: str, data: str | None = None) -> dict:
        params: dict = {"chat_id": USER, "text": text}
        if data is not None:
            params["reply_markup"] = {"inline_keyboard": [[{"text": "دکمه", "callback_data": data}]]}
        return await peer.call("sendMessage", params)

    assert (await send("ا" * 4096))["ok"]
    assert (await send("ا" * 4097))["description"] == "Bad Request: message is too long"
    assert (await send("   "))["description"] == "Bad Request: message text is empty"
    assert (await send("x", "a" * 64))["ok"]
    assert (await send("x", "a" * 65))["description"] == "Bad Request: BUTTON_DATA_INVALID"
    assert (await send("x", "س" * 33))["description"] == "Bad Request: BUTTON_DATA_INVALID"  # 66 bytes
    text_only = {"chat_id": USER, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "فقط متن"}]]}}
    assert "Text buttons are unallowed" in (await peer.call("sendMessage", text_only))["description"]
    assert (await peer.call("sendMessage", {"chat_id": 7, "text": "x"}))["description"] == (
        "Bad Request: chat not found"
    )
    peer.block(USER)
    assert (await send("x"))["error_code"] == 403


async def test_get_updates_confirms_limits_and_long_polls() -> None:
    peer = BotApiPeer()
    first, second, third = (peer.user_sends(USER, str(n)) for n in range(3))
    assert [u["update_id"] for u in (await peer.call("getUpdates", {"limit": 2}))["result"]] == [
        first["update_id"],
        second["update_id"],
    ]
    answer = await peer.call("getUpdates", {"offset": second["update_id"]})
    assert [u["update_id"] for u in answer["result"]] == [second["update_id"], third["update_id"]]
    assert [u["update_id"] for u in (await peer.call("getUpdates", {"offset": -1}))["result"]] == [
        third["update_id"]
    ]
    assert (await peer.call("getUpdates", {"offset": third["update_id"] + 1}))["result"] == []

    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(peer.call("getUpdates", {"timeout": 5}))
    await asyncio.sleep(0.02)
    assert not poll.done()
    peer.user_sends(USER, "بیدار شو")
    assert [u["message"]["text"] for u in (await poll)["result"]] == ["بیدار شو"]
    assert loop.time() - started < 1

    # A second poller: the first one is told to get out of the way, as Telegram does.
    older = asyncio.create_task(peer.call("getUpdates", {"offset": -1 + 10**6, "timeout": 5}))
    await asyncio.sleep(0.01)
    newer = await peer.call("getUpdates", {"timeout": 0})
    assert newer["ok"]
    assert (await older)["error_code"] == 409

    await peer.call("setWebhook", {"url": "https://example.invalid/hook"})
    assert (await peer.call("getUpdates", {}))["error_code"] == 409
    await peer.call("deleteWebhook", {"drop_pending_updates": True})
    assert (await peer.call("getUpdates", {}))["result"] == []


async def test_faults_and_unknown_methods() -> None:
    peer = BotApiPeer()
    peer.add_user(USER)
    peer.fail_next("sendMessage", 502, "Bad Gateway", times=2)
    params = {"chat_id": USER, "text": "x"}
    assert (await peer.call("sendMessage", params))["error_code"] == 502
    assert (await peer.call("sendMessage", params))["description"] == "Bad Gateway"
    assert (await peer.call("sendMessage", params))["ok"]
    peer.fail_next("answerCallbackQuery", 429, retry_after=3)
    assert (await peer.call("answerCallbackQuery", {"callback_query_id": "1"})) == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert await peer.call("sendSticker", {"chat_id": USER}) == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    assert [c.method for c in peer.calls][-1] == "sendSticker"


async def test_bot_settings_are_kept_on_telegram() -> None:
    peer = BotApiPeer()
    commands = [{"command": "start", "description": "شروع"}]
    assert (await peer.call("setMyCommands", {"commands": json.dumps(commands)}))["ok"]
    assert (await peer.call("getMyCommands", {}))["result"] == commands
    assert (await peer.call("setMyCommands", {"commands": [{"command": "Start", "description": "x"}]}))[
        "description"
    ] == "Bad Request: BOT_COMMAND_INVALID"
    assert (await peer.call("deleteMyCommands", {}))["ok"]
    assert (await peer.call("getMyCommands", {}))["result"] == []
    assert (await peer.call("setMyDescription", {"description": "ربات خدمات دولتی"}))["ok"]
    assert (await peer.call("getMyDescription", {}))["result"] == {"description": "ربات خدمات دولتی"}
    assert (await peer.call("setChatMenuButton", {"menu_button": {"type": "commands"}}))["ok"]
    assert (await peer.call("sendChatAction", {"chat_id": USER, "action": "typing"}))["description"] == (
        "Bad Request: chat not found"
    )


def test_user_actions_are_updates_ptb_understands() -> None:
    peer = BotApiPeer()
    command = Update.de_json(peer.user_sends(USER, "/start ref42", first_name="مریم"), None)
    assert filters.COMMAND.check_update(command)
    assert command.effective_user.first_name == "مریم" and command.effective_chat.type == "private"

    assert Update.de_json(peer.user_sends_sticker(USER), None).message.sticker.emoji == "👍"
    photo = Update.de_json(peer.user_sends_photo(USER, caption="کارت ملی"), None).message
    assert photo.photo[-1].width == 800 and photo.caption == "کارت ملی"
    voice = Update.de_json(peer.user_sends_voice(USER), None).message.voice
    assert voice.duration == dtm.timedelta(seconds=3)
    assert Update.de_json(peer.user_sends_location(USER), None).message.location.latitude == 35.6892

    own = Update.de_json(peer.user_sends_contact(USER, "09121234567"), None).message.contact
    assert own.user_id == USER and own.phone_number == "09121234567"
    other = Update.de_json(peer.user_sends_contact(USER, "09350000000", contact_user_id=7), None).message
    assert other.contact.user_id == 7
    bare = Update.de_json(peer.user_sends_contact(USER, "02100000000", NO_CONTACT_USER), None).message
    assert bare.contact.user_id is None

    original = peer.user_sends(USER, "کد ملی من ۰۰۱۲۳")
    correction = peer.user_edits(USER, original["message"]["message_id"], "کد ملی من ۰۰۱۲۳۴")
    edited = Update.de_json(correction, None)
    assert edited.edited_message.text.endswith("۴") and edited.edited_message.edit_date is not None

    post = Update.de_json(peer.channel_post(-1001, "اطلاعیه"), None)
    assert post.effective_user is None and post.effective_chat.type == "channel"

    with pytest.raises(ValueError, match="no message 99"):
        peer.user_taps(USER, 99, "x")


async def test_wait_for_reply_says_what_did_arrive() -> None:
    peer = BotApiPeer()
    peer.user_sends(USER, "سلام")
    await peer.call("sendMessage", {"chat_id": USER, "text": "یکی"})
    with pytest.raises(TimeoutError, match="1 of 2 expected"):
        await peer.wait_for_reply(USER, count=2, timeout=0.05)
    [reply] = await peer.wait_for_reply(USER)
    assert reply["text"] == "یکی"
    await peer.assert_no_reply(USER, within=0.01)


# --------------------------------------------------------------------------------------------------
# The HTTP server itself
# --------------------------------------------------------------------------------------------------


async def test_http_accepts_every_body_and_serves_the_control_endpoints() -> None:
    peer = BotApiPeer()
    runner, base = await start_peer_server(peer)
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            me = (await client.get(f"/bot{TOKEN}/getMe")).json()
            assert me["ok"] and me["result"]["username"] == "khedmat_test_bot"

            update = (await client.post("/_peer/send", json={"user_id": USER, "text": "سلام"})).json()
            assert update["message"]["text"] == "سلام"
            got = (await client.get(f"/bot{TOKEN}/getUpdates", params={"timeout": "0"})).json()
            assert got["result"] == [update]

            markup = {"inline_keyboard": [[{"text": "پیگیری", "callback_data": "track"}]]}
            form = {"chat_id": str(USER), "text": "123", "reply_markup": json.dumps(markup)}
            sent = await client.post(f"/bot{TOKEN}/sendMessage", data=form)
            assert sent.status_code == 200 and sent.json()["result"]["text"] == "123"
            body = {"chat_id": USER, "text": "جی‌سان", "reply_markup": markup}
            assert (await client.post(f"/bot{TOKEN}/sendMessage", json=body)).json()["ok"]
            files = {"document": ("a.txt", b"abc", "text/plain")}
            doc = await client.post(f"/bot{TOKEN}/sendDocument", data={"chat_id": str(USER)}, files=files)
            assert doc.json()["result"]["document"]["file_size"] == 3

            shown = (await client.get("/_peer/sent", params={"chat_id": USER})).json()
            assert [m["text"] for m in shown] == ["123", "جی‌سان", None]
            assert shown[0]["reply_markup"] == markup and shown[0]["buttons"] == [["پیگیری"]]
            assert "content" not in shown[2]["document"]
            replies = (await client.get("/_peer/wait_for_reply", params={"chat_id": USER, "count": 3})).json()
            assert [r["message_id"] for r in replies] == [m["message_id"] for m in shown]
            silent = await client.get("/_peer/wait_for_reply", params={"chat_id": USER, "timeout": "0.05"})
            assert silent.status_code == 504

            tap = await client.post("/_peer/tap_button", json={"user_id": USER, "text": "پیگیری"})
            assert tap.json()["callback_query"]["data"] == "track"
            assert (await client.post("/_peer/tap", json={"user_id": USER})).status_code == 400

            fault = {"method": "sendMessage", "error_code": 429, "retry_after": 2}
            assert (await client.post("/_peer/fail_next", json=fault)).json() == {"ok": True}
            flood = await client.post(f"/bot{TOKEN}/sendMessage", data=form)
            assert flood.status_code == 429 and flood.json()["parameters"] == {"retry_after": 2}

            missing = await client.post(f"/bot{TOKEN}/noSuchMethod")
            assert missing.status_code == 404
            assert missing.json()["description"] == "Not Found: method not found"
            assert (await client.get(f"/file/bot{TOKEN}/documents/file_1.pdf")).status_code == 404
            calls = (await client.get("/_peer/calls", params={"method": "sendMessage"})).json()
            assert len(calls) == 3 and calls[0]["params"]["chat_id"] == USER
    finally:
        await runner.cleanup()
    assert isinstance(peer.calls_to("sendDocument")[0]["document"], UploadedFile)


async def test_http_shutdown_does_not_wait_for_long_polls() -> None:
    peer = BotApiPeer()
    runner, base = await start_peer_server(peer)
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=base) as client:
        poll = asyncio.create_task(
            client.get(f"/bot{TOKEN}/getUpdates", params={"timeout": "30"}, timeout=40)
        )
        await until(lambda: peer.calls)
        started = loop.time()
        await runner.cleanup()
        assert loop.time() - started < 1
        assert (await poll).json() == {"ok": True, "result": []}


async def test_the_standalone_server_prints_its_url() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "handlers.fakeapi.server", "--port", "0", "--platform", "bale",
        cwd=ROOT, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        base = line.decode().strip()
        assert base.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get(f"/bot{TOKEN}/getMe")).json()["ok"]
            refused = await client.post(f"/bot{TOKEN}/setMyCommands", data={"commands": "[]"})
            assert refused.status_code == 400
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 5) == 0
