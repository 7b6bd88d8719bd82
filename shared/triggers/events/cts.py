"""CTS trigger events: an audit trace of a subscribed operation invokes the function with::

    {"cts": {"time": 1765788999507, "user": {...}, "request": {}, "response": {}, "code": 200,
             "service_type": "SMS", "resource_type": "updateTask", "resource_name": "...",
             "resource_id": "<task id>", "trace_name": "task-start", "trace_type": "ApiCall",
             "record_time": 1765788999507, "trace_id": "f828ab77-...", "trace_status": "normal"}}

(FunctionGraph user guide, "Using a CTS trigger"; FunctionGraph's Python runtime samples.) The
same trace is the ``data`` of an EventGrid cloud-service event of type ``SMS:CloudTrace:*``.

Which task a trace names follows "SMS operations supported by CTS" (SMS user guide): the task
operations (resource types addTask, deleteTask, updateTask, updateTaskProgress; trace names
addTask, deleteTask, task-start, task-stop, task-sync, updateTaskProgress) carry the task id as
``resource_id``; the source server operations (resource type sourceServer) carry the source
server id, whose tasks are looked up with the ``source_server_id`` filter. Traces of other SMS
resources (templates, commands) name no task: skipped. A trace of another service is an error:
the trigger is subscribed to the wrong operations."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.triggers.events.records import TRACE, Record, RecordProblem, RecordSkipped, text_field

SERVICE = "SMS"
TASK_RESOURCE_TYPES = frozenset({"addTask", "deleteTask", "updateTask", "updateTaskProgress"})
TASK_TRACE_NAMES = frozenset({"addTask", "deleteTask", "task-start", "task-stop", "task-sync", "updateTaskProgress"})
SOURCE_RESOURCE_TYPES = frozenset({"sourceServer"})
INFO_FIELDS = ("service_type", "resource_type", "resource_id", "resource_name", "trace_name", "trace_type",
               "trace_id", "trace_status", "code")


def matches(event: Mapping[str, Any]) -> bool:
    return "cts" in event


def trace_info(trace: Mapping[str, Any]) -> dict[str, Any]:
    """The trace's facts worth returning (never its request/response bodies or user)."""
    return {k: trace[k] for k in INFO_FIELDS if isinstance(trace.get(k), (str, int))}


def parse(event: Mapping[str, Any]) -> list[Record]:
    trace = event["cts"]
    if not isinstance(trace, Mapping):
        return [Record("cts", 0, "cts", TRACE, trace, problem="'cts' must be the trace object")]
    trace_id = text_field(trace, "trace_id")
    return [Record("cts", 0, "cts", TRACE, dict(trace), identity=trace_identity(trace), scope=("cts",),
                   event_id=trace_id, info=trace_info(trace))]


def trace_identity(trace: Mapping[str, Any]) -> tuple[str, ...] | None:
    """A trace's identity in the ``cts`` namespace, whichever trigger brought it."""
    trace_id = text_field(trace, "trace_id")
    return ("trace", trace_id) if trace_id else None


def request_from_trace(trace: Any, where: str) -> dict[str, Any]:
    """The request a trace stands for: the task it names, or the tasks of the source server."""
    if not isinstance(trace, Mapping):
        raise RecordProblem(f"{where} must be a CTS trace object, got {type(trace).__name__}")
    service = text_field(trace, "service_type")
    if (service or "").upper() != SERVICE:
        raise RecordProblem(f"{where} is a trace of service {str(service)[:40]!r}, not SMS; "
                            "subscribe the trigger to SMS operations only", "service_type")
    resource_type, trace_name = text_field(trace, "resource_type"), text_field(trace, "trace_name")
    is_task = resource_type in TASK_RESOURCE_TYPES or trace_name in TASK_TRACE_NAMES
    is_source = resource_type in SOURCE_RESOURCE_TYPES
    if not (is_task or is_source):
        raise RecordSkipped(f"trace {str(trace_name)[:40]!r} on {str(resource_type)[:40]!r} names no task")
    resource_id = text_field(trace, "resource_id")
    if resource_id is None:
        raise RecordProblem(f"{where} names no resource_id (got {type(trace.get('resource_id')).__name__})",
                            "resource_id")
    if is_task:
        return {"action": "tasks", "task_ids": [resource_id]}
    return {"action": "tasks", "query": {"source_server_id": resource_id, "all": True}}
