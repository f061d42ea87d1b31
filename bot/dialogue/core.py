"""The dialogue: what the bot answers and which state changes, for one turn, on any channel.

`Dialogue.handle(turn, outbox)` is the whole conversation seen from outside: a channel (handlers/ for
Telegram and Bale, the tests, a future web chat) makes a `Turn`, passes an `Outbox`, and finishes the turn
with the `TurnResult`. No messenger library is imported here; storage is reached through its protocols.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from bot import texts as T
from bot.dialogue import citizen, desk, desk_staff, registration, staff
from bot.dialogue.channel import Outbox, StaffTurn, Turn, TurnResult
from bot.folding import fold
from bot.payload import Action, parse
from bot.reply import Reply, render_plain
from storage import StorageUnavailable

if TYPE_CHECKING:
    from bot.knowledge import Knowledge
    from bot.search import SearchEngine
    from bot.settings import Settings
    from storage import Store

log = logging.getLogger(__name__)

# Commands a citizen may type; admin commands answer like an unknown command to everyone else.
CITIZEN_COMMANDS = ("start", "help", "cancel")
ADMIN_COMMANDS = ("stats", "unanswered", "reload")


class Dialogue:
    """The bot's conversation on one platform: settings, storage, and the search engine of the current
    knowledge (replaced as a whole on reload, so a turn that took it keeps a consistent catalogue)."""

    def __init__(self, settings: Settings, store: Store, engine: SearchEngine) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine
        self.platform: str = settings.platform
        # Tracking codes whose confirmation a turn is sending right now (the notice loop leaves them alone).
        self.confirming: set[str] = set()
        # Counts /reload requests: only the latest one started may swap its engine in (dialogue/staff.py).
        self.reload_generation = 0
        # The support desk's relays in flight and their retry times (dialogue/desk.py).
        self.desk = desk.DeskState()

    @property
    def knowledge(self) -> Knowledge:
        return self.engine.knowledge

    def is_admin(self, user_id: int) -> bool:
        """Whether this account of this platform is listed in BOT_ADMIN_IDS (`telegram:123`, `bale:456`, or a
        plain id for the configured platform): the same number on another platform is someone else."""
        return self.settings.is_admin(self.platform, user_id)

    async def remember_service(self, user_id: int, service_id: str | None) -> None:
        """Remembers the service the citizen is looking at, for follow-up questions. Best effort: the
        answer does not depend on it, so a locked database does not keep the citizen from getting it."""
        try:
            await self.store.chats.set_current_service(self.platform, user_id, service_id)
        except StorageUnavailable as exc:
            log.warning("could not remember the current service: %s", exc)

    async def send(self, out: Outbox, chat_id: int, reply: Reply) -> bool:
        """Sends one reply and writes its row in the conversation log (private chats: the chat is the user);
        a reply that shows the citizen's answers back is logged by its `log_as` only."""
        try:
            await self.store.log.add(self.platform, chat_id, chat_id, "out", reply.log_as or render_plain(reply.text))
        except Exception as exc:
            log.warning("could not write the conversation log: %s", exc)
        return await out.send(chat_id, reply)

    async def handle(self, turn: Turn, out: Outbox) -> TurnResult:
        """Answers one turn and writes its row in the conversation log (also when answering failed)."""
        started = time.perf_counter()
        result: TurnResult | None = None  # None: answering failed
        try:
            result = await self._answer(turn, out)
            return result
        finally:
            await self._log_turn(turn, result, (time.perf_counter() - started) * 1000)

    async def _answer(self, turn: Turn, out: Outbox) -> TurnResult:
        relayed = await desk.intercept(self, turn, out)  # an open ticket: the citizen talks to a person
        if relayed is not None:
            return relayed
        state = await self.store.chats.get(self.platform, turn.user_id)
        if state.data.get(registration.UNSURE):
            await registration.remind_unsure_confirmation(self, out, turn.chat_id, turn.user_id, state)
        if turn.edited:  # an edited message is not re-answered; the citizen is asked to send it anew
            await self.send(out, turn.chat_id, Reply(T.EDITED))
            return TurnResult()
        if turn.button is not None:
            tapped = await desk.tap(self, turn, out)  # the desk's own buttons: ask for a person, 👍/👎
            return tapped if tapped is not None else await citizen.tap(self, turn, out)
        if turn.contact is not None:
            return await citizen.share_contact(self, turn, out)
        if turn.text is None:  # stickers, photos, voice, locations...: a polite request for text
            await self.send(out, turn.chat_id, Reply(T.NON_TEXT))
            return TurnResult()
        if turn.text.startswith("/"):
            await self.command(turn, out)
            return TurnResult()
        return await citizen.ask(self, turn, out, state)

    async def _log_turn(self, turn: Turn, outcome: TurnResult | None, handling_ms: float) -> None:
        """The log row of an incoming turn, with what the bot understood of it; a form answer only as the
        question it answered (see TurnResult.logged_as)."""
        result = outcome or TurnResult()
        kw: dict = {}
        u = result.understanding
        if u is not None:
            top = u.decision.candidates[0] if u.decision.candidates else None
            kw = {
                "intent": u.intent,
                # Only a service the bot answered about: an unanswered question's nearest candidate is not
                # what the citizen asked for, and must not count as a question about it.
                "service_id": u.service.id if u.service else None,
                "score": top.score if top else None,
                "answered": result.answered,
                # Grouping key of unanswered questions: the words, without punctuation or spacing variants.
                "normalized": fold(u.normalized) or u.normalized,
            }
        elif turn.button is not None:
            p = parse(turn.button)
            if p is not None and p.action in (Action.SERVICE, Action.REGISTER, Action.FACT):
                kw = {"service_id": p.arg(0)}
        try:
            text = result.logged_as
            if text is None and (outcome is None or turn.edited):
                text = await self._form_answer_marker(turn)
            text = text or turn.describe()
            await self.store.log.add(self.platform, turn.user_id, turn.chat_id, "in", text,
                                     handling_ms=handling_ms, **kw)
        except Exception as exc:
            log.warning("could not write the conversation log: %s", exc)

    async def _form_answer_marker(self, turn: Turn) -> str | None:
        """The log's stand-in for text that may be a form answer although no form step said so: an edited
        message, or a turn that failed half-way, while a form is open."""
        if turn.text is None or turn.text.startswith("/"):
            return None
        if await registration.active_draft(self, turn.user_id) is None:
            return None
        return T.LOG_FORM_EDITED if turn.edited else T.LOG_FORM_ANSWER.format(field=T.LOG_FORM_UNKNOWN_FIELD)

    async def command(self, turn: Turn, out: Outbox) -> None:
        """A command, with or without its entity («/start», «/start@bot», «/stats»)."""
        text = turn.text or ""
        name = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if len(text) > 1 else ""
        if name == "start":
            await citizen.start(self, turn, out)
        elif name == "help":
            await self.send(out, turn.chat_id, citizen.help_reply(self.settings.desk_enabled))
        elif name == "cancel":
            await citizen.cancel(self, turn, out)
        elif name in ADMIN_COMMANDS and self.is_admin(turn.user_id):
            await self.send(out, turn.chat_id, await staff.admin_command(self, name))
        else:  # unknown, or an admin command from someone who is not an admin: the same answer
            await self.send(out, turn.chat_id, Reply(T.UNKNOWN_COMMAND))

    async def handle_staff(self, turn: StaffTurn, out: Outbox) -> TurnResult:
        """A staff member's message or tap in the support group; see desk_staff.staff_turn. Staff turns are not
        citizens' messages: only the relays they cause are written to the conversation log."""
        return await desk_staff.staff_turn(self, turn, out)

    async def deliver_notices(self, out: Outbox) -> int:
        """Status changes and unsent confirmations (registration.deliver_notices), then the support desk's
        tickets and relays that did not get through at the time (desk.deliver)."""
        return await registration.deliver_notices(self, out) + await desk.deliver(self, out)

    async def prune(self) -> None:
        """Retention: logs, chat state, drafts, look-ups; closed requests anonymised (registration.retention)."""
        await registration.prune(self)
