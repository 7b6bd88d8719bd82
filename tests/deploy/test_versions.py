"""The 20-version cap: deploy prunes the versions it published that no alias points to, keeping
``deployment.keep_versions`` of them for rollback; the fake refuses a 21st version as FunctionGraph does."""
from __future__ import annotations

from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from deploy import deploy as dep
from deploy.fg import DeployError, FunctionGraph
from tests.deploy.conftest import deploy_env
from tests.deploy.fake_functiongraph import MAX_VERSIONS, FakeFunctionGraph
from tests.deploy.test_deploy import actions, edit, run


def test_25_consecutive_deploys_each_with_a_change_all_succeed(project: dict[str, Any],
                                                               fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    for i in range(1, 26):
        edit(project, f'SUMMARY_INTERVAL_S: "{299 + i}"', f'SUMMARY_INTERVAL_S: "{300 + i}"')
        changes, _ = run(project, fake_fg)
        assert "CreateFunctionVersion" in actions(changes)
        versions = [v["version"] for v in fake_fg.state.versions["timer"]]
        assert fake_fg.state.aliases["timer"]["live"]["version"] == versions[-1]
        assert len(versions) <= 1 + 5  # the alias target and keep_versions=5 older ones
    assert len(fake_fg.state.versions["timer"]) == 6
    assert sorted(v["version"] for v in fake_fg.state.versions["timer"]) == [
        v["version"] for v in fake_fg.state.versions["timer"]]  # name order is publish order
    # Rollback still has somewhere to go.
    fg = FunctionGraph.connect("cn-north-4", fake_fg.url, deploy_env(fake_fg))
    assert len(dep.rollback(fg, "timer", template_path=project["template"], say=lambda s: None)) == 1


def test_without_pruning_the_fake_refuses_the_20th_version(project: dict[str, Any], fake_fg: FakeFunctionGraph,
                                                            monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dep, "prune_versions", lambda run, name, urn, versions, *a, **k: versions)
    run(project, fake_fg)
    with pytest.raises(ClientRequestException, match="at most 20 versions"):  # every project before pruning
        for i in range(1, 25):
            edit(project, f'SUMMARY_INTERVAL_S: "{299 + i}"', f'SUMMARY_INTERVAL_S: "{300 + i}"')
            run(project, fake_fg)
    assert len(fake_fg.state.versions["timer"]) == MAX_VERSIONS - 1


def test_versions_an_alias_or_someone_else_holds_are_never_pruned(project: dict[str, Any],
                                                                  fake_fg: FakeFunctionGraph):
    edit(project, "  prune_triggers: true", "  prune_triggers: true\n  keep_versions: 0")
    run(project, fake_fg)
    first = fake_fg.state.aliases["timer"]["live"]["version"]
    snapshot = dict(fake_fg.state.functions["timer"])
    # A hand-published version and a second alias on deploy's first version.
    fake_fg.state.versions["timer"].append({**snapshot, "version": "hotfix", "version_description": "by hand"})
    fake_fg.state.aliases["timer"]["canary"] = {"name": "canary", "version": first, "description": ""}
    edit(project, 'SUMMARY_INTERVAL_S: "300"', 'SUMMARY_INTERVAL_S: "301"')
    run(project, fake_fg)
    edit(project, 'SUMMARY_INTERVAL_S: "301"', 'SUMMARY_INTERVAL_S: "302"')
    changes, _ = run(project, fake_fg)
    deleted = [c.details.split()[0] for c in changes if c.action == "DeleteFunctionVersion"]
    assert len(deleted) == 1 and deleted[0] not in (first, "hotfix")
    names = [v["version"] for v in fake_fg.state.versions["timer"]]
    assert first in names and "hotfix" in names and fake_fg.state.aliases["timer"]["live"]["version"] == names[-1]


def test_a_cap_filled_by_others_stops_with_the_setting_named(project: dict[str, Any], fake_fg: FakeFunctionGraph):
    run(project, fake_fg)
    snapshot = dict(fake_fg.state.functions["timer"])
    for i in range(MAX_VERSIONS - 2):
        fake_fg.state.versions["timer"].append({**snapshot, "version": f"manual{i}", "version_description": ""})
    edit(project, 'SUMMARY_INTERVAL_S: "300"', 'SUMMARY_INTERVAL_S: "301"')
    with pytest.raises(DeployError, match="keep_versions"):
        run(project, fake_fg)
