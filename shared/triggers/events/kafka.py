"""DMS for Kafka trigger events: FunctionGraph polls the topic and invokes the function with a
batch (up to the trigger's batch size)::

    {"event_version": "v1.0", "event_time": 1576737962, "trigger_type": "KAFKA",
     "region": "...", "instance_id": "81335d56-...",
     "records": [{"messages": ["<message 1>", "<message 2>"], "topic_id": "topic-test"}]}

(FunctionGraph developer guide, "Supported event sources" / Kafka example event; the Open Telekom
Cloud runtime samples, ``kafka_event.json``). Huawei's console test template puts ``messages``
and ``topic_id`` at the top level, with no ``records``: both shapes are read, as one batch in the
second case. Each message is one record holding the request as JSON text. The event carries no
partition, offset or key, so a message's identity is the request's ``id`` or, without one, its text
(see ``records``)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.triggers.events.records import TEXT, EventError, Record, text_field

TRIGGER_TYPE = "KAFKA"


def matches(event: Mapping[str, Any]) -> bool:
    return event.get("trigger_type") == TRIGGER_TYPE


def _batches(event: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``(where, batch)`` for each ``{topic_id, messages}`` of the event, in either shape."""
    batches = event.get("records")
    if isinstance(batches, list):
        return [(f"records[{b}]", batch) for b, batch in enumerate(batches)]
    if batches is None and isinstance(event.get("messages"), list):  # the console's test template
        return [("", event)]
    raise EventError("a KAFKA event needs 'records', a list of {topic_id, messages}, or top-level "
                     "'messages' and 'topic_id'")


def parse(event: Mapping[str, Any]) -> list[Record]:
    instance = text_field(event, "instance_id") or ""
    records: list[Record] = []
    for where, batch in _batches(event):
        messages = batch.get("messages") if isinstance(batch, Mapping) else None
        if not isinstance(messages, list):
            records.append(Record("kafka", len(records), where, TEXT, None,
                                  problem=f"{where} has no 'messages' list"))
            continue
        topic = text_field(batch, "topic_id") or ""
        for m, message in enumerate(messages):
            records.append(Record(
                "kafka", len(records), f"{where}.messages[{m}]".lstrip("."), TEXT, message,
                scope=(instance, topic), event_id=f"{topic}[{m}]", info={"topic_id": topic or None},
            ))
    return records
