"""``make openapi``: the OpenAPI 3.0 definition of the HTTP API, generated from the JSON Schema
files in ``shared/schemas/`` (query parameters, 200 bodies, error bodies) and the APIG trigger in
template.yaml (which function serves which path, auth, backend timeout, alias). The ListTasks body
is the rule set of the serving function's ``SMS_VALIDATION`` (``warn`` unless ``strict``, derived by
``shared.validation.modes``): SMS's answer passes through, so that is what a client can receive.

OpenAPI 3.0, not 3.1: API Gateway imports Swagger 2.0 and OpenAPI 3.0 documents. The schema
files are JSON Schema 2020-12, so they are translated to 3.0's schema dialect (``$defs`` hoisted
into ``components/schemas``, ``type: [X, "null"]`` to ``nullable``, ``const`` to a one-value
``enum``); the functions keep validating with the schema files themselves.

API Gateway extensions (APIG's "extended definitions"): ``x-apigateway-backend`` (type FUNCTION,
``functionEndpoints``: function-urn, alias-urn, version, invocation-type sync, timeout),
``x-apigateway-auth-type`` on the security scheme (IAM or AppSigv1),
``x-apigateway-request-type`` and ``x-apigateway-match-mode`` on each operation.

``openapi.yaml`` (committed, checked up to date by a test) carries the placeholder project id
``{project_id}`` in the function URNs; ``--project-id`` renders an importable copy.

One source per API: the DEDICATEDGATEWAY trigger creates the API in its group, so this file is
the contract (clients, SDKs, the local gateway's /openapi.json) and is never imported into that
group, which would define the same path twice; import it only into a group of its own.

The alias: APIG's function backend takes ``alias_urn`` (``<urn>:!<alias>``; with it, the version
is ignored), so the alias goes there and ``version`` stays ``latest``: an importer that reads only
the documented keys (function-urn, version) still gets a valid backend."""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from project import template
from shared.validation.modes import derive

ROOT = template.ROOT
SCHEMAS = ROOT / "shared" / "schemas"
OUTPUT = ROOT / "openapi.yaml"
PROJECT_PLACEHOLDER = "{project_id}"

# name in components/schemas -> schema file
SCHEMA_FILES = {
    "ListTasksResponse": "list_tasks_response.schema.json",
    "Summary": "summary.schema.json",
    "Error": "error.schema.json",
}
QUERY_FILE = "list_tasks_query.schema.json"
PAGING_PARAMS = ("limit", "offset", "all")  # the summary reads every page: these don't apply

ERRORS = {
    "400": "A query parameter is invalid (SMSFN.0400, names it in error_param), or SMS rejected the request.",
    "403": "SMS refused the call, e.g. the function's agency lacks sms:server:listTask (SMS's own body).",
    "404": "No such route (SMSFN.0404).",
    "405": "Method not allowed; only GET (SMSFN.0405, allowed_methods lists them).",
    "409": "The task list changed while all pages were read (SMSFN.0409); read again.",
    "500": "Configuration or internal error (SMSFN.0500); quote X-Request-Id to the operator.",
    "502": "SMS failed or answered malformed JSON (SMSFN.0502, SMSFN.0512; SMS's own code in details).",
    "504": "SMS did not answer within the function's time (SMSFN.0504).",
}
HEADERS = {
    "X-Request-Id": "The function invocation's request id.",
    "X-Sms-Request-Id": "SMS's request id of the (first) upstream call.",
    "X-Schema-Violations": "Schema violations found in SMS's answer (validation mode warn); absent when none.",
    "X-Scan-Pages": "Pages read from SMS (all=true and the summary).",
    "X-Scan-Partial": "true when not every page could be read in time.",
    "X-Scan-Partial-Reason": "Why the scan is partial.",
}
_DATA_KEYWORDS = {"enum", "default", "required", "example", "examples"}  # values are data, not schemas
_SUBSCHEMA_MAPS = {"properties", "patternProperties", "$defs"}


# --- JSON Schema 2020-12 -> OpenAPI 3.0 schema objects ---------------------------------------------

def _ref(ref: str, prefix: str) -> str:
    if ref == "#":
        return f"#/components/schemas/{prefix}"
    match = re.fullmatch(r"#/\$defs/([A-Za-z0-9_.-]+)", ref)
    if not match:
        raise ValueError(f"unsupported $ref {ref!r}: only '#' and '#/$defs/<name>' are translated")
    return f"#/components/schemas/{prefix}_{match.group(1)}"


