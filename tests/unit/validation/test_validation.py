"""shared.validation.validate: modes, the doc's example, each rule, caps and the report shape.

Run as a script (``python -m tests.unit.test_validation``) to print the fast path vs jsonschema_rs vs
jsonschema timings on a realistic 200-task page; the tests themselves never assert on time."""
from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared.errors import ApiError, bad_request
from shared.schemas import load_schema, schema_path
from shared.settings import validation_mode
from shared.validation.modes import derive, inline_refs, nullable
from shared.validation.validate import (
    MAX_VIOLATIONS,
    ValidationReport,
    Violation,
    compile_fast_check,
    compile_validator,
    derived_schema,
    log_report,
    validate_document,
    validate_error_body,
    validate_query,
    validate_response,
)

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "local" / "data"


def doc_example_200() -> dict[str, Any]:
    return json.loads((DATA / "doc_example_200.json").read_text(encoding="utf-8"))


def doc_example_403() -> dict[str, Any]:
    return json.loads((DATA / "doc_example_403.json").read_text(encoding="utf-8"))


# --- a realistic page, valid in strict mode -------------------------------------------------------

_SOURCE_STATES = ["waiting", "replicate", "syncing", "finished", "cloning", "stopped"]
_TASK_STATES = ["READY", "RUNNING", "SYNCING", "MIGRATE_SUCCESS", "MIGRATE_FAIL", "ABORT"]
_SUBTASK_NAMES = ["CREATE_CLOUD_SERVER", "SSL_CONFIG", "ATTACH_AGENT_IMAGE", "FORMAT_DISK_LINUX_FILE",
                  "MIGRATE_LINUX_FILE", "CONFIGURE_LINUX", "DETACH_AGENT_IMAGE"]


def _uuid(rng: random.Random) -> str:
    return "%08x-%04x-%04x-%04x-%012x" % (  # noqa: UP031 - reads like a UUID template
        rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(16),
        rng.getrandbits(48),
    )


def make_task(i: int, rng: random.Random) -> dict[str, Any]:
    """One task shaped like the doc's example, with every table filled in (sub tasks included)."""
    windows = i % 3 == 1
    os_type = "WINDOWS" if windows else "LINUX"
    os_version = "WINDOWS2012_R2_64BIT" if windows else "CENTOS_7_6_64BIT"
    created = 1585139506000 + i * 86_400_000
    sub_tasks = []
    for n, name in enumerate(_SUBTASK_NAMES[: rng.randint(3, len(_SUBTASK_NAMES))]):
        start = created + n * 60_000
        sub_tasks.append({
            "id": 100_000 + i * 10 + n,
            "name": name,
            "progress": 100 if n < 2 else rng.randint(0, 100),
            "start_date": start,
            "end_date": start + 50_000 if n < 2 else None,  # the doc: empty while unfinished
            "process_trace": f"{name}: {rng.randint(0, 100)}%",
        })
    return {
        "id": _uuid(rng),
        "name": f"sms_task_{i:04d}",
        "type": "MIGRATE_BLOCK" if windows else "MIGRATE_FILE",
        "os_type": os_type,
        "state": rng.choice(_TASK_STATES),
        "estimate_complete_time": created + 7_200_000,
        "create_date": created,
        "priority": rng.randint(0, 2),
        "speed_limit": rng.choice([0, 100, 200]),
        "migrate_speed": round(rng.uniform(0, 120), 2),
        "compress_rate": round(rng.uniform(0, 3), 2),
        "start_target_server": rng.random() < 0.5,
        "error_json": "",
        "total_time": rng.randint(0, 20_000_000),
        "migration_ip": f"192.168.{i % 256}.{rng.randint(1, 254)}",
        "sub_tasks": sub_tasks,
        "source_server": {
            "id": _uuid(rng), "ip": f"10.0.{i % 256}.{rng.randint(1, 254)}", "name": f"src-{i:04d}",
            "os_type": os_type, "os_version": os_version, "oem_system": False,
            "state": rng.choice(_SOURCE_STATES),
        },
        "enterprise_project_id": "0",
        "target_server": {
            "id": _uuid(rng), "vm_id": _uuid(rng), "name": f"tgt-{i:04d}",
            "ip": f"192.168.{i % 256}.{rng.randint(1, 254)}", "os_type": os_type, "os_version": os_version,
        },
        "log_collect_status": "INIT",
        "clone_server": {"vm_id": _uuid(rng), "name": f"clone-{i:04d}"},
        "syncing": False,
        "network_check_info": {
            "domain_connectivity": True, "destination_connectivity": True,
            "network_delay": round(rng.uniform(0, 50), 1), "network_jitter": round(rng.uniform(0, 5), 1),
            "migration_speed": round(rng.uniform(0, 1000), 1), "loss_percentage": 0.0,
            "cpu_usage": round(rng.uniform(0, 100), 1), "mem_usage": round(rng.uniform(0, 100), 1),
            "evaluation_result": "OK",
        },
        "special_config": [
            {"config_key": "EXCLUDE_MIGRATE_PATH", "config_value": "/tmp", "config_status": ""},
        ],
        "total_cpu_usage": round(rng.uniform(0, 100), 1),
        "agent_cpu_usage": round(rng.uniform(0, 10), 1),
        "total_mem_usage": round(rng.uniform(0, 65536), 1),
        "agent_mem_usage": round(rng.uniform(0, 512), 1),
        "total_disk_io": round(rng.uniform(0, 500), 1),
        "agent_disk_io": round(rng.uniform(0, 100), 1),
        "need_migration_test": False,
        "subtask_info": "MIGRATE_LINUX_FILE:42",
    }


