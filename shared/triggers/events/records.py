"""What every source parser produces: records, each carrying one request, plus the rules all
sources share (size limit, JSON decoding, identity and delivery ids).

Identity: at-least-once sources redeliver, so a record's webhook delivery id is derived from the
event's own identity and nothing else (no database): the same event always gets the same id, and
receivers recognise a redelivery. Seeds, first that applies:

1. the source's identity of the event: SMN ``message_id``, CloudEvents ``source`` + ``id``,
   CTS ``trace_id`` (also for a trace arriving as an EventGrid ``CloudTrace`` event, so the same
   operation seen through both triggers gets one id);
2. the request's own ``id`` within its scope (DMS for Kafka instance + topic; direct invocation);
3. DMS for Kafka without ``id``: a hash of the message text (FunctionGraph's Kafka event carries
   no partition, offset or key, so identical messages get the same id: give them distinct ``id``s
   if they are distinct requests);
4. a direct invocation without ``id``: the invocation's request id.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.errors import ApiError

PREFIXES = {"smn": "smn", "eventgrid": "ce", "kafka": "kafka", "cts": "cts", "plain": "req"}

# What a record's payload is: request JSON as text (SMN message, Kafka message), a request
# object (CloudEvent data, direct invocation) or a CTS trace (CTS trigger, EventGrid CloudTrace).
TEXT, OBJECT, TRACE = "text", "object", "trace"


class EventError(ApiError):
    """The event as a whole can't be read (unrecognised shape, broken envelope): raised, never
    guessed around."""

    def __init__(self, msg: str) -> None:
        super().__init__(400, "SMSFN.0400", msg, error_param=["event"])


class RecordProblem(ApiError):
    """This record can never be processed as sent (malformed, empty, oversized): a poison record,
    reported and never retried."""

    def __init__(self, msg: str, param: str = "record") -> None:
        super().__init__(400, "SMSFN.0400", msg, error_param=[param])


class RecordSkipped(Exception):
    """A well-formed record that asks for nothing this function does (e.g. a CTS trace of a
    template operation): reported as skipped, not as a failure."""


@dataclass
class Record:
    source: str
    index: int  # position in the invocation, counting from 0 across nested lists
    where: str  # the record's path inside the event, e.g. "records[0].messages[3]"
    kind: str  # TEXT | OBJECT | TRACE
    payload: Any
    identity: tuple[str, ...] | None = None  # the source's identity of the event, when it has one
    scope: tuple[str, ...] = ()  # context for request-id and content seeds
    event_id: str | None = None  # readable identity for results and logs
    info: dict[str, Any] = field(default_factory=dict)  # safe facts about the record for the result
    problem: str | None = None  # set by a parser when the record is malformed in the event itself
    id_source: str | None = None  # whose identity ``identity`` is, when not the record's source


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def canonical(payload: Any) -> str:
    """The payload as text: a string as is, anything else as compact JSON with sorted keys."""
    if isinstance(payload, str):
        return payload
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


def payload_bytes(payload: Any) -> int:
    return len(canonical(payload).encode("utf-8"))


def delivery_id(record: Record, request_id: str | None, invocation_id: str) -> str:
    """``<prefix>_<32 hex>``: deterministic from the event (see the module docstring), safe as a
    Standard Webhooks message id, short enough for chat footers."""
    namespace = record.source
    if record.identity:
        namespace = record.id_source or record.source
        seed = ("event", *record.identity)
    elif request_id:
        seed = ("id", *record.scope, request_id)
    elif record.source == "plain":
        seed = ("invocation", invocation_id)
    else:
        seed = ("content", *record.scope, canonical(record.payload))
    return f"{PREFIXES[namespace]}_{_hash(namespace, *seed)}"



def check_size(record: Record, limit: int) -> None:
    size = payload_bytes(record.payload)
    if size > limit:
        raise RecordProblem(f"{record.where} is {size} bytes, more than EVENT_MAX_RECORD_BYTES={limit}")


def decode_object(text: Any, what: str) -> dict[str, Any]:
    """A JSON object from message text; anything else is a poison record naming what it got."""
    if not isinstance(text, str):
        raise RecordProblem(f"{what} must be a string of JSON, got {type(text).__name__}")
    if not text.strip():
        raise RecordProblem(f"{what} is empty")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise RecordProblem(f"{what} is not JSON ({getattr(exc, 'msg', 'parse error')} at "
                            f"position {getattr(exc, 'pos', '?')})") from None
    if not isinstance(value, dict):
        raise RecordProblem(f"{what} must be a JSON object, got JSON {type(value).__name__}")
    return value


def text_field(node: Mapping[str, Any], key: str) -> str | None:
    """A non-empty string field, else None (events from the field are not always well typed)."""
    value = node.get(key)
    return value if isinstance(value, str) and value.strip() else None
