"""Bad input, generated: whatever a citizen types or a forged client sends, the bot answers in Persian and
never breaks; whatever an admin (or an attacker with write access) puts in a knowledge file is reported,
never executed, and never hangs the bot.

Search and answers, the forms and the renderers are plain Python, so hypothesis drives them directly with
many examples; the real Application behind the fake peer gets a fixed list of nasty inputs plus a seeded
random batch, since each of those is a round trip through PTB.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import string
import subprocess
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import answers, forms
from bot import texts as T
from bot.identifiers import national_code_problem
from bot.knowledge import FormField, Knowledge, Registration, check_knowledge, load_knowledge
from bot.reply import B_CLOSE, B_OPEN, Reply, render_bale, render_html, render_pieces, render_plain
from bot.search import SearchEngine
from handlers.fakeapi import MAX_TEXT_LENGTH, BotApiPeer, html_to_plain
from tests.support.botchat import running_app

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
PERSIAN_LETTER = re.compile("[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc]")

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def knowledge() -> Knowledge:
    return load_knowledge(KNOWLEDGE_DIR)


@cache
def engine() -> SearchEngine:
    return SearchEngine(knowledge())


# --------------------------------------------------------------------------------------------------
# What citizens (and scripts) type
# --------------------------------------------------------------------------------------------------

INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\ufeff\u00ad"
MARKUP = "<>&\"'*_`~[]()#|\\/{}%$"
FRAGMENTS = [
    "وام کارا", "هزینه‌اش چقدره؟", "مدارک", "ثبت نام", "کد رهگیری", "سلام", "ممنون", "دوره فنی حرفه ای",
    "<b>", "</b>", "<i>", "<a href='javascript:alert(1)'>", "&amp;", "&lt;", "&#0;", "&#x110000;", "&", "<",
    "*bold*", "_it_", "[link](http://x)", "`code`", "```", "\\", "{title}", "{0}", "%s%n", "${{7*7}}",
    "'; DROP TABLE requests; --", "\" OR 1=1 --", "1' UNION SELECT * FROM drafts --", "NULL", "\x00",
    B_OPEN, B_CLOSE, "\n", "\r\n", "\t", " ", "😀", "👍🏽", "🇮🇷", "👨‍👩‍👧", "\u0640" * 5, "ي", "ك", "ة",
    "۱۲۳۴۵۶۷۸۹۰۱۲", "٠١٢٣٤٥٦٧٨٩", "0912 123 4567", "https://example.com/?a=<b>&c=*d*", "/start", "@bot",
]
fragment = st.sampled_from(FRAGMENTS)
nasty_char = st.sampled_from(INVISIBLE + MARKUP)
texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.one_of(st.characters(), nasty_char), max_size=300),
    st.lists(st.one_of(fragment, st.text(max_size=8), nasty_char), max_size=40).map("".join),
    # Long ones: a pasted document, a stuck key.
    st.builds(lambda unit, n: (unit * n)[:10_000], st.text(min_size=1, max_size=30), st.integers(300, 10_000)),
    st.builds(lambda unit: (unit * 10_000)[:10_000], st.sampled_from(["<", "&", "*", "وام ", "\u200f", "😀", "\n"])),
)


def assert_sendable(reply: Reply) -> None:
    """Every piece fits one message on both platforms, and Telegram's HTML parser accepts it, showing the
    reply's text exactly (nothing eaten as markup, no bold mark left over)."""
    html = render_pieces(reply.text, render_html)
    bale = render_pieces(reply.text, render_bale)
    assert html and bale
    for piece in html:
        assert len(piece) <= MAX_TEXT_LENGTH
        seen = html_to_plain(piece)  # raises like Telegram would
        assert seen.strip() and B_OPEN not in seen and B_CLOSE not in seen
    for piece in bale:
        assert len(piece) <= MAX_TEXT_LENGTH and piece.strip()
    if len(html) == 1:
        assert html_to_plain(html[0]) == render_plain(reply.text)
    for row in reply.buttons:
        for button in row:
            assert button.label.strip()
            assert button.url or 1 <= len(button.data.encode()) <= 64