def make_page(n: int = 200, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    return {"count": 1000, "tasks": [make_task(i, rng) for i in range(n)]}


def drifted_page(n: int = 200) -> dict[str, Any]:
    """Like real data drifts (and like the doc's own example): nulls, AVAILABLE, an unknown field."""
    page = make_page(n)
    for task in page["tasks"]:
        task["estimate_complete_time"] = None
        task["source_server"]["state"] = "AVAILABLE"
        task["target_server"]["ip"] = None
        task["new_field_from_a_newer_api"] = 1
    return page


def pointers(report: ValidationReport) -> set[tuple[str, str]]:
    return {(v.pointer, v.rule) for v in report.violations}


# --- modes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "mode"), [
    (None, "warn"), ("", "warn"), ("  ", "warn"), ("warn", "warn"), ("STRICT", "strict"), (" off ", "off"),
])
def test_validation_mode_parses(raw: str | None, mode: str) -> None:
    assert validation_mode(raw) == mode


@pytest.mark.parametrize("raw", ["on", "true", "warning", "0", "strict,warn"])
def test_validation_mode_rejects_others_naming_the_allowed_values(raw: str) -> None:
    with pytest.raises(ValueError, match="SMS_VALIDATION must be one of warn, strict, off") as info:
        validation_mode(raw)
    assert repr(raw) not in str(info.value)  # an error names the setting, never its value


def test_unknown_mode_argument_is_refused() -> None:
    with pytest.raises(ValueError, match="warn, strict, off"):
        validate_response({"count": 0, "tasks": []}, "lenient")


# --- the doc's own example --------------------------------------------------------------------------

def test_doc_example_is_clean_in_warn_mode() -> None:
    report = validate_response(doc_example_200(), "warn")
    assert report.ok, [v.to_dict() for v in report.violations]
    assert report.total == 0 and report.violations == []


def test_doc_example_breaks_the_doc_in_strict_mode() -> None:
    report = validate_response(doc_example_200(), "strict")
    expected = {
        ("/tasks/0/estimate_complete_time", "type"),
        ("/tasks/0/source_server/state", "enum"),
        ("/tasks/0/target_server/ip", "type"),
        ("/tasks/0/target_server/os_version", "type"),
        ("/tasks/1/estimate_complete_time", "type"),
        ("/tasks/1/source_server/state", "enum"),
        ("/tasks/1/target_server/ip", "type"),
        ("/tasks/2/estimate_complete_time", "type"),
        ("/tasks/2/source_server", "type"),
        ("/tasks/2/target_server/ip", "type"),
    }
    assert pointers(report) == expected
    assert report.total == len(expected) and not report.ok
    by_pointer = {v.pointer: v for v in report.violations}
    assert by_pointer["/tasks/0/source_server/state"].value == "AVAILABLE"
    assert by_pointer["/tasks/0/estimate_complete_time"].value is None
    assert by_pointer["/tasks/2/source_server"].value is None


