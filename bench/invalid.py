"""*invalid*: one 200-task page with one schema violation, report included, against the same page
valid, both through the project's path (``read_tasks``, warn mode).

A valid page decodes straight into the checked types; the invalid one fails that decode and goes
to the reference path (``json.loads`` + ``jsonschema_rs`` deciding and listing the violation), so
this is what the fallback costs. Both pages are served the same way, as the emulator's one-shot
``respond`` fault set up untimed before each call (the body pre-serialised, so the emulator only
writes bytes), so they differ in content only."""
from __future__ import annotations

import json
from typing import Any

from bench.common import Sample, interleave, table
from bench.emulator import EmulatorProcess, RawFetcher, use_emulator
from bench.page import project_result

PAGE = 200
REPEATS = 40


def run(emulator: EmulatorProcess) -> dict[str, Sample]:
    use_emulator(emulator)
    fetcher = RawFetcher(emulator.url)
    page: Any = fetcher.get(PAGE)
    fetcher.close()
    broken = json.loads(json.dumps(page))
    broken["tasks"][PAGE // 2]["migrate_speed"] = "fast"  # one type violation, mid-page
    bodies = {"valid": json.dumps(page), "one violation": json.dumps(broken)}
    for name, body in bodies.items():  # the verdicts hold before anything is timed
        emulator.answer_next(body)
        result = project_result(PAGE)
        assert result.scan.violation_total == (0 if name == "valid" else 1), name
    samples = interleave({name: (lambda: project_result(PAGE)) for name in bodies}, repeats=REPEATS, warmup=3,
                         setup={name: (lambda b=body: emulator.answer_next(b)) for name, body in bodies.items()})
    table(f"invalid: one {PAGE}-task page with one violation vs the same page valid (warn)",
          list(samples.values()), baseline=samples["valid"],
          note="project = read_tasks; valid: one typed decode; one violation: typed decode fails, then\n"
               "json.loads + jsonschema_rs report (the reference path); both served as a one-shot fault")
    return samples