def to_oas30(node: Any, prefix: str) -> Any:
    """One schema node in OpenAPI 3.0's dialect; ``prefix`` names the hoisted ``$defs``."""
    if isinstance(node, list):
        return [to_oas30(item, prefix) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    nullable = False
    for key, value in node.items():
        if key in ("$schema", "$id", "$defs", "$comment"):
            continue
        if key == "$ref":
            out["$ref"] = _ref(value, prefix)
        elif key == "const":
            out["enum"] = [value]
        elif key == "examples":
            if value:
                out["example"] = value[0]
        elif key == "type" and (isinstance(value, list) or value == "null"):
            types = [t for t in ([value] if isinstance(value, str) else value) if t != "null"]
            nullable = nullable or len(types) < (1 if isinstance(value, str) else len(value))
            if len(types) == 1:
                out["type"] = types[0]
            elif len(types) > 1:
                out["anyOf"] = [{"type": t} for t in types]
            else:
                out["enum"] = [None]
        elif key in ("anyOf", "oneOf"):
            members = [m for m in value if m != {"type": "null"}]
            nullable = nullable or len(members) < len(value)
            converted = [to_oas30(m, prefix) for m in members]
            if len(converted) == 1:
                out.setdefault("allOf", []).append(converted[0])
            else:
                out[key] = converted
        elif key == "exclusiveMinimum" and not isinstance(value, bool):
            out.update(minimum=value, exclusiveMinimum=True)
        elif key == "exclusiveMaximum" and not isinstance(value, bool):
            out.update(maximum=value, exclusiveMaximum=True)
        elif key in _SUBSCHEMA_MAPS:
            out[key] = {name: to_oas30(sub, prefix) for name, sub in value.items()}
        elif key in _DATA_KEYWORDS or key.startswith("x-"):
            out[key] = copy.deepcopy(value)
        else:
            out[key] = to_oas30(value, prefix)
    if "$ref" in out and len(out) > 1:
        # 3.0 ignores siblings of $ref: wrap it so description, nullable ... still count.
        out.setdefault("allOf", []).insert(0, {"$ref": out.pop("$ref")})
    if nullable:
        out["nullable"] = True
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def _response_mode() -> str:
    """The rule set the serving function validates SMS's answer with (SMS_VALIDATION in
    template.yaml): its answers pass through, so the API promises what that mode accepts."""
    fn, _ = _backend_for("/v3/tasks")
    return "strict" if fn.environment.get("SMS_VALIDATION", "warn").strip().lower() == "strict" else "warn"


def component_schemas() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for prefix, filename in SCHEMA_FILES.items():
        schema = _load(filename)
        mode = "strict"
        if prefix == "ListTasksResponse":
            mode = _response_mode()
            schema = derive(schema, mode)  # warn: nulls, unknown fields, open status enums allowed
        out[prefix] = to_oas30(schema, prefix)
        out[prefix]["x-schema-file"] = f"shared/schemas/{filename}"
        out[prefix]["x-validation-mode"] = mode
        for name, sub in (schema.get("$defs") or {}).items():
            out[f"{prefix}_{name}"] = to_oas30(sub, prefix)
    return out


def query_parameters() -> dict[str, Any]:
    query = _load(QUERY_FILE)
    params = {}
    for name, schema in query["properties"].items():
        converted = to_oas30(schema, "ListTasksQuery")
        description = converted.pop("description", "")
        param = {"name": name, "in": "query", "required": False, "description": description, "schema": converted}
        if schema.get("x-extension"):
            param["x-extension"] = True
        params[f"query_{name}"] = param
    return params


# --- paths, backend, auth -------------------------------------------------------------------------

def _backend_for(path: str) -> tuple[template.Function, template.Trigger]:
    """The function whose APIG trigger serves ``path`` (longest path first, as APIG matches)."""
    candidates = []
    for fn in template.load().values():
        for trigger in fn.triggers_of("APIG"):
            route = trigger.spec["path"].rstrip("/") or "/"
            prefix = str(trigger.spec.get("match", "exact")).lower() == "prefix"
            if path == route or (prefix and path.startswith(route + "/")):
                candidates.append((len(route), fn, trigger))
    if not candidates:
        raise SystemExit(f"no APIG trigger in template.yaml serves {path}")
    _, fn, trigger = max(candidates, key=lambda c: c[0])
    return fn, trigger


def function_urn(fn: template.Function, project_id: str, settings: template.Deployment) -> str:
    return f"urn:fss:{settings.region}:{project_id}:function:{settings.app}:{fn.name}"


def _operation(path: str, summary: str, op_id: str, ok_schema: str, params: list[str], project_id: str,
               description: str) -> dict[str, Any]:
    fn, trigger = _backend_for(path)
    settings = template.deployment()
    spec = trigger.spec
    auth = str(spec.get("auth", "IAM")).upper()
    responses: dict[str, Any] = {
        "200": {
            "description": "OK",
            "headers": {name: {"$ref": f"#/components/headers/{name}"} for name in HEADERS},
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ok_schema}"}}},
        }
    }
    responses.update({code: {"$ref": f"#/components/responses/Error{code}"} for code in ERRORS})
    op: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "description": description,
        "tags": ["tasks"],
        "parameters": [{"$ref": f"#/components/parameters/query_{p}"} for p in params],
        "responses": responses,
        "x-apigateway-request-type": str(spec.get("visibility", "public")),
        "x-apigateway-match-mode": "NORMAL",
        "x-apigateway-backend": {
            "type": "FUNCTION",
            "functionEndpoints": {
                "function-urn": function_urn(fn, project_id, settings),
                **({"alias-urn": f"{function_urn(fn, project_id, settings)}:!{settings.alias}"}
                   if settings.alias else {}),
                "version": "latest",
                "invocation-type": "sync",
                "timeout": int(spec.get("timeout_ms", fn.timeout_s * 1000)),
            },
        },
    }
    if auth != "NONE":
        op["security"] = [{"apig-auth-iam" if auth == "IAM" else "apig-auth-app": []}]
    return op


