"""The schema files themselves: valid JSON Schema, faithful to the doc, and in step with the SDK.

``jsonschema`` (pure Python) is the reference here; production code only uses jsonschema_rs."""
from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

from shared.schemas import SCHEMA_DIR, load_schema
from shared.validation.modes import OPEN_ENUM
from shared.validation.validate import derived_schema

OUR_SCHEMAS = ["list_tasks_query", "list_tasks_response", "error"]
LONG_MAX = 9223372036854775807


def walk(schema: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema with its location (properties, items and $defs are all this project uses)."""
    if not isinstance(schema, dict):
        return
    yield path, schema
    for key in ("properties", "$defs"):
        for name, sub in schema.get(key, {}).items():
            yield from walk(sub, f"{path}/{key}/{name}")
    if "items" in schema:
        yield from walk(schema["items"], f"{path}/items")


def prop(def_name: str, field: str) -> dict[str, Any]:
    schema = load_schema("list_tasks_response")
    holder = schema if def_name == "#" else schema["$defs"][def_name]
    return holder["properties"][field]


# --- valid JSON Schema, with the metadata we promise ----------------------------------------------------

@pytest.mark.parametrize("name", OUR_SCHEMAS)
@pytest.mark.parametrize("mode", ["strict", "warn"])
def test_schema_is_valid_against_its_metaschema(name: str, mode: str) -> None:
    schema = derived_schema(name, mode)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.validators.validator_for(schema).check_schema(schema)  # the reference
    assert jsonschema_rs.meta.is_valid(schema)


def test_every_schema_file_in_the_folder_is_valid() -> None:
    # Catches files other parts add (e.g. summary.schema.json) as well as ours.
    files = sorted(SCHEMA_DIR.glob("*.schema.json"))
    assert {f.name for f in files} >= {f"{n}.schema.json" for n in OUR_SCHEMAS}
    for path in files:
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.validators.validator_for(schema).check_schema(schema)


@pytest.mark.parametrize("name", OUR_SCHEMAS)
def test_schema_metadata(name: str) -> None:
    schema = load_schema(name)
    assert schema["$id"].endswith(f"/{name}.schema.json")
    assert schema["title"] and len(schema["description"]) > 40
    for location, sub in walk(schema):
        if location != "#" and not location.endswith("/items"):  # items: described by their array
            assert sub.get("description"), f"{name}{location} has no description"


def test_response_has_every_table_of_the_doc_as_defs() -> None:
    assert set(load_schema("list_tasks_response")["$defs"]) == {
        "TasksResponseBody",
        "SubTaskAssociatedWithTask",
        "SourceServerAssociatedWithTask",
        "TargetServerAssociatedWithTask",
        "CloneServerBrief",
        "NetworkCheckInfoRequestBody",
        "ConfigBody",
    }


@pytest.mark.parametrize("name", ["list_tasks_query", "list_tasks_response"])
def test_strict_files_close_every_object(name: str) -> None:
    for location, sub in walk(load_schema(name)):
        if sub.get("type") == "object":
            assert sub.get("additionalProperties") is False, f"{name}{location} is open"


def test_error_schema_stays_open_for_our_own_fields() -> None:
    schema = load_schema("error")
    assert schema["required"] == ["error_code", "error_msg"]
    assert schema["additionalProperties"] is True
    assert schema["$defs"]["details"]["additionalProperties"] is True
    assert schema["properties"]["error_param"]["items"] == {"type": "string"}


# --- faithful to the doc ------------------------------------------------------------------------------

def test_only_status_enums_are_open() -> None:
    open_enums = {loc for loc, sub in walk(load_schema("list_tasks_response")) if sub.get(OPEN_ENUM)}
    assert open_enums == {
        "#/$defs/TasksResponseBody/properties/log_collect_status",
        "#/$defs/SourceServerAssociatedWithTask/properties/state",
    }
    for name in ("list_tasks_query", "error"):
        assert not any(sub.get(OPEN_ENUM) for _, sub in walk(load_schema(name)))


def test_required_fields_are_minimal() -> None:
    schema = load_schema("list_tasks_response")
    required = {loc: sub["required"] for loc, sub in walk(schema) if "required" in sub}
    assert required == {"#": ["count", "tasks"], "#/$defs/TasksResponseBody": ["id"]}


# Every range the doc gives, transcribed from it independently of the schema file.
DOC_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("#", "count"): (0, 2147483647),
    **{("TasksResponseBody", f): (0, LONG_MAX)
       for f in ("estimate_complete_time", "create_date", "total_time")},
    ("TasksResponseBody", "priority"): (0, 2),
    ("TasksResponseBody", "speed_limit"): (0, 65535),
    ("TasksResponseBody", "migrate_speed"): (0, 10000),
    ("TasksResponseBody", "compress_rate"): (0, 10000),
    ("TasksResponseBody", "total_cpu_usage"): (0, 100),
    ("TasksResponseBody", "agent_cpu_usage"): (0, 100),
    ("TasksResponseBody", "total_mem_usage"): (0, 1048576.0),
    ("TasksResponseBody", "agent_mem_usage"): (0, 1048576.0),
    ("TasksResponseBody", "total_disk_io"): (0, 10000.0),
    ("TasksResponseBody", "agent_disk_io"): (0, 10000.0),
    **{("SubTaskAssociatedWithTask", f): (0, LONG_MAX) for f in ("id", "start_date", "end_date")},
    ("SubTaskAssociatedWithTask", "progress"): (0, 100),
    ("NetworkCheckInfoRequestBody", "network_delay"): (0, 10000.0),
    ("NetworkCheckInfoRequestBody", "network_jitter"): (0, 10000),
    ("NetworkCheckInfoRequestBody", "migration_speed"): (0, 10000),
    ("NetworkCheckInfoRequestBody", "loss_percentage"): (0, 100),
    ("NetworkCheckInfoRequestBody", "cpu_usage"): (0, 100),
    ("NetworkCheckInfoRequestBody", "mem_usage"): (0, 100),
}


def test_every_doc_range_and_no_other() -> None:
    schema = load_schema("list_tasks_response")
    found = {}
    for location, sub in walk(schema):
        if "minimum" in sub or "maximum" in sub:
            parts = location.split("/")
            owner = "#" if len(parts) == 3 else parts[2]
            found[(owner, parts[-1])] = (sub.get("minimum"), sub.get("maximum"))
    assert found == DOC_RANGES


def test_doc_enums() -> None:
    assert prop("TasksResponseBody", "type")["enum"] == ["MIGRATE_FILE", "MIGRATE_BLOCK"]
    assert prop("TasksResponseBody", "priority")["enum"] == [0, 1, 2]
    for owner in ("TasksResponseBody", "SourceServerAssociatedWithTask", "TargetServerAssociatedWithTask"):
        assert prop(owner, "os_type")["enum"] == ["WINDOWS", "LINUX"]
    assert len(prop("TasksResponseBody", "log_collect_status")["enum"]) == 10
    assert len(prop("SourceServerAssociatedWithTask", "state")["enum"]) == 20
    assert "enum" not in prop("TasksResponseBody", "state")  # the doc gives none for the response
    query = load_schema("list_tasks_query")["properties"]
    assert len(query["state"]["enum"]) == 10 and "SYNC_F_ROLLBACK_SUCCESS" in query["state"]["enum"]
    bounds = {k: (query[k]["minimum"], query[k]["maximum"], query[k]["default"]) for k in ("limit", "offset")}
    assert bounds == {"limit": (0, 200, 100), "offset": (0, 65535, 0)}
    assert query["all"]["type"] == "boolean" and query["all"]["x-extension"] is True


def test_only_end_date_is_nullable_in_strict() -> None:
    nullable = [loc for loc, sub in walk(load_schema("list_tasks_response")) if "null" in sub.get("type", [])]
    assert nullable == ["#/$defs/SubTaskAssociatedWithTask/properties/end_date"]


# --- in step with the SDK's model classes ----------------------------------------------------------

SDK_CLASS_FOR_DEF = {
    "#": "ListTasksResponse",
    "TasksResponseBody": "TasksResponseBody",
    "SubTaskAssociatedWithTask": "SubTaskAssociatedWithTask",
    "SourceServerAssociatedWithTask": "SourceServerAssociatedWithTask",
    "TargetServerAssociatedWithTask": "TargetServerAssociatedWithTask",
    "CloneServerBrief": "CloneServerBrief",
    "NetworkCheckInfoRequestBody": "NetworkCheckInfoRequestBody",
    "ConfigBody": "ConfigBody",
}
_SDK_SCALARS = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def sdk_model(class_name: str) -> Any:
    return getattr(importlib.import_module("huaweicloudsdksms.v3.model"), class_name)


def sdk_fields(class_name: str) -> dict[str, str]:
    """JSON name -> SDK type of a model's body fields.

    Responses derive from SdkResponse, whose HTTP status and raw content are instance attributes,
    not ``openapi_types`` entries; SDK responses of other APIs list response *headers* there under
    names like ``X-Request-Id``, which are not body fields, so those are skipped."""
    model = sdk_model(class_name)
    return {
        model.attribute_map[attr]: kind
        for attr, kind in model.openapi_types.items()
        if not model.attribute_map[attr].lower().startswith("x-")
    }


def schema_kind(sub: dict[str, Any]) -> str:
    """The SDK type name that matches a property schema: 'str', 'list[ConfigBody]', 'CloneServerBrief'."""
    if "$ref" in sub:
        return sub["$ref"].removeprefix("#/$defs/")
    kind = sub["type"]
    kind = next(k for k in kind if k != "null") if isinstance(kind, list) else kind
    if kind == "array":
        return f"list[{schema_kind(sub['items'])}]"
    return {v: k for k, v in _SDK_SCALARS.items()}[kind]


def diff_message(where: str, sdk: dict[str, str], ours: dict[str, str]) -> str:
    return (
        f"{where}: the SDK and the schema disagree (SDK upgraded?)\n"
        f"  only in the SDK:    {sorted(set(sdk) - set(ours))}\n"
        f"  only in the schema: {sorted(set(ours) - set(sdk))}\n"
        f"  type differs:       "
        f"{ {k: (sdk[k], ours[k]) for k in set(sdk) & set(ours) if sdk[k] != ours[k]} }"
    )


@pytest.mark.parametrize(("def_name", "class_name"), SDK_CLASS_FOR_DEF.items())
def test_response_schema_matches_sdk_model(def_name: str, class_name: str) -> None:
    schema = load_schema("list_tasks_response")
    holder = schema if def_name == "#" else schema["$defs"][def_name]
    ours = {name: schema_kind(sub) for name, sub in holder["properties"].items()}
    sdk = sdk_fields(class_name)
    assert ours == sdk, diff_message(def_name, sdk, ours)


def test_every_nested_sdk_class_has_a_def() -> None:
    # Follow the SDK's own type graph from ListTasksResponse: nothing it reaches may lack a $defs entry.
    seen, todo = set(), ["ListTasksResponse"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for kind in sdk_fields(name).values():
            inner = kind.removeprefix("list[").removesuffix("]")
            if inner not in _SDK_SCALARS:
                todo.append(inner)
    assert seen == set(SDK_CLASS_FOR_DEF.values())


def test_query_schema_matches_sdk_request() -> None:
    props = load_schema("list_tasks_query")["properties"]
    ours = {name: schema_kind(sub) for name, sub in props.items() if not sub.get("x-extension")}
    sdk = sdk_fields("ListTasksRequest")
    assert ours == sdk, diff_message("ListTasksRequest", sdk, ours)


def test_diff_message_names_the_difference() -> None:
    message = diff_message("X", {"a": "str", "b": "int"}, {"a": "int", "c": "str"})
    assert "['b']" in message and "['c']" in message and "'a': ('str', 'int')" in message