@FAST
@given(text=texts, follow_up=st.booleans())
def test_any_text_gets_a_persian_answer_that_both_platforms_accept(text: str, follow_up: bool) -> None:
    current = "13011031101" if follow_up else None
    understood = engine().understand(text, current_service=current)
    reply = answers.respond(understood)
    assert reply.text.strip() and PERSIAN_LETTER.search(reply.text)
    assert_sendable(reply)


@FAST
@given(text=st.one_of(texts, st.text(alphabet="<>&\n *_" + B_OPEN + B_CLOSE + "ab", max_size=20_000)))
def test_any_text_splits_into_messages_telegram_parses_without_losing_a_character(text: str) -> None:
    """The splitter on its own, on texts far longer and odder than any reply: pieces fit and parse, and
    every visible character survives in order (only line breaks and spaces at the cuts may go)."""
    text = text.replace(B_OPEN, "").replace(B_CLOSE, "")  # marks come only from bold(), balanced
    pieces = render_pieces(text, render_html)
    assert all(len(p) <= MAX_TEXT_LENGTH for p in pieces)
    seen = "".join(html_to_plain(p) for p in pieces)
    assert re.sub(r"\s", "", seen) == re.sub(r"\s", "", text)


# --------------------------------------------------------------------------------------------------
# The forms: every field type, any typed answer
# --------------------------------------------------------------------------------------------------

CHOICES = ["دیپلم", "کاردانی", "کارشناسی", "کارشناسی ارشد"]
FIELDS = [
    FormField(name="full_name", label="نام و نام خانوادگی", type="person_name"),
    FormField(name="national_code", label="کد ملی", type="national_code"),
    FormField(name="mobile", label="شماره همراه", type="mobile"),
    FormField(name="age", label="سن", type="number", min=18, max=120),
    FormField(name="count", label="تعداد", type="number", required=False),
    FormField(name="education", label="تحصیلات", type="choice", choices=CHOICES),
    FormField(name="certified", label="گواهینامه دارید؟", type="yes_no"),
    FormField(name="birth_date", label="تاریخ تولد", type="jalali_date"),
    FormField(name="province", label="استان", type="province"),
    FormField(name="location", label="استان و شهر", type="province_city"),
    FormField(name="office", label="محل کار", type="text", min=3, max=50),
    FormField(name="note", label="توضیح", type="text", required=False),
]
ALL_TYPES = knowledge().get("business-clusters").model_copy(update={"registration": Registration(fields=FIELDS)})

