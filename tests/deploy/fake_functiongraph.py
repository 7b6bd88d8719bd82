"""A loopback stand-in for the FunctionGraph v2 API, enough for ``deploy``: functions (config,
code), versions, aliases, triggers, async invocation settings and dependencies. It keeps state,
records every request and answers by the platform's rules (docs/deploy.md, "Platform
assumptions"): 404 FSS.1051 for a missing function, 401 FSS.1053 for a missing alias, aliases
addressed as ``<urn>:!<alias>`` (``<urn>:<name>`` is a version), at most 20 versions per function
with latest included, ``type`` v1 unless v2 is asked for, trigger ids, a digest that is the
SHA-512 of the uploaded zip, a KAFKA/DDS trigger refused on a function without VPC access.

It answers in the documented shapes only, never echoing what was sent: every answer is cut to the
fields of the official SDK's response model for that call (``documented``), a function's LTS group
and stream come back as ``log_group_id``/``log_stream_id`` (ShowFunctionConfigResponse has no
``log_config``), a version listing carries no description (ListFunctionVersionResult), and a
trigger's ``event_data`` holds only what the API reference's ListFunctionTriggers examples show for
TIMER and API Gateway triggers (no ``user_event``, no ``backend_type``, no ``instance_id``).
Listings are paged by ``marker``/``maxitems``, at most ``page_cap`` items a page."""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from huaweicloudsdkfunctiongraph.v2 import model as sdk_model

from local.servers import serve_in_background, stop_server

# ListFunctionTriggers' documented examples (API reference, functiongraph_06_0119: "Querying All
# Triggers of a Function"): the TIMER trigger's event_data is name, schedule, schedule_type; the
# DEDICATEDGATEWAY one's is below. Types without an example answer their response model's fields.
EXAMPLE_EVENT_DATA = {
    "TIMER": frozenset({"name", "schedule", "schedule_type"}),
    "DEDICATEDGATEWAY": frozenset({"api_id", "api_name", "auth", "env_id", "env_name", "func_info", "group_id",
                                   "group_name", "invoke_url", "match_mode", "name", "path", "protocol",
                                   "req_method", "triggerid", "type"}),
}
EXAMPLE_EVENT_DATA["APIG"] = EXAMPLE_EVENT_DATA["DEDICATEDGATEWAY"]
CREDENTIAL_FIELDS = frozenset({"kafka_password", "db_password", "access_password"})
NEEDS_VPC = frozenset({"KAFKA", "DDS", "OPENSOURCEKAFKA"})


