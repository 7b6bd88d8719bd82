"""``GET /dashboard/tasks.csv``: one row per task matching the filters, every page of the fleet.

UTF-8 with a BOM (spreadsheet programs then read Chinese names right), a header row, every field
quoted, every text cell made inert for any spreadsheet import (``csv_cells``), tasks written as
pages arrive (no task list is held), up to ``SUMMARY_MAX_TASKS`` (the dashboard's own scope); a cut
export says so in its last line and in ``X-Scan-Partial``.

How it leaves the function (issue 19): the rows are gzip-compressed page by page into a spool
(``csv_spool``). While the answer fits FunctionGraph's 6,291,456 serialised bytes it is answered
inline: gzip (``Content-Encoding: gzip``, base64, ``isBase64Encoded``) when the caller accepts it,
plain text otherwise. Once it cannot fit, with ``EXPORT_BUCKET`` set the spool and every later page
stream to OBS (``obs_export``) and the answer is a 303 to a short-lived signed link (its JSON body
carries the link too); without a bucket the answer is 413 ``SMSFN.0413`` naming the setting."""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from shared.dashboard.csv_cells import neutralise, neutralise_row  # noqa: F401  (neutralise: for callers)
from shared.dashboard.csv_health import TaskJudge
from shared.dashboard.csv_spool import FUNCTION_RESPONSE_LIMIT, CsvSpool, answer_overhead
from shared.errors import error_fields, fn_error
from shared.read.query import TaskQuery
from shared.read.tasks import scan_headers, stream_tasks
from shared.scope import Invocation
from shared.settings import Settings
from shared.summary.fields import epoch_ms, iso_ms, parse_error, sub_task_facts

BOM = "\ufeff"
CSV_TYPE = "text/csv;charset=UTF-8"
# health, health_reason, wave and eta: the dashboard's judgement of the task (csv_health); eta is
# the projected completion (an estimate, moving tasks only), estimate_complete_time SMS's own.
COLUMNS = (
    "id", "name", "state", "health", "health_reason", "wave", "type", "os_type", "priority", "create_date",
    "progress", "current_subtask", "migrate_speed_mbps", "eta", "estimate_complete_time", "total_time_s",
    "migration_ip",
    "source_server_name", "source_server_ip", "target_server_name", "target_server_ip",
    "enterprise_project_id", "error_code", "error_msg",
)
FLUSH_CHARS = 64 * 1024  # rows are compressed (and, past the limit, uploaded) in slices of about this
# Headers whose values are not known until the scan ends: room kept for them in the size check.
HEADER_ROOM = 1024
_NO_JUDGEMENT = (None, None, None, None)
ROWS_PER_WRITE = 100  # rows handed to the writer at once (one ``writerows`` call, one size check)


def _server(server: Any) -> tuple[Any, Any]:
    if type(server) is not dict and not isinstance(server, Mapping):  # decoded JSON: a dict, checked first
        return None, None
    return server.get("name"), server.get("ip") or server.get("private_ip")


def date_cell(value: Any) -> str | None:
    """A task's epoch-milliseconds date as ISO text, or ``None`` when ``epoch_ms`` reads no date."""
    ms = epoch_ms(value)
    return None if ms is None else iso_ms(ms)


def task_row(task: Any, judge: TaskJudge | None = None) -> list[Any]:
    """One task's cells; the judgement columns empty without a ``judge``. Hot: once per task of
    the fleet, so the sub tasks are read once (for the row and the judge alike)."""
    if not isinstance(task, Mapping):
        return [None] * len(COLUMNS)
    get = task.get
    facts = sub_task_facts(get("sub_tasks"))
    health, reason, wave, eta = judge.columns(task, facts) if judge is not None else _NO_JUDGEMENT
    error_json = get("error_json")
    error = parse_error(error_json) if error_json else None  # "" and None: no error, as parse_error says
    if isinstance(error, Mapping):  # read as the task page and the chat read it
        error_code, error_msg = error_fields(error)
    else:
        error_code, error_msg = None, error
    total_time = get("total_time")
    current = facts.current
    return neutralise_row([
        get("id"), get("name"), get("state"), health, reason, wave, get("type"),
        get("os_type"), get("priority"), date_cell(get("create_date")), facts.progress,
        current["name"] if current else None, get("migrate_speed"), eta,
        date_cell(get("estimate_complete_time")),
        total_time // 1000 if type(total_time) is int else None,
        get("migration_ip"), *_server(get("source_server")), *_server(get("target_server")),
        get("enterprise_project_id"), error_code, error_msg,
    ])


def csv_writer(out: io.StringIO) -> Any:
    """The export's writer: every field quoted, CRLF line ends (RFC 4180)."""
    return csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")