def _version() -> str:
    # pyproject's [project] version (tomllib is 3.11+; the tooling stays 3.10-compatible)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    return match.group(1) if match else "0.0.0"


def build_spec(project_id: str = PROJECT_PLACEHOLDER) -> dict[str, Any]:
    query = _load(QUERY_FILE)
    all_params = list(query["properties"])
    filters = [p for p in all_params if p not in PAGING_PARAMS]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "SMS migration tasks",
            "version": _version(),
            "description": (
                "Huawei Cloud SMS ListTasks (GET /v3/tasks) served by FunctionGraph behind API Gateway, plus a "
                "summary of all matching tasks. Generated by deploy/openapi.py from shared/schemas/ and "
                "template.yaml; do not edit by hand. The API Gateway trigger in template.yaml creates these APIs "
                "in its group: import this file only into another group, never that one."
            ),
        },
        "tags": [{"name": "tasks", "description": "SMS migration tasks"}],
        "paths": {
            "/v3/tasks": {
                "get": _operation(
                    "/v3/tasks", "List migration tasks", "listTasks", "ListTasksResponse", all_params, project_id,
                    "SMS's own ListTasks answer, passed through so the official SDK works against it. all=true "
                    "reads every page and answers with all tasks in one body.",
                )
            },
            "/v3/tasks/summary": {
                "get": _operation(
                    "/v3/tasks/summary", "Summarise migration tasks", "summariseTasks", "Summary", filters,
                    project_id, "Counts by state, type and OS, running, failed and stalled tasks of every task "
                    "the filters match.",
                )
            },
        },
        "components": {
            "securitySchemes": {
                "apig-auth-iam": {"type": "apiKey", "name": "unused", "in": "header",
                                  "description": "IAM authentication (token or AK/SK signature).",
                                  "x-apigateway-auth-type": "IAM"},
                "apig-auth-app": {"type": "apiKey", "name": "Authorization", "in": "header",
                                  "description": "APIG app authentication (AppKey/AppSecret signature).",
                                  "x-apigateway-auth-type": "AppSigv1"},
            },
            "parameters": query_parameters(),
            "headers": {name: {"description": text, "schema": {"type": "string"}} for name, text in HEADERS.items()},
            "responses": {
                f"Error{code}": {
                    "description": text,
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
                for code, text in ERRORS.items()
            },
            "schemas": component_schemas(),
        },
    }


def render(spec: dict[str, Any]) -> str:
    header = "# Generated by `make openapi` (deploy/openapi.py) from shared/schemas/ and template.yaml. Do not edit.\n"
    return header + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUTPUT)
    parser.add_argument("--project-id", default=PROJECT_PLACEHOLDER,
                        help="render an importable copy with this project id in the function URNs")
    parser.add_argument("--check", action="store_true", help="exit 1 when --out is not up to date")
    args = parser.parse_args(argv)
    text = render(build_spec(args.project_id))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
