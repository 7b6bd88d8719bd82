"""Task ids seen in one scan: a repeated id means the list moved under the pages (a task was
added or removed before an offset already read, so later pages shifted), and merging would
count that task twice and miss another. ``TaskIds.check`` is called per page, in scan order.

What is kept per id is a 64-bit hash (an int), not the id: the summary streams, so this set is
the one part of a scan that grows with the fleet, and a hash costs about half of a 36-character
id. Two ids share a hash with odds of about n²/2⁶⁵ (10⁻¹⁰ at 50,000 tasks); that would be a false
409, which asks for a new read, and each scan salts its hashes anew so a retry never repeats it.
(Python's own keyed str hash: a keyed digest from hashlib costs ten times as much per id.)"""
from __future__ import annotations

import secrets
from typing import Any

from shared.errors import fn_error
from shared.validation.decode import member

MAX_ECHOED_ID_CHARS = 64  # an id comes from upstream: echoed short, as JSON data


class TaskIds:
    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._salt = secrets.token_hex(8)

    def check(self, tasks: list[Any], offset: int) -> None:
        """Record the page's ids (``offset``: the scan position of its first task); an id seen
        before raises 409 ``SMSFN.0409``. Tasks without a string id are left to validation."""
        seen = self._seen
        for index, task in enumerate(tasks):
            task_id = member(task, "id")  # a dict, or a typed task from a valid page
            if not isinstance(task_id, str):
                continue
            digest = hash(self._salt + task_id)
            if digest in seen:
                raise fn_error(
                    "SMSFN.0409",
                    f"the task list changed during the scan: task id {task_id[:MAX_ECHOED_ID_CHARS]!r} came "
                    f"again at offset {offset + index}; read again",
                    extra={"duplicate_id": task_id[:MAX_ECHOED_ID_CHARS], "offset": offset + index},
                )
            seen.add(digest)