def test_doc_example_403_is_a_valid_error_body() -> None:
    assert validate_error_body(doc_example_403()).ok


def test_off_mode_validates_nothing() -> None:
    report = validate_response({"tasks": "garbage", "count": -5}, "off")
    assert report.ok and report.total == 0 and report.mode == "off"
    assert validate_document(object(), "error", "off").ok


# --- each rule ----------------------------------------------------------------------------------------

def page_with(**task_fields: Any) -> dict[str, Any]:
    task: dict[str, Any] = {"id": "t-1", **task_fields}
    return {"count": 1, "tasks": [task]}


def both_modes(doc: Any) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    return pointers(validate_response(doc, "strict")), pointers(validate_response(doc, "warn"))


@pytest.mark.parametrize(
    ("field", "value"), [("type", "MIGRATE_DISK"), ("os_type", "MACOS"), ("priority", 3)]
)
def test_identity_enums_are_closed_in_both_modes(field: str, value: Any) -> None:
    strict, warn = both_modes(page_with(**{field: value}))
    assert (f"/tasks/0/{field}", "enum") in strict
    assert (f"/tasks/0/{field}", "enum") in warn


def test_nested_identity_enum_is_closed_in_both_modes() -> None:
    strict, warn = both_modes(page_with(target_server={"os_type": "linux"}))
    assert strict == warn == {("/tasks/0/target_server/os_type", "enum")}


@pytest.mark.parametrize(("task", "pointer"), [
    ({"log_collect_status": "SOMETHING_NEW"}, "/tasks/0/log_collect_status"),
    ({"source_server": {"state": "AVAILABLE"}}, "/tasks/0/source_server/state"),
])
def test_status_enums_are_open_in_warn_only(task: dict[str, Any], pointer: str) -> None:
    strict, warn = both_modes(page_with(**task))
    assert strict == {(pointer, "enum")}
    assert warn == set()


def test_open_enum_still_needs_its_type_in_warn() -> None:
    _, warn = both_modes(page_with(log_collect_status=7))
    assert warn == {("/tasks/0/log_collect_status", "type")}


def test_task_state_has_no_enum_in_any_mode() -> None:
    assert both_modes(page_with(state="WHATEVER")) == (set(), set())


@pytest.mark.parametrize(("field", "value"), [
    ("create_date", "1585139506000"), ("priority", 1.5), ("migrate_speed", "fast"), ("syncing", "false"),
    ("name", 5), ("sub_tasks", {}), ("source_server", []), ("start_target_server", 1),
])
def test_types_are_enforced_in_both_modes(field: str, value: Any) -> None:
    strict, warn = both_modes(page_with(**{field: value}))
    assert (f"/tasks/0/{field}", "type") in strict
    assert (f"/tasks/0/{field}", "type") in warn


@pytest.mark.parametrize(("doc", "pointer", "rule"), [
    ({"count": -1, "tasks": []}, "/count", "minimum"),
    ({"count": 2147483648, "tasks": []}, "/count", "maximum"),
    (page_with(speed_limit=65536), "/tasks/0/speed_limit", "maximum"),
    (page_with(create_date=-1), "/tasks/0/create_date", "minimum"),
    (page_with(total_time=9223372036854775808), "/tasks/0/total_time", "maximum"),
    (page_with(migrate_speed=10000.5), "/tasks/0/migrate_speed", "maximum"),
    (page_with(total_cpu_usage=-0.1), "/tasks/0/total_cpu_usage", "minimum"),
    (page_with(total_mem_usage=1048576.1), "/tasks/0/total_mem_usage", "maximum"),
    (page_with(sub_tasks=[{"progress": 101}]), "/tasks/0/sub_tasks/0/progress", "maximum"),
    (page_with(network_check_info={"loss_percentage": 100.01}), "/tasks/0/network_check_info/loss_percentage",
     "maximum"),
])
def test_ranges_are_enforced_in_both_modes(doc: dict[str, Any], pointer: str, rule: str) -> None:
    strict, warn = both_modes(doc)
    assert (pointer, rule) in strict
    assert (pointer, rule) in warn


