"""Deploy against FunctionGraph's documented contract, checked by the official SDK's own models: every
request deploy sends is one its request models describe, every answer of the fake is one its
response models describe, and with answers cut to what the API documents returning (no TIMER
``user_event``, no API Gateway ``backend_type``/``instance_id``, no version descriptions, LTS ids as
``log_group_id``/``log_stream_id``) an unchanged re-deploy makes no call that changes anything, while
each kind of change is still found and applied the way the API allows."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from huaweicloudsdkfunctiongraph.v2 import ListFunctionTriggersRequest
from huaweicloudsdkfunctiongraph.v2 import model as sdk_model

from deploy import deploy as dep
from deploy import validate
from deploy.fg import DeployError, FunctionGraph
from deploy.state import missing_settings
from project import template
from tests.deploy.conftest import KAFKA_TRIGGER, deploy_env, rebuild
from tests.deploy.fake_functiongraph import FakeFunctionGraph
from tests.deploy.test_deploy import actions, edit, run

# (method, path under /v2/{project_id}/fgs/) -> (request body model, answer model) of the SDK.
CALLS = [
    ("POST", r"functions", "CreateFunctionRequestBody", "CreateFunctionResponse"),
    ("PUT", r"functions/[^/]+/code", "UpdateFunctionCodeRequestBody", "UpdateFunctionCodeResponse"),
    ("PUT", r"functions/[^/]+/config", "UpdateFunctionConfigRequestBody", "UpdateFunctionConfigResponse"),
    ("GET", r"functions/[^/]+/config", None, "ShowFunctionConfigResponse"),
    ("POST", r"functions/[^/]+/versions", "CreateFunctionVersionRequestBody", "CreateFunctionVersionResponse"),
    ("GET", r"functions/[^/]+/versions", None, "ListFunctionVersionsResponse"),
    ("POST", r"functions/[^/]+/aliases", "CreateVersionAliasRequestBody", "CreateVersionAliasResponse"),
    ("PUT", r"functions/[^/]+/aliases/[^/]+", "UpdateVersionAliasRequestBody", "UpdateVersionAliasResponse"),
    ("GET", r"functions/[^/]+/aliases", None, "ListVersionAliasResult"),
    ("PUT", r"functions/[^/]+/async-invoke-config", "UpdateFunctionAsyncInvokeConfigRequestBody",
     "UpdateFunctionAsyncInvokeConfigResponse"),
    ("GET", r"functions/[^/]+/async-invoke-config", None, "ShowFunctionAsyncInvokeConfigResponse"),
    ("DELETE", r"functions/[^/]+", None, None),
    ("POST", r"triggers/[^/]+", "CreateFunctionTriggerRequestBody", "CreateFunctionTriggerResponse"),
    ("GET", r"triggers/[^/]+", None, "ListFunctionTriggerResult"),
    ("PUT", r"triggers/[^/]+/[^/]+/[^/]+", "UpdateTriggerRequestBody", "UpdateTriggerResponse"),
    ("DELETE", r"triggers/[^/]+/[^/]+/[^/]+", None, None),
    ("GET", r"dependencies", None, "ListDependenciesResponse"),
    ("POST", r"dependencies/version", "CreateDependencyRequestBody", "CreateDependencyVersionResponse"),
    ("GET", r"dependencies/[^/]+/version", None, "ListDependencyVersionResponse"),
]
# Query parameters each listing documents (the SDK's request models).
QUERIES = {r"functions/[^/]+/versions": "ListFunctionVersionsRequest", r"dependencies": "ListDependenciesRequest",
           r"dependencies/[^/]+/version": "ListDependencyVersionRequest"}


def unknown(model: str, data: Any, where: str = "") -> list[str]:
    """Paths in ``data`` that the SDK model ``model`` does not declare (recursively)."""
    cls = getattr(sdk_model, model)
    if isinstance(data, list):
        return [p for i, item in enumerate(data) for p in unknown(model, item, f"{where}[{i}]")]
    if not isinstance(data, dict):
        return []
    keys = {json_key: cls.openapi_types[attr] for attr, json_key in cls.attribute_map.items()}
    out = []
    for key, value in data.items():
        if key not in keys:
            out.append(f"{where}.{key}")
            continue
        inner = re.fullmatch(r"(?:list\[)?(\w+)\]?", keys[key])
        if inner and hasattr(sdk_model, inner.group(1)):
            out += unknown(inner.group(1), value, f"{where}.{key}")
    return out


def conformance(fake: FakeFunctionGraph) -> tuple[int, list[str]]:
    """(requests checked, problems): each request's body and query against the SDK's request
    models, each 2xx answer against its response model."""
    problems = []
    prefix = f"/v2/{fake.project_id}/fgs/"
    for record in fake.requests:
        rest = record.path[len(prefix):]
        call = next((c for c in CALLS if c[0] == record.method and re.fullmatch(c[1], rest)), None)
        if call is None:
            problems.append(f"{record.action}: no such documented call")
            continue
        _, pattern, request_model, answer_model = call
        if request_model:
            problems += [f"{record.action} body{p}" for p in unknown(request_model, record.body)]
        query_model = QUERIES.get(pattern)
        documented_query = set(getattr(sdk_model, query_model).attribute_map.values()) if query_model else set()
        problems += [f"{record.action} ?{k}" for k in record.query if k not in documented_query]
        if answer_model and 200 <= record.status < 300:
            problems += [f"{record.action} answer{p}" for p in unknown(answer_model, record.answer)]
    return len(fake.requests), problems


DMS_TRIGGER = """      - type: DMS
        name: dms_sms
        queue_id: queue-1
        consumer_group_id: group-1
        polling_interval: 30
