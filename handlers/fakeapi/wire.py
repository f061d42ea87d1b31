"""The Bot API on the wire: platforms and limits, the shapes the peer records, the error envelope and how
call parameters are decoded. Shared by every part of the fake peer."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Platform = Literal["telegram", "bale"]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
NO_CONTACT_USER = 0
"""Pass as ``contact_user_id`` to share a contact that has no Telegram/Bale account (no ``user_id``)."""

DEFAULT_FIRST_NAME = "علی"

# String parameters that are free text or opaque ids. Every other string parameter arrives JSON-encoded
# over form-encoded HTTP (PTB's ``json_parameters``) and is decoded; these must not be, or a text "123"
# would turn into a number.
_TEXT_PARAMS = frozenset(
    """
    text caption parse_mode callback_query_id inline_message_id url secret_token ip_address description
    short_description name language_code action emoji title phone_number first_name last_name file_id
    document photo sticker voice audio video animation thumbnail business_connection_id message_effect_id
    custom_emoji_id query payload currency provider_token start_parameter
    """.split()
)


class Call(NamedTuple):
    """One Bot API call as the peer received it, with its parameters decoded."""

    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded (multipart ``InputFile``)."""

    filename: str | None
    content: bytes = field(repr=False)
    mime_type: str | None = None


class _ApiError(Exception):
    """Carries the error envelope out of a method implementation."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.envelope: dict[str, Any] = {"ok": False, "error_code": error_code, "description": description}
        if retry_after is not None:
            self.envelope["parameters"] = {"retry_after": retry_after}


def _bad(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


def _default_description(error_code: int, retry_after: int | None) -> str:
    return {
        400: "Bad Request: injected by the test peer",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running",
        429: f"Too Many Requests: retry after {retry_after or 1}",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(error_code, f"Error {error_code}")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_params(params: dict[str, Any]) -> dict[str, Any]:
    """Decodes JSON-encoded string values (form or multipart bodies); drops ``None`` like PTB does."""
    decoded: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str) and key not in _TEXT_PARAMS:
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = value
            if isinstance(parsed, float) and not math.isfinite(parsed):
                parsed = value
            value = value if isinstance(parsed, str) else parsed
        if value is not None:
            decoded[key] = value
    return decoded


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def button_rows(markup: dict[str, Any] | None) -> list[list[str]]:
    """Returns the button texts of an inline or reply keyboard, row by row (``[]`` without buttons)."""
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [
        [button.get("text", "") if isinstance(button, dict) else str(button) for button in row]
        for row in rows
        if isinstance(row, list)
    ]


def _is_inline(markup: dict[str, Any] | None) -> bool:
    return bool(markup) and "inline_keyboard" in markup  # type: ignore[operator]


def _document_meta(document: dict[str, Any] | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return {k: v for k, v in document.items() if k != "content" and v is not None}

