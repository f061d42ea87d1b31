"""Tracking codes: shape, and that the mistakes people make when typing them are caught."""

from __future__ import annotations

import pytest

from storage.tracking import check_digit, is_well_formed, new_code, normalize_tracking_code

CODES = [new_code() for _ in range(300)]


def test_new_codes_are_12_digits_without_leading_zero_or_98():
    for code in CODES:
        assert len(code) == 12 and code.isascii() and code.isdigit()
        assert code[0] != "0" and not code.startswith("98")
        assert is_well_formed(code)


def test_known_damm_check_digit():
    assert check_digit("572") == "4"  # the worked example of the Damm algorithm


@pytest.mark.parametrize("code", CODES[:50])
def test_every_single_digit_error_is_detected(code):
    for i in range(12):
        for d in "0123456789":
            if d != code[i]:
                assert not is_well_formed(code[:i] + d + code[i + 1 :])


@pytest.mark.parametrize("code", CODES[:50])
def test_every_adjacent_swap_is_detected(code):
    for i in range(11):
        if code[i] != code[i + 1]:
            assert not is_well_formed(code[:i] + code[i + 1] + code[i] + code[i + 2 :])


def test_wrong_length_and_junk_are_not_well_formed():
    code = CODES[0]
    assert not is_well_formed(code[:-1])
    assert not is_well_formed(code + "0")
    assert not is_well_formed("")
    assert not is_well_formed(code[:6] + "a" + code[7:])


def test_normalize_accepts_persian_arabic_digits_and_separators():
    code = CODES[0]
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert normalize_tracking_code(persian) == code
    assert normalize_tracking_code(f" {arabic[:4]}-{arabic[4:8]} {arabic[8:]} ") == code
    assert normalize_tracking_code("\u200e" + code) == code
