"""*memory*: peak RSS of one timer summary over 10,000 and over 50,000 tasks, each run in a fresh
process (``bench/children/summary_rss.py``) while the emulator serves from its own process."""
from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import raw as rawmod
from bench.common import ROOT, Sample, interleave, table
from bench.emulator import EmulatorProcess
from bench.scan import PAGE

REPEATS = 5  # the peak swings ±3 MiB with the pager window from run to run: 3 left the ratio to one run
RAW_WORKERS = (8, 16)
CHILD = ROOT / "bench" / "children" / "summary_rss.py"


def run_child(script: Path, emulator: EmulatorProcess, stdin: str | None = None,
              env: dict[str, str] | None = None) -> dict[str, Any]:
    """A fresh ``python script`` (no ``PYTHON*`` variables, ``emulator``'s settings and ``env`` in its
    environment); its last line of stdout, a JSON object. A child that fails raises with its stderr."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    child_env.update(emulator.env())
    child_env.update(env or {})
    done = subprocess.run([sys.executable, str(script)], env=child_env, cwd="/", input=stdin, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary_child(emulator: EmulatorProcess) -> dict[str, Any]:
    """One timer summary of the whole fleet in a fresh process; it must have read every task."""
    out = run_child(CHILD, emulator)
    if out["partial"] or out["scanned"] != emulator.tasks:
        raise RuntimeError(f"summary child read {out['scanned']} of {emulator.tasks} tasks: {out}")
    return out


def _fastest(candidates: list[rawmod.RawClient], pools: dict[int, ThreadPoolExecutor],
             total: int) -> tuple[rawmod.RawClient, int]:
    """The fastest raw client and worker count over the whole fleet, one untimed round each."""
    calibration = interleave({f"{i} {n}": functools.partial(rawmod.scan, c, pool, PAGE, total)
                              for i, c in enumerate(candidates) for n, pool in pools.items()}, repeats=1, warmup=0)
    name = min(calibration, key=lambda k: calibration[k].median)
    index, workers = name.split()
    return candidates[int(index)], int(workers)


def run(emulators: list[EmulatorProcess]) -> dict[str, Sample]:
    """Peak RSS per fleet, plus the summary's time against the fastest raw concurrent scan of the
    same pages (``bench.raw``: the fastest of the four competent clients and of ``RAW_WORKERS``,
    calibrated on the largest fleet, keeping no task), run in the same rounds."""
    peak = {e.tasks: Sample(f"summary of {e.tasks} tasks, peak RSS", unit="MiB") for e in emulators}
    base = {e.tasks: Sample(f"  after imports ({e.tasks})", unit="MiB") for e in emulators}
    took = {e.tasks: Sample(f"  summary time ({e.tasks})") for e in emulators}
    raw = {e.tasks: Sample(f"  raw concurrent scan ({e.tasks})") for e in emulators}
    pages = {}
    competent = {e.tasks: rawmod.clients(e.url)[0] for e in emulators}
    pools = {n: ThreadPoolExecutor(max_workers=n) for n in RAW_WORKERS}
    try:
        largest = max(emulators, key=lambda e: e.tasks).tasks
        chosen, workers = _fastest(competent[largest], pools, largest)
        index = competent[largest].index(chosen)
        best = {n: competent[n][index] for n in competent}
        for round_no in range(REPEATS):
            for emulator in emulators if round_no % 2 == 0 else emulators[::-1]:
                n = emulator.tasks
                out = summary_child(emulator)
                peak[n].values.append(out["vm_hwm_kib"] / 1024.0)
                base[n].values.append(out["after_imports_kib"] / 1024.0)
                took[n].values.append(out["elapsed_ms"])
                pages[n] = out["pages"]
                start = time.perf_counter()
                assert rawmod.scan(best[n], pools[workers], PAGE, n) == n
                raw[n].values.append((time.perf_counter() - start) * 1000.0)
    finally:
        for pool in pools.values():
            pool.shutdown()
        for clients in competent.values():
            for transport in {c.transport for c in clients}:
                transport.close()
    rows = [s for e in emulators for s in (peak[e.tasks], base[e.tasks], took[e.tasks], raw[e.tasks])]
    table("memory: timer summary (shared.summary.summarise.summarise) in a fresh process", rows,
          note="peak = the child's VmHWM (ru_maxrss is no use here: Linux carries the parent's peak into it\n"
               "across fork+exec); the emulator runs in another process; "
               + ", ".join(f"{n} tasks = {p} pages" for n, p in pages.items())
               + f"\nraw = the fastest raw client ({chosen.name}) on the fastest of {RAW_WORKERS} threads "
               f"({workers}), keeping no task")
    out: dict[str, Sample] = {str(n): s for n, s in peak.items()}
    out.update({f"time {n}": s for n, s in took.items()})
    out.update({f"raw {n}": s for n, s in raw.items()})
    return out
