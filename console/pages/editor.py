"""The service editor, for editors and admins of the service's agency: the list of their services (and
which changed on disk outside the console), a form per service read from the knowledge model, a check with
the whole knowledge and a preview of the bot's answer, publish (the running bot reloads within seconds),
the history with diffs and revert, and a new service from an uploaded card.

The work is done by bot.editor (form ↔ data, the file edited in place, check, preview, atomic publish); the
pages only read the request, check who may do it, record versions and the audit row, and render. A service
of another agency is «not found», by URL and by POST alike.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from bot.editor.publish import (
    Invalid,
    OutsideChange,
    check_edit,
    knowledge_with,
    preview,
    publish,
    read_file,
    service_files,
)
from bot.editor.schema import FormErrors, error_key, form_values, parse_form, service_form
from bot.editor.yamlfile import diff, edited_text, load_map, text_hash
from bot.importer import draft_yaml, import_file
from bot.knowledge import Problem, Service
from bot.persian import to_persian_digits
from console import texts as T
from console.app import Console, NotFound, Staff, audit, console_of, flash, page, redirect, render
from console.auth import Role
from console.pages import suggestions as queue
from console.scope import Scope, agency_key

ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_CARD_BYTES = 5_000_000
HISTORY_SHOWN = 30


def _scope(console: Console, staff: Staff) -> Scope:
    """The user's scope on the knowledge as it is on disk now (a publish may have moved services)."""
    console.refresh_knowledge()
    return Scope.of(console.knowledge, staff.user.agency)


def _knowledge_dir(console: Console) -> Path:
    return Path(console.settings.knowledge_dir)


def _file_of(console: Console, staff: Staff, service_id: str) -> str:
    """The file name of a service the user may edit; NotFound otherwise (also for another agency's)."""
    if not _scope(console, staff).allows(service_id):
        raise NotFound
    name = service_files(_knowledge_dir(console)).get(service_id)
    if name is None:
        raise NotFound
    return name


def _belongs(staff: Staff, data: dict[str, Any]) -> bool:
    """Whether an edited service stays in the user's agency (a user of every agency may publish any)."""
    agency = staff.user.agency
    if not agency:
        return True
    key = agency_key(agency)
    return any(isinstance(data.get(f), str) and agency_key(data[f]) == key for f in ("provider", "parent_agency"))


def _data_of(text: str | None) -> dict[str, Any]:
    """The fields of a file's text for the form (a file that is not a mapping shows an empty form)."""
    data = load_map(text) if text else None
    return dict(data) if data is not None else {}


def _errors(problems: list[Problem], file: Path) -> FormErrors:
    errors = FormErrors()
    for p in problems:
        if p.file == str(file) and p.field not in ("(file)", "(directory)"):
            errors.by_name.setdefault(error_key(p.field), []).append(p.message)
    return errors


def _editor(request: Request, staff: Staff, *, service_id: str | None, file_name: str, data: dict[str, Any],
            base: str | None, problems: list[Problem] | None = None, message: str | None = None,
            shown: Any = None, question: str = "", outside: str | None = None, status: int = 200,
            new: bool = False, suggestion: str = "") -> Response:
    console = console_of(request)
    path = _knowledge_dir(console) / "services" / file_name
    problems = problems or []
    return render(request, staff, "editor.html", status=status, form=service_form(), values=form_values(data),
                  errors=_errors(problems, path), problems=problems, service_id=service_id, file_name=file_name,
                  base=base or "", base_hash=text_hash(None if new else base), message=message, preview=shown, question=question,
                  outside=outside, new=new, review=data.get("review") if isinstance(data.get("review"), list) else [],
                  title=data.get("title") or service_id or "", suggestion=suggestion)


@page(Role.EDITOR)
async def list_services(request: Request, staff: Staff) -> Response:
    """The user's services, with the last version published and a mark on those changed outside the console."""
    console = console_of(request)
    scope = _scope(console, staff)
    files = service_files(_knowledge_dir(console))
    latest = await console.db.versions.latest()
    rows = []
    for s in scope.services(console.knowledge):
        name = files.get(s.id)
        version = latest.get(s.id)
        disk = read_file(_knowledge_dir(console), name) if name else None
        rows.append({"service": s, "file": name, "version": version,
                     "outside": version is not None and disk is not None and text_hash(disk) != version.content_hash})
    return render(request, staff, "services.html", rows=rows)


@page(Role.EDITOR)
async def edit_service(request: Request, staff: Staff) -> Response:
    """The form of one service, filled from its file as it is on disk now."""
    console = console_of(request)
    service_id = request.path_params["service_id"]
    name = _file_of(console, staff, service_id)
    text = read_file(_knowledge_dir(console), name)
    if text is None:
        raise NotFound
    return _editor(request, staff, service_id=service_id, file_name=name, data=_data_of(text), base=text)


