"""``make openapi``: the OpenAPI 3.0 definition of the HTTP API, generated from the JSON Schema
files in ``shared/schemas/`` (query parameters, 200 bodies, error bodies) and the APIG trigger in
template.yaml (which function serves which path, auth, backend timeout, alias). The ListTasks body
is the rule set of the serving function's ``SMS_VALIDATION`` (``warn`` unless ``strict``, derived by
``shared.validation.modes``): SMS's answer passes through, so that is what a client can receive.

OpenAPI 3.0, not 3.1: API Gateway imports Swagger 2.0 and OpenAPI 3.0 documents. The schema
files are JSON Schema 2020-12, so they are translated to 3.0's schema dialect (``$defs`` hoisted
into ``components/schemas``, ``type: [X, "null"]`` to ``nullable``, ``const`` to a one-value
``enum``); the functions keep validating with the schema files themselves.

The dashboard's routes are described as they answer (shared/triggers/dashboard_routes.py): HTML
pages, their errors as HTML pages, the CSV's in SMS's JSON shape, every answer with the pages'
security headers. Media types, header values (the CSP with its stylesheet hash: a changed page.css
needs ``make openapi``) and ``Allow`` are read from the code's own constants, not retyped.

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
from typing import Any, NamedTuple

import yaml

from project import template
from shared.dashboard.csv_export import CSV_TYPE
from shared.dashboard.links import TOKEN_PARAM
from shared.dashboard.render import HTML_TYPE, LANGUAGE_NAMES, security_headers
from shared.metrics.exposition import CONTENT_TYPE as METRICS_TYPE
from shared.triggers.apigw import JSON_TYPE
from shared.triggers.http_routes import ALLOW
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
    "401": "SMS refused the function's credentials, e.g. an unknown access key (SMS's own body).",
    "403": "SMS refused the call, e.g. the function's agency lacks sms:server:listTask (SMS's own body).",
    "404": "No such route (SMSFN.0404).",
    "405": "Method not allowed; only GET (SMSFN.0405, allowed_methods and Allow list them).",
    "409": "The task list changed while all pages were read (SMSFN.0409); read again.",
    "429": "SMS throttled the calls longer than the function could wait (SMS's own body); retry after Retry-After.",
    "500": "Configuration or internal error (SMSFN.0500); quote X-Request-Id to the operator.",
    "502": "SMS failed or answered malformed JSON (SMSFN.0502, SMSFN.0512; SMS's own code in details).",
    "504": "SMS did not answer within the function's time (SMSFN.0504).",
}
# The dashboard's errors where they mean something else than the API's.
DASHBOARD_ERRORS = {
    **ERRORS,
    "401": "No, an altered or an expired link token, or one for another page (SMSFN.0401), answered before any "
           "task is read; or SMS refused the function's credentials (SMS's own code).",
    "404": "No task with this id (SMSFN.0404, the task page), or SMS's own 404.",
}
# The CSV's own: too large for an answer (issue 19).
CSV_ERRORS = {
    **DASHBOARD_ERRORS,
    "413": "The export cannot fit a FunctionGraph answer (6,291,456 bytes) and EXPORT_BUCKET is not set "
           "(SMSFN.0413; setting names it).",
    "502": "SMS failed or answered malformed JSON (SMSFN.0502, SMSFN.0512), or OBS refused the export's upload "
           "(SMSFN.0516).",
}
HEADERS = {
    "X-Request-Id": "The function invocation's request id.",
    "X-Sms-Request-Id": "SMS's request id of the (first) upstream call.",
    "X-Schema-Violations": "Schema violations found in SMS's answer: sent on every answer built from SMS's data, "
                           "0 when there are none; absent only with SMS_VALIDATION=off.",
    "X-Scan-Pages": "Pages read from SMS by a scan (all=true, the summary, the CSV); sent only when more than one.",
    "X-Scan-Partial": "true when the answer does not hold every task from offset on: the cap SMS_ALL_MAX_TASKS, the "
                      "function's remaining time, SMS's offset limit 65535 or (all=true) the response size.",
    "X-Scan-Partial-Reason": "Why the scan is partial.",
    "X-Next-Offset": "all=true, partial answers: the offset to ask for next (same filters) to go on reading; absent "
                     "once every task is read or SMS cannot page further. count stays SMS's total, tasks holds the "
                     "tasks from offset that fit.",
    "Content-Encoding": "all=true: gzip when the request's Accept-Encoding takes it (the body is the gzip of the "
                        "JSON; API Gateway sends the function's base64 answer as these bytes).",
    "Vary": "all=true: Accept-Encoding.",
}
REQUIRED_HEADERS = {"X-Request-Id"}  # on every answer of the function (http_routes.handle)
# Headers of other answers: an error's by status, the CSV's, the dashboard's (values the code's own).
OTHER_HEADERS: dict[str, dict[str, Any]] = {
    "Allow": {"description": "The methods the path allows (RFC 9110).", "required": True,
              "schema": {"type": "string", "enum": [ALLOW]}},
    "Retry-After": {"description": "Seconds to wait before calling again (SMS's wait, rounded up).", "required": True,
                    "schema": {"type": "integer", "minimum": 0}},
    "X-Task-Count": {"description": "Tasks matching the filters (SMS's count); more than the rows of a partial export.",
                     "required": True, "schema": {"type": "integer", "minimum": 0}},
    "WWW-Authenticate": {"description": "How to authenticate a scrape (RFC 6750).", "required": True,
                         "schema": {"type": "string", "pattern": "^Bearer "}},
    "Content-Disposition": {"description": "A download, named sms-tasks-<UTC time>.csv.", "required": True,
                            "schema": {"type": "string", "pattern": r'^attachment; filename="[^"]+\.csv"$'}},
    "Content-Encoding": {"description": "gzip when the request's Accept-Encoding accepts it (the body is then "
                                        "gzip; API Gateway decodes the function's base64).",
                         "schema": {"type": "string", "enum": ["gzip"]}},
    "Location": {"description": "The export's short-lived signed OBS download link (EXPORT_LINK_TTL_SECONDS).",
                 "required": True, "schema": {"type": "string", "format": "uri"}},
}
ERROR_HEADERS = {"405": ["Allow"], "429": ["Retry-After"]}
# /metrics's errors: the API's JSON, its 401 about the scrape's token (with WWW-Authenticate).
METRICS_ERRORS = {
    **ERRORS,
    "401": "No, an altered or an expired metrics token, or one for another scope (SMSFN.0401), answered before "
           "any task is read (WWW-Authenticate: Bearer); or SMS refused the function's credentials.",
}
# Every dashboard answer's headers (shared/dashboard/render.py); OpenAPI ignores a Content-Type
# header, the media type says it.
PAGE_HEADERS = {name: value for name, value in security_headers().items() if name != "Content-Type"}


class ErrorKind(NamedTuple):
    """How one kind of route answers its errors (shared/triggers/routing.py: each route owns its shape)."""

    media: str
    schema: dict[str, Any]
    headers: list[str]  # besides X-Request-Id and ERROR_HEADERS
    texts: dict[str, str]  # status -> description
    note: str = ""


_ERROR_BODY = {"$ref": "#/components/schemas/Error"}
# Component name prefix -> kind: the API's JSON, the dashboard pages' HTML page, the CSV's JSON.
ERROR_KINDS = {
    "Error": ErrorKind(JSON_TYPE, _ERROR_BODY, [], ERRORS),
    "DashboardPageError": ErrorKind(HTML_TYPE, {"type": "string"}, list(PAGE_HEADERS), DASHBOARD_ERRORS,
                                    " Answered as an HTML page in the page's language without any task data; after "
                                    "a valid link it links back to the dashboard with that token."),
    "DashboardCsvError": ErrorKind(JSON_TYPE, _ERROR_BODY, list(PAGE_HEADERS), CSV_ERRORS),
    "MetricsError": ErrorKind(JSON_TYPE, _ERROR_BODY, [], METRICS_ERRORS),
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


# The summary's own parameter (shared/summary/summarise.py GROUP_PARAM), beside the ListTasks filters.
GROUP_PARAMETER = {
    "name": "group", "in": "query", "required": False,
    "description": "Only these waves of SUMMARY_GROUPS (comma-separated names; 'Other' for the tasks no wave "
                   "matches); an unknown name is a 400 naming the declared waves. Without it, every task.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 4096},
}


def query_parameters() -> dict[str, Any]:
    query = _load(QUERY_FILE)
    params = {"query_group": GROUP_PARAMETER}
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


def _header_refs(names: list[str]) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _ok(media: str, schema: dict[str, Any], headers: list[str]) -> dict[str, Any]:
    return {"description": "OK", "headers": _header_refs(headers), "content": {media: {"schema": schema}}}


def _operation(path: str, summary: str, op_id: str, ok: dict[str, Any], params: list[dict[str, Any]],
               project_id: str, description: str, errors: str = "Error") -> dict[str, Any]:
    """One GET: its 200 (``ok``), its errors as the route answers them (``ERROR_KINDS[errors]``)."""
    fn, trigger = _backend_for(path)
    settings = template.deployment()
    spec = trigger.spec
    auth = str(spec.get("auth", "IAM")).upper()
    responses = {"200": ok, **{code: {"$ref": f"#/components/responses/{errors}{code}"}
                               for code in ERROR_KINDS[errors].texts}}
    op: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "description": description,
        "tags": ["tasks"],
        "parameters": params,
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


def _api_operation(path: str, summary: str, op_id: str, ok_schema: str, params: list[str], project_id: str,
                   description: str) -> dict[str, Any]:
    ok = _ok(JSON_TYPE, {"$ref": f"#/components/schemas/{ok_schema}"}, list(HEADERS))
    return _operation(path, summary, op_id, ok, _param_refs([f"query_{p}" for p in params]), project_id, description)


def _param_refs(names: list[str]) -> list[dict[str, Any]]:
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


def _any_case(words: Any) -> str:
    """A regex of ``words`` in any letter case, ``-`` or ``_`` between parts (as ``i18n.known_language``
    reads them); ECMA-262 patterns have no case-insensitive flag."""
    def one(word: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else "[-_]" if c in "-_" else c for c in word)
    return "^(" + "|".join(one(w) for w in words) + ")$"


def dashboard_parameters() -> dict[str, Any]:
    """The pages' own parameters; ``state`` as the dashboard takes it (an empty form field: not set)."""
    state = copy.deepcopy(query_parameters()["query_state"])
    state["schema"]["enum"] = ["", *state["schema"]["enum"]]
    state["description"] += " Empty: not set (a form sends every field)."
    return {
        "dashboard_token": {"name": TOKEN_PARAM, "in": "query", "required": True, "schema": {"type": "string"},
                            "description": "Signed, expiring link token (make dashboard-link): it opens only its "
                                           "path scope, its signed filters in force whatever the query says (another "
                                           "value for one of them: 401); else 401."},
        "dashboard_lang": {"name": "lang", "in": "query",
                           "schema": {"type": "string", "pattern": _any_case(LANGUAGE_NAMES)},
                           "description": f"Page language, one of {', '.join(LANGUAGE_NAMES)} (any case, - or _); "
                                          "default from Accept-Language."},
        "dashboard_refresh": {"name": "refresh", "in": "query", "schema": {"type": "boolean", "default": False},
                              "description": "Auto-refresh the page."},
        "dashboard_full": {"name": "full", "in": "query", "schema": {"type": "boolean", "default": False},
                           "description": "Longer lists (up to 1,000 tasks each): where \"… and N more\" leads."},
        "dashboard_state": state,
    }


