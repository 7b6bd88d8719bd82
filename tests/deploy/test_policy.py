"""The agencies' policies ship as files, complete (listTask needs queryServer; VPC access needs the
actions FunctionGraph documents), and the docs point to them."""
from __future__ import annotations

import json

from project import template

POLICY = template.ROOT / "deploy" / "policies" / "sms-tasks-readonly.json"
VPC_POLICY = template.ROOT / "deploy" / "policies" / "sms-tasks-vpc.json"
# FunctionGraph user guide, "Configuring Networks" / FAQ "Which Actions Can Be Used Instead of a VPC
# Administrator Agency for VPC Access?" (functiongraph_03_0857): the least permissions for VPC access.
VPC_ACTIONS = ["vpc:ports:create", "vpc:ports:delete", "vpc:ports:get", "vpc:subnets:get", "vpc:vpcs:get"]


def _actions(path: object) -> list[str]:
    policy = json.loads(path.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    assert policy["Version"] == "1.1"
    return sorted(a for st in policy["Statement"] if st["Effect"] == "Allow" for a in st["Action"])


def test_agency_policy_is_complete_and_least() -> None:
    policy = json.loads(POLICY.read_text(encoding="utf-8"))
    actions = sorted(a for st in policy["Statement"] if st["Effect"] == "Allow" for a in st["Action"])
    assert policy["Version"] == "1.1"
    assert actions == ["sms:server:listTask", "sms:server:queryServer"]
    assert not any("*" in a for a in actions)


def test_the_agencies_of_the_template_are_the_documented_policies() -> None:
    functions = template.load()
    # Only the function with VPC access (task_events, for its Kafka trigger) gets the VPC actions.
    assert {fn.name: fn.agency for fn in functions.values()} == {
        "list_tasks_http": POLICY.stem, "list_tasks_timer": POLICY.stem, "task_events": VPC_POLICY.stem}
    assert all((fn.agency == VPC_POLICY.stem) == bool(fn.vpc) for fn in functions.values())
    assert _actions(VPC_POLICY) == sorted(_actions(POLICY) + VPC_ACTIONS)
    docs = (template.ROOT / "docs" / "deploy.md").read_text("utf-8")
    assert "deploy/policies/sms-tasks-readonly.json" in docs and "deploy/policies/sms-tasks-vpc.json" in docs
