"""The process's logging: readable lines on stderr, or one JSON object a line (`BOT_LOG_FORMAT=json`) for a
log collector. Either way no personal data: every message and traceback passes the conversation log's
masking (storage.masking: long numbers such as national codes, mobiles and chat ids, e-mail addresses),
and no handler logs what a citizen typed.

A JSON line: {"time": "2026-11-21T10:17:01.123Z", "level": "WARNING", "logger": "handlers.send",
"message": "...", "exception": "Traceback ..."} (exception only when there is one).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
from typing import TextIO

from storage.masking import mask_personal_data

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class PersonalDataFilter(logging.Filter):
    """Masks the message of every record (arguments merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it itself
            return True
        record.msg, record.args = mask_personal_data(message), None
        return True


class TextFormatter(logging.Formatter):
    """The readable format, tracebacks masked."""

    def formatException(self, ei) -> str:
        return mask_personal_data(super().formatException(ei))


class JsonFormatter(logging.Formatter):
    """One JSON object a line; tracebacks masked."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = _dt.datetime.fromtimestamp(record.created, _dt.UTC)
        entry = {
            "time": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = mask_personal_data(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = mask_personal_data(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "text", stream: TextIO | None = None) -> None:
    """Logs on stderr (or `stream`) at `level`, as text or JSON; httpx's per-request lines (they carry the
    token in the URL) only at DEBUG."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(TEXT_FORMAT))
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)
