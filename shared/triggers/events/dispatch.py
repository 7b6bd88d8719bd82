"""The event function: recognise the event's source, handle its records one by one, report each.

A record is one request (see ``request.py``). It fails alone: a malformed, empty or oversized
record, a failed SMS read or a failed webhook push is reported with the record's index and
reason, and the records after it still run. Each failure is *retryable* (SMS, the webhooks, the
configuration or the time budget let it down: the same record can succeed later) or not (the
record itself is wrong, or our code broke on it: redelivering it would fail the same way).

The invocation raises only as its source's redelivery needs (``RAISE_ON_RETRYABLE``, and the
table in docs/events.md): for the asynchronous sources (SMN, EventGrid, DMS for Kafka, CTS) any
retryable failure raises ``EventsFailed`` after every record was tried, so the platform delivers
the event again; the records that succeeded are sent again under the same delivery ids, which
receivers deduplicate. Poison records never raise: they would fail every redelivery. A direct
invocation's caller reads the per-record outcomes in the result and never gets an exception for
a record. An event no parser recognises is an ``EventError`` (nothing was guessed), returned as the
result, never raised (``scope.run_once``)."""
from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from shared.dashboard.links import message_links
from shared.errors import CODES, ApiError, fn_error, is_retryable
from shared.logger import logger, redact_text
from shared.result_limits import ASYNC_BUDGET, ASYNC_RESULT_LIMIT, fit_async, leading_items, measure
from shared.scope import Invocation, invocation_scope, run_once
from shared.triggers.events import cts, eventgrid, kafka, plain, smn
from shared.triggers.events.execute import Run, execute
from shared.triggers.events.records import (
    TEXT,
    TRACE,
    EventError,
    Record,
    RecordProblem,
    RecordSkipped,
    check_size,
    decode_object,
    delivery_id,
)
from shared.triggers.events.request import parse_request
from shared.webhooks import DeliveryPlan
from shared.wire_text import NOT_UNICODE, first_unencodable, scrub, shown

Parser = Callable[[Mapping[str, Any]], list[Record]]
SOURCES: tuple[tuple[str, Callable[[Mapping[str, Any]], bool], Parser], ...] = (
    ("smn", smn.matches, smn.parse),
    ("eventgrid", eventgrid.matches, eventgrid.parse),
    ("kafka", kafka.matches, kafka.parse),
    ("cts", cts.matches, cts.parse),
    ("plain", plain.matches, plain.parse),
)
RAISE_ON_RETRYABLE = {"smn": True, "eventgrid": True, "kafka": True, "cts": True, "plain": False}
MIN_RECORD_S = 1.0  # with less time left, a record is not started (and is retryable)
# The result of an asynchronous invocation (SMN, EventGrid, Kafka, CTS) arrives empty above 256 KB
# (shared.result_limits); above it the detail is trimmed in these steps, in order. Webhooks and
# logs are not affected. What stays whatever the size: the counts and the failed records' ids.
BRIEF_FIELDS = ("id", "name", "state")
RESULT_KEEP = ("source", "records", "ok", "failed", "skipped", "retryable", "failed_records",
               "status", "error", "request_id")


class EventsFailed(ApiError):
    """Some records failed for reasons that may pass: raised so the platform redelivers."""

    def __init__(self, result: dict[str, Any], indexes: list[int]) -> None:
        super().__init__(
            CODES["SMSFN.0503"][0],
            "SMSFN.0503",
            f"{len(indexes)} of {result['records']} {result['source']} record(s) failed with retryable "
            f"errors (index {', '.join(map(str, indexes[:20]))}); raised so the event is delivered again",
            extra={"result": result},
        )
        self.result = result


