"""The doc's closed vocabularies: task states, task types and OS types, in the doc's order.

Read from the published schemas (the one place that lists them), once, on first use: importing
this module reads no file."""
from __future__ import annotations

from functools import cache

from shared.schemas import shared_schema

OTHER = "OTHER"  # the bucket for any value outside a vocabulary (real data drifts)
# The wave of the tasks no SUMMARY_GROUPS wave matches (shared.summary.groups).
OTHER_GROUP = "Other"
# The ListTasks filters a summary, a timer tick or an event request may narrow the tasks by.
FILTER_KEYS = ("state", "name", "id", "source_server_id", "enterprise_project_id")


@cache
def states() -> tuple[str, ...]:
    """The ten task states (query parameter ``state``)."""
    return tuple(shared_schema("list_tasks_query")["properties"]["state"]["enum"])


def _task_enum(field: str) -> tuple[str, ...]:
    return tuple(shared_schema("list_tasks_response")["$defs"]["TasksResponseBody"]["properties"][field]["enum"])


@cache
def task_types() -> tuple[str, ...]:
    """MIGRATE_FILE, MIGRATE_BLOCK."""
    return _task_enum("type")


@cache
def os_types() -> tuple[str, ...]:
    """WINDOWS, LINUX."""
    return _task_enum("os_type")