digits_any_script = st.builds(
    lambda ds, script, sep: sep.join(ds.translate(script)),
    st.text(alphabet="0123456789", min_size=1, max_size=14),
    st.sampled_from([str.maketrans("", ""), str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"),
                     str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")]),
    st.sampled_from(["", " ", "-"]),
)
answer_texts = st.one_of(
    texts,
    digits_any_script,
    st.builds(lambda d: "+98" + d, digits_any_script),
    st.sampled_from([*forms.PROVINCES, *CHOICES, "تهرن", "اصفحان", "بله", "خیر", "آره", "نه", "بازگشت", "انصراف"]),
    st.builds(lambda y, m, d, sep: f"{y}{sep}{m}{sep}{d}", st.integers(-5, 99999), st.integers(-1, 40),
              st.integers(-1, 40), st.sampled_from(["/", "-", ".", " "])),
)


def canonical(f: FormField, value: Any, state: forms.FormState) -> None:
    """A stored answer is the canonical form of its type, and checking it again gives it back unchanged."""
    if f.type == "national_code":
        assert re.fullmatch(r"[0-9]{10}", value) and national_code_problem(value) is None
    elif f.type == "mobile":
        assert re.fullmatch(r"09[0-9]{9}", value)
    elif f.type == "number":
        assert isinstance(value, int) and (f.min is None or value >= f.min) and (f.max is None or value <= f.max)
    elif f.type == "yes_no":
        assert isinstance(value, bool)
    elif f.type == "choice":
        assert value in f.choices
    elif f.type == "province":
        assert value in forms.PROVINCES
    elif f.type == "province_city":
        assert value.split("، ", 1)[0] in forms.PROVINCES
    elif f.type == "jalali_date":
        dt.date.fromisoformat(value)
    else:
        assert isinstance(value, str) and value == value.strip() and value
    if f.type not in ("province_city", "jalali_date", "yes_no"):
        assert forms.check(f, str(value), state) == (value, None)


@FAST
@given(index=st.integers(0, len(FIELDS) - 1), text=answer_texts, province_chosen=st.booleans())
def test_any_answer_is_stored_canonically_or_asked_again_with_a_reason(index: int, text: str, province_chosen: bool) -> None:
    f = FIELDS[index]
    answers_so_far = {f"{f.name}__province": "فارس"} if f.type == "province_city" and province_chosen else {}
    state = forms.FormState(ALL_TYPES.id, index, answers_so_far)

    value, problem = forms.check(f, text, state)
    assert (value is None) == (problem is not None)
    if problem is not None:
        assert PERSIAN_LETTER.search(problem)
    else:
        canonical(f, value, state)

    step = forms.answer(ALL_TYPES, state, text)
    assert step.replies and all(r.text.strip() for r in step.replies)
    for reply in step.replies:
        assert_sendable(reply)
    if step.state is None:  # a typed «انصراف»
        assert step.replies[0].text == T.FORM_CANCELLED
    elif step.state.step == index + 1:  # stored: the next question is asked
        assert f.name in step.state.answers
    elif step.state.step == index - 1:  # a typed «بازگشت»
        assert forms.fold(text) in {forms.fold(w) for w in forms.BACK_WORDS}
    else:  # asked again, with the reason first and the same question after it
        assert step.state == state or (f.type == "province_city" and step.state.step == index)
        assert step.replies[-1].text == forms.prompt(ALL_TYPES, step.state)[-1].text


@FEW
@given(text=answer_texts)
def test_any_answer_to_the_summary_leaves_the_answers_alone(text: str) -> None:
    state = forms.FormState(ALL_TYPES.id, len(FIELDS), {"full_name": "مریم احمدی"})
    step = forms.answer(ALL_TYPES, state, text)
    assert step.replies and not step.confirmed
    assert step.state is None or step.state.answers == state.answers


# --------------------------------------------------------------------------------------------------
# Through the real bot: nasty messages, forged buttons, updates without text or user
# --------------------------------------------------------------------------------------------------


NASTY_MESSAGES = [
    "\u200f\u200e\u200b\u200d\ufeff",  # only invisible marks
    "\u202eاراک وام\u202c",
    "<b>وام کارا</b>", "<script>alert(1)</script>", "&lt;&amp;&gt;", "a < b & c > d",
    "*_`[وام](http://x)`_*", B_OPEN + "وام" + B_CLOSE, "{title} {0} %s",
    "'; DROP TABLE requests; --", "SELECT * FROM drafts WHERE 1=1",
    "😀" * 500, "وام " * 1024, "ب" * 4096, "\n" * 50 + "سلام",
    "/", "/start@other_bot", "/stats", "/reload", "/cancel extra words", "/ وام", "//",
    "کد رهگیری ۰۰۰۰۰۰۰۰۰۰۰۰", "1" * 24, "۹۸" + "۱" * 10,
    "\x00\x01\x02\x03", "ي ك ة ۀ", "ـــــ",
]


def random_messages(rng: random.Random, count: int) -> list[str]:
    alphabet = FRAGMENTS + list(INVISIBLE + MARKUP) + ["ا", "ب", "پ", "ت", "a", "1", "۱", " "]
    out = []
    for _ in range(count):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40)))
        out.append(text[:MAX_TEXT_LENGTH])
    return out


