"""*csv*: one ``GET /dashboard/tasks.csv`` of the whole fleet through the HTTP function's real
handler, each in a fresh process (``bench/children/csv_rss.py``) while the emulator serves from its
own: peak RSS, time and the answer's size as FunctionGraph measures it, at 10,000 and 50,000
tasks, as a browser asks (gzip accepted; both fleets fit one answer that way)."""
from __future__ import annotations

from typing import Any

from bench.common import ROOT, Sample, table
from bench.dashboard import REPEATS, dashboard_event, handler_spec, http_function
from bench.emulator import EmulatorProcess
from bench.memory import run_child
from shared.dashboard.links import DASHBOARD_SCOPE

CHILD = ROOT / "bench" / "children" / "csv_rss.py"
# The child's deadline: memory is what this section measures, so the export must be whole. On a
# heavily loaded 2-core machine 50,000 rows once took 38 s, past the function's 30 s (docs/performance.md).
CHILD_TIMEOUT_S = 120
CSV_PATH = f"{DASHBOARD_SCOPE}/tasks.csv"


def csv_child(emulator: EmulatorProcess) -> dict[str, Any]:
    event = dashboard_event(CSV_PATH, {"accept-encoding": "gzip, deflate, br", "accept": "text/csv"})
    spec, env = handler_spec(emulator, event, timeout_s=CHILD_TIMEOUT_S)
    return run_child(CHILD, emulator, stdin=spec, env=env)


def run(emulators: list[EmulatorProcess]) -> dict[str, Sample]:
    sizes = [e.tasks for e in emulators]
    rows = {n: {
        "rss": Sample(f"CSV of {n} tasks, peak RSS", unit="MiB"),
        "dumps rss": Sample("  peak with the runtime's json.dumps", unit="MiB"),
        "base": Sample("  after imports", unit="MiB"),
        "time": Sample("  request"),
        "answer": Sample("  answer (json.dumps)", unit="KiB"),
        "csv": Sample("  CSV uncompressed", unit="KiB"),
    } for n in sizes}
    for round_no in range(REPEATS):
        for emulator in emulators if round_no % 2 == 0 else emulators[::-1]:
            out, row = csv_child(emulator), rows[emulator.tasks]
            row["rss"].values.append(out["vm_hwm_kib"] / 1024.0)
            row["dumps rss"].values.append(out["serialised_vm_hwm_kib"] / 1024.0)
            row["base"].values.append(out["after_imports_kib"] / 1024.0)
            row["time"].values.append(out["elapsed_ms"])
            row["answer"].values.append(out["answer_bytes"] / 1024.0)
            row["csv"].values.append(out["csv_bytes"] / 1024.0)
    fn = http_function()
    table(f"csv: GET {CSV_PATH} through {fn.handler_file.relative_to(ROOT)} in a fresh process",
          [s for n in sizes for s in rows[n].values()],
          note=f"{fn.name}: {fn.memory_mb} MB (template.yaml), deadline {CHILD_TIMEOUT_S} s here "
               f"(not {fn.timeout_s} s:\nthe export must be whole to be measured); gzip accepted; each answer "
               "checked in the child (200,\n"
               "every task a row); peak = the child's VmHWM right after the handler, then after json.dumps of\n"
               "its answer (as the runtime serialises it); the emulator runs elsewhere")
    return {f"{key} {n}": sample for n in sizes for key, sample in rows[n].items()}