def recognise(event: Any) -> tuple[str, list[Record]]:
    """The source and its records; ``EventError`` when no parser, or more than one, claims it."""
    if not isinstance(event, Mapping):
        raise EventError(f"the event must be a JSON object, got {type(event).__name__}")
    bad_key = next((k for k in event if isinstance(k, str) and first_unencodable(k)), None)
    if bad_key is not None:
        raise EventError(f"the event's key {shown(bad_key)[:32]!r} {NOT_UNICODE}")
    sources = [(name, parse) for name, match, parse in SOURCES if match(event)]
    if len(sources) != 1:
        keys = ", ".join(sorted(str(k)[:32] for k in event)[:12]) or "none"
        what = "matches " + " and ".join(n for n, _ in sources) if sources else "is not one this function handles"
        raise EventError(
            f"the event {what} (top-level keys: {keys}); expected an SMN event (record), an EventGrid "
            "CloudEvent (specversion) or batch (events), a DMS for Kafka event (trigger_type KAFKA), a CTS "
            "event (cts) or a request (task_event_request.schema.json)"
        )
    name, parse = sources[0]
    return name, parse(event)


def _check_text(record: Record) -> None:
    """A record whose text UTF-8 can't carry is poison, named by field; its identity fields are
    escaped so the outcome that reports it is itself valid UTF-8."""
    meta = {**record.info, "event_id": record.event_id, "identity": list(record.identity or ()),
            "scope": list(record.scope)}
    bad_meta = first_unencodable(meta)
    bad = first_unencodable(record.payload, record.where)
    if bad_meta:
        record.event_id = scrub(record.event_id)
        record.info = scrub(record.info)
        bad = bad or f"{record.where}: the event's {bad_meta}"
    if bad and not record.problem:
        record.problem = f"{bad} {NOT_UNICODE}"


def _payload(record: Record, limit: int) -> Any:
    if record.problem:
        raise RecordProblem(record.problem)
    check_size(record, limit)
    if record.kind == TEXT:
        return decode_object(record.payload, record.where)
    if record.kind == TRACE:
        return cts.request_from_trace(record.payload, record.where)
    return record.payload


def _process(record: Record, run: Run | ApiError, limit: int, outcome: dict[str, Any]) -> None:
    """Fills ``outcome`` as it goes, so a failure late (webhooks) still reports what was read."""
    if isinstance(run, ApiError):  # settings could not be read: every record waits for a fix
        raise run
    if run.invocation.deadline.remaining() < MIN_RECORD_S:
        raise fn_error("SMSFN.0504", "not started: the invocation's time is up")
    request = parse_request(_payload(record, limit))
    did = delivery_id(record, request.id, run.invocation.request_id)
    outcome.update(delivery_id=did, action=request.action)
    # Targets and notify_on are settled before any read, so a bad list costs no SMS call.
    plan = DeliveryPlan.resolve(run.settings, request.options) if request.notify else None
    outcome["result"], summary = execute(request, run)
    if plan is not None and plan.targets:
        links = message_links(run.settings, summary.get("filters"))
        delivery = plan.send(summary, deadline=run.invocation.deadline, delivery_id=did, links=links)
        outcome["webhooks"] = delivery.to_dict()
        delivery.raise_for_failures()


def handle_record(record: Record, run: Run | ApiError, limit: int) -> dict[str, Any]:
    """One record's outcome: ok, skipped or failed (with ``error.retryable``); never raises."""
    _check_text(record)
    outcome: dict[str, Any] = {"index": record.index, "where": record.where, "event_id": record.event_id}
    if record.info:
        outcome["info"] = record.info
    log = {"index": record.index, "where": record.where, "event_id": record.event_id}
    try:
        _process(record, run, limit, outcome)
    except RecordSkipped as exc:
        outcome.update(status="skipped", reason=str(exc))
        logger.info("record skipped", **log, reason=str(exc))
        return outcome
    except Exception as exc:  # one record's failure, whatever it is, never costs the others
        if isinstance(exc, ApiError):
            error = exc.body()
            logger.warning("record failed", **log, status=exc.status, error_code=exc.error_code,
                           error_msg=exc.error_msg, retryable=is_retryable(exc))
        else:
            error = {"error_code": "SMSFN.0500", "error_msg": "internal error handling this record; see the logs"}
            logger.error("record crashed", **log, error_type=type(exc).__name__,
                         trace=redact_text("".join(traceback.format_exception(exc))))
        error["retryable"] = is_retryable(exc)
        outcome.update(status="failed", error=error)
        return outcome
    outcome["status"] = "ok"
    logger.info("record done", **log, delivery_id=outcome.get("delivery_id"), action=outcome.get("action"))
    return outcome


