"""Persistence: the SQLite database and one repository per table family. Handlers never write SQL.

    db = await Database.open(settings.db_path)
    created = await db.requests.create(...)
    await db.close()

See storage/db.py for the connection and transactions, storage/migrations/ for the schema.
"""

from storage.chats import ChatState
from storage.db import Database, StorageUnavailable
from storage.drafts import Draft
from storage.log import DayStats, LogEntry, UnansweredQuestion
from storage.masking import mask_personal_data
from storage.requests import (
    OPEN_STATUSES,
    STATUS_LABELS,
    STATUSES,
    CreatedRequest,
    Request,
    RequestEvent,
    RequestNotFound,
)
from storage.tracking import is_well_formed, normalize_tracking_code

__all__ = [
    "OPEN_STATUSES",
    "STATUSES",
    "STATUS_LABELS",
    "ChatState",
    "CreatedRequest",
    "Database",
    "DayStats",
    "Draft",
    "LogEntry",
    "Request",
    "RequestEvent",
    "RequestNotFound",
    "StorageUnavailable",
    "UnansweredQuestion",
    "is_well_formed",
    "mask_personal_data",
    "normalize_tracking_code",
]
