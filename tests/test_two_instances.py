"""Two active instances on one PostgreSQL database (issue 18): two `python -m bot run` processes in webhook
mode behind a load balancer on loopback, the platform (the fake peer) posting to the balancer, which sends
each update to either instance at random. Citizens write in bursts and register; staff change statuses
from a third process (this one); halfway, one instance is killed with SIGKILL. Then:

- every message is answered once and in order per citizen, whichever instance stored it, and what the
  dead instance had stored but not answered is answered by the other;
- every registration is stored once, with its own code, the one the citizen was shown;
- every status change reaches its citizen once: the delivery loops of both instances claim notices, so
  neither sends one the other sent, and one claimed by the dead instance is sent after its lease.

The issue's numbers (200 citizens, 2,000 updates) are the default; TWO_INSTANCES_USERS sets fewer (or more)
citizens, ten updates each.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter
from pathlib import Path

from bot import texts as T
from handlers.fakeapi import BotApiPeer, WebhookPusher, start_peer_server
from storage.postgres import PostgresStore
from storage.requests import APPROVED, UNDER_REVIEW
from tests.support.balancer import LoadBalancer
from tests.support.process import FIRST_ANSWER_TIMEOUT, bot_process, free_port
from tests.test_faults import code_in, register

USERS = int(os.environ.get("TWO_INSTANCES_USERS", "200"))
PER_USER = 10  # updates from each citizen
REGISTER_EVERY = 5  # every fifth citizen registers (6 updates of the form), then writes 4 words
WORD = re.compile(r"«(زاغ[^»]+)»")
NOTICE = T.STATUS_CHANGED.split("{")[0]
FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
LEASE = 3.0  # BOT_CLAIM_LEASE: a notice the dead instance claimed is sent by the other after this
SEND_TAKES = 0.05  # seconds the platform takes to answer a sendMessage: one citizen's burst waits its turn
DEADLINE = 150.0  # seconds for everything to be answered (two processes and PostgreSQL on a busy machine)


def word(n: int) -> str:
    """A made-up Persian word for each number (the catalogue has none: the bot quotes it, not found). Letters
    alternate between two sets, so no letter repeats (the bot would shorten a repeated one)."""
    sets = ("بپتجچخدذرزژس", "شطظعفقکگلمنی")
    text, position = "", 0
    while True:
        letters = sets[position % 2]
        text += letters[n % len(letters)]
        n //= len(letters)
        position += 1
        if not n:
            return "زاغ" + text


def words_answered(peer: BotApiPeer, user: int) -> list[str]:
    return [m.group(1) for message in peer.sent(user) for m in [WORD.search(message["plain"])] if m]


def notices(peer: BotApiPeer, user: int) -> list[str]:
    return [message["plain"] for message in peer.sent(user) if message["plain"].startswith(NOTICE)]


async def wait_until(condition, what, bots, timeout: float = DEADLINE) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {bot.log} ---\n{bot.log_tail()}" for bot in bots)
            raise AssertionError(f"timed out waiting for {what() if callable(what) else what}\n{tails}")
        await asyncio.sleep(0.1)


async def listening(port: int, bot, timeout: float = FIRST_ANSWER_TIMEOUT * 2) -> None:  # noqa: ASYNC109
    """Until the instance's webhook receiver accepts connections (it has started and set the webhook)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            assert bot.process.returncode is None, f"the instance exited:\n{bot.log_tail()}"
            assert time.monotonic() < deadline, f"the instance never listened:\n{bot.log_tail()}"
            await asyncio.sleep(0.1)


