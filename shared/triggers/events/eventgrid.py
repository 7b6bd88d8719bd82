"""EventGrid (EG) events: CloudEvents 1.0 in JSON, passed through to the function::

    {"specversion": "1.0", "id": "4b26115b-...", "source": "my.sms.requests",
     "type": "sms.task.request", "datacontenttype": "application/json",
     "subject": "...", "time": "2022-01-17T12:07:48.955Z", "data": {...}}

(EventGrid user guide, "Events"; CloudEvents 1.0: ``id`` is unique within ``source``.) The same
events in EG's batch body ``{"events": [...]}`` are accepted too, one record each.

``data`` is the request object for custom events. Cloud-service events of type
``<SERVICE>:CloudTrace:<kind>`` (e.g. ``SMS:CloudTrace:ApiCall`` from source ``HC.SMS``) carry a
CTS trace as ``data`` and are handled like the CTS trigger's traces, under the trace's identity
(so a deployment with both triggers pushes one operation once per id). Otherwise ``source`` +
``id`` is the identity. Only JSON data: ``data_base64`` or another ``datacontenttype`` is an
error. (That cloud-service events carry the CTS trace as ``data`` follows EG's ``CloudTrace``
event types; the field layout is the CTS trigger's.)"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shared.triggers.events.cts import trace_identity, trace_info
from shared.triggers.events.records import OBJECT, TRACE, Record, text_field

SPEC_VERSION = "1.0"
CLOUD_TRACE_TYPE = re.compile(r"^[A-Za-z0-9]+:CloudTrace:[A-Za-z]+$")
BATCH_KEY = "events"


def matches(event: Mapping[str, Any]) -> bool:
    return "specversion" in event or set(event) == {BATCH_KEY}


def _record(item: Any, index: int, where: str) -> Record:
    record = Record("eventgrid", index, f"{where}.data", OBJECT, None)
    if not isinstance(item, Mapping):
        record.problem = f"{where} must be a CloudEvent object"
        return record
    missing = [k for k in ("id", "source", "type") if text_field(item, k) is None]
    content_type = item.get("datacontenttype")
    if item.get("specversion") != SPEC_VERSION:
        record.problem = f"{where}.specversion must be '1.0', got {str(item.get('specversion'))[:20]!r}"
    elif missing:
        record.problem = f"{where} is not a CloudEvent: no {', '.join(missing)}"
    elif "data_base64" in item:
        record.problem = f"{where} carries data_base64; only JSON data is accepted"
    elif content_type is not None and not str(content_type).lower().startswith("application/json"):
        record.problem = f"{where}.datacontenttype is {str(content_type)[:60]!r}; only application/json"
    elif "data" not in item:
        record.problem = f"{where} has no data"
    if record.problem:
        return record
    event_type, source, event_id = item["type"], item["source"], item["id"]
    record.kind = TRACE if CLOUD_TRACE_TYPE.match(event_type) else OBJECT
    record.payload = item["data"]
    record.identity = (source, event_id)
    record.event_id = f"{source} {event_id}"
    record.info = {"source": source, "id": event_id, "type": event_type,
                   "subject": text_field(item, "subject")}
    if record.kind == TRACE and isinstance(record.payload, Mapping):
        record.info["trace"] = trace_info(record.payload)
        identity = trace_identity(record.payload)
        if identity:
            record.identity, record.id_source = identity, "cts"
    return record


def parse(event: Mapping[str, Any]) -> list[Record]:
    if "specversion" in event:
        return [_record(event, 0, "event")]
    items = event[BATCH_KEY]
    if not isinstance(items, list):
        return [Record("eventgrid", 0, BATCH_KEY, OBJECT, None, problem="'events' must be a list of CloudEvents")]
    return [_record(item, i, f"events[{i}]") for i, item in enumerate(items)]
