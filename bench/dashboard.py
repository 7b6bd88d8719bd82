"""*dashboard*: one ``GET /dashboard`` over the whole fleet through the HTTP function's real handler
(template.yaml's ``list_tasks_http``), each in a fresh process (``bench/children/dashboard_rss.py``)
while the emulator serves from its own process: the whole request's time, the child's peak RSS and
the page's size, at 10,000 and 50,000 tasks. In the same rounds, the timer's summary of the same
fleet in a fresh process (``bench.memory.summary_child``): the page's summary is that same streaming
code, so what the page costs on top of it is the rendering and the request around it."""
from __future__ import annotations

import json
from typing import Any

from bench.common import ROOT, Sample, table
from bench.emulator import EmulatorProcess
from bench.memory import run_child, summary_child
from local.dashboard_link import LOCAL_LINK_SECRET
from local.functions import function_settings
from project import template
from shared.dashboard.links import DASHBOARD_SCOPE, TOKEN_PARAM, sign

REPEATS = 5  # 3 left the 10,000-task time ratio at the mercy of one slow run on a shared machine
FUNCTION = "list_tasks_http"
CHILD = ROOT / "bench" / "children" / "dashboard_rss.py"
SAMPLE_EVENT = ROOT / "events" / "apig_list_tasks.json"  # the trigger's own sample, re-pointed
TOKEN_TTL_S = 3600


def http_function() -> template.Function:
    return template.function(FUNCTION)


def dashboard_event(path: str = DASHBOARD_SCOPE, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The API Gateway sample event as a browser's ``GET`` of a dashboard path with a valid signed link."""
    event = json.loads(SAMPLE_EVENT.read_text(encoding="utf-8"))
    event.update(httpMethod="GET", path=path, body="", isBase64Encoded=False,
                 queryStringParameters={TOKEN_PARAM: sign(DASHBOARD_SCOPE, LOCAL_LINK_SECRET, TOKEN_TTL_S)})
    event["headers"] = {**event.get("headers", {}), **(headers or {"accept": "text/html"})}
    return event


def handler_spec(emulator: EmulatorProcess, event: dict[str, Any],
                 timeout_s: int | None = None) -> tuple[str, dict[str, str]]:
    """A child's stdin (the HTTP function as template.yaml declares it, ``event``) and environment."""
    fn = http_function()
    secrets = {"DASHBOARD_LINK_SECRET": LOCAL_LINK_SECRET}
    spec = {
        "code": str(fn.code), "handler": fn.handler, "function": fn.name, "timeout_s": timeout_s or fn.timeout_s,
        "memory_mb": fn.memory_mb, "user_data": function_settings(fn, {**emulator.env(), **secrets}),
        "event": event, "tasks": emulator.tasks,
    }
    return json.dumps(spec), secrets


def dashboard_child(emulator: EmulatorProcess) -> dict[str, Any]:
    """One dashboard request in a fresh process; the child refuses any answer but the full page."""
    spec, env = handler_spec(emulator, dashboard_event())
    return run_child(CHILD, emulator, stdin=spec, env=env)


def run(emulators: list[EmulatorProcess]) -> dict[str, Sample]:
    """Per fleet: the dashboard's peak RSS, times and bytes, and the summary's time, alternating
    which runs first in each round (and which fleet)."""
    sizes = [e.tasks for e in emulators]
    rows = {n: {
        "rss": Sample(f"dashboard of {n} tasks, peak RSS", unit="MiB"),
        "warm rss": Sample("  peak after a second request", unit="MiB"),
        "base": Sample("  after imports", unit="MiB"),
        "time": Sample("  first request"),
        "warm time": Sample("  second request (warm)"),
        "summary": Sample("  timer summary alone"),
        "bytes": Sample("  page size", unit="KiB"),
    } for n in sizes}
    for round_no in range(REPEATS):
        for emulator in emulators if round_no % 2 == 0 else emulators[::-1]:
            row = rows[emulator.tasks]
            children = [dashboard_child, summary_child]
            for child in children if (round_no + emulator.tasks) % 2 == 0 else children[::-1]:
                out = child(emulator)
                if child is summary_child:
                    row["summary"].values.append(out["elapsed_ms"])
                    continue
                row["rss"].values.append(out["vm_hwm_kib"] / 1024.0)
                row["warm rss"].values.append(out["warm_vm_hwm_kib"] / 1024.0)
                row["base"].values.append(out["after_imports_kib"] / 1024.0)
                row["time"].values.append(out["elapsed_ms"])
                row["warm time"].values.append(out["warm_elapsed_ms"])
                row["bytes"].values.append(out["page_bytes"] / 1024.0)
    fn = http_function()
    table(f"dashboard: GET /dashboard through {fn.handler_file.relative_to(ROOT)} in a fresh process",
          [s for n in sizes for s in rows[n].values()],
          note=f"{fn.name}: {fn.memory_mb} MB, {fn.timeout_s} s (template.yaml); a signed link; each answer\n"
               "checked in the child (200, HTML, the page's state counts add up to the fleet); peak = the child's\n"
               "VmHWM, the emulator runs elsewhere; first request = the handler call of a new instance (route\n"
               "imports, templates compiled), then a second one; timer summary = bench/children/summary_rss.py,\n"
               "same rounds")
    return {f"{key} {n}": sample for n in sizes for key, sample in rows[n].items()}
