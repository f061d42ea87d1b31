"""Rendering a reply for each platform: escaping, bold, and splitting long answers safely."""

from __future__ import annotations

import pytest

from bot.reply import MAX_MESSAGE, Button, bold, render_bale, render_html, render_pieces, render_plain
from handlers.fakeapi import html_to_plain


def test_html_escapes_every_dynamic_value_and_keeps_bold():
    assert render_html(bold("<عنوان>") + " & <script>") == "<b>&lt;عنوان&gt;</b> &amp; &lt;script&gt;"


def test_bale_text_cannot_start_formatting_but_links_stay_exact():
    out = render_bale(bold("عنوان") + " *x* a_b http://x.ir/a_b")
    assert out == "*عنوان* ∗x∗ a‗b http://x.ir/a_b"


def test_plain_has_no_marks():
    assert render_plain(bold("الف") + " ب") == "الف ب"


@pytest.mark.parametrize("text", [
    bold("سرفصل") + "\n" + "\n".join(f"{i}. <مدرک> & «ب»" for i in range(2000)),
    bold("ب" * 6000),  # one bold line longer than a message
    "&" * 9000,  # escaping makes each character five
])
def test_long_replies_split_into_valid_messages(text):
    pieces = render_pieces(text, render_html)
    assert all(len(p) <= MAX_MESSAGE for p in pieces)
    plain = [html_to_plain(p) for p in pieces]  # raises on broken HTML, as Telegram would refuse it
    assert "".join(plain).replace("\n", "") == render_plain(text).replace("\n", "")


def test_callback_data_must_be_short_ascii():
    with pytest.raises(ValueError):
        Button("x", "ث" * 10)
    with pytest.raises(ValueError):
        Button("x", "a" * 65)
    assert Button("x", "a" * 64).data
