"""The CSV golden file: a hostile fleet and the exact CSV the export wrote for it before issue 19's
row speed-up (generated with the code at 19e15ea, whose ``task_row`` read each cell separately).
``test_csv_golden`` holds today's rows to those bytes. Regenerate (``python -m
tests.unit.dashboard.csv_golden``) only for an intended change of the CSV's content.

The fleet: the doc's example tasks, generated tasks (sub tasks in every stage, CJK names for some),
and tasks carrying hostile text in every field (formula signs, cuts, bidi and invisible controls,
C0/C1 controls, lone surrogates, UTF-7 runs), odd types (dicts, lists, bools, floats, digit
strings, huge and negative numbers) and missing or null members."""
from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parent / "data" / "csv_golden.json"
NOW_MS = 1_764_720_000_000  # 2025-12-03T00:00:00Z: the judge's clock, fixed
HOSTILE_TEXT = [
    "x;=1+20;", "a\t=1+7", " =1+2", '=HYPERLINK("http://evil","x")', "@SUM(1)", "-2+3", "+cmd|' /C calc'!A0",
    "\uff1d1+2", "\u3000\uff0b1", "\u2212 1", "+AD0-1+2", "x+ADs-+AD0-1+5", "\r=1", 'ok,"=1"', "\u200b=1",
    "\x1b(B=1", "line1\nline2", "tab\there", "\u202eevil\u202c", "\u2066iso\u2069", "\ufeff=bom", "\x85=nel",
    "\ud800lone", "迁移任务-一", "数据库；=1", "服务器\t+1", "C++ a-b x+y", "", " ", '"', '""=1', "\x00", "a\x7fb",
    "e-mail@example.com", "1-2", "-", "=", "+", "@", "a,b;c\td", "\u00a0-1", "\u2028=1", "+AD0-",
]
ODD_VALUES: list[Any] = [None, 0, -1, 1.5, float("1e308"), True, False, 10**30, "1700000000000", " 1700000000000 ",
                         {"a": "=1"}, ["=1", 2], [], {}, "²", -1700000000000]
WAVES = [
    {"name": "finance", "match": {"enterprise_project_id": "ep-fin"}, "target": "2025-12-03T04:00:00Z"},
    {"name": "=web tier", "match": {"name": "k8s-node-*"}, "target": "2025-12-06T00:00:00Z"},
    {"name": "数据库\t+1", "match": {"name": "exchange-*"}, "target": "2025-12-01T00:00:00Z"},
]
TEXT_FIELDS = ("id", "name", "state", "type", "os_type", "priority", "migration_ip", "enterprise_project_id")


def hostile_tasks(rng: random.Random) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    for i, payload in enumerate(HOSTILE_TEXT):
        server = {"name": payload, "ip": payload if i % 2 else None, "private_ip": f"10.0.0.{i}"}
        task: dict[str, Any] = {key: payload for key in TEXT_FIELDS}
        task.update(source_server=server, target_server={"name": payload, "private_ip": payload},
                    create_date=NOW_MS - i * 3_600_001, estimate_complete_time=NOW_MS + i * 61_000,
                    total_time=i * 1234, migrate_speed=rng.choice([None, 0, 12.5, payload]),
                    error_json=rng.choice([payload, json.dumps({"error_code": payload, "error_msg": payload}),
                                           json.dumps(payload), json.dumps({"code": payload, "message": [payload]})]),
                    sub_tasks=[{"name": payload, "progress": rng.choice([None, 50, 150, -3, "x"]),
                                "start_date": NOW_MS - 7_200_000 + i, "end_date": None}])
        if i % 3 == 0:
            task["state"] = rng.choice(["RUNNING", "SYNCING", "running", " Running ", "FAILED", "READY"])
        tasks.append(task)
    for i, value in enumerate(ODD_VALUES):
        task = {key: value for key in (*TEXT_FIELDS, "create_date", "estimate_complete_time", "total_time",
                                       "migrate_speed", "error_json", "source_server", "target_server", "sub_tasks")}
        if i % 2:
            task["state"] = "RUNNING"
            task["sub_tasks"] = [value, {"name": value, "start_date": value, "end_date": value, "progress": value},
                                 {"name": "x", "start_date": NOW_MS - 5_000_000, "progress": 10}]
        tasks.append(task)
    tasks.append({})
    tasks.append({"id": "only-id"})
    return tasks


def fleet() -> list[dict[str, Any]]:
    from local import fleet as local_fleet

    rng = random.Random(19)
    generated = local_fleet.generate_tasks(80, NOW_MS, seed=19)
    named = {id(t) for t in generated[::4]}
    for task in generated:
        if id(task) in named:
            task["name"] = "迁移-" + str(task.get("name"))
    # milliseconds in some dates (the ISO form then carries them), dates across years and days
    for i, task in enumerate(generated[::5]):
        task["create_date"] = NOW_MS - i * 86_399_999 - i * 7
    tasks = [*local_fleet.load_doc_tasks(), *generated, *hostile_tasks(rng)]
    return json.loads(json.dumps(tasks))  # exactly what a decoded page holds


def _writer(out: io.StringIO) -> Any:
    return csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")


def write_csv(tasks: list[dict[str, Any]], writer_for: Callable[[io.StringIO], Any] = _writer) -> str:
    """The rows as the export writes them (its judge with the fixed clock and waves; its writer's
    settings, or ``writer_for``'s)."""
    from datetime import datetime, timezone

    from shared.dashboard.csv_export import COLUMNS, task_row
    from shared.dashboard.csv_health import TaskJudge
    from shared.settings import Settings

    settings = Settings.from_env({"SUMMARY_GROUPS": json.dumps(WAVES)})
    judge = TaskJudge(settings, datetime.fromtimestamp(NOW_MS / 1000, timezone.utc))
    out = io.StringIO()
    writer = writer_for(out)
    writer.writerow(COLUMNS)
    for task in tasks:
        writer.writerow(task_row(task, judge))
    return out.getvalue()


if __name__ == "__main__":
    tasks = fleet()
    lines = ",\n".join(json.dumps(task) for task in tasks)  # a task a line
    GOLDEN.write_text(f'{{"csv": {json.dumps(write_csv(tasks))},\n"tasks": [\n{lines}]}}\n', encoding="utf-8")
    print(f"{GOLDEN}: {len(tasks)} tasks")
