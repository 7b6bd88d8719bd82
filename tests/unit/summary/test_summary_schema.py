"""The published summary schema: valid draft 2020-12, strict, documented, and matched by every build,
including builds from arbitrary drifted task data (which must never crash the builder)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.summary.builder import SCHEMA_PATH, SummaryBuilder, SummaryOptions, load_summary_schema

NOW = datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)
NOW_MS = int(NOW.timestamp() * 1000)
HOUR = 3_600_000
DOC_EXAMPLE = Path(__file__).resolve().parents[3] / "local" / "data" / "doc_example_200.json"

SCHEMA = load_summary_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
RS_VALIDATOR = jsonschema_rs.validator_for(SCHEMA)


def assert_valid(summary: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(summary)]
    assert errors == []
    assert RS_VALIDATOR.is_valid(summary)


def rich_tasks() -> list[Any]:
    body = json.loads(DOC_EXAMPLE.read_text())
    subs_running = [
        {
            "id": 1,
            "name": "prep",
            "progress": 100,
            "start_date": NOW_MS - 5 * HOUR,
            "end_date": NOW_MS - 4 * HOUR,
        },
        {"id": 2, "name": "copy", "progress": 30, "start_date": NOW_MS - 4 * HOUR, "end_date": None},
    ]
    subs_done = [
        {"id": 1, "name": "copy", "progress": 100, "start_date": NOW_MS - HOUR, "end_date": NOW_MS - 60_000}
    ]
    return [
        *body["tasks"],
        {
            "id": "r",
            "name": "run",
            "state": "RUNNING",
            "sub_tasks": subs_running,
            "migrate_speed": 0.0,
            "source_server": {"name": "web"},
        },
        {
            "id": "s",
            "name": "sync",
            "state": "SYNCING",
            "sub_tasks": subs_done,
            "estimate_complete_time": NOW_MS + HOUR,
        },
        {
            "id": "f",
            "name": "fail",
            "state": "MIGRATE_FAIL",
            "sub_tasks": subs_done,
            "error_json": '{"error_code": "SMS.6505"}',
        },
        {"id": "g", "name": "fail2", "state": "SYNC_F_ROLLBACKING", "error_json": "plain"},
        {"id": "ok", "name": "ok", "state": "MIGRATE_SUCCESS", "sub_tasks": subs_done},
        {"id": None, "name": None, "state": "RUNNING", "sub_tasks": None},
        None,
    ]


def test_schema_is_valid_draft_2020_12():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA_PATH.name == "summary.schema.json"


def _walk_properties(node: Any, path: str = "#"):
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            yield f"{path}/{name}", sub
        for key, value in node.items():
            yield from _walk_properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk_properties(value, f"{path}/{index}")


def _resolve(sub: dict[str, Any]) -> dict[str, Any]:
    ref = sub.get("$ref", "")
    return SCHEMA["$defs"][ref.rsplit("/", 1)[-1]] if ref.startswith("#/$defs/") else {}


def test_every_field_is_documented_and_every_object_is_closed():
    undocumented = [
        path
        for path, sub in _walk_properties(SCHEMA)
        if "description" not in sub and "description" not in _resolve(sub)
    ]
    assert undocumented == []
    objects = [d for d in [SCHEMA, *SCHEMA["$defs"].values()] if "properties" in d]
    assert all(d.get("additionalProperties") is False for d in objects)


@pytest.mark.parametrize("max_items", [0, 2, 50])
def test_built_summaries_validate(max_items):
    builder = SummaryBuilder(
        SummaryOptions(now=NOW, interval_seconds=300, max_items=max_items, filters={"state": "RUNNING"})
    )
    builder.add_many(rich_tasks())
    summary = builder.build(total=None, schema_violations=1, partial=True)
    assert_valid(summary)
    # json round trip: nothing non-JSON (tuples, NaN, datetimes) slipped in.
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary


def test_schema_is_strict():
    builder = SummaryBuilder(SummaryOptions(now=NOW, interval_seconds=300))
    builder.add_many(rich_tasks())
    good = builder.build(None)
    for mutate in (
        lambda s: s.update(extra=1),
        lambda s: s["by_state"].pop("OTHER"),
        lambda s: s["running"]["items"][0].update(progress=101),
        lambda s: s["running"]["items"][0].update(state="ABORTING"),
        lambda s: s.update(generated_at="2026-11-29T09:00:00+08:00"),
        lambda s: s["window"].pop("clock_skew_seconds"),
        lambda s: s["filters"].update(limit="10"),
    ):
        bad = copy.deepcopy(good)
        mutate(bad)
        assert not VALIDATOR.is_valid(bad)
        assert not RS_VALIDATOR.is_valid(bad)


# --- drift fuzzing ------------------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.integers(min_value=NOW_MS - 10 * HOUR, max_value=NOW_MS + HOUR),  # plausible dates
    st.sampled_from(
        ["RUNNING", "SYNCING", "MIGRATE_FAIL", "MIGRATE_SUCCESS", "SYNC_F_ROLLBACK_SUCCESS", "x"]
    ),
    st.sampled_from(['{"error_code": "SMS.1"}', '"s"', "[1]", "", "  "]),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_sub_task = st.fixed_dictionaries(
    {}, optional={k: _scalars for k in ("id", "name", "progress", "start_date", "end_date")}
)
_task = st.one_of(
    _json,
    st.fixed_dictionaries(
        {},
        optional={
            "id": _scalars,
            "name": _scalars,
            "state": _scalars,
            "type": _scalars,
            "os_type": _scalars,
            "migrate_speed": _scalars,
            "estimate_complete_time": _scalars,
            "create_date": _scalars,
            "error_json": _json,
            "source_server": _json,
            "sub_tasks": st.one_of(_json, st.lists(st.one_of(_sub_task, _json), max_size=4)),
        },
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tasks=st.lists(_task, max_size=12),
    max_items=st.integers(min_value=0, max_value=3),
    total=st.one_of(st.none(), st.integers(min_value=-5, max_value=50)),
)
def test_drifted_data_never_crashes_and_always_validates(tasks, max_items, total):
    builder = SummaryBuilder(
        SummaryOptions(now=NOW, interval_seconds=300, max_items=max_items, stall_after_seconds=60)
    )
    builder.add_many(tasks)
    summary = builder.build(total)
    assert_valid(summary)
    assert summary["scanned"] == len(tasks) == sum(summary["by_state"].values())
    sections = [summary[k] for k in ("running", "lagging", "failed", "stalled")]
    for section in [*sections, *summary["changes"].values()]:
        assert len(section["items"]) <= max_items
        assert section["truncated"] == section["total"] - len(section["items"])
    # v2: one health per task, and the lists are the health counts.
    assert sum(summary["health"].values()) == summary["scanned"]
    assert [s["total"] for s in sections] == [summary["health"][h] for h in ("healthy", "lagging", "failed", "stalled")]
