"""The event-driven function ``task_events``: SMN, EventGrid (CloudEvents), DMS for Kafka and CTS
events, or a direct invocation, each record turned into one request for task details or a
summary, run through the shared read path and pushed to the webhooks.

Modules: one parser per source (``smn``, ``eventgrid``, ``kafka``, ``cts``, ``plain``) turning an
event into ``records.Record`` s; ``request`` checks a record's request against
``schemas/task_event_request.schema.json``; ``execute`` runs it; ``dispatch`` ties them together
with the per-source failure rules. docs/events.md describes the whole contract."""
from __future__ import annotations

from shared.triggers.events.dispatch import EventsFailed, handle, recognise
from shared.triggers.events.records import EventError

__all__ = ["EventError", "EventsFailed", "handle", "recognise"]