def _brief(tasks: list[Any]) -> list[Any]:
    return [{k: t.get(k) for k in BRIEF_FIELDS} if isinstance(t, Mapping) else t for t in tasks]


def _bodies(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [o["result"] for o in result.get("outcomes", []) if isinstance(o.get("result"), dict)]


def _tasks_brief(result: dict[str, Any]) -> None:
    for body in _bodies(result):
        if isinstance(body.get("tasks"), list):
            body["tasks"], body["tasks_shortened"] = _brief(body["tasks"]), "brief"


def _tasks_cut(result: dict[str, Any]) -> None:
    """Brief task lists cut to their leading tasks, the room shared equally between them; each
    says how many it kept of how many."""
    lists = [b for b in _bodies(result) if isinstance(b.get("tasks"), list) and b["tasks"]]
    if not lists:
        return
    full = {id(b): b["tasks"] for b in lists}
    for body in lists:
        body["tasks"] = []
    room = (ASYNC_BUDGET - measure(result)) // len(lists)
    for body in lists:
        tasks = full[id(body)]
        body["tasks"] = leading_items(tasks, max(room, 0))
        body.update(tasks_shortened="cut", tasks_kept=len(body["tasks"]), tasks_read=len(tasks))


def _tasks_omitted(result: dict[str, Any]) -> None:
    for body in _bodies(result):
        if isinstance(body.get("tasks"), list):
            body["tasks"], body["tasks_shortened"] = [], "omit"
        if body.pop("summary", None) is not None:
            body["summary_omitted"] = True


def _ok_outcomes_brief(result: dict[str, Any]) -> None:
    """Outcomes that did not fail keep their identity and delivery id only."""
    kept = ("index", "event_id", "status", "delivery_id", "action")
    result["outcomes"] = [o if o.get("status") == "failed" else {k: o[k] for k in kept if k in o}
                          for o in result.get("outcomes", [])]


TRIM_STEPS = (("tasks_brief", _tasks_brief), ("tasks_cut", _tasks_cut), ("tasks_omitted", _tasks_omitted),
              ("ok_outcomes_brief", _ok_outcomes_brief))


def fit_result(result: dict[str, Any], limit: int = ASYNC_RESULT_LIMIT) -> dict[str, Any]:
    """The result as the runtime will carry it: at most ``limit`` bytes of ``json.dumps``."""
    return fit_async(result, RESULT_KEEP, TRIM_STEPS, limit)


def handle(event: Any, context: Any) -> dict[str, Any]:
    with invocation_scope(context, "task_events") as invocation:
        return fit_result(run_once(lambda: _handle(event, invocation), invocation))


def _handle(event: Any, invocation: Invocation) -> dict[str, Any]:
    source, records = recognise(event)  # an EventError is returned by run_once: redelivery can't help
    logger.info("event", source=source, records=len(records))
    run: Run | ApiError
    try:
        limit = invocation.settings.events.max_record_bytes
        run = Run(invocation.settings, invocation, datetime.now(timezone.utc))
    except ApiError as exc:
        limit, run = 0, exc
    outcomes = [handle_record(record, run, limit) for record in records]
    retry = [o["index"] for o in outcomes if o["status"] == "failed" and o["error"]["retryable"]]
    counts = {s: sum(1 for o in outcomes if o["status"] == s) for s in ("ok", "failed", "skipped")}
    failed = [{"index": o["index"], "event_id": o["event_id"]} for o in outcomes if o["status"] == "failed"]
    result = {"source": source, "records": len(outcomes), **counts, "retryable": retry,
              "failed_records": failed, "outcomes": outcomes}
    if first_unencodable(result):  # SMS's own text (a task name) may carry "\\ud800" escapes
        result = scrub(result)
    result = fit_result(result)
    logger.info("event done", source=source, records=len(outcomes), **counts, retryable=retry)
    if retry and RAISE_ON_RETRYABLE[source]:
        raise EventsFailed(result, retry)
    return result
