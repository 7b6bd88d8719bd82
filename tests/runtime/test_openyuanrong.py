"""Every function, exactly as ``make package`` builds it, run through an independent
FunctionGraph-compatible runtime: openYuanrong's FaaS executor (``openyuanrong-sdk``, Huawei's
open-source runtime with FunctionGraph's ``Context``, ``RUNTIME_*`` variables, 6 MB limit and
4001/4004/4007 codes), in its own Python 3.12 environment (.venv-yr, made by ``make test``).

The function directory is what FunctionGraph assembles: the dependency zip's contents and the
code zip in one directory, dependency files winning. Settings are the executor's environment;
secrets (the SMS AK/SK, the link secret) are given only as encrypted variables, which reach the
code through ``context.getUserData`` alone. yr_driver.py says what of openYuanrong runs."""
from __future__ import annotations

import json
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy import package
from local.backend import LOCAL_AK, LOCAL_SK
from project import template
from shared.result_limits import ASYNC_RESULT_LIMIT, HTTP_RESULT_LIMIT
from tests.helpers import response_json

ROOT = Path(__file__).resolve().parents[2]
YR_PYTHON = ROOT / ".venv-yr" / "bin" / "python"
DRIVER = Path(__file__).with_name("yr_driver.py")
LINK_SECRET = "runtime-test-Vb3nM6qW9eR2tY5uI8oP1aS4"
OK_CODE = "0"


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not YR_PYTHON.exists():
        pytest.fail(".venv-yr is missing: `make test` builds it (needs Python 3.12: make .venv-yr/.installed)")
    out = tmp_path_factory.mktemp("dist")
    return {"dist": out, "manifest": package.build(out)}


def function_dir(packaged: dict[str, Any], name: str, into: Path) -> Path:
    """The code zip, then the dependency zip over it: on a clash the dependency's file wins."""
    manifest = packaged["manifest"]
    rec = manifest["functions"][name]
    folder = into / name
    with zipfile.ZipFile(packaged["dist"] / rec["zip"]) as zf:
        zf.extractall(folder)
    if rec["dependency"]:
        with zipfile.ZipFile(packaged["dist"] / manifest["dependencies"][rec["dependency"]]["zip"]) as zf:
            zf.extractall(folder)
    return folder


def run_function(packaged: dict[str, Any], fn: template.Function, events: list[Any], into: Path,
                 environment: dict[str, str], encrypted: dict[str, str]) -> dict[str, Any]:
    meta = {
        "funcMetaData": {"func_name": fn.name, "name": f"{fn.name}:latest", "version": "latest",
                         "timeout": str(fn.timeout_s), "handler": fn.handler, "tenantId": "runtime-test",
                         "service": "sms-tasks"},
        "resourceMetaData": {"memory": str(fn.memory_mb), "cpu": "300"},
        "extendedMetaData": {},
    }
    into.mkdir(parents=True, exist_ok=True)
    request = into / f"{fn.name}-request.json"
    request.write_text(json.dumps({"meta": meta, "environment": environment, "encrypted_user_data": encrypted,
                                   "events": events}))
    code = function_dir(packaged, fn.name, into)
    # A clean process: no PYTHON* variables, only PATH; everything else comes through the executor.
    out = subprocess.run([str(YR_PYTHON), str(DRIVER), str(code), str(request)], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(into)}, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines, (out.stdout[-2000:], out.stderr[-3000:])
    result = json.loads(lines[-1])
    assert "load_error" not in result, result
    assert result["python"] == "3.12" and result["init"]["errorCode"] == OK_CODE, result["init"]
    return result


def settings(fn: template.Function, emulator: Any) -> tuple[dict[str, str], dict[str, str]]:
    """(plain environment, encrypted variables): the AK/SK and the link secret only encrypted."""
    environment = {**fn.environment, "SMS_ENDPOINT": emulator.url, "WEBHOOK_ALLOW_LOOPBACK": "1"}
    encrypted = {"HUAWEICLOUD_SDK_AK": LOCAL_AK, "HUAWEICLOUD_SDK_SK": LOCAL_SK, "DASHBOARD_LINK_SECRET": LINK_SECRET}
    return environment, encrypted


def expected_status(event_name: str) -> int:
    return 400 if "bad" in event_name else 401 if "unsigned" in event_name else 200


