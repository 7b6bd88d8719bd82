"""The local fake is as strict as FunctionGraph's runtime: one-argument ``getUserData``, the
``RUNTIME_*`` variables, results serialised by ``json.dumps`` and held to 6 MB / 256 KB, and
API Gateway's 500 for an answer that is not an APIG response."""
from __future__ import annotations

import json

import pytest

from local.context import LocalContext, RuntimeRefused, runtime_variables, serialised_result
from local.functions import is_asynchronous
from local.gateway import _function_response
from project import template
from shared.result_limits import HTTP_RESULT_LIMIT


def test_get_user_data_takes_one_argument() -> None:
    ctx = LocalContext("f", 30, user_data={"A": "1"})
    assert ctx.getUserData("A") == "1" and ctx.getUserData("B") is None
    with pytest.raises(TypeError):
        ctx.getUserData("B", "default")  # type: ignore[call-arg]  # not in FunctionGraph's signature


def test_runtime_variables_carry_the_templates_timeout() -> None:
    fn = template.function("list_tasks_timer")
    env = runtime_variables(fn)
    assert env["RUNTIME_TIMEOUT"] == str(fn.timeout_s) and env["RUNTIME_FUNC_NAME"] == "list_tasks_timer"
    assert env["RUNTIME_MAX_RESP_BODY_SIZE"] == str(HTTP_RESULT_LIMIT)


def test_results_go_through_json_dumps() -> None:
    assert serialised_result({"t": (1, 2)}, asynchronous=False) == {"t": [1, 2]}
    with pytest.raises(RuntimeRefused) as caught:
        serialised_result({"when": {1}}, asynchronous=False)
    assert caught.value.code == 4007


def test_six_mb_measured_with_ascii_escapes() -> None:
    result = {"body": "迁" * 1_100_000}  # 3.3 MB as UTF-8, 6.6 MB as json.dumps writes it
    assert len(json.dumps(result, ensure_ascii=False).encode()) < HTTP_RESULT_LIMIT
    with pytest.raises(RuntimeRefused) as caught:
        serialised_result(result, asynchronous=False)
    assert caught.value.code == 4004


def test_async_results_over_256k_arrive_empty() -> None:
    assert serialised_result({"x": "迁" * 45_000}, asynchronous=True) is None  # 270,000 bytes, 135 KB UTF-8
    assert serialised_result({"x": "迁" * 45_000}, asynchronous=False) is not None
    assert not is_asynchronous(template.function("list_tasks_http"))
    assert is_asynchronous(template.function("list_tasks_timer")) and is_asynchronous(template.function("task_events"))


GOOD = {"statusCode": 200, "headers": {"A": "b"}, "body": "{}", "isBase64Encoded": False}


@pytest.mark.parametrize("bad", [
    "a string", {k: v for k, v in GOOD.items() if k != "isBase64Encoded"},
    {**GOOD, "headers": ["A"]}, {**GOOD, "statusCode": "200"}, {**GOOD, "statusCode": True},
    {**GOOD, "body": {"a": 1}}, {**GOOD, "isBase64Encoded": "false"}, {**GOOD, "headers": {"A": 1}},
])
def test_malformed_answers_are_api_gateways_500(bad: object) -> None:
    status, _, data = _function_response(bad)
    assert status == 500 and json.loads(data)["error_code"].startswith("APIG.")


def test_a_well_formed_answer_passes() -> None:
    assert _function_response(GOOD) == (200, {"A": "b"}, b"{}")