def test_range_bounds_themselves_are_valid() -> None:
    doc = page_with(create_date=9223372036854775807, speed_limit=65535, migrate_speed=10000, priority=2,
                    total_mem_usage=1048576.0, total_cpu_usage=0)
    doc["count"] = 2147483647
    assert both_modes(doc) == (set(), set())


def test_integers_accept_whole_floats_like_json_schema_says() -> None:
    # 2020-12: an integer is any number with a zero fractional part; both engines agree (see differential).
    assert both_modes(page_with(create_date=1585139506000.0)) == (set(), set())


def test_additional_properties_are_reported_in_strict_only() -> None:
    doc = page_with(new_field={"a": 1}, source_server={"state": "waiting", "agent_version": "24.1"})
    doc["request_id"] = "abc"
    report = validate_response(doc, "strict")
    assert pointers(report) == {
        ("/request_id", "additionalProperties"),
        ("/tasks/0/new_field", "additionalProperties"),
        ("/tasks/0/source_server/agent_version", "additionalProperties"),
    }
    by_pointer = {v.pointer: v for v in report.violations}
    assert by_pointer["/tasks/0/new_field"].value == {"a": 1}
    assert "new_field" in by_pointer["/tasks/0/new_field"].message
    assert validate_response(doc, "warn").ok


@pytest.mark.parametrize("mode", ["strict", "warn"])
def test_required_fields_in_both_modes(mode: str) -> None:
    assert pointers(validate_response({}, mode)) == {("/count", "required"), ("/tasks", "required")}
    report = validate_response({"count": 2, "tasks": [{"name": "no id"}, {"id": "ok"}]}, mode)
    assert pointers(report) == {("/tasks/0/id", "required")}
    assert report.violations[0].value is None


@pytest.mark.parametrize("mode", ["strict", "warn"])
def test_required_fields_are_not_nullable_in_either_mode(mode: str) -> None:
    report = validate_response({"count": None, "tasks": [{"id": None}]}, mode)
    assert pointers(report) == {("/count", "type"), ("/tasks/0/id", "type")}


def test_nulls_in_optional_fields_are_strict_errors_and_warn_ok() -> None:
    doc = page_with(name=None, priority=None, type=None, sub_tasks=None, clone_server=None,
                    network_check_info={"cpu_usage": None}, special_config=[{"config_key": None}])
    strict, warn = both_modes(doc)
    assert strict == {
        ("/tasks/0/name", "type"),
        ("/tasks/0/priority", "type"), ("/tasks/0/priority", "enum"),
        ("/tasks/0/type", "type"), ("/tasks/0/type", "enum"),
        ("/tasks/0/sub_tasks", "type"),
        ("/tasks/0/clone_server", "type"),
        ("/tasks/0/network_check_info/cpu_usage", "type"),
        ("/tasks/0/special_config/0/config_key", "type"),
    }
    assert warn == set()


def test_null_array_items_stay_errors_in_warn() -> None:
    # Nullability is for properties; a null task or sub task is not a task.
    _, warn = both_modes({"count": 1, "tasks": [None]})
    assert warn == {("/tasks/0", "type")}


def test_unfinished_sub_task_end_date_may_be_null_in_strict() -> None:
    doc = page_with(sub_tasks=[{"id": 1, "progress": 10, "start_date": 1, "end_date": None}])
    assert both_modes(doc) == (set(), set())
    _, warn = both_modes(page_with(sub_tasks=[{"end_date": -5}]))
    assert warn == {("/tasks/0/sub_tasks/0/end_date", "minimum")}


