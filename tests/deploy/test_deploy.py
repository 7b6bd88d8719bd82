"""``deploy`` against a fake FunctionGraph on loopback, through the real SDK: first deploy,
idempotence, dry runs, each kind of change, secrets, rollback."""
from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ServiceResponseException
from huaweicloudsdkfunctiongraph.v2 import ShowVersionAliasRequest

from deploy import deploy as dep
from deploy.fg import DeployError, FunctionGraph, is_missing
from deploy.state import SECRETS_DIGEST_VAR
from tests.deploy.conftest import deploy_env, rebuild
from tests.deploy.fake_functiongraph import FakeFunctionGraph


def run(project: dict[str, Any], fake: FakeFunctionGraph, dry: bool = False,
        **env: str) -> tuple[list[dep.Change], str]:
    lines: list[str] = []
    changes = dep.deploy(dep.Options(dist=project["dist"], template_path=project["template"], dry_run=dry),
                         env=deploy_env(fake, **env), say=lines.append)
    return changes, "\n".join(lines)


def actions(changes: list[dep.Change]) -> list[str]:
    return [c.action for c in changes]


def edit(project: dict[str, Any], old: str, new: str) -> None:
    path: Path = project["template"]
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_first_deploy_creates_everything_through_the_signed_sdk(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    changes, out = run(project, fake_fg)
    assert sorted(set(actions(changes))) == ["CreateDependencyVersion", "CreateFunction", "CreateFunctionTrigger",
                                             "CreateFunctionVersion", "CreateVersionAlias",
                                             "UpdateFunctionAsyncInvokeConfig"]
    assert actions(changes).count("CreateDependencyVersion") == 1  # shared by all three functions
    state = fake_fg.state
    assert sorted(state.functions) == ["api", "events", "timer"]
    timer = state.functions["timer"]
    assert (timer["runtime"], timer["handler"], timer["memory_size"], timer["timeout"], timer["xrole"]) == (
        "Python3.12", "index.handler", 512, 30, "demo-readonly")
    env = json.loads(timer["user_data"])
    assert env["SUMMARY_INTERVAL_S"] == "300" and env["SMS_REGION"] == "cn-north-4" and SECRETS_DIGEST_VAR in env
    # The code FunctionGraph got is the packaged zip, with the dependency attached.
    code = (project["dist"] / "api.zip").read_bytes()
    assert state.code["api"] == code
    dep_version = next(iter(state.dependency_versions.values()))[0]
    assert state.functions["api"]["depend_version_list"] == [dep_version["id"]]
    assert dep_version["runtime"] == "Python3.12" and dep_version["name"] == "demo-deps-py312"
    # Aliases point at a published version; triggers hang on the alias.
    for name in state.functions:
        alias = state.aliases[name]["live"]
        assert alias["version"] == state.versions[name][0]["version"]
    api_triggers = state.triggers[fake_fg.alias_urn("api", "live")]
    assert [t["trigger_type_code"] for t in api_triggers] == ["APIG"]
    data = api_triggers[0]["event_data"]
    assert data["group_id"] == "group-0001" and data["env_id"] == "DEFAULT_ENVIRONMENT_RELEASE_ID"
    assert (data["match_mode"], data["req_method"], data["auth"], data["type"]) == ("SWA", "ANY", "IAM", 1)
    assert data["func_info"]["timeout"] == 30000
    timer_trigger = state.triggers[fake_fg.alias_urn("timer", "live")][0]["event_data"]
    assert timer_trigger == {"name": "every_five_minutes", "schedule_type": "Rate", "schedule": "5m",
                             "user_event": '{"kind": "summary"}'}
    kinds = sorted(t["trigger_type_code"] for t in state.triggers[fake_fg.alias_urn("events", "live")])
    assert kinds == ["CTS", "EVENTGRID", "SMN"]
    assert all(r.headers["authorization"].startswith("SDK-HMAC-SHA256") for r in fake_fg.requests)
    assert "no changes" not in out
    # Triggers were addressed to the alias as <urn>:!live (a bare :live names a version).
    trigger_posts = [r.path for r in fake_fg.requests if r.method == "POST" and "/triggers/" in r.path]
    assert trigger_posts and all(p.endswith(":!live") for p in trigger_posts)
    # v2 functions whose logs go to LTS (FunctionGraph picks the group and stream).
    assert all((f["type"], f["enable_lts_log"]) == ("v2", True) for f in state.functions.values())
    assert all("log_config" not in r.body for r in fake_fg.requests if r.path.endswith("/fgs/functions"))


def test_async_invocation_settings_are_deployed_on_the_alias(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    live = fake_fg.state.aliases["timer"]["live"]["version"]
    config = fake_fg.state.async_configs[fake_fg.urn("timer", live)]
    assert config["max_async_retry_attempts"] == 2
    on_failure = config["destination_config"]["on_failure"]
    assert on_failure["destination"] == "SMN"
    topic = f"urn:smn:cn-north-4:{fake_fg.project_id}:sms-tick-failures"
    assert json.loads(on_failure["param"]) == {"topic_urn": topic}
    assert [k.split(":")[6] for k in fake_fg.state.async_configs] == ["timer"]  # only where declared
    edit(project, "      retries: 2", "      retries: 0")
    changes, _ = run(project, fake_fg)
    assert [(c.action, c.target) for c in changes] == [("UpdateFunctionAsyncInvokeConfig", "timer")]
    assert fake_fg.state.async_configs[fake_fg.urn("timer", live)]["max_async_retry_attempts"] == 0
    # A new version behind the alias has no settings yet: they follow the alias.
    edit(project, "    memory_mb: 512", "    memory_mb: 1024")
    changes, _ = run(project, fake_fg)
    assert actions(changes)[-1] == "UpdateFunctionAsyncInvokeConfig"
    assert run(project, fake_fg)[0] == []


def test_missing_alias_answers_401_and_counts_as_missing(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    fg = FunctionGraph.connect("cn-north-4", fake_fg.url, deploy_env(fake_fg))
    ghost = fg.account.alias_urn("default", "timer", "ghost")
    assert fg.show_async_config(ghost) is None and fg.list_triggers(ghost) == []
    with pytest.raises(ServiceResponseException) as err:
        fg.client.show_version_alias(ShowVersionAliasRequest(function_urn=fake_fg.urn("timer"), alias_name="ghost"))
    assert (err.value.status_code, err.value.error_code) == (401, "FSS.1053")
    assert is_missing(err.value)
    # An alias deleted behind deploy's back is recreated, with its triggers and settings.
    del fake_fg.state.aliases["timer"]["live"]
    fake_fg.state.triggers.pop(fake_fg.alias_urn("timer", "live"))
    changes, _ = run(project, fake_fg)
    assert actions(changes) == ["CreateVersionAlias", "CreateFunctionTrigger"]


def test_second_deploy_changes_nothing(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    writes_before = len(fake_fg.writes())
    changes, out = run(project, fake_fg)
    assert changes == []
    assert len(fake_fg.writes()) == writes_before
    assert "no changes: FunctionGraph already matches template.yaml" in out


def test_idempotent_when_versions_are_listed_without_descriptions(project: dict[str, Any],
                                                                   fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    # ListFunctionVersionResult documents no description, and the fake lists none.
    listed = [r.answer for r in fake_fg.requests if r.method == "GET" and r.path.endswith("/versions")]
    assert listed and all("version_description" not in v for a in listed for v in a.get("versions", []))
    edit(project, "    memory_mb: 512", "    memory_mb: 768")
    assert actions(run(project, fake_fg)[0])[:2] == ["UpdateFunctionConfig", "CreateFunctionVersion"]
    edit(project, "    memory_mb: 768", "    memory_mb: 512")
    # Back to the first state: found by the version's snapshot of code and settings, not republished.
    assert actions(run(project, fake_fg)[0]) == ["UpdateFunctionConfig", "UpdateVersionAlias"]
    assert run(project, fake_fg)[0] == []


def test_dry_run_prints_the_plan_and_changes_nothing(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    changes, out = run(project, fake_fg, dry=True)
    assert "CreateFunction" in actions(changes)
    assert fake_fg.writes() == []
    assert fake_fg.state.functions == {}
    assert "plan CreateFunction timer" in out and "DRY_RUN: " in out
    # Secrets: names only, masked.
    assert "whsec-very-secret-value-123" not in out
    assert '"encrypted_user_data": {"WEBHOOK_SECRET": "***"}' in out


def test_dry_run_without_credentials_plans_offline(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    env = {k: v for k, v in deploy_env(fake_fg).items() if not k.startswith("HUAWEICLOUD_SDK")}
    env.pop("APIG_GROUP_ID")
    lines: list[str] = []
    changes = dep.deploy(dep.Options(dist=project["dist"], template_path=project["template"], dry_run=True),
                         env=env, say=lines.append)
    out = "\n".join(lines)
    assert "planning against an empty account" in out
    assert "APIG_GROUP_ID not set" in out
    assert actions(changes).count("CreateFunction") == 3
    assert fake_fg.requests == []


def test_dry_run_shows_only_the_difference(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    edit(project, "    memory_mb: 512", "    memory_mb: 1024")
    rebuild(project)
    writes = len(fake_fg.writes())
    changes, out = run(project, fake_fg, dry=True)
    assert actions(changes) == ["UpdateFunctionConfig", "CreateFunctionVersion", "UpdateVersionAlias",
                                "UpdateFunctionAsyncInvokeConfig"]
    assert '"memory_size": "512 -> 1024"' in out
    assert len(fake_fg.writes()) == writes


def test_setting_change_updates_config_and_moves_the_alias(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    edit(project, "  timeout_s: 30", "  timeout_s: 60")
    edit(project, "        timeout_ms: 30000", "        timeout_ms: 60000")
    rebuild(project)
    # The API trigger's backend timeout changed too: FunctionGraph cannot update an API Gateway
    # trigger, so replacing it (a new API id, 404 in between) is announced and needs a go-ahead.
    writes = len(fake_fg.writes())
    with pytest.raises(DeployError, match="REPLACE_APIS=1"):
        run(project, fake_fg)
    assert len(fake_fg.writes()) == writes
    changes, out = run(project, fake_fg, dry=True)
    assert "WARN api/demo_api: REPLACES API demo_api" in out and "/v3/tasks answers 404 in between" in out
    changes, out = run(project, fake_fg, REPLACE_APIS="1")
    assert out.index("WARN api/demo_api") < out.index("call UpdateFunctionConfig")
    # All three functions take the new default.
    assert actions(changes).count("UpdateFunctionConfig") == 3
    assert actions(changes).count("UpdateFunctionCode") == 0
    assert [c.target for c in changes if c.action == "DeleteFunctionTrigger"] == ["api on live: APIG demo_api"]
    assert fake_fg.state.functions["api"]["timeout"] == 60
    assert fake_fg.state.aliases["api"]["live"]["version"] == fake_fg.state.versions["api"][-1]["version"]
    assert run(project, fake_fg)[0] == []


def test_code_change_uploads_code_only_for_that_function(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    index = project["root"] / "functions" / "api" / "index.py"
    index.write_text(index.read_text() + "# changed\n", encoding="utf-8")
    rebuild(project)
    changes, _ = run(project, fake_fg)
    assert actions(changes) == ["UpdateFunctionCode", "CreateFunctionVersion", "UpdateVersionAlias"]
    assert all(c.target == "api" for c in changes)
    assert fake_fg.state.code["api"] == (project["dist"] / "api.zip").read_bytes()


def test_dependency_change_uploads_a_new_dependency_version(project: dict[str, Any], fake_fg: FakeFunctionGraph,
                                                            monkeypatch: pytest.MonkeyPatch):
    from deploy import package
    from tests.deploy.conftest import tiny_wheel

    run(project, fake_fg)
    newer = tiny_wheel(project["wheels"], "2.0")
    monkeypatch.setattr(package, "download_wheels", lambda *a, **k: [newer])
    rebuild(project)
    changes, _ = run(project, fake_fg)
    assert actions(changes).count("CreateDependencyVersion") == 1
    assert actions(changes).count("UpdateFunctionCode") == 3  # every function gets the new version attached
    versions = next(iter(fake_fg.state.dependency_versions.values()))
    assert [v["version"] for v in versions] == [1, 2]
    assert all(f["depend_version_list"] == [versions[1]["id"]] for f in fake_fg.state.functions.values())


def test_secret_rotation_is_detected_and_never_leaks(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    changes, out = run(project, fake_fg, WEBHOOK_SECRET="whsec-rotated-value-456")
    # The new version behind the alias gets the timer's async invocation settings too.
    assert actions(changes) == ["UpdateFunctionConfig", "CreateFunctionVersion", "UpdateVersionAlias",
                                "UpdateFunctionAsyncInvokeConfig"]
    assert "whsec-rotated-value-456" not in out and "whsec-very-secret-value-123" not in out
    update = next(r for r in fake_fg.requests if r.method == "PUT" and r.path.endswith("/config"))
    assert json.loads(update.body["encrypted_user_data"]) == {"WEBHOOK_SECRET": "whsec-rotated-value-456"}
    # The value travels only as encrypted_user_data, never in plain user_data or anywhere else.
    for record in fake_fg.requests:
        plain = json.dumps({k: v for k, v in (record.body or {}).items() if k != "encrypted_user_data"})
        assert "whsec-" not in plain
    # The optional secret, once given, joins the encrypted variables.
    changes, _ = run(project, fake_fg, WEBHOOK_SECRET="whsec-rotated-value-456", DEMO_OPTIONAL="tok-1")
    assert actions(changes)[0] == "UpdateFunctionConfig"
    assert fake_fg.state.functions["timer"]["encrypted_user_data"]
    # Secrets dropped from the template: the deployed ones are cleared, the digest goes too.
    edit(project, """    secrets:
      - WEBHOOK_SECRET
      - {name: OPTIONAL_TOKEN, from: DEMO_OPTIONAL, required: false}
""", "")
    rebuild(project)
    changes, _ = run(project, fake_fg)
    assert actions(changes)[0] == "UpdateFunctionConfig"
    assert fake_fg.state.functions["timer"]["encrypted_user_data"] == "{}"
    assert SECRETS_DIGEST_VAR not in json.loads(fake_fg.state.functions["timer"]["user_data"])


def test_missing_secret_stops_before_any_change(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    env = deploy_env(fake_fg)
    env.pop("WEBHOOK_SECRET")
    with pytest.raises(DeployError, match="WEBHOOK_SECRET"):
        dep.deploy(dep.Options(dist=project["dist"], template_path=project["template"]), env=env, say=lambda s: None)
    assert fake_fg.requests == []


def test_deployer_credentials_are_never_copied_into_a_function(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    env = deploy_env(fake_fg)
    env["WEBHOOK_SECRET"] = env["HUAWEICLOUD_SDK_SK"]
    with pytest.raises(DeployError, match="deployer's secret key"):
        dep.deploy(dep.Options(dist=project["dist"], template_path=project["template"]), env=env, say=lambda s: None)
    assert fake_fg.requests == []


def test_unset_resource_id_stops_a_real_deploy_before_any_change(project: dict[str, Any],
                                                                  fake_fg: FakeFunctionGraph):
    env = deploy_env(fake_fg)
    env.pop("EG_CHANNEL_ID")
    env.pop("WEBHOOK_SECRET")
    with pytest.raises(DeployError) as err:
        dep.deploy(dep.Options(dist=project["dist"], template_path=project["template"]), env=env, say=lambda s: None)
    # All at once, each with what it is for and where it is used.
    assert "2 setting(s) missing" in str(err.value)
    assert "EG_CHANNEL_ID: the EventGrid channel (used by events/triggers/eg_sms)" in str(err.value)
    assert "WEBHOOK_SECRET: a secret the function gets encrypted (used by timer/secrets/WEBHOOK_SECRET)" in str(
        err.value)
    assert fake_fg.requests == []


def test_trigger_changes_replace_disable_and_prune(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    edit(project, "        rate: 5m", "        rate: 10m")
    edit(project, """      - type: CTS
        name: cts_sms
        operations: ["SMS:task:deleteTask"]
""", "")
    rebuild(project)
    changes, _ = run(project, fake_fg)
    assert [(c.action, c.target) for c in changes] == [
        ("DeleteFunctionTrigger", "events on live: CTS cts_sms"),
        ("UpdateVersionAlias", "events"),  # the alias keeps the triggers' fingerprints
        ("DeleteFunctionTrigger", "timer on live: TIMER every_five_minutes"),
        ("CreateFunctionTrigger", "timer on live: TIMER every_five_minutes"),
    ]
    timer = fake_fg.state.triggers[fake_fg.alias_urn("timer", "live")]
    assert [t["event_data"]["schedule"] for t in timer] == ["10m"]
    edit(project, "        rate: 10m", "        rate: 10m\n        enabled: false")
    rebuild(project)
    changes, _ = run(project, fake_fg)
    assert [(c.action, c.details) for c in changes] == [("UpdateTrigger", "status ACTIVE -> DISABLED")]
    assert fake_fg.state.triggers[fake_fg.alias_urn("timer", "live")][0]["trigger_status"] == "DISABLED"
    assert run(project, fake_fg)[0] == []


def test_rollback_moves_the_alias_and_redeploy_restores_it(project: dict[str, Any], fake_fg: FakeFunctionGraph,
                                                           monkeypatch: pytest.MonkeyPatch):
    stamps = iter(f"2026010{i}-000000" for i in range(1, 10))

    class Clock:
        @staticmethod
        def now(tz: Any) -> Any:
            class Stamp:
                def strftime(self, fmt: str) -> str:
                    return next(stamps)
            return Stamp()

    monkeypatch.setattr(dep, "datetime", Clock)
    run(project, fake_fg)  # versions ...01 api, ...02 events, ...03 timer
    edit(project, "    memory_mb: 512", "    memory_mb: 768")
    rebuild(project)
    run(project, fake_fg)
    assert fake_fg.state.aliases["timer"]["live"]["version"] == "v20260104-000000"
    fg = FunctionGraph.connect("cn-north-4", fake_fg.url, deploy_env(fake_fg))
    lines: list[str] = []
    changes = dep.rollback(fg, "timer", template_path=project["template"], say=lines.append)
    assert [c.details for c in changes] == ["live: v20260104-000000 -> v20260103-000000"]
    assert fake_fg.state.aliases["timer"]["live"]["version"] == "v20260103-000000"
    dep.list_versions(fg, "timer", template_path=project["template"], say=lines.append)
    assert any(line.startswith("v20260103-000000") and line.endswith("<- live") for line in lines)
    # Re-deploying the same commit points the alias back at the version that holds it ...
    changes, _ = run(project, fake_fg)
    assert actions(changes) == ["UpdateVersionAlias"]
    # ... and re-deploying the older state reuses the older version: no new version published.
    edit(project, "    memory_mb: 768", "    memory_mb: 512")
    rebuild(project)
    changes, _ = run(project, fake_fg)
    assert actions(changes) == ["UpdateFunctionConfig", "UpdateVersionAlias"]
    assert fake_fg.state.aliases["timer"]["live"]["version"] == "v20260103-000000"
    assert len(fake_fg.state.versions["timer"]) == 2


def test_rollback_dry_run_and_bad_version(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    fg = FunctionGraph.connect("cn-north-4", fake_fg.url, deploy_env(fake_fg))
    with pytest.raises(DeployError, match="no version older"):
        dep.rollback(fg, "api", template_path=project["template"], say=lambda s: None)
    with pytest.raises(DeployError, match="has no version v0"):
        dep.rollback(fg, "api", to="v0", template_path=project["template"], say=lambda s: None)
    writes = len(fake_fg.writes())
    version = fake_fg.state.aliases["api"]["live"]["version"]
    assert dep.rollback(fg, "api", to=version, dry_run=True, template_path=project["template"],
                        say=lambda s: None) == []
    assert len(fake_fg.writes()) == writes


def test_code_upload_is_the_packaged_zip_base64(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    create = next(r for r in fake_fg.requests if r.method == "POST" and r.path.endswith("/fgs/functions")
                  and r.body["func_name"] == "events")
    assert base64.b64decode(create.body["func_code"]["file"]) == (project["dist"] / "events.zip").read_bytes()
    assert create.body["code_type"] == "zip" and create.body["package"] == "default"
    assert create.body["code_filename"].startswith("events-") and create.body["code_filename"].endswith(".zip")
    assert "encrypted_user_data" not in create.body  # no secrets: nothing encrypted is sent


def test_without_alias_triggers_call_the_latest_code(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    edit(project, "  alias: live", "  alias: null")
    changes, _ = run(project, fake_fg)
    assert "CreateFunctionVersion" not in actions(changes) and "CreateVersionAlias" not in actions(changes)
    assert [t["trigger_type_code"] for t in fake_fg.state.triggers[fake_fg.urn("timer")]] == ["TIMER"]
    assert run(project, fake_fg)[0] == []
    fg = FunctionGraph.connect("cn-north-4", fake_fg.url, deploy_env(fake_fg))
    with pytest.raises(DeployError, match="no alias"):
        dep.rollback(fg, "timer", template_path=project["template"], say=lambda s: None)


def test_vpc_access_is_deployed_and_compared(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    edit(project, "  events:\n", "  events:\n    vpc: {vpc_id: '${VPC_ID}', subnet_id: subnet-1}\n")
    rebuild(project)
    with pytest.raises(DeployError, match="VPC_ID"):
        run(project, fake_fg)
    run(project, fake_fg, VPC_ID="vpc-1")
    assert fake_fg.state.functions["events"]["func_vpc"]["vpc_id"] == "vpc-1"
    assert "func_vpc" not in fake_fg.state.functions["api"]
    assert run(project, fake_fg, VPC_ID="vpc-1")[0] == []
    changes, out = run(project, fake_fg, VPC_ID="vpc-2")
    assert actions(changes) == ["UpdateFunctionConfig", "CreateFunctionVersion", "UpdateVersionAlias"]
    assert "vpc-2" in out and fake_fg.state.functions["events"]["func_vpc"]["vpc_id"] == "vpc-2"
