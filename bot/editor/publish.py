"""An edit of one service checked, previewed and published.

- `check_edit`: the edited file's text checked with the whole knowledge (another file's id clashing counts),
  as `python -m bot validate` would check it once written: the same `file: field: message` problems;
- `preview`: what the bot answers a citizen's question with the edit in place, and the search decision,
  from a knowledge built in memory (nothing written);
- `publish`: the text written atomically (a temporary file in the same folder, then `os.replace`, keeping the
  file's mode), only when the check passes and the file on disk is still the one the editor opened: a change
  made outside the console (git, a text editor) is never overwritten silently.

The running bot notices the new file by the knowledge fingerprint (`knowledge_fingerprint`) and reloads.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.answers import respond
from bot.editor.yamlfile import diff, text_hash
from bot.knowledge import Knowledge, Problem, Service, check_knowledge, parse_service
from bot.reply import render_plain
from bot.search import SearchEngine

SERVICES = "services"
NEW_FILE_MODE = 0o644
_write_lock = threading.Lock()  # one publish at a time in this process (the check and the write together)
LOCK_FILE = ".publish.lock"  # ... and across processes (two consoles on one knowledge folder): flock on it


@contextlib.contextmanager
def _publishing(directory: Path) -> Iterator[None]:
    """One publish at a time on this knowledge folder: in this process and in any other that publishes."""
    with _write_lock, open(Path(directory) / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def service_path(directory: Path, file_name: str) -> Path:
    """The file of a service in the knowledge directory; ValueError for a name that leaves services/."""
    if not file_name or "/" in file_name or "\\" in file_name or file_name.startswith(".") \
            or not file_name.endswith((".yaml", ".yml")):
        raise ValueError(f"not a knowledge file name: {file_name!r}")
    return Path(directory) / SERVICES / file_name


def read_file(directory: Path, file_name: str) -> str | None:
    """The text of a service's file as it is on disk now; None when there is no such file."""
    try:
        return service_path(directory, file_name).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def service_files(directory: Path) -> dict[str, str]:
    """The file name of each service in the knowledge directory, by service id (files that do not parse are
    left out: `validate` names them)."""
    found: dict[str, str] = {}
    folder = Path(directory) / SERVICES
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        try:
            service, _ = parse_service(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError):
            continue
        if service is not None and service.id not in found:
            found[service.id] = path.name
    return found


@dataclass(frozen=True)
class Checked:
    """An edit checked with the whole knowledge: the knowledge it makes, or every problem (of this file
    first, then of others)."""

    knowledge: Knowledge | None
    problems: list[Problem]
    service: Service | None

    @property
    def ok(self) -> bool:
        return self.knowledge is not None


def check_edit(directory: Path, file_name: str, text: str) -> Checked:
    """The knowledge directory checked as if `file_name` held `text`."""
    path = service_path(directory, file_name)
    knowledge, problems = check_knowledge(directory, {file_name: text})
    service, _ = parse_service(text, str(path))
    mine = [p for p in problems if p.file == str(path)]
    return Checked(knowledge, mine + [p for p in problems if p.file != str(path)], service)


def knowledge_with(knowledge: Knowledge, service: Service) -> Knowledge:
    """The knowledge with `service` in place of the one of the same id (or added)."""
    services = [service if s.id == service.id else s for s in knowledge.services]
    if knowledge.get(service.id) is None:
        services.append(service)
    return Knowledge(services=services, lexicon=knowledge.lexicon, source=knowledge.source, elsewhere=knowledge.elsewhere)


@dataclass(frozen=True)
class Preview:
    """What the bot would send, and how search decided (the fields of `python -m bot search --json`)."""

    question: str
    answer: str
    buttons: list[list[str]]
    decision: dict[str, Any]


def understanding_summary(query: str, u: Any) -> dict[str, Any]:
    """How search read a question: the object `python -m bot search --json` prints for it."""
    match = u.decision.match
    return {
        "query": query,
        "normalized": u.normalized,
        "intent": u.intent or "-",
        "intents": list(u.intents),
        "match": {"id": match.id, "title": match.title} if match else None,
        "candidates": [{"id": c.service.id, "title": c.service.title, "score": c.score} for c in u.decision.candidates],
    }


def preview(knowledge: Knowledge, question: str, current_service: str | None = None) -> Preview:
    """The bot's answer to `question` with `knowledge` (as `python -m bot ask` prints it)."""
    engine = SearchEngine(knowledge)
    u = engine.understand(question, current_service=current_service)
    reply = respond(u)
    return Preview(question, render_plain(reply.text), [[b.label for b in row] for row in reply.buttons],
                   understanding_summary(question, u))


class OutsideChange(Exception):
    """The file on disk is not the one the editor opened: someone changed it outside the console."""

    def __init__(self, disk_text: str | None, base_text: str | None) -> None:
        self.disk_text, self.base_text = disk_text, base_text
        super().__init__("the knowledge file changed on disk since it was opened")

    @property
    def diff(self) -> str:
        return diff(self.base_text, self.disk_text, "هنگام باز کردن", "اکنون روی دیسک")


class Invalid(Exception):
    """The edit does not pass the knowledge check; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def write_atomically(path: Path, text: str) -> None:
    """Replaces the file in one step: readers (the bot reloading) see the old text or the new, never half.
    The new file keeps the old one's mode (a new file gets 0644)."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # the rename itself reaches the disk
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def publish(directory: Path, file_name: str, text: str, base_hash: str, base_text: str | None = None) -> Checked:
    """Writes `text` as the service's file when the whole knowledge checks with it and the file on disk
    still has `base_hash` (`text_hash` of what the editor opened; "" for a file that must not exist yet).
    Raises OutsideChange (with the diff from `base_text`, when given, to the disk) or Invalid, and then
    nothing is written."""
    path = service_path(directory, file_name)
    with _publishing(directory):
        disk = read_file(directory, file_name)
        if text_hash(disk) != base_hash:
            raise OutsideChange(disk, base_text)
        checked = check_edit(directory, file_name, text)
        if not checked.ok:
            raise Invalid(checked.problems)
        write_atomically(path, text)
        return checked