async def test_two_instances_behind_a_balancer_one_killed_halfway(postgres_url: str, tmp_path: Path) -> None:
    peer = BotApiPeer("telegram", token="123:ABC")
    peer.delay("sendMessage", SEND_TAKES)
    runner, base = await start_peer_server(peer)
    ports = [free_port(), free_port()]
    users = [90_000 + i for i in range(USERS)]
    registrants = users[::REGISTER_EVERY]
    writers = [u for u in users if u not in set(registrants)]
    words = {u: [word(u * 16 + k) for k in range(PER_USER if u in writers else PER_USER - 6)] for u in users}
    total = sum(len(w) for w in words.values()) + 6 * len(registrants)
    changed: Counter[str] = Counter()  # status changes made per tracking code
    killed_at = in_hand = 0
    store = await PostgresStore.open(postgres_url)
    started = time.monotonic()
    try:
        async with LoadBalancer([f"127.0.0.1:{p}" for p in ports], seed=18) as balancer, WebhookPusher(peer) as pusher:
            def env(port: int) -> dict[str, str]:
                return {"BOT_DATABASE": postgres_url, "BOT_WEBHOOK_URL": f"{balancer.url}/hook",
                        "BOT_WEBHOOK_LISTEN": f"127.0.0.1:{port}", "BOT_SEND_RATE": "0", "BOT_FLOOD_BURST": "1000",
                        "BOT_FLOOD_RATE": "1000", "BOT_CLAIM_LEASE": str(LEASE), "BOT_LOG_LEVEL": "WARNING"}

            async with (bot_process(base, None, tmp_path / "a.log", env=env(ports[0])) as a,
                        bot_process(base, None, tmp_path / "b.log", env=env(ports[1])) as b):
                bots = (a, b)
                await listening(ports[0], a)
                await listening(ports[1], b)
                await wait_until(lambda: peer.webhook, "the webhook to be set", bots)

                async def change_statuses(status: str, among: list[int]) -> None:
                    """Staff move the requests of these citizens (from another process: this one)."""
                    for user in among:
                        [request] = await store.requests.for_user("telegram", user)
                        await store.requests.set_status(request.tracking_code, status, actor="staff")
                        changed[request.tracking_code] += 1

                async def registrant(i: int, user: int) -> None:
                    await asyncio.sleep(i * 0.05)
                    await register(peer, user)
                    for w in words[user]:
                        peer.user_sends(user, w)

                async def writer(i: int, user: int) -> None:
                    await asyncio.sleep(i * 0.01)
                    for w in words[user]:
                        peer.user_sends(user, w)
                        await asyncio.sleep(0.002)

                citizens = [asyncio.create_task(registrant(i, u)) for i, u in enumerate(registrants)]
                citizens += [asyncio.create_task(writer(i, u)) for i, u in enumerate(writers)]
                # Halfway: statuses change for the citizens registered so far, then one instance dies.
                await wait_until(lambda: pusher.answers.count(200) >= total // 2, "half the updates taken", bots)
                done_so_far = [u for u in registrants if any(code_in(m) for m in peer.sent(u))]
                await change_statuses(UNDER_REVIEW, done_so_far)
                await asyncio.sleep(0.2)  # some notices claimed, some maybe sent
                in_hand = len(await store.inbox.pending("telegram"))  # stored, not yet answered
                await a.kill()
                killed_at = pusher.answers.count(200)

                await asyncio.wait_for(asyncio.gather(*citizens), DEADLINE)
                rest = [u for u in registrants if u not in done_so_far]
                await change_statuses(UNDER_REVIEW, rest)
                await change_statuses(APPROVED, registrants)

                def all_answered() -> bool:
                    return (all(len(words_answered(peer, u)) >= len(words[u]) for u in users)
                            and all(len(notices(peer, u)) >= 2 for u in registrants))

                def missing() -> str:
                    short = {u: len(words[u]) - len(words_answered(peer, u)) for u in users}
                    untold = [u for u in registrants if len(notices(peer, u)) < 2]
                    return (f"every update answered and every notice sent: answers missing {
                            {u: n for u, n in short.items() if n}}, notices missing for {untold}, "
                            f"{len(peer.pending_updates)} updates not taken")

                await wait_until(all_answered, missing, [b])
                await asyncio.sleep(LEASE + 2.5)  # anything sent twice would have arrived by now
                assert await b.terminate(within=30) == 0, b.log_tail()
            rows = await store.requests.list(limit=10_000)
            pending = await store.inbox.pending("telegram")
    finally:
        await store.close()
        await runner.cleanup()
    elapsed = time.monotonic() - started

    # Every message answered once and in order, per citizen.
    for user in users:
        assert words_answered(peer, user) == words[user], user
    # Every registration stored once with a code of its own: the one the citizen was shown, once.
    shown = {u: [code_in(m) for m in peer.sent(u) if code_in(m)] for u in registrants}
    assert all(len(codes) == 1 for codes in shown.values()), {u: c for u, c in shown.items() if len(c) != 1}
    assert sorted((r.user_id, r.tracking_code) for r in rows) == sorted((u, shown[u][0]) for u in registrants)
    assert len({r.tracking_code for r in rows}) == len(registrants)
    # Every status change told once: two notices per request, each naming its code.
    for user in registrants:
        [code] = shown[user]
        told = notices(peer, user)
        assert len(told) == changed[code] == 2, (user, told)
        assert all(code.translate(FA) in text for text in told)
    assert pending == []
    for log in ("a.log", "b.log"):
        assert "Traceback" not in (tmp_path / log).read_text(encoding="utf-8"), log
    took_a, took_b = (balancer.taken[f"127.0.0.1:{port}"] for port in ports)
    print(f"two instances: {total} updates from {len(users)} citizens, {len(registrants)} registrations; "
          f"instance A killed after {killed_at} updates taken, {in_hand} in hand (A took {took_a}, B {took_b}); "
          f"{elapsed:.0f} s")
    assert took_a > 0 and took_b > 0
    assert in_hand > 0, "the kill came with no update stored and not yet answered"