def documented(model: str, data: Any) -> Any:
    """``data`` cut to the fields the SDK's model ``model`` declares, recursively (lists of it too)."""
    cls = getattr(sdk_model, model)
    if isinstance(data, list):
        return [documented(model, item) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for attr, key in cls.attribute_map.items():
        if data.get(key) is not None:
            out[key] = _typed(cls.openapi_types[attr], data[key])
    return out


def _typed(kind: str, value: Any) -> Any:
    inner = re.fullmatch(r"list\[(\w+)\]|dict\(str, (\w+)\)|(\w+)", kind)
    name = next((g for g in inner.groups() if g), "") if inner else ""
    if not hasattr(sdk_model, name):
        return value
    if kind.startswith("dict(") and isinstance(value, dict):
        return {k: documented(name, v) for k, v in value.items()}
    return documented(name, value)


def trigger_view(trigger: dict[str, Any]) -> dict[str, Any]:
    out = documented("ListFunctionTriggerResult", trigger)
    data = out.get("event_data") or {}
    allowed = EXAMPLE_EVENT_DATA.get(trigger["trigger_type_code"])
    out["event_data"] = {k: v for k, v in data.items()
                         if k not in CREDENTIAL_FIELDS and (allowed is None or k in allowed)}
    return out


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]
    status: int = 0
    answer: Any = None

    @property
    def action(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class State:
    functions: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> config
    code: dict[str, bytes] = field(default_factory=dict)
    versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    aliases: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    triggers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # qualified urn -> triggers
    dependencies: dict[str, dict[str, Any]] = field(default_factory=dict)  # dep id -> dependency
    dependency_versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    async_configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # qualified urn -> settings


class FakeFunctionGraph(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, project_id: str = "0123456789abcdef0123456789abcdef", region: str = "cn-north-4") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.project_id = project_id
        self.region = region
        self.state = State()
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.page_cap = 400  # items per page of a listing, whatever maxitems asks
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeFunctionGraph:
        self._thread = serve_in_background(self, "fake-functiongraph")
        return self

    def stop(self) -> None:
        stop_server(self, self._thread)
        self._thread = None

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    def new_id(self) -> str:
        return f"id-{next(self._ids):04d}"

    def urn(self, name: str, qualifier: str = "latest") -> str:
        return f"urn:fss:{self.region}:{self.project_id}:function:default:{name}:{qualifier}"

    def alias_urn(self, name: str, alias: str) -> str:
        return self.urn(name, "!" + alias)


class ApiError(Exception):
    def __init__(self, status: int, code: str, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


MAX_VERSIONS = 20  # per function, latest included (user guide, "Versions": notes and constraints)


def _parse_urn(urn: str) -> tuple[str, str]:
    """(function name, qualifier): ``latest``, a version name, ``!alias``, or ``""`` for none."""
    parts = urn.split(":")
    if len(parts) < 7 or parts[:2] != ["urn", "fss"]:
        raise ApiError(400, "FSS.0400", f"bad urn {urn}")
    return parts[6], (parts[7] if len(parts) > 7 else "")


def _resolve(s: State, name: str, qualifier: str) -> str:
    """The version a qualifier addresses; a missing alias answers 401 FSS.1053 as FunctionGraph does."""
    if name not in s.functions:
        raise ApiError(404, "FSS.1051", f"Not found the function {name}")
    if qualifier.startswith("!"):
        alias = s.aliases[name].get(qualifier[1:])
        if alias is None:
            raise ApiError(401, "FSS.1053", f"Not found the alias {qualifier[1:]}")
        return str(alias["version"])
    if qualifier in ("", "latest"):
        return "latest"
    if not any(v["version"] == qualifier for v in s.versions[name]):
        raise ApiError(404, "FSS.1051", f"Not found the function version {qualifier}")
    return qualifier


def _config_view(fn: dict[str, Any], model: str = "ShowFunctionConfigResponse") -> dict[str, Any]:
    out = dict(fn)
    # FunctionGraph never returns encrypted values in clear text.
    out["encrypted_user_data"] = "" if not fn.get("encrypted_user_data") else "******"
    logs = fn.get("log_config") or {}
    out.update(log_group_id=logs.get("group_id"), log_stream_id=logs.get("stream_id"))
    return documented(model, out)


def _page(items: list[Any], query: dict[str, list[str]], cap: int) -> tuple[list[Any], int]:
    """One page by ``marker`` (an offset, as next_marker) and ``maxitems``; the next marker."""
    marker = int((query.get("marker") or ["0"])[0] or 0)
    size = min(int((query.get("maxitems") or [str(cap)])[0]), cap)
    page = items[marker:marker + size]
    return page, marker + len(page)


class _Handler(BaseHTTPRequestHandler):
    server: FakeFunctionGraph
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body leave in one write (no delayed-ACK stall per request)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def _send(self, status: int, payload: Any) -> None:
        data = b"" if status == 204 else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Request-Id", self.server.new_id())
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        body = self._body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = Recorded(self.command, path, parse_qs(parts.query), body, headers)
        fake = self.server
        with fake.lock:
            fake.requests.append(record)
            try:
                if not record.headers.get("authorization", "").startswith("SDK-HMAC-SHA256"):
                    raise ApiError(401, "APIGW.0301", "unsigned request")
                prefix = f"/v2/{fake.project_id}/fgs/"
                if not path.startswith(prefix):
                    raise ApiError(404, "APIGW.0101", f"no such API {path}")
                status, payload = _route(fake, self.command, path[len(prefix):], record.query, body)
            except ApiError as exc:
                status, payload = exc.status, {"error_code": exc.code, "error_msg": exc.msg}
            record.status, record.answer = status, payload
        self._send(status, payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


def _route(fake: FakeFunctionGraph, method: str, rest: str, query: dict[str, list[str]],
           body: Any) -> tuple[int, Any]:
    s = fake.state
    if rest == "functions" and method == "POST":
        return _create_function(fake, body)
    if (m := re.fullmatch(r"functions/([^/]+)", rest)) and method == "DELETE":
        return _delete(fake, m.group(1))
    if m := re.fullmatch(r"functions/([^/]+)/(config|code|versions|aliases|async-invoke-config)(?:/([^/]+))?", rest):
        name, qualifier = _parse_urn(m.group(1))
        version = _resolve(s, name, qualifier)
        fn = s.functions[name]
        what, sub = m.group(2), m.group(3)
        if what == "async-invoke-config":
            key = fake.urn(name, version)  # kept per version: an alias resolves to the one it points at
            if method == "PUT":
                s.async_configs[key] = {**{k: v for k, v in body.items() if v is not None}, "func_urn": key}
                return 200, documented("UpdateFunctionAsyncInvokeConfigResponse", s.async_configs[key])
            if key not in s.async_configs:
                raise ApiError(404, "FSS.1051", "Not found the async invoke config")
            return 200, documented("ShowFunctionAsyncInvokeConfigResponse", s.async_configs[key])
        if what == "config" and method == "GET":
            if version != "latest":
                return 200, _config_view(next(v for v in s.versions[name] if v["version"] == version))
            return 200, _config_view(fn)
        if what == "config" and method == "PUT":
            for key in ("func_name", "runtime", "handler", "memory_size", "timeout", "xrole", "description",
                        "user_data", "encrypted_user_data", "enable_lts_log", "log_config"):
                if key in body:
                    fn[key] = body[key] if body[key] is not None else ""
            if body.get("func_vpc"):
                fn["func_vpc"] = _vpc_view(body["func_vpc"])
            return 200, _config_view(fn, "UpdateFunctionConfigResponse")
        if what == "code" and method == "PUT":
            _store_code(fake, name, body)
            return 200, _config_view(fn, "UpdateFunctionCodeResponse")
        if what == "versions" and method == "POST":
            version = body.get("version") or f"v{len(s.versions[name]) + 1}"
            if any(v["version"] == version for v in s.versions[name]):
                raise ApiError(400, "FSS.0409", f"version {version} exists")
            if len(s.versions[name]) + 1 >= MAX_VERSIONS:
                # The limit is documented; its error code is not (docs/deploy.md): any 4xx will do here.
                raise ApiError(400, "FSS.0400", f"a function holds at most {MAX_VERSIONS} versions")
            snap = {**fn, "version": version, "version_description": body.get("description", ""),
                    "func_urn": fake.urn(name, version), "func_vpc_id": (fn.get("func_vpc") or {}).get("vpc_id")}
            s.versions[name].append(snap)
            return 200, _config_view(snap, "CreateFunctionVersionResponse")
        if what == "versions" and method == "GET":
            page, nxt = _page(s.versions[name], query, fake.page_cap)
            return 200, documented("ListFunctionVersionsResponse",
                                   {"versions": page, "next_marker": nxt, "count": len(s.versions[name])})
        if what == "aliases" and method == "GET" and sub:
            if sub not in s.aliases[name]:
                raise ApiError(401, "FSS.1053", f"Not found the alias {sub}")
            return 200, documented("ShowVersionAliasResponse", s.aliases[name][sub])
        if what == "aliases" and method == "GET":
            return 200, documented("ListVersionAliasResult", list(s.aliases[name].values()))
        if what == "aliases" and method == "POST":
            _check_version(s, name, body["version"])
            alias = {"name": body["name"], "version": body["version"], "description": body.get("description", ""),
                     "alias_urn": fake.urn(name, "!" + body["name"])}
            s.aliases[name][body["name"]] = alias
            return 200, documented("CreateVersionAliasResponse", alias)
        if what == "aliases" and method == "PUT" and sub:
            if sub not in s.aliases[name]:
                raise ApiError(401, "FSS.1053", f"Not found the alias {sub}")
            _check_version(s, name, body["version"])
            s.aliases[name][sub].update(version=body["version"], description=body.get("description", ""))
            return 200, documented("UpdateVersionAliasResponse", s.aliases[name][sub])
    if m := re.fullmatch(r"triggers/([^/]+)(?:/([^/]+)/([^/]+))?", rest):
        urn = m.group(1)
        name, qualifier = _parse_urn(urn)
        _resolve(s, name, qualifier)
        triggers = s.triggers.setdefault(urn, [])
        if m.group(2) is None and method == "GET":
            return 200, [trigger_view(t) for t in triggers]
        if m.group(2) is None and method == "POST":
            if body["trigger_type_code"] in NEEDS_VPC and not s.functions[name].get("func_vpc"):
                # Documented prerequisite (CreateFunctionTrigger; "Using a Kafka Trigger"); the code is not.
                raise ApiError(400, "FSS.0400", f"a {body['trigger_type_code']} trigger needs VPC access")
            return 201, trigger_view(_create_trigger(fake, triggers, body))
        found = next((t for t in triggers if t["trigger_id"] == m.group(3)), None)
        if found is None or found["trigger_type_code"] != m.group(2):
            raise ApiError(404, "FSS.1052", "trigger does not exist")
        if method == "DELETE":
            triggers.remove(found)
            return 204, {}
        if method == "PUT":
            found["trigger_status"] = body.get("trigger_status") or found["trigger_status"]
            for item in body.get("event_data") or []:  # UpdateTrigger's few updatable fields
                found["event_data"].update(item)
            return 200, trigger_view(found)
    if rest == "dependencies" and method == "GET":
        wanted = (query.get("name") or [None])[0]
        deps = [d for d in s.dependencies.values() if wanted is None or d["name"] == wanted]
        page, nxt = _page(deps, query, fake.page_cap)
        return 200, documented("ListDependenciesResponse",
                               {"dependencies": page, "count": len(deps), "next_marker": nxt})
    if rest == "dependencies/version" and method == "POST":
        return 200, documented("CreateDependencyVersionResponse", _create_dependency_version(fake, body))
    if (m := re.fullmatch(r"dependencies/([^/]+)/version", rest)) and method == "GET":
        versions = s.dependency_versions.get(m.group(1))
        if versions is None:
            raise ApiError(404, "FSS.1054", "dependency does not exist")
        page, nxt = _page(versions, query, fake.page_cap)
        return 200, documented("ListDependencyVersionResponse",
                               {"dependencies": page, "count": len(versions), "next_marker": nxt})
    raise ApiError(404, "APIGW.0101", f"no such API {method} {rest}")


def _delete(fake: FakeFunctionGraph, urn: str) -> tuple[int, Any]:
    """DeleteFunction: with a version, that version (and the aliases and triggers on it) only."""
    s = fake.state
    name, qualifier = _parse_urn(urn)
    version = _resolve(s, name, qualifier)
    if qualifier == "":
        for table in (s.functions, s.versions, s.aliases, s.code):
            table.pop(name, None)
        return 204, {}
    if version == "latest":
        raise ApiError(400, "FSS.0400", "the latest version cannot be deleted")
    s.versions[name] = [v for v in s.versions[name] if v["version"] != version]
    for alias in [a for a, spec in s.aliases[name].items() if spec["version"] == version]:
        s.triggers.pop(fake.urn(name, "!" + alias), None)
        del s.aliases[name][alias]
    s.triggers.pop(fake.urn(name, version), None)
    s.async_configs.pop(fake.urn(name, version), None)
    return 204, {}


def _vpc_view(vpc: dict[str, Any]) -> dict[str, Any]:
    # FunctionGraph answers with names and addresses of what it joined, too.
    return {**vpc, "vpc_name": "vpc-demo", "subnet_name": "subnet-demo", "cidr": "192.168.0.0/24"}


def _check_version(s: State, name: str, version: str) -> None:
    if version != "latest" and not any(v["version"] == version for v in s.versions[name]):
        raise ApiError(400, "FSS.1055", f"version {version} does not exist")


def _store_code(fake: FakeFunctionGraph, name: str, body: dict[str, Any]) -> None:
    fn = fake.state.functions[name]
    data = base64.b64decode(body["func_code"]["file"])
    for dep_version in body.get("depend_version_list") or []:
        if not any(v["id"] == dep_version for vs in fake.state.dependency_versions.values() for v in vs):
            raise ApiError(400, "FSS.1056", f"dependency version {dep_version} does not exist")
    fake.state.code[name] = data
    fn.update(code_type="zip", code_filename=body.get("code_filename", ""), code_size=len(data),
              digest=hashlib.sha512(data).hexdigest(), depend_version_list=list(body.get("depend_version_list") or []))


def _create_function(fake: FakeFunctionGraph, body: dict[str, Any]) -> tuple[int, Any]:
    s = fake.state
    name = body["func_name"]
    if name in s.functions:
        raise ApiError(400, "FSS.0409", f"function {name} exists")
    fn = {k: body.get(k) for k in ("func_name", "runtime", "handler", "memory_size", "timeout", "description",
                                   "user_data", "encrypted_user_data", "xrole", "log_config")}
    fn.update(type=body.get("type") or "v1",  # CreateFunction's documented default
              enable_lts_log=bool(body.get("enable_lts_log")))
    fn.update(func_urn=fake.urn(name), package=body.get("package", "default"), version="latest",
              func_id=fake.new_id())
    if body.get("func_vpc"):
        fn["func_vpc"] = _vpc_view(body["func_vpc"])
    s.functions[name] = fn
    s.versions[name] = []
    s.aliases[name] = {}
    _store_code(fake, name, body)
    return 200, _config_view(fn, "CreateFunctionResponse")


def _create_trigger(fake: FakeFunctionGraph, triggers: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    data = dict(body["event_data"])
    trigger_id = fake.new_id()
    if body["trigger_type_code"] in ("APIG", "DEDICATEDGATEWAY"):
        # FunctionGraph adds what the API Gateway side created (fields of the documented example).
        data.update(api_id=fake.new_id(), api_name=data.get("name"), triggerid=trigger_id,
                    invoke_url=f"https://{data.get('group_id', 'g')}.apig.example{data['path']}")
        data["func_info"] = {**data.get("func_info", {}), "function_urn": "urn:fss:...", "version": "latest"}
        if data.get("group_id"):  # the group's own name (like the example's "APIGroup_2mbe"), not the one sent
            data["group_name"] = f"APIGroup_{str(data['group_id'])[-4:]}"
    data.pop("kafka_password", None)
    trigger = {"trigger_id": trigger_id, "trigger_type_code": body["trigger_type_code"],
               "trigger_status": body.get("trigger_status") or "ACTIVE", "event_data": data}
    triggers.append(trigger)
    return trigger


def _create_dependency_version(fake: FakeFunctionGraph, body: dict[str, Any]) -> dict[str, Any]:
    s = fake.state
    data = base64.b64decode(body["depend_file"])
    dep = next((d for d in s.dependencies.values() if d["name"] == body["name"]), None)
    if dep is None:
        dep = {"id": fake.new_id(), "name": body["name"], "owner": fake.project_id, "runtime": body["runtime"]}
        s.dependencies[dep["id"]] = dep
        s.dependency_versions[dep["id"]] = []
    versions = s.dependency_versions[dep["id"]]
    version = {"id": fake.new_id(), "dep_id": dep["id"], "name": dep["name"], "version": len(versions) + 1,
               "description": body.get("description", ""), "runtime": body["runtime"], "size": len(data),
               "etag": hashlib.md5(data).hexdigest()}
    versions.append(version)
    dep.update(version=version["version"], etag=version["etag"], size=version["size"])
    return version
