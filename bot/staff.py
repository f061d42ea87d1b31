"""Support staff's command-line tools: conversation logs, requests and their statuses, statistics, CSV
export, retention, the audit trail. They work on the bot's SQLite database (WAL lets them run beside the
running bot); a status change made here reaches the citizen through the running bot, which delivers pending
notices. Every read or change of personal data (`requests show`, an export with personal data,
`requests set-status`, `prune --force`) is first written to the append-only audit trail, under the
operating-system account that ran it.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Collection
from pathlib import Path
from typing import TextIO

import jdatetime

from bot.dialogue.registration import retention
from bot.dialogue.staff import stats_reply, suggestions_lines
from bot.forms import fields_of
from bot.identifiers import mask_mobile, mask_national_code
from bot.knowledge import Knowledge
from bot.persian import TEHRAN, jalali_datetime, parse_jalali_date, to_latin_digits
from bot.reply import render_plain
from bot.sanitize import csv_cell, printable
from storage import LogEntry, RequestNotFound, Store
from storage.masking import mask_personal_data
from storage.requests import STATUS_LABELS, STATUSES

EXPORT_BATCH = 500
ANONYMIZED_NOTE = "اطلاعات شخصی این درخواست بسته در {when} پاک شد (مدت نگهداری BOT_REQUEST_RETENTION_DAYS)."
PRUNE_DONE = "✔ نگهداری: {counts}"
PRUNE_REFUSED = ("⚠ بخشی پاک نشد، چون ساعت سامانه نادرست به نظر می‌رسد (پیام‌های هشدار بالا را ببینید)؛ "
                 "ساعت را بررسی کنید و اگر درست است با --force دوباره اجرا کنید.")
DUPLICATE_MARK = "⚠ تکراری؟"
DUPLICATE_NOTE = ("{mark} همین کد ملی در درخواست باز {code} از حساب دیگری ثبت شده است؛ پیش از رسیدگی روشن کنید"
                  " کدام درخواست از خود صاحب کد ملی است.")


def parse_day(text: str) -> dt.date:
    """A day typed by staff: Jalali («۱۴۰۵/۰۸/۳۰») or Gregorian ISO («2026-11-21»)."""
    latin = to_latin_digits(text).strip()
    try:
        year = int(latin.replace("/", "-").split("-")[0])
    except ValueError:
        year = 0
    if year >= 1700:
        return dt.date.fromisoformat(latin.replace("/", "-"))
    day = parse_jalali_date(latin)
    if day is None:
        raise ValueError(f"تاریخ «{text}» را نمی‌فهمم؛ به شکل ۱۴۰۵/۰۸/۳۰ یا 2026-11-21 بنویسید.")
    return day


def day_start(day: dt.date) -> dt.datetime:
    """The start of a Tehran day, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(), TEHRAN)


def _when(value: dt.datetime) -> str:
    return jalali_datetime(value)


def _say(out: TextIO, text: str, *, newlines: bool = False) -> None:
    """Prints a line for staff: citizen text in it cannot send terminal commands nor reorder what is shown."""
    print(printable(text, newlines=newlines), file=out)


class _SafeWriter:
    """A csv writer whose every cell goes through bot.sanitize.csv_cell."""

    def __init__(self, writer) -> None:
        self._writer = writer

    def writerow(self, row: list[object]) -> None:
        self._writer.writerow([csv_cell(cell) for cell in row])


