"""``make validate``: the schema of template.yaml and the references it holds."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from deploy import validate
from project import template
from tests.deploy.conftest import KAFKA_TRIGGER, PROJECT_TEMPLATE, make_project


def test_the_real_template_is_valid() -> None:
    assert validate.validate() == []
    assert validate.main([]) == 0


def test_the_project_template_of_the_tests_is_valid(tmp_path: Path) -> None:
    assert validate.validate(make_project(tmp_path)) == []


def problems_with(tmp_path: Path, old: str, new: str) -> list[str]:
    assert old in PROJECT_TEMPLATE
    tmp_path.mkdir(parents=True, exist_ok=True)
    return validate.validate(make_project(tmp_path, PROJECT_TEMPLATE.replace(old, new, 1)))


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  runtime: Python3.12", "  runtime: Python3.11", "is not one of"),
    ("  memory_mb: 256", "  memory_mb: 100", "is not one of"),
    ("  memory_mb: 256", "  memory_mb: 320", "is not one of"),  # a multiple of 64, not a FunctionGraph size
    ("  timeout_s: 30", "  timeout_s: 2", "less than the minimum"),
    ("  timeout_s: 30", "  timeout_s: 259201", "greater than the maximum"),
    ("    SMS_REGION: cn-north-4", "    SMS_REGION: cn-north-4\n    WEBHOOK_SECRET: s3cr3t", "WEBHOOK_SECRET"),
    ("    SMS_REGION: cn-north-4", "    SMS_REGION: cn-north-4\n    HUAWEICLOUD_SDK_SK: abc", "HUAWEICLOUD_SDK_SK"),
    ("  app: default", "  app: default\n  surprise: 1", "Additional properties"),
    ("    description: the HTTP function", "    descripton: typo", "Unevaluated properties"),
    ("        rate: 5m", "        rate: 5m\n        cron: '0 * * * * *'", "valid under each of"),
    ("        rate: 5m", "        rate: 5 minutes", "does not match"),
    ("        path: /v3/tasks\n", "", "'path' is a required property"),
    ("        auth: IAM", "        auth: OPEN", "is not one of"),
    ("      - type: SMN\n        name: sms_topic\n        topic_urn: urn:smn:cn-north-4:${PROJECT}:sms-events\n",
     "      - type: SMN\n        name: sms_topic\n", "'topic_urn' is a required property"),
    ("      - type: CTS", "      - type: FOO", "is not one of"),
    ("      - WEBHOOK_SECRET", "      - 'bad name'", "is not valid under any of the given schemas"),
])
def test_schema_problems_are_reported(tmp_path: Path, old: str, new: str, expected: str) -> None:
    problems = problems_with(tmp_path, old, new)
    assert problems and any(expected in p for p in problems), problems


def test_missing_code_folder_and_handler(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    (tmp_path / "functions" / "events" / "index.py").write_text("def other(event, context):\n    pass\n")
    (tmp_path / "functions" / "api" / "index.py").unlink()
    text = path.read_text().replace("  timer:\n", "  timer:\n    code: functions/nowhere\n", 1)
    path.write_text(text)
    problems = validate.validate(path)
    assert "functions/api: handler file functions/api/index.py does not exist" in problems
    assert "functions/events: functions/events/index.py defines no 'handler'" in problems
    assert "functions/timer: code folder functions/nowhere does not exist" in problems


def test_handler_that_does_not_parse(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    (tmp_path / "functions" / "api" / "index.py").write_text("def handler(:\n")
    assert any("does not parse" in p for p in validate.validate(path))


def test_events_secrets_names_placeholders_and_timeouts(tmp_path: Path) -> None:
    text = PROJECT_TEMPLATE.replace("events: [events/api.json]", "events: [events/api.json, events/missing.json]")
    text = text.replace("      - WEBHOOK_SECRET", "      - WEBHOOK_SECRET\n      - SUMMARY_INTERVAL_S")
    text = text.replace("        name: eg_sms", "        name: sms_topic")
    text = text.replace("channel_id: ${EG_CHANNEL_ID}", "channel_id: ${EG CHANNEL}")
    text = text.replace("        timeout_ms: 30000", "        timeout_ms: 5000")
    path = make_project(tmp_path, text)
    (tmp_path / "events" / "api.json").write_text("{not json")
    problems = validate.validate(path)
    assert any("event file events/missing.json does not exist" in p for p in problems)
    assert any("events/api.json is not JSON" in p for p in problems)
    assert any("SUMMARY_INTERVAL_S listed as secret and as plain environment" in p for p in problems)
    assert any("trigger name 'sms_topic' is used twice" in p for p in problems)
    assert any("malformed placeholder '${EG CHANNEL}'" in p for p in problems)
    assert any("timeout_ms 5000 is below the function's timeout" in p for p in problems)


def test_cli_reports_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make_project(tmp_path, PROJECT_TEMPLATE.replace("version: 1", "version: 2"))
    assert validate.main([str(path)]) == 1
    assert "1 problem(s)" in capsys.readouterr().err


def test_template_reader_keeps_its_api_and_reads_deploy_keys(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    functions = template.load(path)
    timer = functions["timer"]
    assert [s.name for s in timer.secrets] == ["OPTIONAL_TOKEN", "WEBHOOK_SECRET"]
    optional = timer.secrets[0]
    assert (optional.source, optional.required) == ("DEMO_OPTIONAL", False)
    assert timer.agency == "demo-readonly" and timer.memory_mb == 512
    assert timer.environment == {"SMS_REGION": "cn-north-4", "SUMMARY_INTERVAL_S": "300"}
    assert timer.code == tmp_path / "functions" / "timer"
    api = functions["api"]
    trigger = api.triggers_of("apig")[0]
    assert (trigger.type, trigger.name, trigger.events) == ("APIG", "demo_api", ["events/api.json"])
    assert {api: 1}[api] == 1  # hashable: local.functions caches handlers per function
    settings = template.deployment(path)
    assert (settings.project, settings.region, settings.app, settings.alias, settings.dependency) == (
        "demo", "cn-north-4", "default", "live", "demo-deps")
    doc = yaml.safe_load(PROJECT_TEMPLATE)
    del doc["deployment"]
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump(doc))
    assert template.deployment(bare).dependency == "demo-deps"


def test_functiongraph_environment_limits(tmp_path: Path) -> None:
    many = "".join(f"\n    VAR_{i}: x" for i in range(19))
    problems = problems_with(tmp_path, "    SMS_REGION: cn-north-4", "    SMS_REGION: cn-north-4" + many)
    assert any("FunctionGraph allows 20" in p for p in problems), problems  # schema: maxProperties 20
    # 18 plain + 1 default + 2 secrets + the secrets digest = 22 entries for the timer only.
    many = "".join(f"\n      VAR_{i}: x" for i in range(17))
    line = '      SUMMARY_INTERVAL_S: "300"'
    problems = problems_with(tmp_path / "b", line, line + many)
    assert problems == ["functions/timer: 22 environment variables (secrets included); FunctionGraph allows 20"]
    big = "x" * 4000
    problems = problems_with(tmp_path / "c", '      SUMMARY_INTERVAL_S: "300"', f'      SUMMARY_INTERVAL_S: "{big}"')
    assert len(problems) == 1 and "characters; FunctionGraph allows 4096" in problems[0]
    assert big not in problems[0]


def test_one_path_once_per_api_group(tmp_path: Path) -> None:
    second = """      - type: DEDICATEDGATEWAY
        name: demo_api_again
        group_id: ${APIG_GROUP_ID}
        env_id: e
        instance_id: i
        path: /v3/tasks/
        method: GET
        timeout_ms: 30000
