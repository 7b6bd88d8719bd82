"""The emulator's fleet, summarised at its own now with its demo waves (what ``make run`` shows):
every health, every list, every kind of change and waves on track and at risk have something."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from local import fleet
from shared.summary.builder import SummaryBuilder, SummaryOptions
from shared.summary.groups import parse_groups
from shared.summary.health import HEALTHS

NOW_MS = 1_764_752_400_000  # 2026-12-03 09:00 UTC


@pytest.mark.parametrize("n", [fleet.DEFAULT_TASKS, 2000])
def test_every_section_of_the_summary_has_something(n: int) -> None:
    builder = SummaryBuilder(SummaryOptions(
        now=datetime.fromtimestamp(NOW_MS / 1000, timezone.utc), interval_seconds=3600, stall_after_seconds=3600,
        groups=parse_groups(json.dumps(fleet.demo_waves(NOW_MS)))))
    builder.add_many(fleet.generate_tasks(n, NOW_MS))
    summary = builder.build(None)
    assert all(summary["health"][h] > 0 for h in HEALTHS), summary["health"]
    for key in ("failed", "stalled", "lagging", "running"):
        assert summary[key]["total"] > 0, key
    for kind, section in summary["changes"].items():
        assert section["total"] > 0, kind
    reasons = {item["reason"] for item in summary["lagging"]["items"]}
    assert reasons == {"overdue", "behind_target"}
    waves = {g["name"]: g for g in summary["groups"]}
    assert set(waves) == {w["name"] for w in fleet.demo_waves(NOW_MS)} | {"Other"}
    assert all(g["total"] > 0 for g in waves.values())
    assert waves["sql weekend"]["at_risk"] and waves["finance"]["at_risk"]
