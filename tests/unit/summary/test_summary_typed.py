"""The summary reads typed tasks (decoded from a valid page's bytes) exactly as it reads dicts.

The same pages are summarised twice, once from ``json.loads`` dicts and once from the typed tasks
``shared.validation.decode`` yields, in both rule sets; the summaries must be equal. The fleet is
the emulator's generated one (every state, running and failed tasks with sub tasks, stalled ones)
plus the doc's example tasks, which warn mode accepts and strict mode sends to the reference path
(so strict mixes typed and dict pages)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import msgspec
import pytest

from local import fleet
from shared.summary.builder import SummaryBuilder, SummaryOptions
from shared.summary.fields import source_server_label, sub_task_facts, task_os
from shared.validation.decode import decode_page, is_record, member

NOW = datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)
PAGE = 50


def pages() -> list[bytes]:
    now_ms = int(NOW.timestamp() * 1000)
    tasks = fleet.load_doc_tasks() + fleet.generate_tasks(400, now_ms)
    return [json.dumps({"count": len(tasks), "tasks": tasks[i:i + PAGE]}).encode()
            for i in range(0, len(tasks), PAGE)]


def summarise(tasks: list[Any]) -> dict[str, Any]:
    builder = SummaryBuilder(SummaryOptions(now=NOW, interval_seconds=3600, stall_after_seconds=1800, max_items=20))
    builder.add_many(tasks)
    return builder.build(len(tasks))


@pytest.mark.parametrize("mode", ["warn", "strict"])
def test_typed_tasks_summarise_like_dicts(mode: str) -> None:
    contents = pages()
    as_dicts = [t for c in contents for t in json.loads(c)["tasks"]]
    decoded = [decode_page(c, mode) for c in contents]
    as_typed = [t for page in decoded for t in page.tasks]
    typed = sum(isinstance(t, msgspec.Struct) for t in as_typed)
    assert typed >= len(as_typed) - PAGE  # all but (in strict) the doc's page came back typed
    summary = summarise(as_typed)
    assert summary == summarise(as_dicts)
    assert summary["running"]["total"] and summary["failed"]["total"] and summary["stalled"]["total"]


def test_readers_see_the_same_members_on_both() -> None:
    content = pages()[1]
    for typed, plain in zip(decode_page(content, "warn").tasks, json.loads(content)["tasks"], strict=True):
        assert is_record(typed) and is_record(plain)
        for name in ("id", "name", "state", "type", "os_type", "migrate_speed", "error_json", "create_date"):
            assert member(typed, name) == plain.get(name), name
        assert task_os(typed) == task_os(plain)
        assert source_server_label(typed) == source_server_label(plain)
        assert sub_task_facts(member(typed, "sub_tasks")) == sub_task_facts(plain.get("sub_tasks"))
    assert not is_record("a string") and not is_record(None) and member(None, "id") is None