"""
    problems = problems_with(tmp_path, "        events: [events/api.json]\n",
                             "        events: [events/api.json]\n" + second)
    assert problems == ["functions/api/triggers/demo_api_again: GET /v3/tasks is already defined in API group "
                        "${APIG_GROUP_ID} by api/demo_api"]
    other_group = second.replace("${APIG_GROUP_ID}", "group-2")
    assert problems_with(tmp_path / "b", "        events: [events/api.json]\n",
                         "        events: [events/api.json]\n" + other_group) == []


def test_dedicated_gateway_needs_instance_group_and_environment(tmp_path: Path) -> None:
    problems = problems_with(tmp_path, "      - type: APIG", "      - type: DEDICATEDGATEWAY")
    assert problems == ["functions/api/triggers/0: 'instance_id' is a required property"]


def test_every_placeholder_is_described_and_kafka_needs_vpc(tmp_path: Path) -> None:
    problems = problems_with(tmp_path / "a", "  EG_CHANNEL_ID: the EventGrid channel\n", "")
    assert problems == ["events/triggers/eg_sms: ${EG_CHANNEL_ID} is not described under parameters: "
                        "(what it is for)"]
    kafka = KAFKA_TRIGGER + "      - type: CTS\n"
    problems = problems_with(tmp_path / "b", "      - type: CTS\n", kafka)
    assert len(problems) == 1 and problems[0].startswith(
        "functions/events/triggers/kafka_sms: a KAFKA trigger needs VPC access on the function")
    with_vpc = PROJECT_TEMPLATE.replace("      - type: CTS\n", kafka, 1).replace(
        "  events:\n", "  events:\n    vpc: {vpc_id: v, subnet_id: s}\n", 1)
    (tmp_path / "c").mkdir()
    assert validate.validate(make_project(tmp_path / "c", with_vpc)) == []
