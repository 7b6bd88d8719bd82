"""template.yaml is the one declaration: every handler it names exists, every sample event in
events/ belongs to a trigger and is accepted by its function's event parser."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.functions import load_handler
from local.timers import rate_seconds, timer_event
from project import template
from shared.triggers.apigw import ApiGatewayEvent
from shared.triggers.timer_event import parse_timer_event

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = template.load()


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_declared_handler_exists_and_is_callable(name: str) -> None:
    fn = FUNCTIONS[name]
    assert fn.handler_file.is_file(), fn.handler_file
    assert callable(load_handler(fn))
    assert fn.runtime.startswith("Python3") and 128 <= fn.memory_mb <= 4096 and fn.timeout_s > 0


def test_every_function_folder_is_declared() -> None:
    folders = {p.parent.name for p in (ROOT / "functions").glob("*/index.py")}
    assert folders == {fn.code.name for fn in FUNCTIONS.values()}


def test_every_sample_event_is_used_and_exists() -> None:
    referenced = {e for fn in FUNCTIONS.values() for e in fn.sample_events}
    on_disk = {str(p.relative_to(ROOT)) for p in (ROOT / "events").rglob("*.json")}
    assert on_disk - referenced == set(), "sample events no trigger or direct invocation uses"
    assert referenced - on_disk == set(), "the template names missing sample events"


def test_every_trigger_has_a_sample_event() -> None:
    missing = [f"{name}: {t.name}" for name, fn in FUNCTIONS.items() for t in fn.triggers if not t.events]
    assert not missing, "triggers without a sample event in events/"


@pytest.mark.parametrize(
    ("kind", "parse"), [("APIG", ApiGatewayEvent.parse), ("TIMER", parse_timer_event)]
)
def test_sample_events_have_the_trigger_shape(kind: str, parse: object) -> None:
    triggers = [t for fn in FUNCTIONS.values() for t in fn.triggers_of(kind)]
    assert triggers
    for trigger in triggers:
        for path in trigger.events:
            parse(json.loads((ROOT / path).read_text()))  # type: ignore[operator]


def test_timer_windows_match_their_schedule() -> None:
    """The summary's changes window must equal the tick interval, or changes are lost or doubled."""
    for fn in FUNCTIONS.values():
        for trigger in fn.triggers_of("TIMER"):
            assert "rate" in trigger.spec, "a cron timer needs its window set explicitly"
            assert int(fn.environment["SUMMARY_INTERVAL_SECONDS"]) == rate_seconds(trigger.spec["rate"])


def test_local_timer_event_is_what_the_function_parses() -> None:
    from datetime import datetime, timezone

    fn = FUNCTIONS["list_tasks_timer"]
    (trigger,) = fn.triggers_of("TIMER")
    tick = parse_timer_event(timer_event(trigger, datetime(2026, 1, 1, tzinfo=timezone.utc)))
    assert tick.trigger_name == trigger.name and tick.options.get("notify_on")
