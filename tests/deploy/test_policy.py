"""The agency's policy ships as a file, complete (listTask needs queryServer), and the docs point to it."""
from __future__ import annotations

import json

from project import template

POLICY = template.ROOT / "deploy" / "policies" / "sms-tasks-readonly.json"


def test_agency_policy_is_complete_and_least() -> None:
    policy = json.loads(POLICY.read_text(encoding="utf-8"))
    actions = sorted(a for st in policy["Statement"] if st["Effect"] == "Allow" for a in st["Action"])
    assert policy["Version"] == "1.1"
    assert actions == ["sms:server:listTask", "sms:server:queryServer"]
    assert not any("*" in a for a in actions)


def test_the_agency_of_the_template_is_the_documented_policy() -> None:
    agencies = {fn.agency for fn in template.load().values()}
    assert agencies == {POLICY.stem}
    assert "deploy/policies/sms-tasks-readonly.json" in (template.ROOT / "docs" / "deploy.md").read_text("utf-8")
