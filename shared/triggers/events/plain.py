"""A direct invocation (the console's test event, ``make invoke``, another function or workflow
calling InvokeFunction): the event is the request itself, e.g.
``{"action": "tasks", "task_ids": ["..."]}``.

Recognised only when every top-level key is a request field and at least one of ``action``,
``task_ids``, ``query`` or ``filters`` says what is asked: ``{}`` or an event of some other
trigger is not taken for a request with defaults."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.triggers.events.records import OBJECT, Record
from shared.triggers.events.request import request_rules

MARKERS = ("action", "task_ids", "query", "filters")


def matches(event: Mapping[str, Any]) -> bool:
    return bool(event) and set(event) <= set(request_rules()) and any(k in event for k in MARKERS)


def parse(event: Mapping[str, Any]) -> list[Record]:
    request_id = event.get("id") if isinstance(event.get("id"), str) else None
    return [Record("plain", 0, "event", OBJECT, dict(event), scope=("plain",), event_id=request_id)]
