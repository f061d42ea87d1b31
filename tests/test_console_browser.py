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