def _dashboard_paths(project_id: str) -> dict[str, Any]:
    """The operator views (shared/dashboard/): HTML and CSV behind a signed link (``token``), so
    their gateway auth is NONE (template.yaml) and the function checks the link itself. Every
    answer carries the pages' headers; the pages' errors are HTML pages, the CSV's SMS's JSON."""
    filters = ["dashboard_state", "query_name", "query_id", "query_source_server_id", "query_enterprise_project_id"]
    page = ["dashboard_token", "dashboard_lang"]
    scan = list(HEADERS)
    text = {"type": "string"}
    task_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    views = {
        "/dashboard": ("Migration dashboard", "dashboard",
                       _param_refs([*filters, *page, "dashboard_refresh", "dashboard_full"]),
                       _ok(HTML_TYPE, text, [*scan, *PAGE_HEADERS]), "DashboardPageError"),
        "/dashboard/tasks/{id}": ("One task's page", "dashboardTask", [*_param_refs(page), task_id],
                                  _ok(HTML_TYPE, text, [*scan, *PAGE_HEADERS]), "DashboardPageError"),
        "/dashboard/tasks.csv": ("Matching tasks as CSV (UTF-8 with BOM)", "dashboardCsv",
                                 _param_refs([*filters, *page]),
                                 _ok(CSV_TYPE, text, [*scan, "X-Task-Count", "Content-Disposition", "Content-Encoding",
                                                      *PAGE_HEADERS]),
                                 "DashboardCsvError"),
    }
    paths = {}
    for path, (summary, op_id, params, ok, errors) in views.items():
        op = _operation(path, summary, op_id, ok, params, project_id,
                        f"{summary}; every answer carries Cache-Control: no-store, Referrer-Policy: no-referrer, "
                        "Strict-Transport-Security and a Content-Security-Policy.", errors)
        op["tags"] = ["dashboard"]
        paths[path] = {"get": op}
    paths["/dashboard/tasks.csv"]["get"]["responses"]["303"] = {
        "description": "Too large for an answer: streamed to EXPORT_BUCKET (OBS); Location is its signed link.",
        "headers": _header_refs([*scan, "X-Task-Count", "Location", *PAGE_HEADERS]),
        "content": {JSON_TYPE: {"schema": {
            "type": "object", "required": ["download_url", "expires_in_s", "tasks", "bytes"],
            "properties": {"download_url": {"type": "string", "format": "uri"},
                           "expires_in_s": {"type": "integer"}, "tasks": {"type": "integer"},
                           "bytes": {"type": "integer"}}}}},
    }
    return paths