def too_large(settings: Settings, gzip: bool, tasks_written: int) -> Exception:
    hint = "" if gzip else " (Accept-Encoding: gzip carries about six times more)"
    return fn_error("SMSFN.0413", (
        f"The CSV export does not fit the {FUNCTION_RESPONSE_LIMIT:,} bytes a FunctionGraph answer can carry "
        f"(reached after {tasks_written:,} tasks){hint}. Set EXPORT_BUCKET to an OBS bucket to receive "
        "exports of any size as a signed download link, or narrow the filters."), extra={"setting": "EXPORT_BUCKET"})


class _Export:
    """Rows in, slices out: to the spool while the answer fits, then to OBS."""

    def __init__(self, settings: Settings, invocation: Invocation, gzip: bool, filename: str,
                 headers: Mapping[str, str]) -> None:
        self.settings, self.invocation, self.gzip, self.filename = settings, invocation, gzip, filename
        self.overhead = answer_overhead(headers) + HEADER_ROOM
        self.spool: CsvSpool | None = CsvSpool(plain=not gzip)
        self.upload: Any = None  # an ObsUpload once the export overflows
        self.rows = 0  # rows handed to the writer
        self.pending: list[list[Any]] = []
        self.text = io.StringIO()
        self.writer = csv_writer(self.text)
        self.text.write(BOM)
        self.writer.writerow(COLUMNS)

    def row(self, values: list[Any]) -> None:
        self.pending.append(values)
        if len(self.pending) >= ROWS_PER_WRITE:
            self._write_pending()
            if self.text.tell() >= FLUSH_CHARS:
                self.flush()

    def _write_pending(self) -> None:
        self.writer.writerows(self.pending)
        self.rows += len(self.pending)
        self.pending.clear()

    def last_line(self, values: list[Any]) -> None:
        self._write_pending()
        self.writer.writerow(values)

    def flush(self) -> None:
        self._write_pending()
        chunk = self.text.getvalue()
        self.text.seek(0)
        self.text.truncate()
        if self.upload is not None:
            self.upload.write(chunk.encode("utf-8"))
            return
        assert self.spool is not None
        self.spool.write(chunk)
        if not self.spool.fits(self.gzip, self.overhead):
            self.overflow()

    def overflow(self) -> None:
        """The answer cannot carry the export: OBS from here on, or 413 without a bucket."""
        if not self.settings.export.bucket:
            raise too_large(self.settings, self.gzip, self.rows)
        from shared.dashboard.obs_export import ObsUpload

        assert self.spool is not None
        self.upload = ObsUpload(self.settings, self.invocation, self.filename)
        try:
            self.spool.replay(self.upload.write)
        except Exception:
            self.upload.abort()
            raise
        self.spool = None


@dataclass(frozen=True)
class CsvAnswer:
    """What the route answers: the CSV inline (``base64`` when gzip), or a link note as JSON."""

    status: int
    body: str | dict[str, Any]
    headers: dict[str, str]
    base64: bool = False


def export_csv(query: TaskQuery, settings: Settings, invocation: Invocation, gzip: bool = False,
               base_headers: Mapping[str, str] | None = None) -> CsvAnswer:
    """The export's answer, gzip when the caller takes it (the route reads ``Accept-Encoding``:
    ``ApiGatewayEvent.accepts_gzip``); ``base_headers`` (the pages' own) count in its size."""
    base = {**(base_headers or {}), "Content-Type": CSV_TYPE}
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    judge = TaskJudge(settings, now)
    filename = f"sms-tasks-{stamp}.csv"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"', "Vary": "Accept-Encoding"}
    export = _Export(settings, invocation, gzip, filename, {**base, **disposition})
    try:
        result = stream_tasks(query, settings, invocation, lambda task: export.row(task_row(task, judge)),
                              max_tasks=settings.summary.max_tasks)
        if result.partial:
            reason = (result.partial_reason or "unknown").replace("SMS_ALL_MAX_TASKS", "SUMMARY_MAX_TASKS")
            export.last_line([f"# partial export: {result.fetched} of {result.count} tasks ({reason})"])
        export.flush()
    except Exception:
        if export.upload is not None:
            export.upload.abort()
        raise
    headers = {**scan_headers(result, settings), "X-Task-Count": str(result.count), **disposition}
    if export.spool is not None:
        final = {**base, **headers, **({"Content-Encoding": "gzip"} if gzip else {})}
        if export.spool.fits(gzip, answer_overhead(final)):
            body = export.spool.gzip_body() if gzip else export.spool.plain_body()
            return CsvAnswer(200, body, final, gzip)
        export.overflow()  # the last headers tipped it over: OBS, or 413
    link = export.upload.finish()
    note = {"download_url": link, "expires_in_s": settings.export.link_ttl_s, "tasks": export.rows,
            "bytes": export.upload.bytes}
    return CsvAnswer(303, note, {**base, **headers, "Location": link, "Cache-Control": "no-store"})
