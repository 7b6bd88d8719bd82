"""The exposition, read by Prometheus's own tools: ``promtool check metrics`` (Go, the reference
linter and parser) accepts it, whatever a wave's name holds, and the values it parses are the
summary's."""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest

from shared.metrics.exposition import MAX_WAVES, MORE_WAVES, render

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None and not os.environ.get("CI"),  # CI installs it
                                    reason="promtool (Debian's prometheus) is not installed")

HOSTILE_WAVES = ['wave "1"\nnext', "back\\slash", "迁移批次-一", "{}=,"]


def summary(waves: list[str]) -> dict[str, Any]:
    return {
        "generated_at": "2026-12-03T10:00:00.000Z",
        "total": 12, "scanned": 12, "partial": False, "schema_violations": 1,
        "by_state": {"RUNNING": 5, "MIGRATE_FAIL": 2, "MIGRATE_SUCCESS": 5},
        "by_type": {"MIGRATE_BLOCK": 12}, "by_os": {"LINUX": 12},
        "health": {"done": 5, "failed": 2, "stalled": 1, "lagging": 1, "healthy": 3, "waiting": 0, "stopped": 0},
        "progress": {"status": "in_progress", "done": 5, "share_done": 41.7, "percent": 50.0,
                     "eta": "2026-12-05T00:00:00.000Z"},
        "groups": [{"name": n, "total": 3, "health": {"done": 1, "healthy": 2},
                    "progress": {"status": "in_progress", "done": 1, "share_done": 33.3, "percent": 25.0},
                    "eta": "2026-12-04T00:00:00.000Z", "target": "2026-12-06T00:00:00.000Z", "at_risk": i % 2 == 0}
                   for i, n in enumerate(waves)],
    }


def samples(text: bytes) -> dict[tuple[str, frozenset], float]:
    from prometheus_client.parser import text_string_to_metric_families

    out = {}
    for family in text_string_to_metric_families(text.decode("utf-8")):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


@needs_promtool
def test_promtool_accepts_the_exposition_with_hostile_wave_names() -> None:
    text = render(summary(HOSTILE_WAVES), {"elapsed_s": 1.5, "pages": 3, "retries": 0})
    done = subprocess.run([PROMTOOL or "promtool", "check", "metrics"], input=text, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not done.stdout.strip() and not done.stderr.strip()  # no lint warnings either


@needs_promtool
def test_promtool_refuses_a_broken_exposition() -> None:
    """Negative control: the check above can fail."""
    bad = b'# TYPE sms_tasks gauge\nsms_tasks{state="RUNNING} 1\n'
    done = subprocess.run([PROMTOOL or "promtool", "check", "metrics"], input=bad, capture_output=True, timeout=30)
    assert done.returncode != 0


def test_values_are_the_summarys() -> None:
    got = samples(render(summary(HOSTILE_WAVES), {"elapsed_s": 1.5, "pages": 3, "retries": 0}))
    assert got[("sms_tasks", frozenset({("state", "RUNNING")}))] == 5
    assert got[("sms_tasks_by_health", frozenset({("health", "stalled")}))] == 1
    assert got[("sms_wave_tasks", frozenset({("wave", HOSTILE_WAVES[0]), ("health", "healthy")}))] == 2
    assert got[("sms_wave_progress_ratio", frozenset({("wave", "迁移批次-一")}))] == 0.25
    assert got[("sms_fleet_done_ratio", frozenset())] == 0.417
    assert got[("sms_fleet_eta_timestamp_seconds", frozenset())] == 1796428800.0  # 2026-12-05T00:00:00Z
    assert got[("sms_scan_duration_seconds", frozenset())] == 1.5
    assert got[("sms_scan_partial", frozenset())] == 0
    assert got[("sms_schema_violations", frozenset())] == 1


def test_no_eta_is_absent_never_zero() -> None:
    s = summary(["a"])
    s["progress"]["eta"] = None
    s["groups"][0]["eta"] = None
    got = samples(render(s, {}))
    assert not [k for k in got if k[0] in ("sms_fleet_eta_timestamp_seconds", "sms_wave_eta_timestamp_seconds")]


def test_wave_labels_are_bounded() -> None:
    got = samples(render(summary([f"w{i}" for i in range(MAX_WAVES * 3)]), {}))
    waves = {dict(k[1])["wave"] for k in got if k[0] == "sms_wave_progress_ratio"} | \
        {dict(k[1])["wave"] for k in got if k[0] == "sms_wave_tasks"}
    assert len(waves) == MAX_WAVES and MORE_WAVES in waves
    rest = MAX_WAVES * 3 - (MAX_WAVES - 1)
    assert got[("sms_wave_tasks", frozenset({("wave", MORE_WAVES), ("health", "healthy")}))] == 2 * rest


def test_a_v1_summary_still_renders() -> None:
    s = summary([])
    for key in ("health", "progress", "groups"):
        s.pop(key)
    got = samples(render(s, {"elapsed_s": 0.2}))
    assert got[("sms_tasks_matched", frozenset())] == 12
    assert not [k for k in got if k[0].startswith(("sms_wave", "sms_fleet", "sms_tasks_by_health"))]
