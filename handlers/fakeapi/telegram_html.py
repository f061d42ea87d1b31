"""Telegram HTML, checked the way tdlib parses it (MessageEntity.cpp, parse_html), messages included."""

from __future__ import annotations

import re

_HTML_TAGS = frozenset(
    """
    a b strong i em u ins s strike del span tg-spoiler code pre blockquote tg-emoji tg-time
    """.split()
)
_HTML_ENTITY = re.compile(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ATTRIBUTE = re.compile(r"""\s*([^\s=>]+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>"']*))?""")


class HtmlError(ValueError):
    """Telegram's parser would refuse this text; the message is tdlib's."""


def html_to_plain(text: str) -> str:
    """Returns what a person sees of a ``parse_mode=HTML`` text, or raises ``HtmlError`` like Telegram.

    Unknown tags, unclosed or mismatched tags and a bare ``<`` are errors; an unknown ``&entity;`` or a
    bare ``&`` stays literal, as in tdlib.
    """
    out: list[str] = []
    stack: list[str] = []
    i, n = 0, len(text)

    def offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    while i < n:
        char = text[i]
        if char == "&":
            match = _HTML_ENTITY.match(text, i)
            if match is None:
                out.append("&")
                i += 1
                continue
            body = match.group(1)
            if body.startswith(("#x", "#X")):
                out.append(chr(min(int(body[2:], 16), 0x10FFFF)))
            elif body.startswith("#"):
                out.append(chr(min(int(body[1:]), 0x10FFFF)))
            elif body.lower() in _HTML_NAMED:
                out.append(_HTML_NAMED[body.lower()])
            else:
                out.append(match.group(0))
            i = match.end()
            continue
        if char != "<":
            out.append(char)
            i += 1
            continue
        begin = i
        if text.startswith("</", i):
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {offset(begin)}")
            close = text.find(">", i)
            name = text[i + 2 : close if close >= 0 else n].strip()
            if close < 0 or any(c.isspace() for c in name):
                raise HtmlError(f"Unclosed end tag at byte offset {offset(begin)}")
            if name and name.lower() != stack[-1]:
                raise HtmlError(
                    f'Unmatched end tag at byte offset {offset(begin)}, expected "</{stack[-1]}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
            i = close + 1
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {offset(begin)}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise HtmlError(f'Unsupported start tag "{name}" at byte offset {offset(begin)}')
        close = text.find(">", j)
        if close < 0:
            raise HtmlError(f"Unclosed start tag at byte offset {offset(begin)}")
        attributes = {
            m.group(1).lower(): (m.group(2) or "").strip("\"'")
            for m in _HTML_ATTRIBUTE.finditer(text[j:close])
            if m.group(1)
        }
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise HtmlError('Tag "span" must have class "tg-spoiler"')
        if name == "tg-emoji" and "emoji-id" not in attributes:
            raise HtmlError('Tag "tg-emoji" must have attribute "emoji-id"')
        stack.append(name)
        i = close + 1
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)

