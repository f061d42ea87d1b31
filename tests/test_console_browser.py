"""The console in a real browser: Debian's chromium driven by Playwright (its own browser download cannot
reach the internet here, so never `playwright install`), against `python -m bot console` as an operator
starts it, on a temporary database the real dialogue filled.

A clerk signs in, reads the dashboard (charts drawn), opens a conversation (masked), and changes a request's
status; the citizen's notice then waits for the bot's notice loop. Screenshots of the main pages go to a
temporary folder, or to docs/screenshots/ (shown in the README) with `SCREENSHOTS=docs` — so a test run
leaves the working tree as it was.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from storage import open_database
from tests.support.console import KARA_CODE, PASSWORD, seed

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("SCREENSHOTS") == "docs" else None
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (/usr/bin/chromium): apt-get install -y chromium",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the console exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the console did not answer within {within}s:\n{log.read_text()[-3000:]}")


def test_a_clerk_reads_the_dashboard_opens_a_conversation_and_changes_a_status(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    database = tmp_path / "bot.db"

    async def fill() -> str:
        async with await open_database(database) as db:
            return (await seed(db)).kara_code

    code = asyncio.run(fill())
    env = {**os.environ, "BOT_DATABASE": str(database), "BOT_CONSOLE_HOST": "127.0.0.1",
           "BOT_CONSOLE_PORT": str(free_port()), "BOT_LOG_LEVEL": "WARNING"}
    env.pop("BOT_KNOWLEDGE_DIR", None)
    added = subprocess.run([sys.executable, "-m", "bot", "console-user", "add", "maryam", "--role", "clerk"],
                           input=PASSWORD + "\n", text=True, capture_output=True, cwd=ROOT, env=env, timeout=60)
    assert added.returncode == 0, added.stderr
    base = f"http://127.0.0.1:{env['BOT_CONSOLE_PORT']}"
    log = tmp_path / "console.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "bot", "console"], cwd=ROOT, env=env,
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    try:
        wait_until_serving(f"{base}/login", server, log)
        shots = SCREENSHOTS or tmp_path / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fa-IR")
                requested = []
                page.on("request", lambda r: requested.append(r.url))

                page.goto(f"{base}/")  # no page without signing in
                expect(page).to_have_url(f"{base}/login?next=/")
                assert page.locator("html").get_attribute("dir") == "rtl"
                assert page.locator("html").get_attribute("lang") == "fa"
                page.screenshot(path=shots / "login.png")
                page.fill("input[name=name]", "maryam")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")

                expect(page.locator("h1")).to_contain_text("داشبورد")
                page.wait_for_function("() => window.Chart && Chart.getChart('chart-days') && Chart.getChart('chart-statuses')")
                # 10 turns of one citizen, 3 of the other, in Persian digits
                expect(page.locator("[data-figure=incoming]")).to_have_text("۱۳")
                expect(page.locator("#table-services")).to_contain_text("ارائه معرفی‌نامه دریافت تسهیلات طرح کارا")
                page.screenshot(path=shots / "dashboard.png", full_page=True)

                page.click("nav >> text=گفت‌وگوها")
                page.click("a.open >> nth=1")  # the older conversation: the Kara citizen's
                transcript = page.locator(".transcript")
                expect(transcript).to_contain_text("مدارک لازم برای وام کارا چیه؟")
                expect(transcript).to_contain_text("کد ملی من ********")
                assert KARA_CODE not in transcript.inner_text()
                page.screenshot(path=shots / "conversation.png", full_page=True)

                page.click("nav >> text=پرسش‌های بی‌پاسخ")
                expect(page.locator(".question").first).to_contain_text("صدور گذرنامه")
                page.screenshot(path=shots / "unanswered.png", full_page=True)

                page.click("nav >> text=درخواست‌ها")
                page.screenshot(path=shots / "requests.png", full_page=True)
                page.click(f"a[href='/requests/{code}']")
                expect(page.locator("#national-code")).not_to_contain_text("۰۰۱۳۵۴۲۴۱")
                page.select_option("#new-status", "under_review")
                page.fill("textarea[name=note]", "مدارک شما رسید و در نوبت بررسی است.")
                page.click("form.status-form button[type=submit]")
                expect(page.locator(".flash")).to_contain_text("شهروند در گفت‌وگو باخبر می‌شود")
                expect(page.locator("#status")).to_have_text("در حال بررسی")
                page.screenshot(path=shots / "request.png", full_page=True)
                assert all(url.startswith(base) for url in requested), "nothing may be loaded from elsewhere"
            finally:
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    async def notices() -> list:
        async with await open_database(database) as db:
            return await db.requests.undelivered("telegram")

    [notice] = asyncio.run(notices())  # what the running bot's notice loop sends the citizen
    assert (notice.tracking_code, notice.status, notice.note) == (code, "under_review", "مدارک شما رسید و در نوبت بررسی است.")


async def test_an_editor_changes_a_document_and_the_running_bot_answers_with_it(tmp_path: Path) -> None:
    """The service editor end to end: an editor of the welfare ministry changes a document of the Kara
    service, sees the problem of a bad web address beside its field, previews the answer, publishes; the bot,
    running as a separate process on the same knowledge folder, answers with the new document within
    seconds, without a restart. An editor of another ministry cannot open the service."""
    from playwright.async_api import async_playwright, expect

    from handlers.fakeapi import BotApiPeer, start_peer_server
    from tests.support.console import _HASH, INTERIOR, KARA, WELFARE
    from tests.support.process import FIRST_ANSWER_TIMEOUT, TOKEN, bot_process, reply

    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    database = tmp_path / "bot.db"
    async with await open_database(database) as db:
        await db.console.add_user("sara", _HASH, "editor", WELFARE)
        await db.console.add_user("reza", _HASH, "editor", INTERIOR)
    env = {**os.environ, "BOT_DATABASE": str(database), "BOT_CONSOLE_HOST": "127.0.0.1",
           "BOT_CONSOLE_PORT": str(free_port()), "BOT_LOG_LEVEL": "WARNING", "BOT_KNOWLEDGE_DIR": str(knowledge)}
    base = f"http://127.0.0.1:{env['BOT_CONSOLE_PORT']}"
    console_log = tmp_path / "console.log"
    with console_log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "bot", "console"], cwd=ROOT, env=env,  # noqa: ASYNC220
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    peer = BotApiPeer("telegram", token=TOKEN)
    runner, api = await start_peer_server(peer)
    new_document = "گواهی پایان دوره مهارت‌آموزی"
    try:
        await asyncio.to_thread(wait_until_serving, f"{base}/login", server, console_log)
        async with bot_process(api, tmp_path / "bot-run.db", tmp_path / "bot.log",
                               env={"BOT_KNOWLEDGE_DIR": str(knowledge), "BOT_KNOWLEDGE_POLL": "0.5"}) as bot:
            peer.user_sends(USER, "مدارک لازم وام کارا")
            before = await reply(peer, bot, USER, FIRST_ANSWER_TIMEOUT)
            assert new_document not in before["plain"]

            shots = SCREENSHOTS or tmp_path / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
                try:
                    page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="fa-IR")
                    requested: list[str] = []
                    page.on("request", lambda r: requested.append(r.url))
                    await sign_in(page, base, "sara")
                    await page.click("nav >> text=خدمت‌ها")
                    await page.click(f"a[href='/services/{KARA}'] >> nth=0")
                    await expect(page.locator("h1")).to_contain_text("طرح کارا")

                    await page.fill("#f-documents-0", new_document)
                    await page.fill("#f-websites-0", "WWW.")
                    await page.click("#publish")
                    field = page.locator(".field:has(#f-websites-0)")
                    await expect(field.locator(".field-error")).to_contain_text("نشانی وب 'WWW.' معتبر نیست")
                    await expect(page.locator("#problems")).to_contain_text(f"{KARA}.yaml: websites[0]:")

                    await page.fill("#f-websites-0", "https://kara.mcls.gov.ir/")
                    # a list item added, moved up and removed again by the page's script
                    await page.click("fieldset[data-list=documents] > button[data-add]")
                    items = page.locator("fieldset[data-list=documents] > ol > li")
                    await expect(items).to_have_count(2)
                    await items.nth(1).locator("textarea, input").first.fill("مدرک آزمایشی")
                    await items.nth(1).locator("[data-move=up]").click()
                    await expect(items.nth(0).locator("textarea, input").first).to_have_value("مدرک آزمایشی")
                    await items.nth(0).locator("[data-remove]").click()
                    await expect(items).to_have_count(1)

                    await page.fill("textarea[name=question]", "مدارک لازم وام کارا چیه؟")
                    await page.click("button[value=preview]")
                    await expect(page.locator("#preview-answer")).to_contain_text(new_document)
                    await expect(page.locator("#preview-decision")).to_contain_text(KARA)
                    await page.screenshot(path=shots / "editor.png", full_page=False)

                    await page.click("#publish")
                    await expect(page.locator(".flash")).to_contain_text("منتشر شد")
                    await expect(page.locator("#f-documents-0")).to_have_value(new_document)
                    assert all(url.startswith(base) for url in requested), "nothing may be loaded from elsewhere"

                    other = await browser.new_page(locale="fa-IR")
                    await sign_in(other, base, "reza")
                    answer = await other.goto(f"{base}/services/{KARA}")
                    assert answer is not None and answer.status == 404
                    await expect(other.locator("main")).to_contain_text("چنین صفحه‌ای نیست")
                finally:
                    await browser.close()

            published = asyncio.get_running_loop().time()
            while True:  # the running bot reloads on its own (BOT_KNOWLEDGE_POLL), no restart
                peer.user_sends(USER, "مدارک لازم وام کارا")
                after = await reply(peer, bot, USER, 10)
                if new_document in after["plain"]:
                    break
                assert asyncio.get_running_loop().time() - published < 8, bot.log_tail()
                await asyncio.sleep(0.5)
            assert "knowledge" not in bot.log_text().lower() or "do not validate" not in bot.log_text()
    finally:
        await runner.cleanup()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


USER = 8801


async def sign_in(page, base: str, name: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/")
