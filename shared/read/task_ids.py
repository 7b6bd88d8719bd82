"""Task ids seen in one scan: a repeated id means the list moved under the pages (a task was
added or removed before an offset already read, so later pages shifted), and merging would
count that task twice and miss another. ``TaskIds.check`` is called per page, in scan order.

What is kept per id is a salted 64-bit hash, not the id: the summary streams, so this is the one
part of a scan that grows with the fleet. Two ids share a hash with odds of about n²/2⁶⁵ (10⁻¹⁰
at 50,000 tasks); that would be a false 409, which asks for a new read, and each scan salts its
hashes anew so a retry never repeats it. (Python's own keyed str hash: a keyed digest from
hashlib costs ten times as much per id.)

The hashes live in ``HashSet``, an open-addressing table of machine words (at most half full):
8-16 bytes per id, where a ``set`` of ints costs ~75 (a 40-byte int object and a 16-byte slot at
most 60 % full per id): 1 MiB instead of 3.7 MiB at 50,000 tasks. The table is its own anonymous
``mmap``, outside malloc's heap: when it grows, the old one goes back to the system whole. (A
table from malloc, or a ``set``'s, is big enough to be mmapped by glibc, and freeing it raises
glibc's mmap threshold past the pages' buffers, which then fragment the heap: measured, RSS kept
growing to the end of a 50,000-task scan.)"""
from __future__ import annotations

import mmap
import secrets
from typing import Any

from shared.errors import fn_error
from shared.validation.decode import member_of

MAX_ECHOED_ID_CHARS = 64  # an id comes from upstream: echoed short, as JSON data
_EMPTY = 0  # a free slot; a hash of 0 is stored as 1 (odds 2⁻⁶⁴ of meeting a real 1)
_FIRST_SLOTS = 1024


class HashSet:
    """A set of signed 64-bit ints in a linear-probing table (``add`` says whether the value was
    new). Kept at most half full, so a probe ends after ~1.5 slots on average."""

    def __init__(self) -> None:
        self._map, self._slots = _table(_FIRST_SLOTS)
        self._mask = _FIRST_SLOTS - 1
        self._used = 0

    def __len__(self) -> int:
        return self._used

    def add(self, value: int) -> bool:
        """Insert ``value`` (any int in the signed 64-bit range; 0 is taken as 1); False when it
        was already there."""
        value = value or 1
        slots, mask = self._slots, self._mask
        i = value & mask
        found = slots[i]
        while found != _EMPTY:
            if found == value:
                return False
            i = (i + 1) & mask
            found = slots[i]
        slots[i] = value
        self._used += 1
        if self._used * 2 > mask:
            self._grow()
        return True

    def _grow(self) -> None:
        old_map, old = self._map, self._slots
        size = 2 * len(old)
        self._map, slots = _table(size)
        mask = size - 1
        for value in old:
            if value != _EMPTY:
                i = value & mask
                while slots[i] != _EMPTY:
                    i = (i + 1) & mask
                slots[i] = value
        self._slots, self._mask = slots, mask
        old.release()
        old_map.close()  # unmapped: the memory goes back to the system at once


def _table(size: int) -> tuple[mmap.mmap, memoryview]:
    """``size`` zeroed 64-bit slots in an anonymous mapping (the kernel zero-fills its pages)."""
    mapping = mmap.mmap(-1, 8 * size)
    return mapping, memoryview(mapping).cast("q")


class TaskIds:
    def __init__(self) -> None:
        self._seen = HashSet()
        self._salt = secrets.token_hex(8)

    def check(self, tasks: list[Any], offset: int) -> None:
        """Record the page's ids (``offset``: the scan position of its first task); an id seen
        before raises 409 ``SMSFN.0409``. Tasks without a string id are left to validation."""
        add, salt = self._seen.add, self._salt
        read_kind: Any = None
        read: Any = None
        for index, task in enumerate(tasks):
            kind = type(task)
            if kind is not read_kind:  # a page's tasks share one type: typed (valid page), else dicts
                read_kind, read = kind, member_of(kind, "id")
            task_id = read(task)
            if not isinstance(task_id, str):
                continue
            if not add(hash(salt + task_id)):
                raise fn_error(
                    "SMSFN.0409",
                    f"the task list changed during the scan: task id {task_id[:MAX_ECHOED_ID_CHARS]!r} came "
                    f"again at offset {offset + index}; read again",
                    extra={"duplicate_id": task_id[:MAX_ECHOED_ID_CHARS], "offset": offset + index},
                )
