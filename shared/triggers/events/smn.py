"""SMN trigger events: every message published to the topic invokes the function (asynchronously)
with::

    {"record": [{"event_version": "1.0",
                 "smn": {"topic_urn": "urn:smn:...", "timestamp": "2018-01-09T07:11:40Z",
                         "message_attributes": null, "message": "<the published text>",
                         "type": "notification", "message_id": "a51671f7...", "subject": "..."},
                 "event_subscription_urn": "urn:fss:...", "event_source": "smn"}],
     "functionname": "...", "requestId": "...", "timestamp": "..."}

(FunctionGraph developer guide, "Supported event sources" / SMN example event.) Each ``record``
entry is one record; its ``smn.message`` is the request as JSON text; ``message_id`` is its
identity."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.triggers.events.records import TEXT, Record, text_field


def matches(event: Mapping[str, Any]) -> bool:
    return "record" in event


def parse(event: Mapping[str, Any]) -> list[Record]:
    entries = event["record"]
    if not isinstance(entries, list):
        return [Record("smn", 0, "record", TEXT, None, problem="'record' must be a list of SMN records")]
    records: list[Record] = []
    for i, entry in enumerate(entries):
        record = Record("smn", i, f"record[{i}].smn.message", TEXT, None)
        smn = entry.get("smn") if isinstance(entry, Mapping) else None
        if not isinstance(smn, Mapping):
            record.problem = f"record[{i}] has no 'smn' object"
        elif entry.get("event_source", "smn") != "smn":
            record.problem = f"record[{i}].event_source is {str(entry.get('event_source'))[:40]!r}, not 'smn'"
        else:
            message_id = text_field(smn, "message_id")
            topic = text_field(smn, "topic_urn") or ""
            record.payload = smn.get("message")
            record.identity = (topic, message_id) if message_id else None
            record.scope = (topic,)
            record.event_id = message_id
            record.info = {"topic_urn": topic or None, "message_id": message_id}
        records.append(record)
    return records
