"""Cold start: importing the HTTP handler loads nothing the first request doesn't need, and
serving it still leaves out what ``shared.read.sms_client`` deliberately avoids (no timing asserts)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLER_DIR = ROOT / "functions" / "list_tasks_http"
# Never on the hot path: every SDK model class, the SDK's client module (multipart uploads via
# requests_toolbelt) and the pure-Python reference validator.
NEVER = ("huaweicloudsdksms", "huaweicloudsdkcore.client", "requests_toolbelt", "jsonschema", "requests")
# Needed by the first request only, so not at import: the validators, the summary route.
NOT_AT_IMPORT = ("msgspec", "jsonschema_rs", "shared.summary.summarise", "shared.summary.builder")
# Loaded by the dashboard's requests alone (shared/triggers/http_routes.py's route groups).
PAGES_ONLY = ("shared.triggers.dashboard_routes", "shared.dashboard", "jinja2")

PROGRAM = """
import json, sys
sys.path[:0] = [{handler!r}, {root!r}]
import index
if {serve!r}:
    class Context:
        def getRequestID(self): return "cold-test"
        def getRemainingTimeInMilliSeconds(self): return 30000
    event = {{"httpMethod": "GET", "path": "/v3/tasks", "queryStringParameters": {{"limit": "5"}},
             "headers": {{}}, "body": "", "isBase64Encoded": False}}
    assert index.handler(event, Context())["statusCode"] == 200
print(json.dumps(sorted(sys.modules)))
"""


def loaded_modules(serve: bool, env: dict[str, str] | None = None) -> list[str]:
    code = PROGRAM.format(handler=str(HANDLER_DIR), root=str(ROOT), serve=serve)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run([sys.executable, "-c", code], cwd="/", env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def offenders(modules: list[str], roots: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == r or m.startswith(r + ".") for r in roots)]


def test_importing_the_handler_loads_nothing_heavy() -> None:
    modules = loaded_modules(serve=False)
    assert "shared.triggers.http_routes" in modules
    assert offenders(modules, NEVER + NOT_AT_IMPORT + PAGES_ONLY) == []


@pytest.mark.integration
def test_serving_the_first_request_keeps_the_sdk_models_out(emulator: Any) -> None:
    from local.backend import LOCAL_AK, LOCAL_SK

    env = {"SMS_ENDPOINT": emulator.url, "HUAWEICLOUD_SDK_AK": LOCAL_AK, "HUAWEICLOUD_SDK_SK": LOCAL_SK}
    modules = loaded_modules(serve=True, env=env)
    assert "msgspec" in modules  # the page was validated, by the fast path alone:
    assert offenders(modules, (*NEVER, "jsonschema_rs")) == []  # valid pages never load the full validator
    assert offenders(modules, PAGES_ONLY) == []  # an API request never loads the dashboard
    # The SDK signs (its signer module), urllib3 carries: neither its credentials module nor requests.
    assert "huaweicloudsdkcore.signer.signer" in modules and "urllib3" in modules
    assert offenders(modules, ("huaweicloudsdkcore.auth", "huaweicloudsdkcore.http.http_client")) == []