def _cut(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


async def logs(db: Store, out: TextIO, *, user: int | None, since: dt.date | None, until: dt.date | None,
               service: str | None, unanswered: bool, limit: int) -> int:
    """Prints log entries, newest first."""
    entries = await db.log.query(
        user_id=user,
        since=day_start(since) if since else None,
        until=day_start(until + dt.timedelta(days=1)) if until else None,
        service_id=service,
        unanswered_only=unanswered,
        limit=limit,
    )
    for e in entries:
        arrow = "←" if e.direction == "in" else "→"
        meta = []
        if e.intent:
            meta.append(f"پرسش={e.intent}")
        if e.service_id:
            meta.append(f"خدمت={e.service_id}")
        if e.score is not None:
            meta.append(f"امتیاز={e.score:.2f}")
        if e.answered is False and e.direction == "in":
            meta.append("بی‌پاسخ")
        if e.handling_ms is not None:
            meta.append(f"{e.handling_ms:.0f}ms")
        _say(out, f"{_when(e.created_at)}  {e.platform or '-'}:{e.user_id}  {arrow} {_cut(_remask(e.text), 70)}"
             + (f"   [{' '.join(meta)}]" if meta else ""))
    if not entries:
        _say(out, "چیزی پیدا نشد.")
    return 0


async def requests_list(db: Store, knowledge: Knowledge, out: TextIO, *, status: str | None,
                        service: str | None, limit: int, duplicates: bool = False) -> int:
    """A table of requests, newest first; personal numbers masked; possible duplicates marked (with
    `duplicates`, only them)."""
    if status is not None and status not in STATUSES:
        _say(sys.stderr, f"وضعیت «{status}» شناخته نیست؛ یکی از: {', '.join(STATUSES)}")
        return 2
    rows = await db.requests.list(status=status, service_id=service, limit=limit, duplicates_only=duplicates)
    for r in rows:
        s = knowledge.get(r.service_id)
        code = mask_national_code(r.national_code) if r.national_code else "-"
        mark = f"  {DUPLICATE_MARK} {r.duplicate_of}" if r.duplicate_of else ""
        _say(out, f"{r.tracking_code}  {_when(r.created_at)}  {r.status_label:<18}  {code:<14}"
                  f"  {_cut(s.title if s else r.service_id, 45)}{mark}")
    if not rows:
        _say(out, "درخواستی پیدا نشد.")
    return 0


async def requests_show(db: Store, knowledge: Knowledge, out: TextIO, code: str) -> int:
    """One request with its answers and history (staff see the full data of the request; audited)."""
    r = await db.requests.get(code)
    if r is None:
        _say(sys.stderr, f"درخواستی با کد {code} پیدا نشد.")
        return 1
    await db.audit.record(os_user(), "requests show", r.tracking_code)
    s = knowledge.get(r.service_id)
    _say(out, f"کد رهگیری: {r.tracking_code}")
    _say(out, f"خدمت: {s.title if s else r.service_id} ({r.service_id})")
    _say(out, f"وضعیت: {r.status_label} ({r.status})")
    _say(out, f"ثبت: {_when(r.created_at)}   آخرین تغییر: {_when(r.updated_at)}")
    _say(out, f"کاربر: {r.platform}:{r.user_id}")
    if r.duplicate_of:
        _say(out, DUPLICATE_NOTE.format(mark=DUPLICATE_MARK, code=r.duplicate_of))
    if r.anonymized_at:
        _say(out, ANONYMIZED_NOTE.format(when=_when(r.anonymized_at)))
    _say(out, "پاسخ‌ها:")
    for key, value in r.data.items():
        _say(out, f"  {key}: {value}")
    _say(out, "سابقه:")
    for e in r.events:
        note = f" — {e.note}" if e.note else ""
        _say(out, f"  {_when(e.created_at)}  {STATUS_LABELS.get(e.status, e.status)}{note}  ({e.actor or '-'})")
    return 0


async def requests_set_status(db: Store, out: TextIO, code: str, status: str, note: str | None,
                              actor: str | None) -> int:
    """Moves a request to a new status; the running bot tells the citizen."""
    try:
        r = await db.requests.set_status(code, status, note=note, actor=actor or os_user())
    except RequestNotFound as exc:
        _say(sys.stderr, str(exc))
        return 1
    except ValueError as exc:
        _say(sys.stderr, str(exc))
        return 2
    detail = f"{r.status}" + (f" — {note}" if note else "") + (f" (actor: {actor})" if actor else "")
    await db.audit.record(os_user(), "requests set-status", r.tracking_code, detail)
    _say(out, f"✔ وضعیت {r.tracking_code} شد «{r.status_label}». شهروند در گفت‌وگو باخبر می‌شود.")
    return 0


async def stats(db: Store, knowledge: Knowledge, out: TextIO, days: int) -> int:
    """Messages and users per day, top services, votes on answers, support tickets, requests by status,
    top unanswered questions and what support staff suggested the knowledge should learn."""
    _say(out, render_plain((await stats_reply(db, knowledge, days)).text), newlines=True)
    _say(out, "\nپرسش‌های بی‌پاسخ پرتکرار:", newlines=True)
    rows = await db.log.unanswered(limit=10, since=dt.datetime.now(dt.UTC) - dt.timedelta(days=days))
    for row in rows:
        _say(out, f"  {row.count:>4}  {_cut(_remask(row.example or row.normalized), 60)}")
    if not rows:
        _say(out, "  —")
    suggested = await suggestions_lines(db, knowledge)  # the support desk's, for the knowledge files
    if suggested:
        _say(out, "\n" + render_plain("\n".join(suggested)), newlines=True)
    return 0


async def prune(db: Store, settings, out: TextIO, *, force: bool) -> int:
    """The retention pass, now (bot.dialogue.registration.retention); exit status 1 if a step was refused."""
    if force:
        await db.audit.record(os_user(), "prune --force")
    done = await retention(db, settings, force=force)
    _say(out, PRUNE_DONE.format(counts="، ".join(f"{name}: {'—' if n is None else n}" for name, n in done.items())))
    if None in done.values():
        _say(sys.stderr, PRUNE_REFUSED)
        return 1
    return 0


async def audit(db: Store, out: TextIO, limit: int) -> int:
    """The audit trail, newest first: when (Jalali, Tehran time), which OS account, what, on what."""
    entries = await db.audit.recent(limit)
    for e in entries:
        parts = [_when(e.created_at), e.os_user, e.action, e.target or "", e.detail or ""]
        _say(out, "  ".join(p for p in parts if p))
    if not entries:
        _say(out, "چیزی ثبت نشده است.")
    return 0


def os_user() -> str:
    """The operating-system account running this process, as the audit trail records it: from the real
    user id, not from USER or LOGNAME, which anyone can set."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # no passwd entry (a container), or not POSIX
        try:
            return f"uid:{os.getuid()}"
        except AttributeError:
            return getpass.getuser()


LOG_HEADER = ["زمان (تهران)", "سکو", "کاربر", "جهت", "متن", "نوع پرسش", "خدمت", "امتیاز", "پاسخ داده شد",
              "زمان پاسخ (ms)", "زمان (شمسی)"]
ANSWER_COLUMN = "پاسخ: {label}"  # one column per form field, after the fixed ones
REQUEST_HEADER = ["کد رهگیری", "خدمت", "وضعیت", "زمان ثبت (تهران)", "آخرین تغییر", "سکو", "کاربر", "کد ملی",
                  "همراه", "پاسخ‌ها", "زمان ثبت (شمسی)", "آخرین تغییر (شمسی)"]


async def export(db: Store, what: str, path: Path, *, personal: bool, knowledge: Knowledge | None = None,
                 progress: TextIO | None = None) -> int:
    """Writes logs or requests as CSV in UTF-8 with a BOM (spreadsheet programs then show Persian), in
    batches, with progress on stderr. The rows are those of `export_rows` (see there for what is left out
    without `personal`); no cell can run as a formula, nor carry control characters (bot.sanitize)."""
    progress = progress or sys.stderr
    if personal and what == "requests":
        await db.audit.record(os_user(), "export requests --with-personal-data", str(path))
    total = await (db.log.count() if what == "logs" else db.requests.count())
    done = 0
    with _private_file(path) as f:
        w = _SafeWriter(csv.writer(f))
        batches = export_rows(db, what, personal=personal, knowledge=knowledge)
        [header] = await anext(batches)
        w.writerow(header)
        async for batch in batches:
            for row in batch:
                w.writerow(row)
            done += len(batch)
            _progress(progress, done, total)
    print(f"\n✔ {done} ردیف در {path} نوشته شد (UTF-8 با BOM).", file=progress)
    return 0


async def export_rows(
    db: Store, what: str, *, personal: bool, knowledge: Knowledge | None = None,
    service_ids: Collection[str] | None = None, keep: Callable[[LogEntry], bool] | None = None,
) -> AsyncIterator[list[list[object]]]:
    """The rows of an export in batches, the header first: the command line writes them to a file, the web
    console streams them. Cells are raw: pass each through bot.sanitize.csv_cell on the way out.

    `logs`: every log row (masked again on the way out), or those `keep` accepts. `requests`: every request,
    or those of `service_ids`, with the answers as JSON and one column per form field of the services in
    `knowledge` (those of `service_ids`). Without `personal`, national codes and mobiles are masked, user
    ids left out, and of the answers only the non-personal choices kept (by each service's form)."""
    if what == "logs":
        yield [LOG_HEADER]
        last_id = 0
        while rows := await db.log.page(after_id=last_id, limit=EXPORT_BATCH):
            last_id = rows[-1].id
            batch: list[list[object]] = []
            for e in rows:
                if keep is not None and not keep(e):
                    continue
                answered = None if e.answered is None else int(e.answered)
                batch.append([_iso_local(e.created_at), e.platform, e.user_id, e.direction, _remask(e.text),
                              e.intent, e.service_id, e.score, answered, e.handling_ms, _jalali_local(e.created_at)])
            yield batch
        return
    fields = _export_fields(knowledge, service_ids, personal)
    yield [REQUEST_HEADER + [ANSWER_COLUMN.format(label=label) for _, label, _ in fields]]
    offset = 0
    while batch_requests := await db.requests.list(limit=EXPORT_BATCH, offset=offset, service_ids=service_ids):
        offset += len(batch_requests)
        batch = []
        for r in batch_requests:
            code = r.national_code or ""
            mobile = r.mobile or ""
            user: int | str = r.user_id
            data = dict(r.data)
            if not personal:
                code = mask_national_code(code) if code else ""
                mobile = mask_mobile(mobile) if mobile else ""
                user = ""
                data = _non_personal_answers(knowledge, r.service_id, r.data)
            batch.append([r.tracking_code, r.service_id, r.status_label, _iso_local(r.created_at),
                          _iso_local(r.updated_at), r.platform, user, code, mobile,
                          json.dumps(data, ensure_ascii=False), _jalali_local(r.created_at),
                          _jalali_local(r.updated_at)]
                         + [_csv_answer(kind, data.get(name)) for name, _, kind in fields])
        yield batch


def _export_fields(knowledge: Knowledge | None, service_ids: Collection[str] | None,
                   personal: bool) -> list[tuple[str, str, str]]:
    """(name, label, type) of the form fields that get a column: of every service exported, each name once,
    in the order of the catalogue; without `personal`, only the non-personal ones."""
    found: dict[str, tuple[str, str, str]] = {}
    for service in knowledge.services if knowledge else ():
        if service_ids is not None and service.id not in service_ids:
            continue
        for f in fields_of(service):
            if f.name not in found and (personal or f.type in NON_PERSONAL_FIELD_TYPES):
                found[f.name] = (f.name, f.label, f.type)
    return list(found.values())


def _csv_answer(kind: str, value: object) -> object:
    """A form answer in a cell: yes/no in words, a date in the Jalali calendar (1380/06/31), the rest as is."""
    if value is None:
        return ""
    if kind == "yes_no":
        return "بله" if value else "خیر"
    if kind == "jalali_date" and isinstance(value, str):
        try:
            return jdatetime.date.fromgregorian(date=dt.date.fromisoformat(value)).strftime("%Y/%m/%d")
        except ValueError:
            return value
    return value


def _jalali_local(value: dt.datetime) -> str:
    """A stored time as Tehran's Jalali date and time, «1405/08/30 14:05:09» (digits a spreadsheet sorts)."""
    return jdatetime.datetime.fromgregorian(datetime=value.astimezone(TEHRAN)).strftime("%Y/%m/%d %H:%M:%S")


# Form answers picked from a fixed list: no one is identified by them. Everything else a form asks (names,
# birth dates, numbers, free text, a city typed after the province) is personal.
NON_PERSONAL_FIELD_TYPES = frozenset({"choice", "yes_no", "province"})


def _non_personal_answers(knowledge: Knowledge | None, service_id: str, data: dict) -> dict:
    """The answers of a request that identify no one: those of choice fields of the service's form (none
    when the service is not in the knowledge any more)."""
    service = knowledge.get(service_id) if knowledge else None
    if service is None:
        return {}
    kept = {f.name for f in fields_of(service) if f.type in NON_PERSONAL_FIELD_TYPES}
    return {k: v for k, v in data.items() if k in kept}


def _remask(text: str | None) -> str | None:
    """Log text masked again on the way out (rows an older version logged were masked by narrower rules)."""
    return mask_personal_data(text) if text else text


def _private_file(path: Path) -> TextIO:
    """`path` opened for writing, 0600 (owner only) even if it existed with another mode, in a folder created
    0700: an export holds what the database holds."""
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return open(fd, "w", encoding="utf-8-sig", newline="")  # the caller closes it


def _iso_local(value: str | dt.datetime) -> str:
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return when.astimezone(TEHRAN).strftime("%Y-%m-%d %H:%M:%S")


def _progress(out: TextIO, done: int, total: int) -> None:
    pct = 100 * done / total if total else 100
    print(f"\r{done}/{total} ({pct:.0f}%)", end="", file=out, flush=True)
