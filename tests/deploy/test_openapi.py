"""openapi.yaml: up to date with its sources, a valid OpenAPI 3.0 document API Gateway can import,
schemas that still mean what the JSON Schema files say, and served by the local gateway."""
from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from deploy import openapi
from local.gateway import Gateway
from shared.dashboard.csv_export import CSV_TYPE
from shared.dashboard.render import HTML_TYPE, security_headers
from shared.triggers.apigw import JSON_TYPE

ERRORS = ["400", "401", "403", "404", "405", "409", "429", "500", "502", "504"]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load(openapi.OUTPUT.read_text(encoding="utf-8"))


def validator(spec: dict[str, Any], name: str) -> OAS30Validator:
    return OAS30Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})


def test_generated_file_is_up_to_date() -> None:
    assert openapi.OUTPUT.read_text(encoding="utf-8") == openapi.render(openapi.build_spec()), \
        "openapi.yaml is out of date: run `make openapi`"


def test_is_a_valid_openapi_document(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.0")
    events = yaml.parse(openapi.OUTPUT.read_text(encoding="utf-8"))
    assert not any(isinstance(e, yaml.AliasEvent) for e in events)  # not every importer resolves YAML aliases


def test_operations_parameters_and_responses(spec: dict[str, Any]) -> None:
    tasks = spec["paths"]["/v3/tasks"]["get"]
    params = [p["$ref"].rsplit("_", 1)[-1] if "$ref" in p else p["name"] for p in tasks["parameters"]]
    names = [spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[-1]]["name"] for p in tasks["parameters"]]
    assert names == ["state", "name", "id", "source_server_id", "limit", "offset", "enterprise_project_id", "all"]
    assert len(params) == 8
    limit = spec["components"]["parameters"]["query_limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (0, 200, 100)
    summary = spec["paths"]["/v3/tasks/summary"]["get"]
    summary_names = [spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[-1]]["name"]
                     for p in summary["parameters"]]
    assert "limit" not in summary_names and "state" in summary_names
    for op, schema in ((tasks, "ListTasksResponse"), (summary, "Summary")):
        assert sorted(op["responses"]) == sorted(["200", *ERRORS])
        assert op["responses"]["200"]["content"][JSON_TYPE]["schema"]["$ref"].endswith(schema)
    for code in ERRORS:
        body = spec["components"]["responses"][f"Error{code}"]["content"][JSON_TYPE]["schema"]
        assert body["$ref"] == "#/components/schemas/Error"
    assert set(spec["components"]["responses"]["Error405"]["headers"]) == {"X-Request-Id", "Allow"}
    assert set(spec["components"]["responses"]["Error429"]["headers"]) == {"X-Request-Id", "Retry-After"}


def response_of(spec: dict[str, Any], path: str, status: str) -> dict[str, Any]:
    node = spec["paths"][path]["get"]["responses"][status]
    return spec["components"]["responses"][node["$ref"].rsplit("/", 1)[-1]] if "$ref" in node else node


@pytest.mark.parametrize(("path", "media", "error_media"), [
    ("/dashboard", HTML_TYPE, HTML_TYPE), ("/dashboard/tasks/{id}", HTML_TYPE, HTML_TYPE),
    ("/dashboard/tasks.csv", CSV_TYPE, JSON_TYPE),
])
def test_dashboard_answers_are_described_as_given(spec: dict[str, Any], path: str, media: str,
                                                  error_media: str) -> None:
    """The pages' errors are HTML pages, the CSV's SMS's JSON; every answer has the pages' headers,
    required, with the values the code sends."""
    op = spec["paths"][path]["get"]
    csv_only = ["303", "413"] if media == CSV_TYPE else []  # too large: a signed OBS link, or 413 naming the setting
    assert sorted(op["responses"]) == sorted(["200", *csv_only, *ERRORS]) and "security" not in op
    page_headers = {k: v for k, v in security_headers().items() if k != "Content-Type"}
    for status in op["responses"]:
        response = response_of(spec, path, status)
        expected = media if status == "200" else JSON_TYPE if status == "303" else error_media
        assert list(response["content"]) == [expected]
        for name, value in page_headers.items():
            assert name in response["headers"]
            header = spec["components"]["headers"][name]
            assert header["required"] and header["schema"]["enum"] == [value]
        assert "X-Request-Id" in response["headers"]
        assert ("Allow" in response["headers"]) == (status == "405")
        assert ("Retry-After" in response["headers"]) == (status == "429")
    ok = response_of(spec, path, "200")["headers"]
    assert {"X-Scan-Partial", "X-Sms-Request-Id"} <= set(ok)
    assert ({"X-Task-Count", "Content-Disposition"} <= set(ok)) == (media == CSV_TYPE)
    assert spec["components"]["headers"]["Allow"]["schema"]["enum"] == ["GET"]
    params = [spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[-1]] if "$ref" in p else p
              for p in op["parameters"]]
    token = next(p for p in params if p["name"] == "token")
    assert token["required"] and token["in"] == "query"
    if path != "/dashboard/tasks/{id}":
        state = next(p for p in params if p["name"] == "state")
        assert state["schema"]["enum"][0] == ""  # an empty form field: not set


