"""A bounded "top k" list for streaming summaries: memory is O(k) however many items are offered."""

from __future__ import annotations

import copy
import heapq
from collections.abc import Callable
from typing import Any

# Sort keys are tuples of ints and strings; the smallest key is the most relevant item.
SortKey = tuple[Any, ...]


class _Entry:
    """Heap entry ordered in reverse, so ``heapq`` (a min-heap) keeps the *largest* key at the root:
    the least relevant kept item, the one a better newcomer replaces."""

    __slots__ = ("item", "key")

    def __init__(self, key: SortKey, item: dict[str, Any]) -> None:
        self.key = key
        self.item = item

    def __lt__(self, other: _Entry) -> bool:
        return self.key > other.key


class TopK:
    """Counts every offered item and keeps the ``k`` with the smallest sort keys.

    Keys must be totally ordered and unique enough to be deterministic: callers end them with
    the task id (and an arrival counter as the last resort)."""

    def __init__(self, k: int) -> None:
        self._k = k
        self._heap: list[_Entry] = []
        self.total = 0

    def offer(self, key: SortKey, make_item: Callable[[], dict[str, Any]]) -> None:
        """Count the item; build it (lazily, only when it is kept) if it ranks among the top k."""
        self.total += 1
        if self._k <= 0:
            return
        if len(self._heap) < self._k:
            heapq.heappush(self._heap, _Entry(key, make_item()))
        elif key < self._heap[0].key:
            heapq.heapreplace(self._heap, _Entry(key, make_item()))

    def section(self) -> dict[str, Any]:
        """``{"total", "truncated", "items"}`` with items most relevant first (copies: the caller
        may edit the summary, and ``build`` may be called again)."""
        items = [copy.deepcopy(entry.item) for entry in sorted(self._heap, key=lambda entry: entry.key)]
        return {"total": self.total, "truncated": self.total - len(items), "items": items}
