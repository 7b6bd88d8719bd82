"""*all_true*: one ``GET /v3/tasks?all=true`` through the HTTP function's real handler
(template.yaml's ``list_tasks_http``), each in a fresh process (``bench/children/all_true_rss.py``)
while the emulator serves from its own process, at 10,000 and 50,000 tasks: peak RSS, time, the
result's size as FunctionGraph measures it (``len(json.dumps(result))``, limit 6,291,456) and how
many tasks one answer carried, with gzip accepted (the sample event's ``Accept-Encoding``) and
without. The fleets are the emulator's ``fleet-cjk`` (every task named in CJK), in processes of
their own."""
from __future__ import annotations

import contextlib
import json
from typing import Any

from bench.common import ROOT, Sample, table
from bench.dashboard import SAMPLE_EVENT, http_function
from bench.emulator import EmulatorProcess
from bench.memory import run_child
from local.functions import function_settings

REPEATS = 3
CHILD = ROOT / "bench" / "children" / "all_true_rss.py"
DATASET = "fleet-cjk"  # every task named in CJK: the worst case for the plain answer
ENCODINGS = {"gzip": "gzip, deflate, br", "plain": "identity"}


def all_true_event(accept_encoding: str) -> dict[str, Any]:
    """The API Gateway sample event as ``GET /v3/tasks?all=true`` with this ``Accept-Encoding``."""
    event = json.loads(SAMPLE_EVENT.read_text(encoding="utf-8"))
    event.update(queryStringParameters={"all": "true"})
    event["headers"] = {**event.get("headers", {}), "accept-encoding": accept_encoding}
    return event


def all_true_child(emulator: EmulatorProcess, accept_encoding: str, env: dict[str, str] | None = None,
                   root: Any = ROOT) -> dict[str, Any]:
    """One all=true request in a fresh process (``root``: the checkout whose code runs)."""
    fn = http_function()
    spec = {
        "code": str(root / fn.code.relative_to(ROOT)), "handler": fn.handler, "function": fn.name,
        "timeout_s": fn.timeout_s, "memory_mb": fn.memory_mb,
        "user_data": function_settings(fn, {**emulator.env(), **(env or {})}),
        "event": all_true_event(accept_encoding),
    }
    return run_child(root / CHILD.relative_to(ROOT), emulator, stdin=json.dumps(spec), env=env)


def run(sizes: list[int]) -> dict[str, Sample]:
    """Per fleet (every task CJK-named) and encoding: peak RSS, time, result size and tasks carried,
    fleets alternating."""
    with contextlib.ExitStack() as stack:
        emulators = [stack.enter_context(EmulatorProcess(n, DATASET)) for n in sizes]
        return _measure(emulators)


def _measure(emulators: list[EmulatorProcess]) -> dict[str, Sample]:
    sizes = [e.tasks for e in emulators]
    rows = {(n, enc): {
        "rss": Sample(f"all=true of {n} tasks, {enc}, peak RSS", unit="MiB"),
        "time": Sample("  request"),
        "bytes": Sample("  result (json.dumps)", unit="KiB"),
        "tasks": Sample("  tasks in the answer", unit="tasks"),
    } for n in sizes for enc in ENCODINGS}
    for round_no in range(REPEATS):
        for emulator in emulators if round_no % 2 == 0 else emulators[::-1]:
            for enc, header in ENCODINGS.items():
                out = all_true_child(emulator, header)
                row = rows[(emulator.tasks, enc)]
                row["rss"].values.append(out["vm_hwm_kib"] / 1024.0)
                row["time"].values.append(out["elapsed_ms"])
                row["bytes"].values.append(out["result_bytes"] / 1024.0)
                row["tasks"].values.append(float(out["tasks"]))
    fn = http_function()
    table(f"all_true: GET /v3/tasks?all=true through {fn.handler_file.relative_to(ROOT)} in a fresh process",
          [s for row in rows.values() for s in row.values()],
          note=f"{fn.name}: {fn.memory_mb} MB (template.yaml); peak = the child's VmHWM, the result serialised\n"
               "as the runtime does included; the emulator runs elsewhere; an answer stops at 6,291,456 bytes\n"
               "(X-Next-Offset), and reads at most SMS_ALL_MAX_TASKS (10000) tasks; fleet-cjk: CJK task names")
    return {f"{key} {n} {enc}": sample for (n, enc), row in rows.items() for key, sample in row.items()}