def test_not_even_an_object() -> None:
    for mode in ("strict", "warn"):
        assert pointers(validate_response([1, 2], mode)) == {("", "type")}
        assert pointers(validate_response(None, mode)) == {("", "type")}


def test_non_json_data_is_reported_not_raised() -> None:
    report = validate_response({"count": 1, "tasks": [{"id": "x", 3: "int key"}]}, "strict")
    assert not report.ok and report.violations[0].rule == "json" and report.violations[0].pointer == ""


# --- reports: pointers, caps, values --------------------------------------------------------------

def test_pointer_escapes_tilde_and_slash() -> None:
    report = validate_response({"count": 0, "tasks": [], "a/b~c": 1}, "strict")
    assert pointers(report) == {("/a~1b~0c", "additionalProperties")}


def test_violations_are_capped_but_counted() -> None:
    doc = {"count": 0, "tasks": [{"id": "t", "priority": 9} for _ in range(150)]}  # enum + maximum each
    report = validate_response(doc, "warn")
    assert len(report.violations) == MAX_VIOLATIONS
    assert report.total == 300 and report.truncated and not report.ok
    small = validate_document(doc, "list_tasks_response", "warn", limit=5)
    assert len(small.violations) == 5 and small.total == 300


def test_cap_counts_every_additional_property() -> None:
    doc = {"count": 0, "tasks": [{"id": "t", **{f"x{n}": n for n in range(30)}} for _ in range(5)]}
    report = validate_response(doc, "strict")
    assert report.total == 150 and len(report.violations) == MAX_VIOLATIONS


def test_long_values_are_summarised() -> None:
    report = validate_response(page_with(type="X" * 5000, source_server="y" * 10), "strict")
    by_pointer = {v.pointer: v for v in report.violations}
    value = by_pointer["/tasks/0/type"].value
    assert value.startswith("XXX") and len(value) < 300 and "+4800 chars" in value
    assert all(len(v.message) < 400 for v in report.violations)
    big = validate_response({"count": 0, "tasks": {"a": make_page(3)}}, "strict")
    assert big.violations[0].value == "<object with 1 members>"
    small = validate_response({"count": 0, "tasks": {"a": 1}}, "strict")
    assert small.violations[0].value == {"a": 1}
    huge = validate_response({"count": 0, "tasks": make_page(30)}, "strict")
    assert huge.violations[0].pointer == "/tasks" and huge.violations[0].value == "<object with 2 members>"


def test_report_and_violation_to_dict() -> None:
    report = validate_response(page_with(priority=7), "warn")
    data = report.to_dict()
    assert data["ok"] is False and data["total"] == 2 and data["truncated"] is False
    assert data["schema"] == "list_tasks_response" and data["mode"] == "warn"
    assert {"pointer", "rule", "value", "message"} == set(data["violations"][0])
    json.dumps(data)  # log- and response-ready
    violation = Violation("/a", "type", 1, "m")
    assert violation.to_dict() == {"pointer": "/a", "rule": "type", "value": 1, "message": "m"}


def test_log_report_writes_one_warning_line(capsys: pytest.CaptureFixture[str]) -> None:
    log_report(validate_response(page_with(priority=7), "warn"), "ListTasks page drifted", page=3)
    log_report(validate_response(page_with(), "warn"))  # ok: nothing logged
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["level"] == "WARNING" and record["message"] == "ListTasks page drifted"
    assert record["total"] == 2 and record["page"] == 3
    assert record["violations"][0]["pointer"] == "/tasks/0/priority"


# --- error bodies and queries ---------------------------------------------------------------------

def test_error_body_rules() -> None:
    assert pointers(validate_error_body({"error_msg": "x"})) == {("/error_code", "required")}
    assert pointers(validate_error_body({"error_code": "SMS.1", "error_msg": "x", "error_param": [1]})) == {
        ("/error_param/0", "type")
    }
    assert pointers(validate_error_body({"error_code": None, "error_msg": "x"})) == {("/error_code", "type")}
    ours = {"error_code": "SMSFN.0500", "error_msg": "x", "request_id": "r", "extra": {}}
    assert validate_error_body(ours).ok


