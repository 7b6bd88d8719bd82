"""``all=true`` always answers within FunctionGraph's result limit, measured as the runtime
measures it (``len(json.dumps(result))`` with its defaults, so CJK text costs 6 bytes a char), and
a client that loops on ``X-Next-Offset`` reads the fleet exactly: every task once, in order.
Answers are read back with the standard library (``base64``, ``gzip``, ``json``) and compared with
the emulator's own task list, not with another run of our code."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from local.backend import LOCAL_AK, LOCAL_SK
from shared.read import all_answer, sms_client
from shared.triggers import http_routes
from tests.helpers import FakeContext, apig_event, response_json

pytestmark = pytest.mark.integration

FUNCTIONGRAPH_LIMIT = 6_291_456  # the runtime refuses a larger result (4004)
GZIP = "gzip, deflate, br"


@pytest.fixture(scope="module")
def cjk_fleet() -> Iterator[Any]:
    """10,000 tasks, every one CJK-named, served from this process."""
    from local.sms_emulator import Emulator

    em = Emulator(dataset="fleet-cjk", tasks=10_000, ak=LOCAL_AK, sk=LOCAL_SK, port=0, warm=True).start()
    yield em
    em.stop()


@pytest.fixture
def cjk_env(cjk_fleet: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {"SMS_ENDPOINT": cjk_fleet.url, "HUAWEICLOUD_SDK_AK": LOCAL_AK,
                       "HUAWEICLOUD_SDK_SK": LOCAL_SK, "SMS_VALIDATION": "warn"}.items():
        monkeypatch.setenv(key, value)
    sms_client.reset_client_cache()
    yield cjk_fleet
    sms_client.reset_client_cache()


def ask(query: dict[str, str], accept_encoding: str | None) -> dict[str, Any]:
    event = apig_event("/v3/tasks", query=query)
    event["headers"] = {k: v for k, v in event["headers"].items() if k != "accept-encoding"}
    if accept_encoding is not None:
        event["headers"]["accept-encoding"] = accept_encoding
    return http_routes.handle(event, FakeContext())


def read_all(query: dict[str, str], accept_encoding: str | None, body_limit: int) -> tuple[list[Any], list[Any]]:
    """The client's loop: every answer until no ``X-Next-Offset``; (tasks, answers)."""
    tasks: list[Any] = []
    answers: list[Any] = []
    offset: str | None = query.get("offset", "0")
    while offset is not None:
        out = ask({**query, "offset": offset}, accept_encoding)
        assert out["statusCode"] == 200, out["body"][:300]
        assert len(json.dumps(out["body"])) <= body_limit
        assert len(json.dumps(out)) <= FUNCTIONGRAPH_LIMIT
        assert (out["headers"].get("Content-Encoding") == "gzip") is out["isBase64Encoded"]
        body = response_json(out)
        assert set(body) == {"count", "tasks"}
        tasks += body["tasks"]
        answers.append((out, body))
        offset = out["headers"].get("X-Next-Offset")
        assert (offset is None) is ("X-Scan-Partial" not in out["headers"])
        assert len(answers) < 100, "the loop does not advance"
    return tasks, answers


@pytest.mark.parametrize("encoding", [GZIP, None])
def test_a_cjk_fleet_is_read_whole_through_answers_that_fit(cjk_env: Any, monkeypatch: pytest.MonkeyPatch,
                                                            encoding: str | None) -> None:
    monkeypatch.setenv("SMS_ALL_MAX_TASKS", "65535")  # only the response limit cuts
    expected = cjk_env.tasks()
    tasks, answers = read_all({"all": "true"}, encoding, all_answer.BODY_LIMIT)
    assert [t["id"] for t in tasks] == [t["id"] for t in expected]
    assert tasks == expected
    assert {body["count"] for _, body in answers} == {len(expected)}
    if encoding is None:  # 6 bytes a CJK char: about 2,700 tasks an answer, cut inside a page
        assert len(answers) >= 3 and any(len(body["tasks"]) % 200 for _, body in answers[:-1])
        first = answers[0][0]
        assert "response size limit" in first["headers"]["X-Scan-Partial-Reason"]
        assert len(json.dumps(first)) > FUNCTIONGRAPH_LIMIT - all_answer.ENVELOPE_RESERVE - 64 * 1024  # full
        assert "Content-Encoding" not in first["headers"]
    else:  # the whole fleet in one gzip answer
        assert len(answers) == 1 and answers[0][0]["headers"]["Vary"] == "Accept-Encoding"