@pytest.fixture(scope="module")
def every_event(packaged: dict[str, Any], emulator: Any, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[dict[str, tuple[template.Function, list[str], dict[str, Any]]]]:
    runs = {}
    into = tmp_path_factory.mktemp("functions")
    for name, fn in template.load().items():
        paths = list(fn.sample_events)
        events = [json.loads((ROOT / p).read_text(encoding="utf-8")) for p in paths]
        runs[name] = (fn, paths, run_function(packaged, fn, events, into, *settings(fn, emulator)))
    yield runs


def test_every_sample_event_is_covered(every_event: dict[str, Any]) -> None:
    covered = {Path(p).name for _, paths, _ in every_event.values() for p in paths}
    on_disk = {p.name for p in (ROOT / "events").rglob("*.json")}
    assert on_disk <= covered, sorted(on_disk - covered)


def test_http_function_answers_every_sample_event(every_event: dict[str, Any]) -> None:
    fn, paths, result = every_event["list_tasks_http"]
    for path, call in zip(paths, result["calls"], strict=True):
        answer = call["answer"]
        assert answer["innerCode"] == OK_CODE, (path, answer)
        body = answer["body"]
        assert body["statusCode"] == expected_status(Path(path).name), (path, body["body"][:500])
        assert isinstance(body["isBase64Encoded"], bool) and isinstance(body["headers"], dict)
        assert len(json.dumps(body)) <= HTTP_RESULT_LIMIT
        assert call["seconds"] < fn.timeout_s
        if body["statusCode"] == 200:  # the SK reached the SMS signer through getUserData alone
            data = response_json(body)  # a gzip answer when the sample event accepts it
            assert isinstance(data.get("count", data.get("total")), int), (path, body["body"][:300])


def test_async_functions_return_their_results_within_256k(every_event: dict[str, Any]) -> None:
    for name in ("list_tasks_timer", "task_events"):
        fn, paths, result = every_event[name]
        assert len(result["calls"]) == len(paths) >= 1
        for path, call in zip(paths, result["calls"], strict=True):
            answer = call["answer"]
            assert answer["innerCode"] == OK_CODE, (name, path, str(answer)[:1500])
            assert isinstance(answer["body"], dict), (path, answer)
            assert len(json.dumps(answer["body"])) <= ASYNC_RESULT_LIMIT
            assert call["seconds"] < fn.timeout_s


def test_timer_reads_sms_with_the_encrypted_credentials(every_event: dict[str, Any]) -> None:
    _, _, result = every_event["list_tasks_timer"]
    headlines = [c["answer"]["body"].get("summary") for c in result["calls"]]
    assert all(h and h["scanned"] == h["total"] > 0 and not h["partial"] for h in headlines), headlines


def test_a_secret_given_only_encrypted_is_honoured(packaged: dict[str, Any], emulator: Any, tmp_path: Path) -> None:
    """The unsigned dashboard event answers 401 with the link secret encrypted, and 500 naming
    the setting without it: the secret is read, and only from ``getUserData``."""
    fn = template.function("list_tasks_http")
    event = json.loads((ROOT / "events" / "apig_dashboard_unsigned.json").read_text(encoding="utf-8"))
    environment, encrypted = settings(fn, emulator)
    with_secret = run_function(packaged, fn, [event], tmp_path / "with", environment, encrypted)
    assert with_secret["calls"][0]["answer"]["body"]["statusCode"] == 401
    without = {k: v for k, v in encrypted.items() if k != "DASHBOARD_LINK_SECRET"}
    missing = run_function(packaged, fn, [event], tmp_path / "without", environment, without)["calls"][0]
    assert missing["answer"]["body"]["statusCode"] == 500
    assert "DASHBOARD_LINK_SECRET" in missing["answer"]["body"]["body"]
    assert LINK_SECRET not in json.dumps(with_secret)  # and never echoed


def test_a_fleet_too_large_for_one_answer_is_continued_never_refused(packaged: dict[str, Any],
                                                                     tmp_path: Path) -> None:
    """A 6,000-task fleet asked at once, uncompressed: about 14.5 MB as the runtime measures it,
    which the executor refuses (4004) when a handler returns it. Through openYuanrong the answer is
    ours (innerCode 0): 200 with the tasks that fit, partial, and the offset to continue from."""
    from local.sms_emulator import Emulator

    fn = template.function("list_tasks_http")
    event = json.loads((ROOT / "events" / "apig_list_tasks_all.json").read_text(encoding="utf-8"))
    event["headers"].pop("accept-encoding")
    with Emulator(dataset="fleet", tasks=6000, ak=LOCAL_AK, sk=LOCAL_SK, port=0).start() as big:
        environment, encrypted = settings(fn, big)
        call = run_function(packaged, fn, [event], tmp_path, environment, encrypted)["calls"][0]
    answer = call["answer"]
    assert answer["innerCode"] == OK_CODE, str(answer)[:500]
    body = answer["body"]
    assert body["statusCode"] == 200, (call["answer_bytes"], body["body"][:300])
    data = json.loads(body["body"])
    next_offset = int(body["headers"]["X-Next-Offset"])
    assert body["headers"]["X-Scan-Partial"] == "true" and 0 < len(data["tasks"]) == next_offset < data["count"]
    assert len(json.dumps(body)) <= HTTP_RESULT_LIMIT