def _metrics_path(project_id: str) -> dict[str, Any]:
    """``GET /metrics`` (shared/triggers/metrics_route.py): Prometheus text behind a signed token,
    sent as ``Authorization: Bearer`` or ``?token=``; the same filters as the summary."""
    filters = ["dashboard_state", "query_name", "query_id", "query_source_server_id", "query_enterprise_project_id"]
    token = {"name": TOKEN_PARAM, "in": "query", "schema": {"type": "string"},
             "description": "The signed token, when the scraper cannot send Authorization: Bearer."}
    ok = _ok(METRICS_TYPE, {"type": "string"}, ["X-Request-Id"])
    op = _operation("/metrics", "Migration metrics (Prometheus text format 0.0.4)", "metrics", ok,
                    [*_param_refs(filters), token], project_id,
                    "Tasks by state, health, type and OS; per-wave progress, ETA and target; scan duration, "
                    "partial flag and schema violations (docs/metrics.md). No per-task labels.", "MetricsError")
    op["tags"] = ["metrics"]
    op["security"] = [{"metrics-token": []}, {}]
    return {"/metrics": {"get": op}}


def _headers() -> dict[str, Any]:
    out: dict[str, Any] = {name: {"description": text, **({"required": True} if name in REQUIRED_HEADERS else {}),
                                  "schema": {"type": "string"}} for name, text in HEADERS.items()}
    out.update(copy.deepcopy(OTHER_HEADERS))
    for name, value in PAGE_HEADERS.items():
        out[name] = {"description": "On every dashboard answer: the link is a credential, so nothing is cached, "
                                    "framed, sniffed, sent on as Referer or over plain HTTP.",
                     "required": True, "schema": {"type": "string", "enum": [value]}}
    return out