@pytest.mark.parametrize("encoding", [GZIP, "identity", "gzip;q=0"])
def test_small_budget_loops_read_the_fleet_exactly(sms_env: Any, monkeypatch: pytest.MonkeyPatch,
                                                   encoding: str) -> None:
    limit = 30_000
    monkeypatch.setattr(all_answer, "BODY_LIMIT", limit)
    monkeypatch.setenv("SMS_SCAN_CONCURRENCY", "3")
    tasks, answers = read_all({"all": "true", "limit": "40"}, encoding, limit)
    assert tasks == sms_env.tasks() and len(answers) >= 3
    assert all(out["isBase64Encoded"] is (encoding == GZIP) for out, _ in answers)


def test_filters_and_the_start_offset_carry_through_the_loop(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(all_answer, "BODY_LIMIT", 8_000)
    expected = [t for t in sms_env.tasks() if t["state"] == "RUNNING"][5:]
    tasks, answers = read_all({"all": "true", "state": "RUNNING", "offset": "5"}, GZIP, 8_000)
    assert tasks == expected and len(answers) >= 2


def test_the_cap_gives_the_offset_to_go_on_from(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_ALL_MAX_TASKS", "100")
    out = ask({"all": "true", "offset": "20"}, GZIP)
    assert out["headers"]["X-Next-Offset"] == "120" and len(response_json(out)["tasks"]) == 100


def test_no_offset_past_smss_paging_limit(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(all_answer, "SMS_MAX_OFFSET", 100)  # as if the fleet ran past offset 65535
    monkeypatch.setattr(all_answer, "BODY_LIMIT", 60_000)
    out = ask({"all": "true", "offset": "90"}, None)
    assert out["headers"]["X-Scan-Partial"] == "true" and "X-Next-Offset" not in out["headers"]


def test_a_task_too_large_for_any_plain_answer_is_0515_and_gzip_carries_it(
    sms_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(all_answer, "BODY_LIMIT", 100_000)
    monkeypatch.setenv("SMS_SCAN_CONCURRENCY", "1")  # one request: no speculative page past the fault's answer
    big = {**sms_env.tasks()[0], "name": "迁移" * 20_000}  # 40,000 chars: 240,000 bytes escaped
    for encoding, status in ((None, 502), (GZIP, 200)):
        sms_env.faults.respond(200, {"count": 1, "tasks": [big]})
        out = ask({"all": "true"}, encoding)
        body = response_json(out)
        assert out["statusCode"] == status, body
        if status == 502:
            assert body["error_code"] == "SMSFN.0515" and "Accept-Encoding: gzip" in body["error_msg"]
        else:
            assert body == {"count": 1, "tasks": [big]}


def test_a_full_answer_stops_the_scan(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(all_answer, "BODY_LIMIT", 30_000)
    monkeypatch.setenv("SMS_SCAN_CONCURRENCY", "1")
    before = len(sms_env.requests)
    out = ask({"all": "true", "limit": "10"}, GZIP)
    held = len(response_json(out)["tasks"])
    assert 10 < held < len(sms_env.tasks()) and out["headers"]["X-Next-Offset"] == str(held)
    assert len(sms_env.requests) - before <= held // 10 + 2  # the pages it used, and one in flight at most


def test_a_filling_answer_asks_for_few_pages_past_what_it_holds(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Sixteen pages in flight; as the answer nears its limit it asks only for the pages it can
    # still hold (about ``room`` tasks), so a few requests are dropped, not fifteen.
    monkeypatch.setattr(all_answer, "BODY_LIMIT", 300_000)
    monkeypatch.setenv("SMS_SCAN_CONCURRENCY", "16")
    ask({"all": "true", "limit": "5"}, None)  # a count for this query: later windows start with it
    before = len(sms_env.requests)
    out = ask({"all": "true", "limit": "5"}, None)
    held = len(response_json(out)["tasks"])
    assert 40 < held < len(sms_env.tasks()) and out["headers"]["X-Next-Offset"] == str(held)
    assert len(sms_env.requests) - before <= -(-held // 5) + 3
