"""The web console under test: a database seeded by the real dialogue (citizens asking, registering, not
being understood), console users of each role and agency, and an HTTP client signed in as one of them.

`seed` drives bot.dialogue.Dialogue with a recording outbox, so the log, the requests and their events are
exactly what the bot writes. `Browser` is an httpx client on the ASGI application (no server, no
network) that signs in through the real form and sends every form with its CSRF secret, as a page would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot import texts as T
from bot.dialogue import Dialogue, Turn
from bot.knowledge import Knowledge, load_knowledge
from bot.payload import Action, pack
from bot.reply import Reply, render_plain
from bot.search import SearchEngine
from bot.settings import Settings
from console.auth import hash_password
from storage import Store
from tests.support.identity import national_code

ROOT = Path(__file__).resolve().parent.parent.parent
KNOWLEDGE: Knowledge = load_knowledge(ROOT / "knowledge")

KARA = "13011031101"  # provider: the ministry's deputy for employment; parent: the welfare ministry
TVTO = "tvto-skill-training"  # provider: the vocational training organisation; parent: the welfare ministry
MUNICIPAL = "municipal-training"  # provider: the governorate; parent: the interior ministry
WELFARE = "وزارت تعاون، کار و رفاه اجتماعی"
INTERIOR = "وزارت کشور"
PASSWORD = "a-long-password-1"

KARA_CITIZEN, OTHER_CITIZEN = 4101, 4102
CITIZEN_NAME = "زهرا کریمی"  # not the name the form's hints give as an example
KARA_CODE = national_code("001354241")
KARA_MOBILE = "09121234567"
MUNICIPAL_CODE = national_code("427130248")
MUNICIPAL_MOBILE = "09351112233"
TRACKING = re.compile(r"کد رهگیری: ([۰-۹]{12})")
_LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


class Recorder:
    """The dialogue's outbox: keeps what the bot sent, confirms every message."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, Reply]] = []

    async def send(self, chat_id: int, reply: Reply) -> bool:
        self.sent.append((chat_id, reply))
        return True

    def texts(self) -> list[str]:
        return [render_plain(r.text) for _, r in self.sent]


@dataclass
class Seeded:
    """What `seed` left in the database."""

    dialogue: Dialogue
    kara_code: str  # registered through the dialogue by KARA_CITIZEN
    municipal_code: str  # registered through the storage API for OTHER_CITIZEN
    outbox: Recorder = field(default_factory=Recorder)


async def say(d: Dialogue, user: int, text: str, out: Recorder | None = None) -> Recorder:
    out = out or Recorder()
    await d.handle(Turn(user, user, text=text, first_name="مریم"), out)
    return out


async def tap(d: Dialogue, user: int, data: str, out: Recorder | None = None) -> Recorder:
    out = out or Recorder()
    await d.handle(Turn(user, user, button=data), out)
    return out


async def register_kara(d: Dialogue, user: int) -> str:
    """The citizen fills the Kara form in the chat and confirms it; returns the tracking code."""
    await tap(d, user, pack(Action.REGISTER, KARA))
    for answer in (CITIZEN_NAME, KARA_CODE, KARA_MOBILE):
        await say(d, user, answer)
    summary = await say(d, user, "تهران")
    confirm = next(b.data for _, r in summary.sent for row in r.buttons for b in row if b.label == T.FORM_CONFIRM)
    done = await tap(d, user, confirm)
    [code] = TRACKING.findall(done.texts()[0])
    return code.translate(_LATIN)


async def seed(db: Store) -> Seeded:
    """Two citizens talk to the real dialogue: one asks about the Kara loan (welfare ministry), gives a
    national code in passing, registers; the other asks about a municipal training (interior ministry),
    about a passport (not found, twice) and has a request of that training."""
    d = Dialogue(Settings(_env_file=None, platform="telegram"), db, SearchEngine(KNOWLEDGE))
    await say(d, KARA_CITIZEN, "/start")
    await say(d, KARA_CITIZEN, "مدارک لازم برای وام کارا چیه؟")
    await say(d, KARA_CITIZEN, "هزینه‌اش چقدره؟")
    await say(d, KARA_CITIZEN, f"کد ملی من {KARA_CODE} است")
    kara_code = await register_kara(d, KARA_CITIZEN)
    await say(d, OTHER_CITIZEN, "آموزش شهرداران و شوراها")
    await say(d, OTHER_CITIZEN, "صدور گذرنامه")
    await say(d, OTHER_CITIZEN, "صدور گذرنامه")
    created = await db.requests.create(MUNICIPAL, "telegram", OTHER_CITIZEN, OTHER_CITIZEN, MUNICIPAL_CODE,
                                       MUNICIPAL_MOBILE, {"full_name": "علی رضایی", "national_code": MUNICIPAL_CODE,
                                                          "position": "شهردار"})
    await db.requests.mark_confirmed(created.tracking_code)
    return Seeded(d, kara_code, created.tracking_code)


# Users of every role: «NAME» sees every agency, «NAME-welfare» / «NAME-interior» one ministry.
USERS = {
    "viewer": ("viewer", None), "clerk": ("clerk", None), "editor": ("editor", None), "admin": ("admin", None),
    "viewer-welfare": ("viewer", WELFARE), "clerk-welfare": ("clerk", WELFARE), "admin-welfare": ("admin", WELFARE),
    "clerk-interior": ("clerk", INTERIOR),
}
_HASH = hash_password(PASSWORD)  # once: argon2 is slow on purpose


async def add_users(db: Store) -> None:
    for name, (role, agency) in USERS.items():
        await db.console.add_user(name, _HASH, role, agency)


def as_posted(data: dict) -> dict[str, str]:
    """The service editor's form as a browser posts it for `data` (bot.editor.schema.form_values sent back)."""
    from bot.editor.schema import form_values

    form: dict[str, str] = {}
    for name, value in form_values(data).items():
        if isinstance(value, set):
            form.update({f"{name}.{code}": "on" for code in value})
        elif value is True:
            form[name] = "on"
        elif isinstance(value, str):
            form[name] = value
    return form


CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


class Browser:
    """A signed-in (or not) client of the console application, as a browser would use it."""

    def __init__(self, app, base_url: str = "http://console.test") -> None:
        self.base_url = base_url
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url,
                                        follow_redirects=False)

    async def close(self) -> None:
        await self.client.aclose()

    async def get(self, url: str, **kw) -> httpx.Response:
        return await self.client.get(url, **kw)

    async def csrf(self, url: str = "/") -> str:
        page = await self.client.get(url)
        found = CSRF_FIELD.search(page.text)
        assert found, f"no form secret on {url}: {page.status_code}"
        return found.group(1)

    async def post(self, url: str, data: dict[str, str] | None = None, *, csrf: str | None = None,
                   from_page: str = "/", origin: str | None = None) -> httpx.Response:
        """Posts a form with the session's CSRF secret (read from `from_page` unless given)."""
        form = dict(data or {})
        form["csrf"] = csrf if csrf is not None else await self.csrf(from_page)
        headers = {"origin": origin or self.base_url}
        return await self.client.post(url, data=form, headers=headers)

    async def login(self, name: str, password: str = PASSWORD) -> httpx.Response:
        page = await self.client.get("/login")
        secret = CSRF_FIELD.search(page.text)
        assert secret, page.text[:500]
        return await self.client.post("/login", data={"name": name, "password": password, "csrf": secret.group(1),
                                                      "next": "/"}, headers={"origin": self.base_url})
