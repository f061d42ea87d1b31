"""The channel-neutral conversation: a `Turn` in, replies out through an `Outbox` (see channel.py).

core.py dispatches a turn; citizen.py answers questions, buttons and tracking codes; registration.py runs
forms, issues tracking codes and delivers status notices; staff.py builds the admins' and staff's reports;
desk.py is the support desk (tickets relayed between a citizen and the staff group, votes on answers).
"""

from bot.dialogue.channel import Contact, DeliveryFailed, Outbox, Post, RecipientGone, StaffTurn, Turn, TurnResult
from bot.dialogue.core import Dialogue

__all__ = ["Contact", "DeliveryFailed", "Dialogue", "Outbox", "Post", "RecipientGone", "StaffTurn", "Turn", "TurnResult"]
