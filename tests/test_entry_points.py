"""Ways into the bot: deep links that open a service's card, the `link` command that prints them (and a QR
code for the counter), and the admin commands in the menu of admins only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot import texts as T
from handlers.app import post_init
from handlers.fakeapi import BotApiPeer
from tests.support.botchat import ROOT, Chat, running_app, title_line

KARA, KARA_ID = "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا", "13011031101"


async def test_a_deep_link_opens_the_service_card_and_makes_it_the_current_service(chat: Chat) -> None:
    [card] = await chat.send(f"/start {KARA_ID}")
    assert title_line(card) == KARA and T.BTN_DOCUMENTS in [label for row in card["buttons"] for label in row]
    [documents] = await chat.send("مدارکش چیه؟")  # the follow-up is about the linked service
    assert "مستندات مرتبط با طرح اشتغال" in documents["plain"]


async def test_a_deep_link_to_an_unknown_service_shows_the_main_menu(chat: Chat) -> None:
    [menu] = await chat.send("/start no-such-service")
    assert menu["plain"].startswith("سلام")


async def test_only_admins_get_the_admin_commands_in_their_menu(tmp_path: Path) -> None:
    peer = BotApiPeer("telegram")
    async with running_app(peer, tmp_path / "bot.db", admin_ids=frozenset({777}), notices=False) as bot:
        await post_init(bot.app)
        menus = {json.loads(key)[0]["type"] + str(json.loads(key)[0].get("chat_id", "")): [c["command"] for c in cmds]
                 for key, cmds in peer.commands.items()}
    assert menus["default"] == ["start", "help", "cancel"]
    assert menus["chat777"] == ["start", "help", "cancel", "stats", "unanswered", "reload"]


def run_link(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "link", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=60, check=False)


def test_the_link_command_prints_the_deep_link_and_writes_a_qr_code(tmp_path: Path) -> None:
    png = tmp_path / "kara.png"
    done = run_link(KARA_ID, "--bot", "@khedmat_bot", "--png", str(png))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"https://t.me/khedmat_bot?start={KARA_ID}"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_link_command_refuses_a_service_the_knowledge_lacks(tmp_path: Path) -> None:
    done = run_link("no-such-service", "--bot", "khedmat_bot")
    assert done.returncode == 2 and "no-such-service" in done.stderr and done.stdout == ""
