"""Task ids seen in one scan: a repeated id means the list moved under the pages (a task was
added or removed before an offset already read, so later pages shifted), and merging would
count that task twice and miss another. ``TaskIds.check`` is called per page, in scan order."""
from __future__ import annotations

from typing import Any

from shared.errors import fn_error

MAX_ECHOED_ID_CHARS = 64  # an id comes from upstream: echoed short, as JSON data


class TaskIds:
    def __init__(self) -> None:
        self._seen: set[str] = set()

    def check(self, tasks: list[Any], offset: int) -> None:
        """Record the page's ids (``offset``: the scan position of its first task); an id seen
        before raises 409 ``SMSFN.0409``. Tasks without a string id are left to validation."""
        seen = self._seen
        for index, task in enumerate(tasks):
            task_id = task.get("id") if isinstance(task, dict) else None
            if not isinstance(task_id, str):
                continue
            if task_id in seen:
                raise fn_error(
                    "SMSFN.0409",
                    f"the task list changed during the scan: task id {task_id[:MAX_ECHOED_ID_CHARS]!r} came "
                    f"again at offset {offset + index}; read again",
                    extra={"duplicate_id": task_id[:MAX_ECHOED_ID_CHARS], "offset": offset + index},
                )
            seen.add(task_id)