def random_button_data(rng: random.Random, count: int) -> list[str]:
    prefixes = ["", "s:", "i:", "r:", "f:", "t:", "m:", "b:", "f:c:", "f:s:", "f:e:", "b:a:", "i:13011031101:",
                "r:13011031101", "f:ok", "f:resume", "f:drop", "t:1234567890123456789012345"]
    printable = string.ascii_letters + string.digits + string.punctuation + " "
    out = []
    for _ in range(count):
        tail = "".join(rng.choice(printable) for _ in range(rng.randrange(0, 60)))
        out.append((rng.choice(prefixes) + tail)[:64] or "x")
    return out


@pytest.mark.parametrize("platform", ["telegram", "bale"])
async def test_nasty_updates_never_crash_the_bot_and_every_private_message_is_answered(
    tmp_path: Path, platform: str
) -> None:
    rng = random.Random(2025)
    peer = BotApiPeer(platform)
    user = 5150
    async with running_app(peer, tmp_path / "bot.db", knowledge=knowledge(), notices=False, flood_burst=100_000) as bot:
        menu = peer.user_sends(user, "/start")
        await bot.wait(menu, timeout=20)
        menu_id = peer.sent(user)[-1]["message_id"]

        # Every private message, one by one: each gets at least one answer, in Persian.
        senders = [lambda text=text: peer.user_sends(user, text) for text in [*NASTY_MESSAGES, *random_messages(rng, 30)]]
        senders += [
            lambda: peer.user_sends_sticker(user), lambda: peer.user_sends_photo(user, caption="<b>" * 10),
            lambda: peer.user_sends_voice(user), lambda: peer.user_sends_location(user),
            lambda: peer.user_sends_contact(user, "<&>"),
            lambda: peer.user_edits(user, sent_ids[0], "وام کارا"), lambda: peer.user_edits(user, sent_ids[1], "\u200f"),
        ]
        sent_ids: list[int] = []
        for send in senders:
            before = len(peer.outbox(user))
            update = send()
            sent_ids.append(update.get("message", {}).get("message_id", 0))
            await bot.wait(update, timeout=20)
            answers_now = [m["plain"] for m in peer.outbox(user)[before:]]
            assert answers_now and all(PERSIAN_LETTER.search(a) for a in answers_now), (update, answers_now)
            assert T.ERROR not in answers_now and T.BUSY not in answers_now

        # Channel posts (no user), forged button data, a stale form button: no answer needed, no crash.
        channel = [peer.channel_post(-100777, text) for text in ("وام کارا", "/start", "<b>", "\u200f")]
        taps = [peer.user_taps(user, menu_id, data) for data in random_button_data(rng, 40)]
        taps.append(peer.user_taps(user, menu_id, "m:a"))  # a menu the citizen saw long ago
        await bot.wait(*channel, *taps, timeout=20)
        form = peer.user_sends(user, "میخوام برای وام کارا ثبت نام کنم")
        await bot.wait(form, timeout=20)
        question = peer.sent(user)[-1]
        await bot.wait(peer.user_sends(user, "/cancel"), timeout=20)
        cancel = question["reply_markup"]["inline_keyboard"][-1][-1]["callback_data"]
        taps.append(peer.user_taps(user, question["message_id"], cancel))
        await bot.wait(*taps[-1:], timeout=20)

        assert bot.errors == []
        assert all(peer.callback_answer(t["callback_query"]["id"]) is not None for t in taps)  # none left spinning
        assert peer.sent(user)[-1]["plain"] == T.STALE_BUTTON  # the old form's button says it is stale
        assert peer.sent(-100777) == []  # channel posts are not answered
        card = peer.user_sends(user, "وام کارا")  # and the bot still serves a plain question
        await bot.wait(card, timeout=20)
        assert "طرح کارا" in peer.sent(user)[-1]["plain"]


# --------------------------------------------------------------------------------------------------
# Hostile knowledge files
# --------------------------------------------------------------------------------------------------

VALID_CARD = (KNOWLEDGE_DIR / "services" / "13011031101.yaml").read_bytes()
BILLION_LAUGHS = "lol: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
    f"l{n}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]\n" for n in range(8)
)


