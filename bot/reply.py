"""What the domain answers: a small value (text plus buttons) that each platform renders its own way.

Text may carry bold spans marked with `bold()`; the marks are control characters that never survive
input cleaning, so a citizen's text can never forge them. Telegram renders them as HTML (everything else
escaped), Bale as its light Markdown, the terminal as plain text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

B_OPEN, B_CLOSE = "\x02", "\x03"
MAX_MESSAGE = 4096
_URL = re.compile(r"(https?://\S+)")


def bold(text: str) -> str:
    """Marks `text` to be shown in bold where the platform can."""
    return f"{B_OPEN}{text}{B_CLOSE}"


@dataclass(frozen=True)
class Button:
    """An inline button: a callback (short ASCII `data`) or a link (`url`)."""

    label: str
    data: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("a button has either data or url")
        if self.data is not None and (not self.data.isascii() or not 1 <= len(self.data) <= 64):
            raise ValueError(f"callback data must be 1-64 ASCII bytes: {self.data!r}")


@dataclass(frozen=True)
class Reply:
    """One message to the citizen."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    # A reply keyboard (typed shortcuts) such as the share-contact button; empty = leave as is.
    keyboard: tuple[tuple[str, ...], ...] = ()
    request_contact: str | None = None  # label of a share-contact button, where the platform has one
    remove_keyboard: bool = False
    # After a button tap: replace the tapped message with this one where the platform can (menus, pages);
    # otherwise, or anywhere else, it is sent as a new message.
    replace: bool = False
    # What the conversation log keeps instead of the text, for a reply that shows the citizen's own answers
    # back (a form's summary): the log is kept for months and read by staff, the answers are personal.
    log_as: str | None = None


def render_html(text: str) -> str:
    """Telegram: every dynamic value escaped, bold marks as <b>."""
    return html.escape(text, quote=False).replace(B_OPEN, "<b>").replace(B_CLOSE, "</b>")


def render_bale(text: str) -> str:
    """Bale: no parse_mode; its light Markdown shows *bold*. Stray asterisks and underscores in the
    text itself are replaced by look-alikes so they cannot start formatting."""
    parts = _URL.split(text)
    for i in range(0, len(parts), 2):  # even parts are outside links; links stay byte-exact
        parts[i] = parts[i].replace("*", "∗").replace("_", "‗")
    return "".join(parts).replace(B_OPEN, "*").replace(B_CLOSE, "*")


def render_plain(text: str) -> str:
    """A terminal: no formatting at all."""
    return text.replace(B_OPEN, "").replace(B_CLOSE, "")


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Splits a long text at line breaks (then spaces) into pieces of at most `limit` characters."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def render_pieces(text: str, render, limit: int = MAX_MESSAGE) -> list[str]:
    """Splits a reply into messages *before* rendering (so an HTML entity or tag is never cut) and
    renders each; a bold span cut by a split is closed and reopened. Escaping can lengthen a piece, so
    the split is redone tighter until every rendered piece fits."""
    size = limit
    while True:
        pieces = []
        for piece in split_text(text, size):
            if piece.count(B_OPEN) > piece.count(B_CLOSE):
                piece += B_CLOSE
            if piece.find(B_CLOSE) != -1 and (piece.find(B_OPEN) == -1 or piece.find(B_CLOSE) < piece.find(B_OPEN)):
                piece = B_OPEN + piece
            pieces.append(render(piece))
        if all(len(p) <= limit for p in pieces) or size < 200:
            return pieces
        size = int(size * 0.8)


def to_json(reply: Reply) -> dict:
    """A reply as plain data (to keep it in a queue until it can be sent)."""
    return {
        "text": reply.text,
        "buttons": [[{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in reply.buttons],
        "keyboard": [list(row) for row in reply.keyboard],
        "request_contact": reply.request_contact,
        "remove_keyboard": reply.remove_keyboard,
    }


def from_json(data: dict) -> Reply:
    """The reply kept by `to_json`."""
    return Reply(
        text=data["text"],
        buttons=tuple(tuple(Button(b["label"], b.get("data"), b.get("url")) for b in row) for row in data["buttons"]),
        keyboard=tuple(tuple(row) for row in data.get("keyboard", ())),
        request_contact=data.get("request_contact"),
        remove_keyboard=bool(data.get("remove_keyboard")),
    )