@page(Role.EDITOR)
async def change_service(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Checks, previews or publishes an edit of one service (the form's `action`)."""
    console = console_of(request)
    service_id = request.path_params["service_id"]
    name = _file_of(console, staff, service_id)
    return await _act(request, staff, form, service_id=service_id, file_name=name, new=False)


@page(Role.EDITOR)
async def change_new_service(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Checks, previews or publishes a service that has no file yet (from a card's draft)."""
    data_id = form.get("id", "").strip()
    name = f"{data_id}.yaml" if ID.match(data_id) else "new-service.yaml"
    return await _act(request, staff, form, service_id=None, file_name=name, new=True)


async def _act(request: Request, staff: Staff, form: dict[str, str], *, service_id: str | None, file_name: str,
               new: bool) -> Response:
    console = console_of(request)
    directory = _knowledge_dir(console)
    base = form.get("base", "").replace("\r\n", "\n") or None
    base_hash = form.get("base_hash", "")
    data = parse_form(form)
    text = edited_text(base, data)
    action = form.get("action", "check")
    question = " ".join(form.get("question", "").split())[:500]
    suggestion = form.get("suggestion", "")
    show = dict(service_id=service_id, file_name=file_name, data=data, base=base, question=question, new=new,
                suggestion=suggestion)
    problems: list[Problem] = []
    path = directory / "services" / file_name
    if service_id is not None and data.get("id") != service_id:
        problems.append(Problem(str(path), "id", T.EDITOR_ID_FIXED))
    if not _belongs(staff, data):
        problems.append(Problem(str(path), "provider", T.EDITOR_OTHER_AGENCY.format(agency=staff.user.agency)))
    if new and (directory / "services" / file_name).exists():
        problems.append(Problem(str(path), "id", T.EDITOR_EXISTS.format(file=file_name)))
    checked = await asyncio.to_thread(check_edit, directory, file_name, text)
    problems += checked.problems
    if action == "preview":
        if checked.service is None or (problems and any(p.file == str(path) for p in problems)):
            return _editor(request, staff, problems=problems, message=T.EDITOR_PREVIEW_NEEDS_SERVICE, **show)
        if not question:
            return _editor(request, staff, problems=problems, message=T.EDITOR_PREVIEW_NEEDS_QUESTION, **show)
        knowledge = knowledge_with(console.knowledge, checked.service)
        shown = await asyncio.to_thread(preview, knowledge, question, checked.service.id)
        return _editor(request, staff, problems=problems, shown=shown, **show)
    if action != "publish" or problems:
        message = (T.EDITOR_INVALID.format(n=to_persian_digits(len(problems))) if problems else T.EDITOR_VALID)
        return _editor(request, staff, problems=problems, message=message, status=422 if problems else 200, **show)
    try:
        await asyncio.to_thread(publish, directory, file_name, text, base_hash, base)
    except OutsideChange as refused:
        return _editor(request, staff, message=T.EDITOR_OUTSIDE, outside=refused.diff, status=409, **show)
    except Invalid as invalid:
        return _editor(request, staff, problems=invalid.problems, status=422,
                       message=T.EDITOR_INVALID.format(n=to_persian_digits(len(invalid.problems))), **show)
    assert checked.service is not None
    version = await _record(console, staff, checked.service, file_name, base, text, form.get("note"))
    await audit(request, staff, T.ACT_PUBLISH, checked.service.id, f"{file_name}؛ نسخه {version}")
    console.refresh_knowledge()
    done = T.EDITOR_PUBLISHED.format(title=checked.service.title, version=to_persian_digits(version))
    item = await queue.find(console, suggestion) if suggestion else None
    if item is not None and queue.visible(Scope.of(console.knowledge, staff.user.agency), item) and await queue.decide(
            console, item, "accepted", staff.actor, f"{checked.service.id}: نسخه {version}"):
        await audit(request, staff, T.ACT_SUGGESTION_ACCEPTED, checked.service.id, f"{item.ref}: {item.text}")
        done += " " + T.EDITOR_SUGGESTION_DONE.format(ref=item.ref)
    flash(request, staff, done)
    return redirect(f"/services/{checked.service.id}")


async def _record(console: Console, staff: Staff, service: Service, file_name: str, before: str | None,
                  text: str, note: str | None, author_note: str | None = None) -> int:
    """Records the published text as a version; first the text the file had, when no version holds it (an
    edit made outside the console, or the file as it was before its first publish)."""
    history = await console.db.versions.history(service.id, limit=1)
    if before is not None and (not history or history[0].content_hash != text_hash(before)):
        await console.db.versions.add(service.id, file_name, before, T.EDITOR_DISK_AUTHOR, T.EDITOR_DISK_NOTE)
    note = " ".join((note or "").split())[:300] or author_note
    return (await console.db.versions.add(service.id, file_name, text, staff.actor, note)).id


@page(Role.EDITOR)
async def show_history(request: Request, staff: Staff) -> Response:
    """A service's versions, newest first, each with its diff from the one before, and revert buttons."""
    console = console_of(request)
    service_id = request.path_params["service_id"]
    name = _file_of(console, staff, service_id)
    disk = read_file(_knowledge_dir(console), name)
    versions = await console.db.versions.history(service_id, HISTORY_SHOWN + 1)
    rows = []
    for i, v in enumerate(versions[:HISTORY_SHOWN]):
        older = versions[i + 1] if i + 1 < len(versions) else None
        rows.append({"version": v, "diff": diff(older.content if older else None, v.content,
                                                 f"نسخه {older.id}" if older else "—", f"نسخه {v.id}"),
                     "current": disk is not None and text_hash(disk) == v.content_hash})
    outside = diff(versions[0].content, disk, "آخرین نسخه کنسول", "اکنون روی دیسک") if versions and disk is not None \
        and text_hash(disk) != versions[0].content_hash else None
    service = console.knowledge.get(service_id)
    return render(request, staff, "history.html", rows=rows, service_id=service_id, file_name=name,
                  title=service.title if service else service_id, base_hash=text_hash(disk), outside=outside)


@page(Role.EDITOR)
async def revert_service(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Publishes an old version's text as a new version (checked like any edit, never over an outside change)."""
    console = console_of(request)
    service_id = request.path_params["service_id"]
    name = _file_of(console, staff, service_id)
    try:
        old = await console.db.versions.get(int(form.get("version", "")))
    except ValueError:
        old = None
    if old is None or old.service_id != service_id:
        raise NotFound
    directory = _knowledge_dir(console)
    disk = read_file(directory, name)
    try:
        checked = await asyncio.to_thread(publish, directory, name, old.content, form.get("base_hash", ""), disk)
    except OutsideChange:
        flash(request, staff, T.EDITOR_OUTSIDE)
        return redirect(f"/services/{service_id}/history")
    except Invalid as invalid:
        flash(request, staff, T.EDITOR_INVALID.format(n=to_persian_digits(len(invalid.problems))) + " "
              + "؛ ".join(str(p) for p in invalid.problems[:5]))
        return redirect(f"/services/{service_id}/history")
    assert checked.service is not None
    note = T.EDITOR_REVERT_NOTE.format(old=to_persian_digits(old.id))
    version = await _record(console, staff, checked.service, name, disk, old.content, None, note)
    await audit(request, staff, T.ACT_REVERT, service_id, f"{name}؛ نسخه {old.id} ← نسخه {version}")
    console.refresh_knowledge()
    flash(request, staff, T.EDITOR_REVERTED.format(title=checked.service.title, old=to_persian_digits(old.id),
                                                   version=to_persian_digits(version)))
    return redirect(f"/services/{service_id}/history")


@page(Role.EDITOR)
async def new_from_card(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Reads an uploaded card (.txt, .docx) into the importer's draft and opens it in the editor."""
    upload = (await request.form()).get("card")
    if not isinstance(upload, UploadFile) or not upload.filename:
        flash(request, staff, T.EDITOR_CARD_MISSING)
        return redirect("/services")
    data = await upload.read(MAX_CARD_BYTES + 1)
    try:
        if len(data) > MAX_CARD_BYTES:
            raise ValueError(f"بیش از {to_persian_digits(MAX_CARD_BYTES // 1_000_000)} مگابایت")
        draft = await asyncio.to_thread(import_file, upload.filename, data)
    except ValueError as exc:
        flash(request, staff, T.EDITOR_CARD_FAILED.format(reason=exc))
        return redirect("/services")
    text = draft_yaml(draft)
    fields = _data_of(text)
    if staff.user.agency and not _belongs(staff, fields):
        fields["provider"] = staff.user.agency  # the draft starts in the user's agency; the review says why
    name = f"{fields.get('id')}.yaml" if ID.match(str(fields.get("id", ""))) else "new-service.yaml"
    checked = await asyncio.to_thread(check_edit, _knowledge_dir(console_of(request)), name, edited_text(text, fields))
    # The draft's text is the base its edits are made in (its header comment stays); no file may exist yet.
    return _editor(request, staff, service_id=None, file_name=name, data=fields, base=text, new=True,
                   problems=checked.problems)


@page(Role.EDITOR)
async def accept_suggestion(request: Request, staff: Staff) -> Response:
    """Opens the service in the editor with the suggested alias or need added (nothing written yet): the
    editor checks, previews and publishes, and the publish marks the suggestion accepted."""
    console = console_of(request)
    item = await queue.find(console, request.path_params["ref"])
    service_id = request.query_params.get("service") or (item.service_id if item else None)
    if item is None or not service_id or not queue.visible(_scope(console, staff), item):
        raise NotFound
    if item.status != "open":
        flash(request, staff, T.SUGGESTION_CLOSED)
        return redirect("/suggestions")
    name = _file_of(console, staff, service_id)
    text = read_file(_knowledge_dir(console), name)
    if text is None:
        raise NotFound
    data = _data_of(text)
    field = "aliases" if item.kind == "alias" else "needs"
    current = list(data.get(field) or [])
    if item.text not in current:
        data[field] = [*current, item.text]
    message = T.EDITOR_SUGGESTION.format(text=item.text, kind=T.SUGGESTION_KINDS[item.kind])
    return _editor(request, staff, service_id=service_id, file_name=name, data=data, base=text, message=message,
                   question=item.question, suggestion=item.ref)