def knowledge_dir(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    """A knowledge directory with one valid card and `files` (relative path → content)."""
    root = tmp_path / "knowledge"
    (root / "services").mkdir(parents=True)
    (root / "services" / "13011031101.yaml").write_bytes(VALID_CARD)
    shutil.copy(KNOWLEDGE_DIR / "lexicon.yaml", root / "lexicon.yaml")
    for name, content in files.items():
        path = root / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return root


def check_in_a_process(root: Path, within: float) -> tuple[bool, str]:
    """check_knowledge in a child process, killed after `within` seconds: (finished, what it printed)."""
    code = (
        "import sys; from pathlib import Path; from bot.knowledge import check_knowledge\n"
        "k, problems = check_knowledge(Path(sys.argv[1])); print(k is None, len(problems))\n"
        "print('\\n'.join(str(p)[:200] for p in problems))\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", code, str(root)], cwd=ROOT, capture_output=True, text=True,
                              timeout=within, check=False)
    except subprocess.TimeoutExpired:
        return False, ""
    return done.returncode == 0, done.stdout + done.stderr


HOSTILE = {
    "python-apply": "id: evil\ntitle: t\nprovider: p\ndescription: !!python/object/apply:os.system ['touch {marker}']\n",
    "python-apply-top": "!!python/object/apply:os.system ['touch {marker}']\n",
    "python-new": "id: evil\ntitle: !!python/object/new:os.system ['touch {marker}']\nprovider: p\n",
    "python-name": "id: evil\ntitle: !!python/name:os.system\nprovider: p\n",
    "binary-garbage": bytes(random.Random(7).randrange(256) for _ in range(4096)),
    "nul-and-controls": "id: evil\ntitle: \x00\x07\x1b[31m\nprovider: p\n",
    "5-mb-unknown-field": "id: big\ntitle: t\nprovider: p\nnotes: " + "ب" * (5 * 1024 * 1024 // 2) + "\n",
    "not-a-mapping": "- just\n- a list\n",
    "tab-indented": "id: evil\n\ttitle: t\n",
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_knowledge_file_is_reported_and_nothing_runs(tmp_path: Path, kind: str) -> None:
    marker = tmp_path / "executed"
    content = HOSTILE[kind]
    if isinstance(content, str):
        content = content.replace("{marker}", str(marker))
    root = knowledge_dir(tmp_path, {f"services/{kind}.yaml": content})
    started = time.perf_counter()
    loaded, problems = check_knowledge(root)
    elapsed = time.perf_counter() - started
    assert loaded is None and problems
    assert all(f"{kind}.yaml" in str(p) for p in problems)  # the file is named; the valid card is not blamed
    assert not marker.exists()
    assert elapsed < 5


def test_a_mapping_key_that_is_a_list_is_reported(tmp_path: Path) -> None:
    root = knowledge_dir(tmp_path, {"services/complex-key.yaml": "id: x\ntitle: t\nprovider: p\n? [a, b]\n: c\n"})
    loaded, problems = check_knowledge(root)
    assert loaded is None and any("complex-key.yaml" in str(p) for p in problems)


def test_a_lexicon_of_binary_garbage_is_reported(tmp_path: Path) -> None:
    root = knowledge_dir(tmp_path, {"lexicon.yaml": b"\x82\xff\x00garbage\xfe"})
    loaded, problems = check_knowledge(root)
    assert loaded is None and any("lexicon.yaml" in str(p) for p in problems)


def test_a_billion_laughs_file_is_reported_quickly(tmp_path: Path) -> None:
    """The classic attack: nine levels of nine aliases, under fields the card does not have. PyYAML shares
    aliased nodes instead of copying them, so the file loads at once; only walking the value is costly."""
    card = "id: evil\ntitle: t\nprovider: p\n" + BILLION_LAUGHS
    root = knowledge_dir(tmp_path, {"services/laughs.yaml": card})
    finished, output = check_in_a_process(root, within=4)
    assert finished, "check_knowledge still running after 4 s"
    assert output.startswith("True") and "laughs.yaml: (file):" in output and "بیش از اندازه بزرگ" in output