def test_api_gateway_extensions(spec: dict[str, Any]) -> None:
    op = spec["paths"]["/v3/tasks"]["get"]
    backend = op["x-apigateway-backend"]
    assert backend["type"] == "FUNCTION"
    endpoints = backend["functionEndpoints"]
    assert endpoints["function-urn"] == "urn:fss:cn-north-4:{project_id}:function:default:list_tasks_http"
    assert (endpoints["invocation-type"], endpoints["version"], endpoints["timeout"]) == ("sync", "latest", 30000)
    # The alias in APIG's alias slot, in FunctionGraph's alias form, never as a version name.
    assert endpoints["alias-urn"] == endpoints["function-urn"] + ":!live"
    assert op["security"] == [{"apig-auth-iam": []}]
    assert spec["components"]["securitySchemes"]["apig-auth-iam"]["x-apigateway-auth-type"] == "IAM"
    assert op["x-apigateway-request-type"] == "public" and op["x-apigateway-match-mode"] == "NORMAL"
    rendered = openapi.build_spec("abcdef0123")
    urn = rendered["paths"]["/v3/tasks/summary"]["get"]["x-apigateway-backend"]["functionEndpoints"]["function-urn"]
    assert urn == "urn:fss:cn-north-4:abcdef0123:function:default:list_tasks_http"


def test_converted_schemas_keep_their_meaning(spec: dict[str, Any]) -> None:
    """ListTasks in the deployed function's mode (warn): the doc's own example (with nulls) and
    unknown fields pass; types, ranges, required fields and identity enums still hold."""
    assert spec["components"]["schemas"]["ListTasksResponse"]["x-validation-mode"] == "warn"
    tasks = validator(spec, "ListTasksResponse")
    example = json.loads((openapi.ROOT / "local" / "data" / "doc_example_200.json").read_text())
    tasks.validate(example)
    tasks.validate({**example, "unknown": 1})
    assert not tasks.is_valid({**example, "count": -1})
    assert not tasks.is_valid({**example, "count": "3"})
    assert not tasks.is_valid({"count": 1})  # tasks is required
    assert not tasks.is_valid({**example, "tasks": [{**example["tasks"][0], "type": "BOGUS"}]})
    error = {"error_code": "SMS.9004", "error_msg": "denied", "extra": True}
    validator(spec, "Error").validate(error)
    assert not validator(spec, "Error").is_valid({"error_code": "x"})


def test_nullable_and_const_translate(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert "$defs" not in json.dumps(schemas) and "$schema" not in json.dumps(schemas)
    assert schemas["Summary"]["properties"]["schema_version"]["enum"] == [2]
    nullable = [s for s in schemas.values() for p in (s.get("properties") or {}).values() if p.get("nullable")]
    assert nullable
    assert openapi.to_oas30({"type": ["integer", "null"], "minimum": 0}, "X") == {
        "type": "integer", "minimum": 0, "nullable": True}
    assert openapi.to_oas30({"anyOf": [{"$ref": "#/$defs/t"}, {"type": "null"}]}, "X") == {
        "allOf": [{"$ref": "#/components/schemas/X_t"}], "nullable": True}
    assert openapi.to_oas30({"description": "d", "$ref": "#/$defs/t"}, "X") == {
        "description": "d", "allOf": [{"$ref": "#/components/schemas/X_t"}]}
    assert openapi.to_oas30({"exclusiveMinimum": 0}, "X") == {"minimum": 0, "exclusiveMinimum": True}


def test_check_mode(tmp_path: Any) -> None:
    out = tmp_path / "openapi.yaml"
    assert openapi.main(["--out", str(out), "--check"]) == 1
    assert openapi.main(["--out", str(out)]) == 0
    assert openapi.main(["--out", str(out), "--check"]) == 0


def test_local_gateway_serves_openapi_json() -> None:
    gateway = Gateway(port=0, routes=[]).start()
    try:
        with urllib.request.urlopen(f"{gateway.url}/openapi.json", timeout=10) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
            served = json.loads(resp.read())
    finally:
        gateway.stop()
    assert served["servers"] == [{"url": gateway.url, "description": "local gateway"}]
    assert served["paths"].keys() == {"/v3/tasks", "/v3/tasks/summary", "/dashboard", "/dashboard/tasks/{id}",
                                      "/dashboard/tasks.csv", "/metrics"}
