"""Fixtures of the deploy tests: a fake FunctionGraph on loopback, small throwaway projects (a
template, a function, a shared package) and their packages, built without PyPI."""
from __future__ import annotations

import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy import package
from project import template
from tests.deploy.fake_functiongraph import FakeFunctionGraph


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "package: builds the real FunctionGraph packages (wheels from PyPI, cached)")


@pytest.fixture
def fake_fg() -> Iterator[FakeFunctionGraph]:
    fake = FakeFunctionGraph().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _fresh_template_cache() -> Iterator[None]:
    # Tests load throwaway templates; the real one must not be served from a stale cache after.
    yield
    template.load.cache_clear()
    template.document.cache_clear()


PROJECT_TEMPLATE = """\
version: 1
project: demo
deployment:
  region: cn-north-4
  app: default
  alias: live
  dependency: demo-deps
  prune_triggers: true
parameters:
  APIG_GROUP_ID: the API group
  EG_CHANNEL_ID: the EventGrid channel
  PROJECT: the project id in topic URNs
defaults:
  runtime: Python3.12
  handler: index.handler
  memory_mb: 256
  timeout_s: 30
  agency: demo-readonly
  environment:
    SMS_REGION: cn-north-4
functions:
  api:
    description: the HTTP function
    triggers:
      - type: APIG
        name: demo_api
        group: demo
        group_id: ${APIG_GROUP_ID}
        env_id: ${APIG_ENV_ID:-DEFAULT_ENVIRONMENT_RELEASE_ID}
        path: /v3/tasks
        method: ANY
        match: prefix
        auth: IAM
        timeout_ms: 30000
        events: [events/api.json]
  timer:
    description: the timer function
    memory_mb: 512
    secrets:
      - WEBHOOK_SECRET
      - {name: OPTIONAL_TOKEN, from: DEMO_OPTIONAL, required: false}
    environment:
      SUMMARY_INTERVAL_S: "300"
    async_invoke:
      retries: 2
      on_failure: {destination: SMN, topic_urn: "urn:smn:cn-north-4:${PROJECT}:sms-tick-failures"}
    triggers:
      - type: TIMER
        name: every_five_minutes
        rate: 5m
        payload: {kind: summary}
  events:
    triggers:
      - type: SMN
        name: sms_topic
        topic_urn: urn:smn:cn-north-4:${PROJECT}:sms-events
      - type: EG
        name: eg_sms
        source_name: HC.SMS
        channel_id: ${EG_CHANNEL_ID}
        event_types: [SMS:CloudTrace:ApiCall]
        agency: demo-eg-invoke
      - type: CTS
        name: cts_sms
        operations: ["SMS:task:deleteTask"]
"""


# A Kafka trigger for the "events" function of PROJECT_TEMPLATE (inserted before its CTS trigger).
KAFKA_TRIGGER = "      - type: KAFKA\n        name: kafka_sms\n        instance_id: kafka-1\n        topics: [t1]\n"


def make_project(root: Path, text: str = PROJECT_TEMPLATE) -> Path:
    """A small repository: template.yaml, one code folder per function, shared/, requirements."""
    (root / "template.yaml").write_text(text, encoding="utf-8")
    (root / "shared" / "schemas").mkdir(parents=True)
    (root / "shared" / "__init__.py").write_text('"""shared"""\n', encoding="utf-8")
    (root / "shared" / "schemas" / "x.schema.json").write_text("{}\n", encoding="utf-8")
    (root / "shared" / "__pycache__").mkdir()
    (root / "shared" / "__pycache__" / "junk.cpython-312.pyc").write_bytes(b"junk")
    (root / "events").mkdir()
    (root / "events" / "api.json").write_text('{"httpMethod": "GET", "path": "/v3/tasks"}\n', encoding="utf-8")
    for name in ("api", "timer", "events"):
        folder = root / "functions" / name
        folder.mkdir(parents=True)
        (folder / "index.py").write_text(textwrap.dedent(f"""\
            def handler(event, context):
                return {{"function": "{name}"}}
            """), encoding="utf-8")
    (root / "requirements.txt").write_text("tinydep\n", encoding="utf-8")
    (root / "constraints.txt").write_text("tinydep==1.0\n", encoding="utf-8")
    return root / "template.yaml"


def tiny_wheel(folder: Path, version: str = "1.0") -> Path:
    """A wheel with a package, its tests (never shipped) and a .data/purelib part."""
    path = folder / f"tinydep-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tinydep/__init__.py", f"VERSION = {version!r}\n")
        zf.writestr("tinydep/tests/test_tiny.py", "def test(): pass\n")
        zf.writestr("tinydep/__pycache__/x.cpython-312.pyc", b"junk")
        zf.writestr("tinydep-1.0.data/purelib/tinyextra.py", "EXTRA = 1\n")
        zf.writestr("tinydep-1.0.data/scripts/tiny", "#!/bin/sh\n")
        zf.writestr(f"tinydep-{version}.dist-info/METADATA", f"Name: tinydep\nVersion: {version}\n")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A throwaway project packaged into ``dist`` with a tiny wheel instead of PyPI downloads."""
    root = tmp_path / "repo"
    root.mkdir()
    template_path = make_project(root)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel = tiny_wheel(wheels)
    monkeypatch.setattr(package, "download_wheels", lambda target, req, con, cache=None: [wheel])
    dist = root / "dist"
    manifest = package.build(dist, template_path)
    return {"root": root, "template": template_path, "dist": dist, "manifest": manifest, "wheels": wheels}


def rebuild(project: dict[str, Any]) -> dict[str, Any]:
    template.load.cache_clear()
    template.document.cache_clear()
    project["manifest"] = package.build(project["dist"], project["template"])
    return project


def deploy_env(fake: FakeFunctionGraph, **extra: str) -> dict[str, str]:
    env = {
        "HUAWEICLOUD_SDK_AK": "DEPLOYERACCESSKEY000",
        "HUAWEICLOUD_SDK_SK": "deployer-secret-key-not-for-functions",
        "HUAWEICLOUD_SDK_PROJECT_ID": fake.project_id,
        "FG_ENDPOINT": fake.url,
        "APIG_GROUP_ID": "group-0001",
        "EG_CHANNEL_ID": "channel-0001",
        "PROJECT": fake.project_id,
        "WEBHOOK_SECRET": "whsec-very-secret-value-123",
        "DEPLOY_REF": "test",
    }
    env.update(extra)
    return env
