"""*memory*: peak RSS of one timer summary over 10,000 and over 50,000 tasks, each run in a fresh
process (``bench/children/summary_rss.py``) while the emulator serves from its own process."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from bench.common import ROOT, Sample, table
from bench.emulator import EmulatorProcess

REPEATS = 3
CHILD = ROOT / "bench" / "children" / "summary_rss.py"


def _run_child(emulator: EmulatorProcess) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(emulator.env())
    done = subprocess.run([sys.executable, str(CHILD)], env=env, cwd="/", capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"summary child failed ({done.returncode}): {done.stderr[-2000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if out["partial"] or out["scanned"] != emulator.tasks:
        raise RuntimeError(f"summary child read {out['scanned']} of {emulator.tasks} tasks: {out}")
    return out


def run(emulators: list[EmulatorProcess]) -> dict[str, Sample]:
    peak = {e.tasks: Sample(f"summary of {e.tasks} tasks, peak RSS", unit="MiB") for e in emulators}
    base = {e.tasks: Sample(f"  after imports ({e.tasks})", unit="MiB") for e in emulators}
    took = {e.tasks: Sample(f"  summary time ({e.tasks})") for e in emulators}
    pages = {}
    for round_no in range(REPEATS):
        for emulator in emulators if round_no % 2 == 0 else emulators[::-1]:
            out = _run_child(emulator)
            peak[emulator.tasks].values.append(out["vm_hwm_kib"] / 1024.0)
            base[emulator.tasks].values.append(out["after_imports_kib"] / 1024.0)
            took[emulator.tasks].values.append(out["elapsed_ms"])
            pages[emulator.tasks] = out["pages"]
    rows = [s for e in emulators for s in (peak[e.tasks], base[e.tasks], took[e.tasks])]
    table("memory: timer summary (shared.summary.summarise.summarise) in a fresh process", rows,
          note="peak = the child's VmHWM (ru_maxrss is no use here: Linux carries the parent's peak into it\n"
               "across fork+exec); the emulator runs in another process; "
               + ", ".join(f"{n} tasks = {p} pages" for n, p in pages.items()))
    return {str(n): s for n, s in peak.items()}