"""
LOGS = "defaults:\n  logs: {lts: true, group_id: '${LTS_GROUP_ID}', stream_id: '${LTS_STREAM_ID}'}\n"


def _raw(fake: FakeFunctionGraph, method: str, suffix: str) -> Any:
    """The fake's last answer, as sent on the wire (the SDK would drop what its models lack)."""
    return next(r.answer for r in reversed(fake.requests) if r.method == method and r.path.endswith(suffix))


def test_answers_carry_only_what_the_api_documents(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    edit(project, "defaults:\n", LOGS)
    rebuild(project)
    run(project, fake_fg, LTS_GROUP_ID="group-a", LTS_STREAM_ID="stream-a")
    fg = FunctionGraph.connect("cn-north-4", fake_fg.url, deploy_env(fake_fg))
    fg.client.list_function_triggers(ListFunctionTriggersRequest(function_urn=fake_fg.alias_urn("timer", "live")))
    timer = _raw(fake_fg, "GET", "timer:!live")
    api = fg.list_triggers(fake_fg.alias_urn("api", "live"))
    # What deploy sent is stored, but not echoed: exactly the documented examples' fields.
    assert set(timer[0]["event_data"]) == {"name", "schedule", "schedule_type"}
    assert "user_event" in fake_fg.state.triggers[fake_fg.alias_urn("timer", "live")][0]["event_data"]
    assert {"backend_type", "instance_id"}.isdisjoint(api[0]["event_data"])
    assert {"api_id", "invoke_url", "triggerid", "api_name"} <= set(api[0]["event_data"])
    assert api[0]["event_data"]["group_name"] != "demo"  # the group's own name, not the template's
    fg.show_function(fake_fg.urn("timer"))
    config = _raw(fake_fg, "GET", "timer:latest/config")
    assert "log_config" not in config and (config["log_group_id"], config["log_stream_id"]) == ("group-a", "stream-a")
    fg.list_versions(fake_fg.urn("timer"))
    versions = [v for r in fake_fg.requests if r.method == "GET" and r.path.endswith("timer:latest/versions")
                for v in r.answer["versions"]]
    assert versions and all("version_description" not in v and "description" not in v for v in versions)


def test_the_documented_answers_are_what_makes_idempotence_hard(project: dict[str, Any],
                                                                  fake_fg: FakeFunctionGraph,
                                                                  monkeypatch: pytest.MonkeyPatch):
    """Negative control: comparing every field deploy sends (as before) against these answers would
    replace the timer and both API Gateway triggers on every deploy."""
    from deploy import triggers as trig

    run(project, fake_fg)
    monkeypatch.setattr(trig, "echoed", lambda type_code, data: (dict(data), {}))
    changes, _ = run(project, fake_fg, REPLACE_APIS="1")
    assert {c.target for c in changes if c.action == "DeleteFunctionTrigger"} == {
        "timer on live: TIMER every_five_minutes", "api on live: APIG demo_api"}


def test_every_request_and_answer_conforms_to_the_sdk_models(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    edit(project, "      - type: CTS\n", DMS_TRIGGER + "      - type: CTS\n")
    edit(project, "defaults:\n", LOGS)
    rebuild(project)
    env = {"LTS_GROUP_ID": "group-a", "LTS_STREAM_ID": "stream-a", "REPLACE_APIS": "1"}
    run(project, fake_fg, **env)
    assert run(project, fake_fg, **env)[0] == []
    edit(project, "        polling_interval: 30", "        polling_interval: 60")
    edit(project, "        payload: {kind: summary}", "        payload: {kind: changes}")
    edit(project, "        timeout_ms: 30000", "        timeout_ms: 40000")
    edit(project, "    memory_mb: 512", "    memory_mb: 1024")
    rebuild(project)
    run(project, fake_fg, **{**env, "LTS_STREAM_ID": "stream-b"})
    count, problems = conformance(fake_fg)
    assert problems == []
    assert count > 60
    # A negative control: the checker does find a field the SDK does not know.
    assert unknown("CreateFunctionTriggerRequestBody", {"event_data": {"user_event": "x", "nonsense": 1}}) == [
        ".event_data.nonsense"]


def test_changes_only_the_api_does_not_return_are_found_by_the_kept_fingerprint(project: dict[str, Any],
                                                                               fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    description = fake_fg.state.aliases["timer"]["live"]["description"]
    assert re.search(r"trg:[0-9a-f]{8}$", description)
    # The timer's payload (user_event) is not in ListFunctionTriggers' answer: the fingerprint finds it.
    edit(project, "        payload: {kind: summary}", "        payload: {kind: changes}")
    changes, out = run(project, fake_fg)
    assert [(c.action, c.target) for c in changes] == [
        ("DeleteFunctionTrigger", "timer on live: TIMER every_five_minutes"),
        ("CreateFunctionTrigger", "timer on live: TIMER every_five_minutes"),
        ("UpdateVersionAlias", "timer")]
    assert "fields FunctionGraph does not return changed (user_event)" in out
    stored = fake_fg.state.triggers[fake_fg.alias_urn("timer", "live")][0]["event_data"]
    assert json.loads(stored["user_event"]) == {"kind": "changes"}
    assert run(project, fake_fg)[0] == []
    # The API's gateway instance is not returned either: replacing the API is announced and gated.
    edit(project, "        auth: IAM\n", "        auth: IAM\n        instance_id: ${APIG_INSTANCE_ID}\n")
    edit(project, "  EG_CHANNEL_ID:", "  APIG_INSTANCE_ID: the gateway\n  EG_CHANNEL_ID:")
    rebuild(project)
    writes = len(fake_fg.writes())
    with pytest.raises(DeployError, match="REPLACE_APIS=1"):
        run(project, fake_fg, APIG_INSTANCE_ID="gw-1")
    assert len(fake_fg.writes()) == writes
    changes, out = run(project, fake_fg, APIG_INSTANCE_ID="gw-1", REPLACE_APIS="1")
    assert "REPLACES API demo_api" in out and "instance_id" in out
    assert ("CreateFunctionTrigger", "api on live: DEDICATEDGATEWAY demo_api") in [(c.action, c.target)
                                                                                   for c in changes]
    assert run(project, fake_fg, APIG_INSTANCE_ID="gw-1")[0] == []


def test_triggers_deployed_before_fingerprints_are_adopted_not_replaced(project: dict[str, Any],
                                                                       fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    for name in fake_fg.state.aliases:  # as an earlier deploy left them: no fingerprints kept
        fake_fg.state.aliases[name]["live"]["description"] = "managed by make deploy (old)"
    changes, _ = run(project, fake_fg)
    assert sorted((c.action, c.target) for c in changes) == [
        ("UpdateVersionAlias", "api"), ("UpdateVersionAlias", "events"), ("UpdateVersionAlias", "timer")]
    assert all("trg:" in a["live"]["description"] for a in fake_fg.state.aliases.values())
    assert run(project, fake_fg)[0] == []


def test_what_updatetrigger_can_change_is_updated_in_place(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    edit(project, "      - type: CTS\n", DMS_TRIGGER + "      - type: CTS\n")
    rebuild(project)
    run(project, fake_fg)
    before = [t["trigger_id"] for t in fake_fg.state.triggers[fake_fg.alias_urn("events", "live")]]
    edit(project, "        polling_interval: 30", "        polling_interval: 60")
    changes, _ = run(project, fake_fg)
    assert [(c.action, c.details) for c in changes] == [("UpdateTrigger", "event_data polling_interval")]
    put = [r for r in fake_fg.requests if r.method == "PUT" and "/triggers/" in r.path][-1]
    assert put.body == {"trigger_status": "ACTIVE", "event_data": [{"polling_interval": 60}]}
    after = fake_fg.state.triggers[fake_fg.alias_urn("events", "live")]
    assert [t["trigger_id"] for t in after] == before
    assert run(project, fake_fg)[0] == []


def test_a_changed_log_group_or_stream_alone_is_applied(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    edit(project, "defaults:\n", LOGS)
    edit(project, "  EG_CHANNEL_ID:", "  LTS_GROUP_ID: group\n  LTS_STREAM_ID: stream\n  EG_CHANNEL_ID:")
    rebuild(project)
    run(project, fake_fg, LTS_GROUP_ID="group-a", LTS_STREAM_ID="stream-a")
    assert run(project, fake_fg, LTS_GROUP_ID="group-a", LTS_STREAM_ID="stream-a")[0] == []
    changes, out = run(project, fake_fg, LTS_GROUP_ID="group-a", LTS_STREAM_ID="stream-b")
    assert [c.action for c in changes].count("UpdateFunctionConfig") == 3
    assert "stream_id" in out
    assert all(f["log_config"]["stream_id"] == "stream-b" for f in fake_fg.state.functions.values())
    assert run(project, fake_fg, LTS_GROUP_ID="group-a", LTS_STREAM_ID="stream-b")[0] == []


def test_dependency_versions_are_read_page_by_page(project: dict[str, Any], fake_fg: FakeFunctionGraph,
                                                    monkeypatch: pytest.MonkeyPatch):
    from deploy import package
    from tests.deploy.conftest import tiny_wheel

    run(project, fake_fg)
    for version in ("2.0", "3.0"):
        newer = tiny_wheel(project["wheels"], version)
        monkeypatch.setattr(package, "download_wheels", lambda *a, _w=newer, **k: [_w])
        rebuild(project)
        run(project, fake_fg)
    assert len(next(iter(fake_fg.state.dependency_versions.values()))) == 3
    # Back to the first dependency zip: it is on the last page of one-item pages, and reused.
    oldest = project["wheels"] / "tinydep-1.0-py3-none-any.whl"
    monkeypatch.setattr(package, "download_wheels", lambda *a, **k: [oldest])
    rebuild(project)
    fake_fg.page_cap = 1
    fake_fg.state.dependency_versions[next(iter(fake_fg.state.dependency_versions))].reverse()
    changes, _ = run(project, fake_fg)
    assert "CreateDependencyVersion" not in actions(changes)
    markers = [r.query.get("marker") for r in fake_fg.requests if r.path.endswith("/version") and r.method == "GET"]
    assert ["2"] in markers


def test_a_kafka_trigger_without_vpc_is_refused_before_anything(project: dict[str, Any],
                                                                 fake_fg: FakeFunctionGraph, tmp_path: Path):
    edit(project, "      - type: CTS\n", KAFKA_TRIGGER + "      - type: CTS\n")
    rebuild(project)
    assert any("a KAFKA trigger needs VPC access" in p for p in validate.validate(project["template"]))
    with pytest.raises(DeployError, match="KAFKA trigger needs VPC access"):
        run(project, fake_fg)
    assert fake_fg.requests == []
    # The stand-in applies the same documented prerequisite, and with vpc: it all goes through.
    edit(project, "  events:\n", "  events:\n    vpc: {vpc_id: vpc-1, subnet_id: subnet-1}\n")
    rebuild(project)
    assert validate.validate(project["template"]) == []
    run(project, fake_fg)
    assert "KAFKA" in {t["trigger_type_code"] for t in fake_fg.state.triggers[fake_fg.alias_urn("events", "live")]}


def test_offline_dry_run_names_every_missing_setting_and_no_placeholder(project: dict[str, Any],
                                                                        fake_fg: FakeFunctionGraph):
    edit(project, '{destination: SMN, topic_urn: "urn:smn:cn-north-4:${PROJECT}:sms-tick-failures"}',
         '{destination: SMN, topic_urn: "${ALERT_TOPIC_URN}"}')
    edit(project, "  EG_CHANNEL_ID:", "  ALERT_TOPIC_URN: the alert topic\n  EG_CHANNEL_ID:")
    lines: list[str] = []
    dep.deploy(dep.Options(dist=project["dist"], template_path=project["template"], dry_run=True),
               env={}, say=lines.append)
    out = "\n".join(lines)
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID", "APIG_GROUP_ID",
                 "EG_CHANNEL_ID", "PROJECT", "WEBHOOK_SECRET"):
        assert f"    {name}: " in out
    assert "    ALERT_TOPIC_URN: the alert topic (used by timer/async_invoke)" in out
    assert "${" not in out and "{project_id}" not in out
    assert "<ALERT_TOPIC_URN unset>" in out
    assert fake_fg.requests == []


def test_the_shipped_template_declares_every_prerequisite() -> None:
    functions = template.load()
    events = functions["task_events"]
    assert events.vpc == {"vpc_id": "${VPC_ID}", "subnet_id": "${SUBNET_ID}",
                          "security_groups": ["${SECURITY_GROUP_ID}"]}
    assert events.agency == "sms-tasks-vpc"
    lines = missing_settings(list(functions.values()), {}, template.parameters())
    names = [line.split(":", 1)[0] for line in lines]
    for name in ("ALERT_TOPIC_URN", "VPC_ID", "SUBNET_ID", "SECURITY_GROUP_ID", "APIG_INSTANCE_ID", "APIG_GROUP_ID",
                 "APIG_ENV_ID", "SMN_TOPIC_URN", "EG_CHANNEL_ID", "KAFKA_INSTANCE_ID", "KAFKA_TOPIC_ID",
                 "HUAWEICLOUD_SDK_AK"):
        assert name in names
    assert all("(undescribed)" not in line for line in lines)


def test_runtime_names_against_the_sdk_and_the_user_guide() -> None:
    sdk = validate.sdk_runtimes()
    assert {"Python3.9", "Python3.10"} <= sdk  # the parse finds the SDK's list
    runtimes = {fn.runtime for fn in template.load().values()}
    assert runtimes == {"Python3.12"}
    assert all(r in sdk or r in validate.DOCUMENTED_RUNTIMES for r in runtimes)
    assert validate.runtime_problems("f", "Python3.12") == []
    assert validate.runtime_problems("f", "Python3.11")


@pytest.mark.package
def test_the_shipped_template_deploys_twice_against_the_documented_stand_in(fake_fg: FakeFunctionGraph,
                                                                            tmp_path: Path):
    """The real template and packages: the Kafka trigger goes through (task_events has VPC access),
    every request and answer conforms, and the second deploy changes nothing."""
    from deploy import package

    dist = tmp_path / "dist"
    package.build(dist)  # wheels cached in build/wheels, shared with `make package`
    settings = {name: f"{name.lower()}-1" for name in template.parameters()}
    env = {**deploy_env(fake_fg), **settings}
    lines: list[str] = []
    options = dep.Options(dist=dist)
    dep.deploy(options, env=env, say=lines.append)
    events = fake_fg.state.triggers[fake_fg.alias_urn("task_events", "live")]
    assert sorted(t["trigger_type_code"] for t in events) == ["CTS", "EVENTGRID", "KAFKA", "SMN"]
    assert fake_fg.state.functions["task_events"]["func_vpc"]["security_groups"] == ["security_group_id-1"]
    assert fake_fg.state.functions["task_events"]["xrole"] == "sms-tasks-vpc"
    writes = len(fake_fg.writes())
    assert dep.deploy(options, env=env, say=lines.append) == []
    assert len(fake_fg.writes()) == writes
    assert conformance(fake_fg)[1] == []
