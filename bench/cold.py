"""*cold*: a fresh process that imports the handler and serves one 100-task request, the project's
HTTP function against the naive handler, both as separate processes, interleaved.

Two figures per variant: wall time of the whole process (interpreter start to exit, what a cold
instance costs) and the time inside it from the program's first line to the response. The
interpreter runs without ``-X importtime`` and without any ``PYTHON*`` variable that changes
imports; one warm-up round first, so both find compiled ``.pyc`` files and a warm page cache."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.common import ROOT, Sample, table
from bench.emulator import EmulatorProcess

LIMIT = 100
REPEATS = 8
CHILDREN = {"project": ROOT / "bench" / "children" / "cold_project.py",
            "naive": ROOT / "bench" / "children" / "cold_naive.py"}


def _child_env(emulator: EmulatorProcess) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(emulator.env())
    return env


def _run_child(name: str, env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(CHILDREN[name]), str(LIMIT)], env=env, cwd="/",
                          capture_output=True, text=True, timeout=60)
    wall_ms = (time.perf_counter() - start) * 1000.0
    fields = done.stdout.split()
    if done.returncode != 0 or len(fields) != 3 or fields[1:] != ["200", str(LIMIT)]:
        raise RuntimeError(f"cold {name} failed ({done.returncode}): {done.stdout!r} {done.stderr[-2000:]}")
    return wall_ms, float(fields[0])


def run(emulator: EmulatorProcess) -> dict[str, Sample]:
    env = _child_env(emulator)
    names = list(CHILDREN)
    wall = {name: Sample(f"{name} (process wall)") for name in names}
    inner = {name: Sample(f"{name} (import + request)") for name in names}
    for round_no in range(1 + REPEATS):
        order = names if round_no % 2 == 0 else names[::-1]
        for name in order:
            wall_ms, inner_ms = _run_child(name, env)
            if round_no > 0:  # round 0 warms .pyc files and the page cache
                wall[name].values.append(wall_ms)
                inner[name].values.append(inner_ms)
    table(f"cold: fresh process, import the handler, serve one {LIMIT}-task request",
          [wall["project"], wall["naive"]], baseline=wall["naive"],
          note="project = functions/list_tasks_http/index.py handler; "
               "naive = the doc's sample (import huaweicloudsdksms.v3 *, SmsClient, list_tasks, to_dict)")
    table("cold: inside the process, first line to response", [inner["project"], inner["naive"]],
          baseline=inner["naive"])
    return {"project": wall["project"], "naive": wall["naive"], "project_inner": inner["project"],
            "naive_inner": inner["naive"]}