def _error_responses() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for prefix, kind in ERROR_KINDS.items():
        for code, text in kind.texts.items():
            headers = ["X-Request-Id", *ERROR_HEADERS.get(code, []), *kind.headers]
            out[f"{prefix}{code}"] = {"description": text + kind.note, "headers": _header_refs(headers),
                                      "content": {kind.media: {"schema": kind.schema}}}
    out["MetricsError401"]["headers"].update(_header_refs(["WWW-Authenticate"]))  # metrics_route's 401 only
    return out


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
        "tags": [{"name": "tasks", "description": "SMS migration tasks"},
                 {"name": "dashboard", "description": "Operator views behind signed links"},
                 {"name": "metrics", "description": "Prometheus scrapes behind a signed token"}],
        "paths": {
            "/v3/tasks": {
                "get": _api_operation(
                    "/v3/tasks", "List migration tasks", "listTasks", "ListTasksResponse", all_params, project_id,
                    "SMS's own ListTasks answer, passed through so the official SDK works against it. all=true "
                    "reads every page from offset on into one ListTasks body, as many tasks as one answer carries "
                    "within FunctionGraph's 6,291,456-byte result (gzip when Accept-Encoding takes it: ~10,000 "
                    "tasks; plain: about a quarter of that); when more remain, X-Scan-Partial and X-Next-Offset "
                    "say where to go on from.",
                )
            },
            "/v3/tasks/summary": {
                "get": _api_operation(
                    "/v3/tasks/summary", "Summarise migration tasks", "summariseTasks", "Summary",
                    [*filters, "group"], project_id,
                    "One health per task (failed, stalled, lagging, healthy, waiting, stopped, done) with its "
                    "lists, progress and projected completion per wave and for the fleet, counts by state, type "
                    "and OS, and what changed in the window, of every task the filters (and waves) match.",
                )
            },
            **_dashboard_paths(project_id),
            **_metrics_path(project_id),
        },
        "components": {
            "securitySchemes": {
                "apig-auth-iam": {"type": "apiKey", "name": "unused", "in": "header",
                                  "description": "IAM authentication (token or AK/SK signature).",
                                  "x-apigateway-auth-type": "IAM"},
                "apig-auth-app": {"type": "apiKey", "name": "Authorization", "in": "header",
                                  "description": "APIG app authentication (AppKey/AppSecret signature).",
                                  "x-apigateway-auth-type": "AppSigv1"},
                "metrics-token": {"type": "http", "scheme": "bearer",
                                  "description": "A signed token with scope /metrics (make dashboard-link "
                                                 "LINK_PATH=/metrics), checked by the function itself."},
            },
            "parameters": {**query_parameters(), **dashboard_parameters()},
            "headers": _headers(),
            "responses": _error_responses(),
            "schemas": component_schemas(),
        },
    }


class _Dumper(yaml.SafeDumper):
    """No YAML anchors for objects used twice: not every OpenAPI importer resolves them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(spec: dict[str, Any]) -> str:
    header = "# Generated by `make openapi` (deploy/openapi.py) from shared/schemas/ and template.yaml. Do not edit.\n"
    return header + yaml.dump(spec, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


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
