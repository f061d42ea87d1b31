"""A fake Bot API peer: what Telegram or Bale would be for one bot, kept in memory.

There is no Telegram or Bale server to test against, so the bot talks to a ``BotApiPeer`` instead: in-process
through ``PeerRequest`` (conversation tests, the sandbox chat) or over loopback HTTP through
``handlers.fakeapi.server`` (a ``python -m bot run`` subprocess, load runs). The peer keeps the state a real server
keeps (pending updates, message ids per chat, the bot's messages as edited), answers in the Bot API envelope
and refuses what the real server refuses, so escaping bugs, over-long texts, fat callback data, double
taps and Bale's missing ``parse_mode`` fail in tests the way they would fail in production.

A test reads like the conversation::

    peer.user_sends(42, "/start")
    [menu] = await peer.wait_for_reply(42)
    assert menu["buttons"] == [["ثبت درخواست", "پیگیری"]]
    peer.user_taps_button(42, "پیگیری")
    [answer] = await peer.wait_for_reply(42)

What the peer checks is modelled on the public Bot API documentation and on tdlib's messages; it is a test
double, not a specification. The peer is not thread-safe: use it from the event loop that runs the bot.
"""

from __future__ import annotations

from handlers.fakeapi.methods import BotApiMethods
from handlers.fakeapi.users import UserActions


class BotApiPeer(UserActions, BotApiMethods):
    """The state of one bot on a fake Telegram or Bale server, and the users who talk to it.

    Records of the bot's messages (``sent``, ``wait_for_reply``) are plain dicts with the keys
    ``message_id``, ``chat_id``, ``method``, ``date``, ``text`` (as sent), ``plain`` (what a person sees:
    HTML tags stripped and entities decoded), ``parse_mode``, ``reply_markup`` (python dicts), ``buttons``
    (button texts row by row), ``caption``, ``document``, ``photo`` (the sizes sent), ``reply_to`` (the id of
    the message it answers, in the same chat), ``edits``, ``edit_date`` and ``deleted``.
    """
