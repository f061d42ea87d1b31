"""Export: the CSVs of `python -m bot export` (the same rows: bot.staff.export_rows), streamed to the
browser in UTF-8 with a BOM, every cell neutralised (bot.sanitize.csv_cell). Personal data only for clerks
and above; an agency user gets their agency's requests and conversations only; every export is recorded."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator

import jdatetime
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from bot.persian import TEHRAN
from bot.sanitize import csv_cell
from bot.staff import export_rows
from console import texts as T
from console.app import Forbidden, NotFound, Staff, audit, console_of, page, render
from console.auth import Role
from console.scope import ExportFilter

KINDS = {"logs": "گفت‌وگوها (لاگ پیام‌ها)", "requests": "درخواست‌ها"}


@page()
async def show_export(request: Request, staff: Staff) -> Response:
    """Shows the export form."""
    return render(request, staff, "export.html", kinds=KINDS)


@page()
async def download(request: Request, staff: Staff, form: dict[str, str]) -> Response:
    """Streams the chosen CSV and records the export."""
    console = console_of(request)
    what = form.get("what", "")
    if what not in KINDS:
        raise NotFound
    personal = form.get("personal") == "1" and what == "requests"
    if personal and not staff.can(Role.CLERK):
        raise Forbidden
    scope = staff.scope
    keep = None
    if what == "logs" and not scope.everything:
        keep = await ExportFilter.build(console.db, scope)
    rows = export_rows(console.db, what, personal=personal, knowledge=console.knowledge,
                       service_ids=scope.service_ids if what == "requests" else None, keep=keep)
    stamp = jdatetime.datetime.fromgregorian(datetime=dt.datetime.now(TEHRAN)).strftime("%Y%m%d-%H%M")
    filename = f"{what}-{stamp}{'-personal' if personal else ''}.csv"
    await audit(request, staff, T.ACT_EXPORT, filename, ("با اطلاعات شخصی" if personal else "بدون اطلاعات شخصی")
                + (f"؛ دستگاه: {scope.agency}" if scope.agency else ""))
    return StreamingResponse(_csv(rows), media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": f'attachment; filename="{filename}"',
                                      "cache-control": "no-store"})


async def _csv(batches: AsyncIterator[list[list[object]]]) -> AsyncIterator[bytes]:
    """The rows as CSV bytes, a batch at a time, after the UTF-8 BOM spreadsheet programs look for."""
    yield "\ufeff".encode()
    async for batch in batches:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in batch:
            writer.writerow([csv_cell(cell) for cell in row])
        yield buffer.getvalue().encode("utf-8")
