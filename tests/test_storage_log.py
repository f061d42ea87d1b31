"""The message log (masking, queries, unanswered questions, retention, statistics) and the look-up limiter."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.masking import mask_personal_data
from storage.tracking import new_code

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
NATIONAL_CODE = "0012345679"
MOBILE = "09121234567"


def in_script(text: str, script: str) -> str:
    return {"latin": text, "persian": text.translate(PERSIAN), "arabic": text.translate(ARABIC)}[script]


def digits_of(text: str) -> str:
    """Every digit of `text` in ASCII, separators ignored, to look for a number however it was broken up."""
    return "".join(str(int(ch)) for ch in text if ch.isdecimal())


PERSONAL_NUMBERS = [
    NATIONAL_CODE,
    "001-234567-9",
    "0012 3456 79",
    "12345678",  # 8 digits: a national code without its leading zeros
    "123456789",
    MOBILE,
    "0912 123 4567",
    "0912-123-4567",
    "+989121234567",
    "+98 912 123 4567",
    "00989121234567",
    "989121234567",
    "9121234567",
    "6037-9912-3456-7890",  # card number
]


@pytest.mark.parametrize("script", ["latin", "persian", "arabic"])
@pytest.mark.parametrize("number", PERSONAL_NUMBERS)
def test_masking_hides_personal_numbers(number, script):
    typed = in_script(number, script)
    masked = mask_personal_data(f"سلام، شماره من {typed} است")
    assert len(digits_of(masked)) <= 4  # only the kept last digits
    assert "*" in masked
    assert masked.startswith("سلام، شماره من ") and masked.endswith(" است")


@pytest.mark.parametrize("script", ["latin", "persian", "arabic"])
def test_masking_keeps_the_last_digits_in_the_typed_script(script):
    masked = mask_personal_data(in_script(f"کد ملی {NATIONAL_CODE} و همراه {MOBILE}", script))
    assert masked == in_script("کد ملی ********79 و همراه *******4567", script)


def test_masking_sees_through_invisible_marks():
    sneaky = "\u200e0912\u200c123\u200f4567"
    assert "4567" in mask_personal_data(sneaky) and "0912" not in mask_personal_data(sneaky)


def test_masking_keeps_tracking_codes_and_short_numbers():
    code = new_code()
    text = f"کد رهگیری {code.translate(PERSIAN)} را برای ۳ نفر در ساعت 14:30 پیگیری کنید، هزینه ۲۵۰٬۰۰۰ ریال"
    assert mask_personal_data(text) == text


def test_masking_hides_a_12_digit_number_that_is_not_a_tracking_code():
    code = new_code()
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert wrong not in mask_personal_data(f"کد {wrong}")


async def test_log_add_stores_masked_text_and_normalized(store):
    text = f"کد ملی من {NATIONAL_CODE.translate(PERSIAN)} و موبایل +98 912 123 4567 است"
    await store.log.add("telegram", 1, 1, "in", text, normalized=f"کد ملی {NATIONAL_CODE}", answered=False)
    raw = await store.fetchall("SELECT text, normalized FROM message_log")
    stored = " ".join(str(value) for row in raw for value in row)
    for secret in (NATIONAL_CODE, "9121234567"):
        assert secret not in digits_of(stored)
    assert "۷۹" in stored and "4567" in stored


async def test_log_rejects_unknown_direction(store):
    with pytest.raises(ValueError):
        await store.log.add("telegram", 1, 1, "sideways", "x")  # type: ignore[arg-type]


async def test_log_query_filters(store, clock):
    start = clock.now
    await store.log.add("telegram", 1, 1, "in", "سلام", answered=None)
    clock.advance(minutes=5)
    await store.log.add("telegram", 1, 1, "out", "سلام! چه خدمتی؟", service_id=None)
    clock.advance(minutes=5)
    await store.log.add("telegram", 2, 2, "in", "گذرنامه", service_id="passport", answered=True, score=0.9)
    clock.advance(minutes=5)
    await store.log.add("bale", 2, 2, "in", "چیز عجیب", answered=False, handling_ms=12.5)

    assert [e.text for e in await store.log.query(user_id=1)] == ["سلام! چه خدمتی؟", "سلام"]
    assert [e.text for e in await store.log.query(service_id="passport")] == ["گذرنامه"]
    assert [e.text for e in await store.log.query(unanswered_only=True)] == ["چیز عجیب"]
    window = await store.log.query(since=start + dt.timedelta(minutes=5), until=start + dt.timedelta(minutes=15))
    assert [e.text for e in window] == ["گذرنامه", "سلام! چه خدمتی؟"]
    assert [e.text for e in await store.log.query(user_id=2, platform="bale")] == ["چیز عجیب"]
    assert len(await store.log.query(limit=2)) == 2
    entry = (await store.log.query(service_id="passport"))[0]
    assert (entry.answered, entry.score, entry.direction, entry.created_at) == (
        True,
        0.9,
        "in",
        start + dt.timedelta(minutes=10),
    )


async def test_unanswered_grouped_by_normalized_text(store, clock):
    for wording in ("ساعت کاری؟", "ساعت‌کاری", "ساعت کاری اداره"):
        clock.advance(minutes=1)
        await store.log.add("telegram", 1, 1, "in", wording, answered=False, normalized="ساعت کاری")
    clock.advance(minutes=1)
    await store.log.add("telegram", 2, 2, "in", "یارانه", answered=False, normalized="یارانه")
    await store.log.add("telegram", 2, 2, "in", "گذرنامه", answered=True, normalized="گذرنامه")
    await store.log.add("telegram", 2, 2, "out", "نمی‌دانم", answered=False, normalized="نمی دانم")

    groups = await store.log.unanswered(limit=10)
    assert [(g.normalized, g.count) for g in groups] == [("ساعت کاری", 3), ("یارانه", 1)]
    assert groups[0].example == "ساعت کاری اداره"  # the latest wording
    assert groups[0].last_seen == clock.now - dt.timedelta(minutes=1)
    assert len(await store.log.unanswered(limit=1)) == 1
    assert [g.normalized for g in await store.log.unanswered(since=clock.now)] == ["یارانه"]


async def test_prune_deletes_only_old_entries(store, clock):
    await store.log.add("telegram", 1, 1, "in", "قدیمی")
    clock.advance(days=40)
    await store.log.add("telegram", 1, 1, "in", "تازه")
    assert await store.log.prune(older_than_days=30) == 1
    assert [e.text for e in await store.log.query()] == ["تازه"]
    assert await store.log.prune(older_than_days=30) == 0


async def test_stats_per_day_uses_tehran_days(store, clock):
    clock.now = dt.datetime(2025, 3, 20, 21, 0, tzinfo=dt.UTC)  # 00:30 on 21 March in Tehran
    await store.log.add("telegram", 1, 1, "in", "سلام", answered=True, handling_ms=10)
    await store.log.add("telegram", 1, 1, "out", "درود")
    clock.now = dt.datetime(2025, 3, 20, 20, 0, tzinfo=dt.UTC)  # 23:30 on 20 March in Tehran
    await store.log.add("bale", 1, 1, "in", "؟", answered=False, handling_ms=30)
    await store.log.add("telegram", 2, 2, "in", "؟", answered=False, handling_ms=20)
    clock.now = dt.datetime(2025, 3, 21, 8, 0, tzinfo=dt.UTC)

    stats = await store.log.stats_per_day(days=3)
    assert [s.day for s in stats] == [dt.date(2025, 3, 19), dt.date(2025, 3, 20), dt.date(2025, 3, 21)]
    empty, yesterday, today = stats
    assert (empty.incoming, empty.users, empty.avg_handling_ms) == (0, 0, None)
    assert (yesterday.incoming, yesterday.unanswered, yesterday.users, yesterday.avg_handling_ms) == (
        2,
        2,
        2,
        25,
    )
    assert (today.incoming, today.outgoing, today.answered, today.users) == (1, 1, 1, 1)


# -- look-up limiter --------------------------------------------------------------------------------------


async def test_limiter_allows_then_slows_down_then_forgets(store, clock):
    limiter = type(store.lookups)(store, max_failures=5, window=600, base_delay=30, max_delay=300)
    for _ in range(4):
        assert await limiter.record_failure("telegram", 1) == 0
        assert await limiter.check("telegram", 1) == 0
    assert await limiter.record_failure("telegram", 1) == 30  # the fifth failure
    assert await limiter.check("telegram", 1) == 30
    assert await limiter.check("telegram", 2) == 0  # other users are not affected
    clock.advance(seconds=10)
    assert await limiter.check("telegram", 1) == 20
    clock.advance(seconds=20)
    assert await limiter.check("telegram", 1) == 0
    assert await limiter.record_failure("telegram", 1) == 60  # grows
    assert await limiter.record_failure("telegram", 1) == 120
    for _ in range(5):
        await limiter.record_failure("telegram", 1)
    assert await limiter.check("telegram", 1) == 300  # capped
    clock.advance(seconds=600)  # a quiet window forgets
    assert await limiter.check("telegram", 1) == 0
    assert await limiter.record_failure("telegram", 1) == 0


async def test_limiter_forgets_only_after_a_quiet_window(store, clock):
    for _ in range(6):
        await store.lookups.record_failure("bale", 9)
    assert await store.lookups.check("bale", 9) > 0
    clock.advance(seconds=599)
    assert await store.lookups.record_failure("bale", 9) == 120  # the seventh in a row
    clock.advance(seconds=600)
    assert await store.lookups.check("bale", 9) == 0
    assert await store.lookups.record_failure("bale", 9) == 0  # counted from one again
