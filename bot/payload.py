"""Button payloads (callback data): built and read in this one module.

A payload is `ACTION:arg:arg...` in at most 64 ASCII bytes (the Bot API's limit). Every payload a citizen
sends back is untrusted — an old message, a double tap or a forged update — so `parse` checks the action,
the number of arguments and the shape of each, and returns None for anything else; the dialogue then
answers "this button is no longer valid" instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_BYTES = 64
SEP = ":"


class Action(StrEnum):
    """What a button does; the value is its one-letter prefix in the payload."""

    SERVICE = "s"  # open a service card: s:SERVICE
    FACT = "i"  # one section of a card: i:SERVICE:INTENT
    REGISTER = "r"  # start registration: r:SERVICE
    TRACK = "t"  # look up a tracking code: t:CODE
    MENU = "m"  # a main-menu item: m:ITEM
    BROWSE = "b"  # a page of a browse group: b:KIND:KEY:PAGE
    FORM = "f"  # a registration form step: f:OP[:args]


class FormOp(StrEnum):
    """Form buttons; the arguments carry the form's token and the step they were shown for, so a button
    left over from an earlier question is recognised as stale instead of answering the wrong question."""

    CHOOSE = "c"  # f:c:TOKEN:STEP:INDEX
    SKIP = "s"  # f:s:TOKEN:STEP
    BACK = "b"  # f:b
    CANCEL = "x"  # f:x
    EDIT = "e"  # f:e:TOKEN:FIELD
    CONFIRM = "ok"  # f:ok:TOKEN
    RESUME = "resume"  # f:resume (a form set aside by /start)
    DROP = "drop"  # f:drop


_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")  # service ids (the knowledge model's pattern)
_WORD = re.compile(r"^[a-z][a-z0-9_]{0,30}$")  # intents, menu items, form field names
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,24}$")  # browse group keys, form tokens
_DIGITS = re.compile(r"^[0-9]{1,24}$")
_SMALL = re.compile(r"^[0-9]{1,4}$")  # steps, indexes, pages

# The shape of each argument, per action (and per form operation).
_SHAPES: dict[str, tuple[re.Pattern[str], ...]] = {
    Action.SERVICE: (_ID,),
    Action.FACT: (_ID, _WORD),
    Action.REGISTER: (_ID,),
    Action.TRACK: (_DIGITS,),
    Action.MENU: (_WORD,),
    Action.BROWSE: (_WORD, _KEY, _SMALL),
}
_FORM_SHAPES: dict[str, tuple[re.Pattern[str], ...]] = {
    FormOp.CHOOSE: (_KEY, _SMALL, _SMALL),
    FormOp.SKIP: (_KEY, _SMALL),
    FormOp.BACK: (),
    FormOp.CANCEL: (),
    FormOp.EDIT: (_KEY, _WORD),
    FormOp.CONFIRM: (_KEY,),
    FormOp.RESUME: (),
    FormOp.DROP: (),
}


@dataclass(frozen=True)
class Payload:
    """A parsed button: its action and arguments (for FORM, the first argument is the FormOp)."""

    action: Action
    args: tuple[str, ...]

    def arg(self, i: int) -> str:
        return self.args[i]

    def number(self, i: int) -> int:
        return int(self.args[i])


def pack(action: Action, *args: object) -> str:
    """The payload of a button; raises ValueError if it would not be valid (a bug, not user input)."""
    data = SEP.join((action.value, *(str(a) for a in args)))
    if parse(data) is None:
        raise ValueError(f"invalid button payload: {data!r}")
    return data


def form(op: FormOp, *args: object) -> str:
    """The payload of a form button."""
    return pack(Action.FORM, op.value, *args)


def parse(data: str | None) -> Payload | None:
    """The payload of a tapped button, or None when it is not one this bot makes."""
    if not data or not data.isascii() or len(data.encode()) > MAX_BYTES:
        return None
    head, *args = data.split(SEP)
    try:
        action = Action(head)
    except ValueError:
        return None
    if action is Action.FORM:
        if not args or args[0] not in _FORM_SHAPES:
            return None
        shapes = _FORM_SHAPES[args[0]]
        rest = args[1:]
    else:
        shapes = _SHAPES[action]
        rest = args
    if len(rest) != len(shapes) or not all(p.match(a) for p, a in zip(shapes, rest, strict=True)):
        return None
    return Payload(action, tuple(args))