@pytest.mark.parametrize("error", [
    bad_request("limit", "must be 0-200"),
    ApiError(502, "SMSFN.0502", "upstream", details=[{"error_code": "SMS.1", "error_msg": "m"}],
             extra={"violations": []}),
])
def test_our_own_error_bodies_fit_the_error_schema(error: ApiError) -> None:
    assert validate_error_body(error.body()).ok


def test_query_rules() -> None:
    assert validate_query({}).ok
    assert validate_query({"state": "RUNNING", "limit": 200, "offset": 65535, "name": "n", "id": "i",
                           "source_server_id": "s", "enterprise_project_id": "0", "all": True}).ok
    bad = {"limit": 201, "offset": -1, "state": "running", "all": "yes", "x": 1}
    assert pointers(validate_query(bad)) == {
        ("/limit", "maximum"), ("/offset", "minimum"), ("/state", "enum"), ("/all", "type"),
        ("/x", "additionalProperties"),
    }


# --- loading, deriving, compiling -----------------------------------------------------------------

def test_schema_path_and_load_schema() -> None:
    expected = ROOT / "shared" / "schemas" / "list_tasks_response.schema.json"
    assert schema_path("list_tasks_response") == expected
    first = load_schema("list_tasks_response")
    first["title"] = "mutated by a caller"
    assert load_schema("list_tasks_response")["title"] != "mutated by a caller"
    for bad in ("../secrets", "a.b", "", "Error"):
        with pytest.raises(ValueError, match="schema name"):
            schema_path(bad)
    with pytest.raises(FileNotFoundError):
        load_schema("no_such_schema")


def test_compiled_validators_are_built_once_per_schema_and_mode() -> None:
    warn = compile_validator("list_tasks_response", "warn")
    assert warn is compile_validator("list_tasks_response", "warn")
    assert warn is not compile_validator("list_tasks_response", "strict")
    assert compile_validator("list_tasks_response", "off").is_valid({"anything": None})


def test_generic_validate_document_for_other_schemas() -> None:
    # The same machinery serves any file in shared/schemas (e.g. the summary schema).
    assert validate_document({"error_code": "a", "error_msg": "b", "details": None}, "error", "warn").ok
    assert not validate_document({"error_code": "a", "error_msg": "b", "details": None}, "error").ok


def test_warn_rule_set_is_derived_not_hand_written() -> None:
    warn = derived_schema("list_tasks_response", "warn")
    text = json.dumps(warn)
    assert "$ref" not in text and "$defs" not in warn and '"additionalProperties": false' not in text
    task = warn["properties"]["tasks"]["items"]
    assert task["properties"]["id"]["type"] == "string"  # required: not nullable
    assert task["properties"]["estimate_complete_time"]["type"] == ["integer", "null"]
    assert task["properties"]["priority"]["enum"] == [0, 1, 2, None]
    assert "enum" not in task["properties"]["log_collect_status"]
    assert task["properties"]["source_server"]["type"] == ["object", "null"]
    assert "enum" not in task["properties"]["source_server"]["properties"]["state"]
    assert task["properties"]["sub_tasks"]["items"]["properties"]["end_date"]["type"] == ["integer", "null"]
    assert derived_schema("list_tasks_response", "strict") == load_schema("list_tasks_response")


def test_schema_modes_helpers() -> None:
    assert nullable({"const": "a"}) == {"enum": ["a", None]}
    assert nullable({"type": ["string", "integer"]}) == {"type": ["string", "integer", "null"]}
    assert nullable({"type": "null"}) == {"type": "null"}
    assert nullable({"allOf": [{"minimum": 1}]}) == {"anyOf": [{"type": "null"}, {"allOf": [{"minimum": 1}]}]}
    assert nullable(True) is True and nullable(False) == {"type": "null"}
    with pytest.raises(ValueError, match="only local"):
        inline_refs({"properties": {"a": {"$ref": "https://example.com/x.json"}}})
    with pytest.raises(ValueError, match="recursive"):
        inline_refs({"$defs": {"n": {"properties": {"next": {"$ref": "#/$defs/n"}}}}, "$ref": "#/$defs/n"})
    with pytest.raises(ValueError, match="strict' or 'warn"):
        derive({}, "off")
    # Data keywords are not mistaken for schemas.
    schema = {"$defs": {}, "properties": {"a": {"enum": [{"$ref": "#/$defs/none"}], "default": {"$ref": 1}}}}
    assert inline_refs(schema)["properties"]["a"]["enum"] == [{"$ref": "#/$defs/none"}]


