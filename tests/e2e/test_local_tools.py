"""The README's local commands as a user runs them: `make invoke` prints only the handler's JSON."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HUAWEICLOUD_", "SMS_", "WEBHOOK_", "DASHBOARD_"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    return env


def make_invoke(fn: str, event: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "invoke", f"FN={fn}", f"EVENT={event}"], cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=120)


def test_make_invoke_http_prints_only_the_apig_response() -> None:
    done = make_invoke("list_tasks_http", "events/apig_list_tasks.json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)  # nothing else on stdout
    assert out["statusCode"] == 200 and json.loads(out["body"])["tasks"]
    assert "embedded SMS emulator" in done.stderr


def test_make_invoke_takes_a_function_folder_path() -> None:
    done = make_invoke("functions/list_tasks_http", "events/apig_bad_limit.json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["statusCode"] == 400


def test_make_invoke_dashboard_sample_is_the_401_page_in_chinese() -> None:
    done = make_invoke("list_tasks_http", "events/apig_dashboard_unsigned.json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["statusCode"] == 401 and out["headers"]["Content-Type"].startswith("text/html")
    assert '<html lang="zh-CN"' in out["body"] and "DASHBOARD_LINK_SECRET" not in out["body"]


def test_make_invoke_timer_without_targets_still_summarises() -> None:
    done = make_invoke("list_tasks_timer", "events/timer.json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["summary"]["total"] > 0 and out["outcomes"] == []


def test_make_invoke_reports_a_missing_event_file() -> None:
    done = make_invoke("list_tasks_http", "events/missing.json")
    assert done.returncode != 0 and done.stdout == "" and "missing.json" in done.stderr
