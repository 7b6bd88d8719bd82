"""*latency*: scans when SMS, not the CPU, sets the pace. The emulator answers every page late by a
standing delay (``--delay-ms``: real SMS pages take 50-400 ms), and a timer summary of the whole
fleet runs in a fresh process (``bench/children/summary_rss.py``), as in *memory*.

* sweep: 50,000 tasks at 150 ms a page, ``SMS_SCAN_CONCURRENCY`` 4 (the old default), 8, 16, 32:
  where the default comes from;
* the default at 50, 150 and 400 ms a page over 50,000 tasks;
* 65,535 tasks (every offset SMS can page) at 400 ms, with the HTTP function's timeout
  (template.yaml) as the remaining time: it must finish, not go partial."""
from __future__ import annotations

from bench.common import Sample, table
from bench.dashboard import http_function
from bench.emulator import EmulatorProcess
from bench.memory import CHILD as SUMMARY_CHILD
from bench.memory import run_child
from shared.settings import Settings

BIG = 50_000
FULL = 65_535
SWEEP_DELAY_MS = 150
SWEEP = (4, 8, 16, 32)
DELAYS_MS = (50, 150, 400)
REPEATS = 2
SWEEP_OLD, SWEEP_DEFAULT = "sweep old default", "sweep default"


def _summary(emulator: EmulatorProcess, concurrency: int, deadline_s: float) -> dict[str, float]:
    out = run_child(SUMMARY_CHILD, emulator, env={"SMS_SCAN_CONCURRENCY": str(concurrency),
                                                  "BENCH_DEADLINE_S": str(deadline_s)})
    return out


def run() -> dict[str, Sample]:
    default = Settings().scan_concurrency
    timeout_s = float(http_function().timeout_s)
    samples: dict[str, Sample] = {}
    peaks: dict[str, Sample] = {}

    def record(name: str, out: dict[str, float], tasks: int) -> None:
        if out["partial"] or out["scanned"] != tasks:
            raise RuntimeError(f"{name}: read {out['scanned']} of {tasks} tasks (partial={out['partial']})")
        samples.setdefault(name, Sample(name)).values.append(out["elapsed_ms"])
        peaks.setdefault(name, Sample(f"{name}, peak RSS", unit="MiB")).values.append(out["vm_hwm_kib"] / 1024.0)

    with EmulatorProcess(BIG, delay_ms=SWEEP_DELAY_MS) as big:
        for _ in range(REPEATS):
            for n in SWEEP:
                record(f"{BIG} at {SWEEP_DELAY_MS} ms, concurrency {n}", _summary(big, n, 300.0), BIG)
        for delay in DELAYS_MS:
            big.set_delay(delay)
            for _ in range(REPEATS):
                record(f"{BIG} at {delay} ms, default ({default})", _summary(big, default, timeout_s), BIG)
    with EmulatorProcess(FULL, delay_ms=400) as full:
        for _ in range(REPEATS):
            record(f"{FULL} at 400 ms, default ({default}), {timeout_s:.0f} s deadline",
                   _summary(full, default, timeout_s), FULL)
    rows = [s for name in samples for s in (samples[name], peaks[name])]
    table("latency: timer summary in a fresh process, every SMS page answered late", rows,
          note=f"the emulator's standing delay per page (--delay-ms); {BIG} tasks = {-(-BIG // 200)} pages, "
               f"{FULL} = {-(-FULL // 200)} pages of 200\n"
               f"the default SMS_SCAN_CONCURRENCY is {default}; the HTTP function's timeout is {timeout_s:.0f} s")
    out = dict(samples)
    out[SWEEP_OLD] = samples[f"{BIG} at {SWEEP_DELAY_MS} ms, concurrency 4"]
    out[SWEEP_DEFAULT] = samples[f"{BIG} at {SWEEP_DELAY_MS} ms, default ({default})"]
    out["summary_50000_at_150ms"] = samples[f"{BIG} at 150 ms, default ({default})"]
    out["full_at_400ms"] = samples[f"{FULL} at 400 ms, default ({default}), {timeout_s:.0f} s deadline"]
    out["timeout_ms"] = Sample("timeout", [timeout_s * 1000.0])
    return out
