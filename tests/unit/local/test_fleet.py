"""The emulator's datasets: determinism, coverage and strict conformance to the ListTasks doc."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from local import fleet
from local.sms_emulator import TaskStore

NOW_MS = 1_760_000_000_000
ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "shared" / "schemas" / "list_tasks_response.schema.json"
HOUR_MS = 3_600_000
LONG_MAX = 9_223_372_036_854_775_807


@pytest.fixture(scope="module")
def tasks() -> list[dict[str, Any]]:
    return fleet.generate_tasks(1000, NOW_MS)


# --------------------------------------------------------------------------- the doc, as a small checker
# (field -> (python types, allowed values or None, (min, max) or None)); tables 4-10 of the doc.
_STR, _INT, _NUM, _BOOL = (str,), (int,), (float,), (bool,)
_LONG = (0, LONG_MAX)
TASK_SPEC: dict[str, tuple[tuple[type, ...], Any, Any]] = {
    "id": (_STR, None, None), "name": (_STR, None, None),
    "type": (_STR, fleet.TASK_TYPES, None), "os_type": (_STR, fleet.OS_TYPES, None),
    "state": (_STR, fleet.STATES, None), "estimate_complete_time": (_INT, None, _LONG),
    "create_date": (_INT, None, _LONG), "priority": (_INT, (0, 1, 2), (0, 2)),
    "speed_limit": (_INT, None, (0, 65535)), "migrate_speed": (_NUM, None, (0, 10000)),
    "compress_rate": (_NUM, None, (0, 10000)), "start_target_server": (_BOOL, None, None),
    "error_json": (_STR, None, None), "total_time": (_INT, None, _LONG), "migration_ip": (_STR, None, None),
    "sub_tasks": ((list,), None, None), "source_server": ((dict,), None, None),
    "enterprise_project_id": (_STR, None, None), "target_server": ((dict,), None, None),
    "log_collect_status": (_STR, fleet.LOG_COLLECT_STATUSES, None), "clone_server": ((dict,), None, None),
    "syncing": (_BOOL, None, None), "network_check_info": ((dict,), None, None),
    "special_config": ((list,), None, None), "total_cpu_usage": (_NUM, None, (0, 100)),
    "agent_cpu_usage": (_NUM, None, (0, 100)), "total_mem_usage": (_NUM, None, (0, 1048576.0)),
    "agent_mem_usage": (_NUM, None, (0, 1048576.0)), "total_disk_io": (_NUM, None, (0, 10000.0)),
    "agent_disk_io": (_NUM, None, (0, 10000.0)), "need_migration_test": (_BOOL, None, None),
    "subtask_info": (_STR, None, None),
}
SUB_TASK_SPEC = {
    "id": (_INT, None, _LONG), "name": (_STR, None, None), "progress": (_INT, None, (0, 100)),
    "start_date": (_INT, None, _LONG), "end_date": (_INT, None, _LONG), "process_trace": (_STR, None, None),
}
SOURCE_SPEC = {
    "id": (_STR, None, None), "ip": (_STR, None, None), "name": (_STR, None, None),
    "os_type": (_STR, fleet.OS_TYPES, None), "os_version": (_STR, None, None),
    "oem_system": (_BOOL, None, None),
    "state": (_STR, fleet.SOURCE_STATES, None),
}
TARGET_SPEC = {
    "id": (_STR, None, None), "vm_id": (_STR, None, None), "name": (_STR, None, None),
    "ip": (_STR, None, None),
    "os_type": (_STR, fleet.OS_TYPES, None), "os_version": (_STR, None, None),
}
CLONE_SPEC = {"vm_id": (_STR, None, None), "name": (_STR, None, None)}
NETWORK_SPEC = {
    "domain_connectivity": (_BOOL, None, None), "destination_connectivity": (_BOOL, None, None),
    "network_delay": (_NUM, None, (0, 10000.0)), "network_jitter": (_NUM, None, (0, 10000)),
    "migration_speed": (_NUM, None, (0, 10000)), "loss_percentage": (_NUM, None, (0, 100)),
    "cpu_usage": (_NUM, None, (0, 100)), "mem_usage": (_NUM, None, (0, 100)),
    "evaluation_result": (_STR, None, None),
}
CONFIG_SPEC = {"config_key": (_STR, None, None), "config_value": (_STR, None, None),
               "config_status": (_STR, None, None)}


def check_object(obj: dict[str, Any], spec: dict[str, Any], where: str,
                 nullable: frozenset[str] = frozenset()) -> list[str]:
    """Every listed field present with its type, enum and range; nothing else; no nulls."""
    problems = [f"{where}: unexpected field {k}" for k in obj.keys() - spec.keys()]
    problems += [f"{where}: missing field {k}" for k in spec.keys() - obj.keys()]
    for key, (types, allowed, bounds) in spec.items():
        value = obj.get(key)
        if value is None and key in nullable:
            continue
        # bool is an int subclass in Python: keep it out of Integer/Double fields.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            problems.append(f"{where}.{key}: {value!r} is not {types}")
        elif allowed is not None and value not in allowed:
            problems.append(f"{where}.{key}: {value!r} not in enum")
        elif bounds is not None and not bounds[0] <= value <= bounds[1]:
            problems.append(f"{where}.{key}: {value!r} out of range {bounds}")
    return problems


def check_task(task: dict[str, Any]) -> list[str]:
    where = f"task {task.get('id')}"
    problems = check_object(task, TASK_SPEC, where)
    for i, sub in enumerate(task.get("sub_tasks") or []):
        problems += check_object(sub, SUB_TASK_SPEC, f"{where}.sub_tasks[{i}]", frozenset({"end_date"}))
    for i, cfg in enumerate(task.get("special_config") or []):
        problems += check_object(cfg, CONFIG_SPEC, f"{where}.special_config[{i}]")
    for key, spec in (("source_server", SOURCE_SPEC), ("target_server", TARGET_SPEC),
                      ("clone_server", CLONE_SPEC), ("network_check_info", NETWORK_SPEC)):
        if isinstance(task.get(key), dict):
            problems += check_object(task[key], spec, f"{where}.{key}")
    return problems


# --------------------------------------------------------------------------- conformance


def test_generated_tasks_follow_the_doc_strictly(tasks: list[dict[str, Any]]) -> None:
    problems = [p for task in tasks for p in check_task(task)]
    assert problems == []


def test_the_checker_catches_doc_violations() -> None:
    task = fleet.generate_tasks(2, NOW_MS)[1]
    task["priority"] = 3
    task["extra"] = 1
    task["migrate_speed"] = None
    task["sub_tasks"][0]["progress"] = 101
    del task["syncing"]
    found = " | ".join(check_task(task))
    needles = ("priority", "unexpected field extra", "migrate_speed", "progress", "missing field syncing")
    for needle in needles:
        assert needle in found


def test_doc_tasks_are_the_doc_example_verbatim() -> None:
    example = json.loads((fleet.DATA_DIR / "doc_example_200.json").read_text(encoding="utf-8"))
    assert fleet.load_doc_tasks() == example["tasks"]
    assert check_task(fleet.load_doc_tasks()[0]) != []  # nulls, "AVAILABLE", missing fields: not strict


@pytest.mark.skipif(not SCHEMA.exists(), reason="shared/schemas/list_tasks_response.schema.json missing")
def test_generated_fleet_passes_the_strict_json_schema(tasks: list[dict[str, Any]]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    page = {"count": len(tasks), "tasks": tasks}
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(page)]
    assert errors == []


# --------------------------------------------------------------------------- determinism and coverage


def test_same_size_and_time_give_the_same_fleet() -> None:
    assert fleet.generate_tasks(300, NOW_MS) == fleet.generate_tasks(300, NOW_MS)


def test_a_smaller_fleet_is_a_prefix_of_a_larger_one(tasks: list[dict[str, Any]]) -> None:
    assert fleet.generate_tasks(120, NOW_MS) == tasks[:120]


def test_seed_and_reference_time_change_the_fleet(tasks: list[dict[str, Any]]) -> None:
    assert fleet.generate_tasks(50, NOW_MS, seed=1) != tasks[:50]
    later = fleet.generate_tasks(50, NOW_MS + HOUR_MS)
    assert [t["create_date"] + HOUR_MS for t in tasks[:50]] == [t["create_date"] for t in later]


def test_first_ten_tasks_cover_every_state_os_and_type() -> None:
    ten = fleet.generate_tasks(10, NOW_MS)
    assert {t["state"] for t in ten} == set(fleet.STATES)
    assert {t["os_type"] for t in ten} == set(fleet.OS_TYPES)
    assert {t["type"] for t in ten} == set(fleet.TASK_TYPES)


def test_default_fleet_mixes_states_types_and_projects() -> None:
    default = fleet.generate_tasks(fleet.DEFAULT_TASKS, NOW_MS)
    states = Counter(t["state"] for t in default)
    assert set(states) == set(fleet.STATES)
    assert {(t["os_type"], t["type"]) for t in default} == set(fleet.SUBTASK_PLANS)
    assert len({t["enterprise_project_id"] for t in default}) >= 3
    shared = [sid for sid, n in Counter(t["source_server"]["id"] for t in default).items() if n > 1]
    assert len(shared) >= 3


def test_ids_and_names_are_unique(tasks: list[dict[str, Any]]) -> None:
    assert len({t["id"] for t in tasks}) == len(tasks)
    assert len({t["name"] for t in tasks}) == len(tasks)
    sub_ids = [s["id"] for t in tasks for s in t["sub_tasks"]]
    assert len(set(sub_ids)) == len(sub_ids)


def test_size_is_bounded() -> None:
    assert len(fleet.generate_heads(fleet.MAX_TASKS, NOW_MS)) == fleet.MAX_TASKS
    with pytest.raises(ValueError, match=str(fleet.MAX_TASKS)):
        fleet.generate_heads(fleet.MAX_TASKS + 1, NOW_MS)


# --------------------------------------------------------------------------- realism


RUNNING_STATES = {"RUNNING", "SYNCING", "ABORTING"}


def test_only_a_running_sub_task_lacks_an_end_date(tasks: list[dict[str, Any]]) -> None:
    for task in tasks:
        open_subs = [s for s in task["sub_tasks"] if s["end_date"] is None]
        if task["state"] in RUNNING_STATES:
            assert open_subs == [task["sub_tasks"][-1]], task["id"]
            assert task["subtask_info"].startswith(open_subs[0]["name"])
        else:
            assert open_subs == [], task["id"]
            assert task["subtask_info"] == ""


def test_dates_are_ordered_and_not_in_the_future(tasks: list[dict[str, Any]]) -> None:
    for task in tasks:
        cursor = task["create_date"]
        assert cursor <= NOW_MS
        for sub in task["sub_tasks"]:
            assert cursor <= sub["start_date"] <= NOW_MS
            cursor = sub["start_date"] if sub["end_date"] is None else sub["end_date"]
            assert cursor <= NOW_MS
        if task["state"] == "READY":
            assert task["sub_tasks"] == [] and task["total_time"] == 0


def test_running_tasks_report_progress_and_some_are_stalled(tasks: list[dict[str, Any]]) -> None:
    running = [t for t in tasks if t["state"] in RUNNING_STATES]
    stalled = [t for t in running if t["migrate_speed"] == 0.0]
    moving = [t for t in running if t not in stalled]
    assert stalled and moving
    idle = [NOW_MS - t["sub_tasks"][-1]["start_date"] for t in stalled]
    assert all(i > HOUR_MS for i in idle) and all(t["estimate_complete_time"] < NOW_MS for t in stalled)
    assert [i for i in idle if i < 2 * HOUR_MS] and [i for i in idle if i > 3 * HOUR_MS]  # newly and long stalled
    # Most moving tasks are on track; some are overdue by SMS's own estimate (lagging).
    overdue = [t for t in moving if t["estimate_complete_time"] < NOW_MS]
    assert overdue and len(overdue) < len(moving) / 2


def test_failed_tasks_carry_error_json_and_others_do_not(tasks: list[dict[str, Any]]) -> None:
    as_json, plain = [], []
    for task in tasks:
        if task["state"] not in fleet.FAILED_STATES:
            assert task["error_json"] == ""
            continue
        assert task["error_json"]
        try:
            as_json.append(json.loads(task["error_json"]))
        except ValueError:
            plain.append(task["error_json"])
    assert as_json and plain
    assert all(set(e) == {"error_code", "error_msg", "error_params"} and e["error_code"].startswith("SMS.")
               for e in as_json)


def test_sub_task_names_follow_the_task_kind(tasks: list[dict[str, Any]]) -> None:
    for task in tasks:
        steps, sync = fleet.SUBTASK_PLANS[(task["os_type"], task["type"])]
        names = [s["name"] for s in task["sub_tasks"]]
        assert names[: len(steps)] == list(steps[: len(names)])
        assert names[len(steps):] in ([], [sync], ["CLONE_VM"], [sync, "CLONE_VM"])
        assert task["source_server"]["os_type"] == task["os_type"] == task["target_server"]["os_type"]


def test_cloned_tasks_name_their_clone(tasks: list[dict[str, Any]]) -> None:
    cloned = [t for t in tasks if t["sub_tasks"] and t["sub_tasks"][-1]["name"] == "CLONE_VM"]
    assert cloned and all(t["clone_server"]["vm_id"] for t in cloned)


# --------------------------------------------------------------------------- the served store


def test_fleet_dataset_is_generated_tasks_plus_the_doc_three_newest_first() -> None:
    store = TaskStore("fleet", 40, NOW_MS)
    served = store.tasks()
    assert len(served) == 43
    assert [t["create_date"] for t in served] == sorted((t["create_date"] for t in served), reverse=True)
    doc = fleet.load_doc_tasks()  # the doc's tasks are from 2019/2020, their ids masked alike
    assert [{**t, "id": ""} for t in served[-3:]] == [{**t, "id": ""} for t in doc]
    assert len({t["id"] for t in served}) == 43  # in a fleet, as in SMS, every id is its own


def test_doc_dataset_is_the_three_doc_tasks() -> None:
    assert TaskStore("doc", 999, NOW_MS).tasks() == fleet.load_doc_tasks()
    with pytest.raises(ValueError, match="dataset"):
        TaskStore("nope", 1, NOW_MS)


def test_added_tasks_are_new_ready_tasks_that_sort_first() -> None:
    store = TaskStore("fleet", 20, NOW_MS)
    assert store.add(3) == 26
    first = store.tasks()[:3]
    assert [t["state"] for t in first] == ["READY"] * 3
    assert [p for t in first for p in check_task(t)] == []
    assert store.remove(3) == 23
    store.reset()
    assert len(store) == 23
