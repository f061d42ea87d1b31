"""Small helpers the pages share: service titles, masked chat accounts, the service filter of a form."""

from __future__ import annotations

from bot.knowledge import Knowledge
from bot.persian import to_persian_digits
from console import texts as T
from console.app import NotFound, Staff

PAGE_SIZE = 50


def service_title(knowledge: Knowledge, service_id: str | None) -> str:
    """The title of a service, or a note that the catalogue no longer has it."""
    if service_id is None:
        return "—"
    service = knowledge.get(service_id)
    return service.title if service else T.UNKNOWN_SERVICE.format(id=service_id)


def masked_account(platform: str | None, user_id: int) -> str:
    """A chat account as staff see it without a reason: the platform and the last two digits of the id."""
    digits = str(user_id)
    shown = "•" * max(0, len(digits) - 2) + digits[-2:]
    return f"{T.PLATFORMS.get(platform or '', platform or '-')} \u200e{to_persian_digits(shown)}"


def full_account(platform: str | None, user_id: int) -> str:
    return f"{T.PLATFORMS.get(platform or '', platform or '-')} \u200e{to_persian_digits(user_id)}"


def wanted_service(staff: Staff, value: str | None) -> str | None:
    """The service a filter names, if the user may see it; one outside their scope finds nothing."""
    if not value:
        return None
    if not staff.scope.allows(value):
        raise NotFound
    return value


def offset_of(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0
