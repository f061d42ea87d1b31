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
    DESK = "d"  # the citizen asks for a person (the support desk): d:open
    VOTE = "v"  # 👍/👎 under a fact answer: v:SERVICE:INTENT:u|d
    TICKET = "k"  # a button on a ticket in the staff group: k:OP:TICKET[:args]


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


class TicketOp(StrEnum):
    """Buttons staff tap on a ticket in the support group."""

    TAKE = "take"  # k:take:N
    CLOSE = "close"  # k:close:N
    SUGGEST = "alias"  # k:alias:N — offers the services the question may belong to
    ALIAS = "as"  # k:as:N:SERVICE — the question is a name of this service
    NEED = "need"  # k:need:N — the catalogue lacks what the question asks for


_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")  # service ids (the knowledge model's pattern)
_WORD = re.compile(r"^[a-z][a-z0-9_]{0,30}$")  # intents, menu items, form field names
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,24}$")  # browse group keys, form tokens
_DIGITS = re.compile(r"^[0-9]{1,24}$")
_SMALL = re.compile(r"^[0-9]{1,4}$")  # steps, indexes, pages
_NUMBER = re.compile(r"^[1-9][0-9]{0,11}$")  # ticket numbers
_VOTE = re.compile(r"^[ud]$")  # up, down

# The shape of each argument, per action (and per form operation).
_SHAPES: dict[str, tuple[re.Pattern[str], ...]] = {
    Action.SERVICE: (_ID,),
    Action.FACT: (_ID, _WORD),
    Action.REGISTER: (_ID,),
    Action.TRACK: (_DIGITS,),
    Action.MENU: (_WORD,),
    Action.BROWSE: (_WORD, _KEY, _SMALL),
    Action.DESK: (_WORD,),
    Action.VOTE: (_ID, _WORD, _VOTE),
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
_TICKET_SHAPES: dict[str, tuple[re.Pattern[str], ...]] = {
    TicketOp.TAKE: (_NUMBER,),
    TicketOp.CLOSE: (_NUMBER,),
    TicketOp.SUGGEST: (_NUMBER,),
    TicketOp.ALIAS: (_NUMBER, _ID),
    TicketOp.NEED: (_NUMBER,),
}
# Actions whose first argument names an operation with its own argument shapes.
_OPERATIONS = {Action.FORM: _FORM_SHAPES, Action.TICKET: _TICKET_SHAPES}


@dataclass(frozen=True)
class Payload:
    """A parsed button: its action and arguments (for FORM and TICKET, the first argument is the operation)."""

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


def ticket(op: TicketOp, number: int, *args: object) -> str:
    """The payload of a button on a ticket in the staff group."""
    return pack(Action.TICKET, op.value, number, *args)


def parse(data: str | None) -> Payload | None:
    """The payload of a tapped button, or None when it is not one this bot makes."""
    if not data or not data.isascii() or len(data.encode()) > MAX_BYTES:
        return None
    head, *args = data.split(SEP)
    try:
        action = Action(head)
    except ValueError:
        return None
    if action in _OPERATIONS:
        operations = _OPERATIONS[action]
        if not args or args[0] not in operations:
            return None
        shapes = operations[args[0]]
        rest = args[1:]
    else:
        shapes = _SHAPES[action]
        rest = args
    if len(rest) != len(shapes) or not all(p.match(a) for p, a in zip(shapes, rest, strict=True)):
        return None
    return Payload(action, tuple(args))
