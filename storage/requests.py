"""The life of a request, the same for every backend: its statuses, their words, and the moves allowed.

Statuses, in the order a request moves through them::

    submitted → under_review → needs_documents → approved → done
                                              ↘ rejected

Any open status (submitted, under_review, needs_documents) may move to any later one, and
needs_documents may go back to under_review once the documents arrive. approved may only become done;
rejected and done are final. Every change appends an event, which is the history the citizen sees.

A backend checks a move with check_transition inside the transaction that makes it, so two staff members
changing one request at once cannot both pass the check.
"""

from __future__ import annotations

SUBMITTED = "submitted"
UNDER_REVIEW = "under_review"
NEEDS_DOCUMENTS = "needs_documents"
APPROVED = "approved"
REJECTED = "rejected"
DONE = "done"

STATUSES = (SUBMITTED, UNDER_REVIEW, NEEDS_DOCUMENTS, APPROVED, REJECTED, DONE)
OPEN_STATUSES = frozenset({SUBMITTED, UNDER_REVIEW, NEEDS_DOCUMENTS})

# The words a citizen or a staff member sees for each status; the bot's texts module may import these.
STATUS_LABELS = {
    SUBMITTED: "ثبت شده",
    UNDER_REVIEW: "در حال بررسی",
    NEEDS_DOCUMENTS: "نیازمند مدارک تکمیلی",
    APPROVED: "تأیید شده",
    REJECTED: "رد شده",
    DONE: "انجام شده",
}

# Persian messages of the errors raised by storage, kept together so they can be reviewed in one place.
MSG_UNKNOWN_STATUS = "وضعیت «{status}» شناخته‌شده نیست؛ وضعیت‌های مجاز: {allowed}."
MSG_SAME_STATUS = "درخواست همین حالا در وضعیت «{label}» است."
MSG_FINAL_STATUS = "درخواست در وضعیت «{label}» است و وضعیت آن دیگر تغییر نمی‌کند."
MSG_BAD_TRANSITION = "وضعیت درخواست را نمی‌توان از «{old}» به «{new}» برگرداند."
MSG_NOT_FOUND = "درخواستی با کد رهگیری {code} پیدا نشد."

ALLOWED_NEXT: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({UNDER_REVIEW, NEEDS_DOCUMENTS, APPROVED, REJECTED, DONE}),
    UNDER_REVIEW: frozenset({NEEDS_DOCUMENTS, APPROVED, REJECTED, DONE}),
    NEEDS_DOCUMENTS: frozenset({UNDER_REVIEW, APPROVED, REJECTED, DONE}),
    APPROVED: frozenset({DONE}),
    REJECTED: frozenset(),
    DONE: frozenset(),
}

# How long a fresh submission's confirmation is left to the handler sending it before the notice loop
# sends it instead: longer than the bot's flood-control retries (3 x 60 s) may take. Backends read it at
# call time (tests shorten it).
CONFIRMATION_GRACE_SECONDS = 300


def check_transition(old: str, new: str) -> None:
    """Raises ValueError (message in Persian, for staff) unless a request may move from `old` to `new`."""
    if new not in STATUS_LABELS:
        allowed = "، ".join(STATUSES)
        raise ValueError(MSG_UNKNOWN_STATUS.format(status=new, allowed=allowed))
    if new == old:
        raise ValueError(MSG_SAME_STATUS.format(label=STATUS_LABELS[old]))
    allowed_next = ALLOWED_NEXT.get(old, frozenset())
    if new in allowed_next:
        return
    if not allowed_next:
        raise ValueError(MSG_FINAL_STATUS.format(label=STATUS_LABELS.get(old, old)))
    raise ValueError(MSG_BAD_TRANSITION.format(old=STATUS_LABELS.get(old, old), new=STATUS_LABELS[new]))
