"""National codes and mobile numbers as citizens type them."""

from __future__ import annotations

import random

import pytest

from bot.identifiers import (
    LRM,
    mask_mobile,
    mask_national_code,
    mobile_problem,
    national_code_problem,
    normalize_mobile,
    normalize_national_code,
)
from tests.support.identity import national_code

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


RNG = random.Random(1404)
VALID = [national_code("".join(RNG.choice("0123456789") for _ in range(9))) for _ in range(50)]
VALID += [national_code("001234567"), national_code("000000001"), national_code("987654321")]


# -- national code ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", VALID)
def test_valid_national_codes_in_every_script(code):
    if len(set(code)) == 1:
        pytest.skip("ten identical digits are not issued")
    for typed in (
        code,
        code.translate(PERSIAN),
        code.translate(ARABIC),
        f"{code[:3]}-{code[3:9]}-{code[9]}",
        f" {code[:4]} {code[4:]} ".translate(PERSIAN),
    ):
        assert normalize_national_code(typed) == code
        assert national_code_problem(typed) is None


def test_leading_zeros_may_be_dropped():
    code = national_code("001234567")
    assert code.startswith("00")
    assert normalize_national_code(code[2:]) == code  # 8 digits
    assert normalize_national_code(code[1:]) == code  # 9 digits


@pytest.mark.parametrize("code", VALID[:20])
def test_any_wrong_check_digit_is_refused(code):
    for d in "0123456789":
        if d != code[9]:
            bad = code[:9] + d
            assert normalize_national_code(bad) is None
            assert national_code_problem(bad) == "رقم کنترل کد ملی درست نیست؛ لطفاً دوباره بررسی کنید."


@pytest.mark.parametrize("digit", "0123456789")
def test_identical_digits_are_refused(digit):
    assert normalize_national_code(digit * 10) is None
    assert "یکسان" in national_code_problem(digit * 10)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("۱۲۳۴۵۶۷", "کد ملی باید ۱۰ رقم باشد؛ شما ۷ رقم نوشتید."),
        ("12345678901", "کد ملی باید ۱۰ رقم باشد؛ شما ۱۱ رقم نوشتید."),
        ("", "لطفاً کد ملی ۱۰ رقمی را بنویسید."),
        ("   ", "لطفاً کد ملی ۱۰ رقمی را بنویسید."),
    ],
)
def test_national_code_problems_say_what_to_fix(typed, message):
    assert national_code_problem(typed) == message
    assert normalize_national_code(typed) is None


def test_letters_in_national_code_are_refused():
    assert "حروف" in national_code_problem("کد ۰۰۱۲۳۴۵۶۷۹")
    assert normalize_national_code("00123a5679") is None
    assert normalize_national_code(None) is None


# -- mobile -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "09121234567",
        "9121234567",
        "+989121234567",
        "989121234567",
        "00989121234567",
        "0912 123 4567",
        "0912-123-4567",
        "+98 912 123 45 67",
        "(0912) 123-4567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "+۹۸۹۱۲۱۲۳۴۵۶۷",
        "۰۰۹۸ ۹۱۲ ۱۲۳ ۴۵۶۷",
        "\u200e+98 912 123 4567\u200f",
    ],
)
def test_mobile_formats(typed):
    assert normalize_mobile(typed) == "09121234567"
    assert mobile_problem(typed) is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0912123456", "شماره همراه باید ۱۱ رقم باشد و با ۰۹ شروع شود؛ شما ۱۰ رقم نوشتید."),
        ("091212345678", "شماره همراه باید ۱۱ رقم باشد و با ۰۹ شروع شود؛ شما ۱۲ رقم نوشتید."),
        ("02112345678", "شماره همراه باید با ۰۹ شروع شود."),
        ("+14155550123", "فقط شماره همراه ایران پذیرفته می‌شود؛ شماره‌ای که با ۰۹ یا ‎+۹۸ شروع می‌شود."),
        ("0044912345678", "فقط شماره همراه ایران پذیرفته می‌شود؛ شماره‌ای که با ۰۹ یا ‎+۹۸ شروع می‌شود."),
        ("+98912123456", "شماره همراه کامل نیست یا رقم اضافه دارد؛ لطفاً آن را ۱۱ رقمی و با ۰۹ بنویسید."),
        ("0912abc4567", "شماره همراه فقط از رقم تشکیل می‌شود؛ لطفاً حروف و نشانه‌ها را از آن حذف کنید."),
        ("", "لطفاً شماره همراه را بنویسید؛ ۱۱ رقم که با ۰۹ شروع می‌شود."),
    ],
)
def test_mobile_problems_say_what_to_fix(typed, message):
    assert mobile_problem(typed) == message
    assert normalize_mobile(typed) is None


# -- masks ------------------------------------------------------------------------------------------------


def test_mask_mobile():
    assert mask_mobile("+98 912 123 4567") == LRM + "۰۹۱۲***۴۵۶۷"


def test_mask_national_code():
    code = national_code("001234567")
    masked = mask_national_code(code.translate(PERSIAN))
    assert masked == LRM + code[:3].translate(PERSIAN) + "****" + code[-3:].translate(PERSIAN)


def test_masks_of_short_or_invalid_input_still_hide_digits():
    assert mask_national_code("12345") == LRM + "***۴۵"
    assert mask_mobile("12") == LRM + "**"
    assert mask_mobile("") == LRM