def test_realistic_page_is_valid_in_both_modes() -> None:
    page = make_page(200)
    assert both_modes(page) == (set(), set())
    assert validate_response(copy.deepcopy(page), "strict").ok


def test_drifted_page_is_clean_in_warn_and_counted_in_strict() -> None:
    page = drifted_page(200)
    assert validate_response(page, "warn").ok
    strict = validate_response(page, "strict")
    assert strict.total == 800 and len(strict.violations) == MAX_VIOLATIONS


def test_schema_libraries_load_on_demand() -> None:
    # Import: neither engine. A valid page: the fast path only. An invalid one: jsonschema_rs too.
    code = (
        "import sys, json, shared.validation.validate as v\n"
        "eager = {'jsonschema_rs', 'jsonschema', 'msgspec'} & set(sys.modules)\n"
        "assert not eager, f'eager import {eager}'\n"
        "doc = json.load(open('local/data/doc_example_200.json'))\n"
        "assert v.validate_response(doc, 'warn').ok\n"
        "assert 'msgspec' in sys.modules, 'fast path not used'\n"
        "assert 'jsonschema_rs' not in sys.modules, 'a valid document needed the full validator'\n"
        "assert not v.validate_response(doc, 'strict').ok\n"
        "assert 'jsonschema_rs' in sys.modules and 'jsonschema' not in sys.modules, 'reference imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- benchmark (not a test) -----------------------------------------------------------------------

def _best_ms(fn: Any, repeat: int = 20) -> float:
    import time

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def _bench_mode(mode: str, page: dict[str, Any], drifted: dict[str, Any], reference_cls: Any) -> None:
    import time

    start = time.perf_counter()
    compiled = compile_validator("list_tasks_response", mode)
    print(f"[{mode}] compile the jsonschema_rs validator: {(time.perf_counter() - start) * 1000:.2f} ms")
    start = time.perf_counter()
    fast = compile_fast_check("list_tasks_response", mode)
    print(f"[{mode}] compile the msgspec fast path: {(time.perf_counter() - start) * 1000:.2f} ms")
    reference = reference_cls(derived_schema("list_tasks_response", mode))
    rows = [
        ("valid page, msgspec fast path", lambda: fast(page), 20),
        ("valid page, jsonschema_rs is_valid", lambda: compiled.is_valid(page), 20),
        ("valid page, validate_response()", lambda: validate_response(page, mode), 20),
        ("valid page, jsonschema is_valid", lambda: reference.is_valid(page), 5),
        ("valid page, jsonschema iter_errors", lambda: list(reference.iter_errors(page)), 5),
        (f"drifted page, validate_response() ({validate_response(drifted, mode).total} violations)",
         lambda: validate_response(drifted, mode), 20),
        ("drifted page, jsonschema iter_errors", lambda: list(reference.iter_errors(drifted)), 5),
    ]
    for label, fn, repeat in rows:
        print(f"[{mode}] {label:<58} {_best_ms(fn, repeat):8.2f} ms")


def bench() -> None:
    import time

    page, drifted = make_page(200), drifted_page(200)
    subs = sum(len(t["sub_tasks"]) for t in page["tasks"])
    print(f"200-task page: {len(json.dumps(page)) / 1024:.0f} KiB of JSON, {subs} sub tasks")
    start = time.perf_counter()
    import jsonschema  # the reference, for comparison only

    print(f"import jsonschema: {(time.perf_counter() - start) * 1000:.1f} ms")
    for mode in ("strict", "warn"):
        _bench_mode(mode, page, drifted, jsonschema.Draft202012Validator)


if __name__ == "__main__":
    bench()
