"""Results measured as FunctionGraph measures them (``len(json.dumps(result))``, defaults) and kept
within its limits on every exit path: 6,291,456 bytes for an HTTP answer, 256 KB for an
asynchronous result. tests/runtime/ checks the same through openYuanrong's own serialiser."""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import result_limits
from shared.errors import ApiError
from shared.result_limits import (
    ASYNC_RESULT_LIMIT,
    HTTP_RESULT_LIMIT,
    check_http,
    decoded_cost,
    fit_async,
    measure,
    sized_body,
    text_cost,
)
from shared.triggers import http_routes, timer
from shared.triggers.apigw import response
from shared.triggers.events import dispatch
from shared.triggers.routing import Route
from tests.helpers import FakeContext, apig_event

CJK_NAME = "华北-生产-数据库迁移"


def test_measured_as_the_runtime_serialises() -> None:
    assert measure({"n": "迁"}) == len('{"n": "\\u8fc1"}') == 15  # 6 bytes a CJK character
    assert text_cost("😀") == 14 and text_cost('a"b') == 6  # a surrogate pair, an escaped quote
    assert measure({"n": "迁"}) != len(json.dumps({"n": "迁"}, ensure_ascii=False).encode())


def test_http_answer_over_the_limit_is_an_sms_shaped_413() -> None:
    # 1.1 M CJK characters: 3.3 MB as UTF-8 (under 6 MB), 6.6 MB as the runtime measures it
    big = response(200, {"name": "迁" * 1_100_000})
    assert len(big["body"].encode()) < HTTP_RESULT_LIMIT < measure(big)
    with pytest.raises(ApiError) as caught:
        check_http(big)
    assert caught.value.status == 413 and caught.value.error_code == "SMSFN.0413"
    assert caught.value.extra["result_bytes"] == measure(big)
    small = response(200, {"name": "迁"})
    assert check_http(small) is small


def test_not_serialisable_is_a_500_not_the_runtimes_4007() -> None:
    with pytest.raises(ApiError) as caught:
        check_http({"statusCode": 200, "headers": {}, "body": {1, 2}})
    assert caught.value.error_code == "SMSFN.0500"


def test_every_http_answer_is_checked_at_the_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    huge = Route(lambda request, settings, invocation: response(200, {"name": CJK_NAME * 120_000}))
    monkeypatch.setitem(http_routes.ROUTES, "/v3/tasks", huge)
    monkeypatch.setenv("SMS_ENDPOINT", "http://127.0.0.1:9")
    out = http_routes.handle(apig_event(), FakeContext())
    assert out["statusCode"] == 413 and measure(out) <= HTTP_RESULT_LIMIT
    body = json.loads(out["body"])
    assert body["error_code"] == "SMSFN.0413" and body["result_bytes"] > HTTP_RESULT_LIMIT
    assert out["headers"]["X-Request-Id"] == "req-123"


def _events_result(tasks: int, failed: int = 3) -> dict[str, Any]:
    task = {"id": "t" * 36, "name": CJK_NAME, "state": "RUNNING", "error_json": "迁移失败：" * 20}
    outcomes: list[dict[str, Any]] = [
        {"index": i, "event_id": f"e{i}", "status": "ok", "result": {"tasks": [task] * tasks, "summary": {"x": 1}}}
        for i in range(5)]
    outcomes += [{"index": 5 + i, "event_id": f"bad{i}", "status": "failed",
                  "error": {"error_code": "SMSFN.0502", "error_msg": "SMS 不可用", "retryable": True}}
                 for i in range(failed)]
    return {"source": "smn", "records": len(outcomes), "ok": 5, "failed": failed, "skipped": 0,
            "retryable": [o["index"] for o in outcomes if o["status"] == "failed"],
            "failed_records": [{"index": o["index"], "event_id": o["event_id"]} for o in outcomes
                               if o["status"] == "failed"],
            "outcomes": outcomes}


@pytest.mark.parametrize("tasks", [50, 200, 2000])
def test_async_results_fit_256k_keeping_counts_and_failed_ids(tasks: int) -> None:
    result = _events_result(tasks)
    before = measure(result)
    fitted = dispatch.fit_result(result)
    assert measure(fitted) <= ASYNC_RESULT_LIMIT
    assert fitted["ok"] == 5 and fitted["failed"] == 3 and fitted["records"] == 8
    assert [r["event_id"] for r in fitted["failed_records"]] == ["bad0", "bad1", "bad2"]
    if before > ASYNC_RESULT_LIMIT:
        assert fitted["trimmed"]["bytes_before"] == before and fitted["trimmed"]["steps"]
    else:
        assert "trimmed" not in fitted


def test_when_even_the_failed_ids_do_not_fit_they_are_shortened_and_counted() -> None:
    result = _events_result(0, failed=40_000)
    fitted = dispatch.fit_result(result)
    assert measure(fitted) <= ASYNC_RESULT_LIMIT and fitted["failed"] == 40_000
    assert fitted["trimmed"]["shortened"]["failed_records"] == 40_000
    assert 0 < len(fitted["failed_records"]) < 40_000 and "outcomes" not in fitted


def test_unserialisable_values_become_text_and_say_so() -> None:
    out = fit_async({"ok": True, "when": {1, 2}}, keep=("ok",))
    assert out["unserialisable_values_as_text"] is True and measure(out) < 100


def test_timer_result_trims_target_detail_first() -> None:
    outcomes = [{"target": f"t{i}", "status": "failed", "http_status": 500, "error": "x",
                 "url": "https://example.invalid/" + "p" * 200, "reasons": ["迁移" * 200] * 5} for i in range(200)]
    result = {"ok": False, "delivered": 0, "failed": 200, "skipped": 0, "notified": True, "delivery_id": "d",
              "trigger": "tick", "tick": "2026-01-01T00:00:00+00:00", "summary": {"total": 50_000},
              "scan": {"pages": 250}, "outcomes": outcomes}
    fitted = fit_async(result, timer.RESULT_KEEP, (("targets_brief", timer._targets_brief),))
    assert measure(fitted) <= ASYNC_RESULT_LIMIT
    assert fitted["trimmed"]["steps"] == ["targets_brief"] and fitted["failed"] == 200
    assert fitted["outcomes"][0] == {"target": "t0", "status": "failed", "http_status": 500, "error": "x"}


def test_task_lists_too_long_even_brief_keep_their_leading_tasks_and_say_so() -> None:
    fitted = dispatch.fit_result(_events_result(2000))
    assert measure(fitted) <= ASYNC_RESULT_LIMIT
    assert fitted["trimmed"]["steps"] == ["tasks_brief", "tasks_cut"]
    body = fitted["outcomes"][0]["result"]
    assert body["tasks_shortened"] == "cut" and body["tasks_read"] == 2000
    assert 0 < body["tasks_kept"] == len(body["tasks"]) < 2000
    assert body["tasks"][0] == {"id": "t" * 36, "name": CJK_NAME, "state": "RUNNING"}


# Characters json.dumps treats differently: kept, escaped short (\n, \"), escaped as \u00XX,
# DEL, Latin, CJK, a character outside the BMP (a surrogate pair), a lone surrogate.
_TRICKY = st.sampled_from([*'a "\\\n\t\x00\x1f\x7f/é迁😀', "\ud800"])


@given(st.lists(_TRICKY | st.characters(), max_size=60).map("".join))
@settings(max_examples=300, deadline=None)
def test_decoded_cost_is_what_json_dumps_writes(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")  # a lone surrogate: bytes that are not UTF-8
    decoded, cost = decoded_cost(data)
    assert decoded == data.decode("utf-8", "replace")
    assert cost == len(json.dumps(decoded)) - 2  # the runtime's own serialiser is the reference


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.lists(_TRICKY).map("".join),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.lists(_TRICKY, max_size=3).map("".join), inner, max_size=4),
                    max_leaves=20),
       st.integers(min_value=2, max_value=400))
@settings(max_examples=300, deadline=None)
def test_check_http_refuses_exactly_what_is_over_the_limit(body: Any, limit: int) -> None:
    response = {"statusCode": 200, "headers": {}, "body": body}
    size = len(json.dumps(response))
    if size <= limit:
        assert check_http(response, limit) is response
    else:
        with pytest.raises(ApiError) as caught:
            check_http(response, limit)
        assert caught.value.extra["result_bytes"] == size


def test_a_sized_body_is_not_serialised_again_and_only_that_object_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "迁" * 1_100_000  # 6.6 MB as the runtime measures it
    monkeypatch.setattr(result_limits, "measure", _counting(result_limits.measure))
    out = {"statusCode": 200, "headers": {"X-Request-Id": "r"}, "body": sized_body(text, len(json.dumps(text)))}
    with pytest.raises(ApiError) as caught:
        check_http(out)
    assert caught.value.extra["result_bytes"] == len(json.dumps(out))
    assert result_limits.measure.sizes == [len(json.dumps({**out, "body": ""}))]  # the envelope only
    # A cost given for one text never vouches for another, even an equal one.
    sized_body(text[:10], 1)
    other = {"statusCode": 200, "headers": {}, "body": text[:10] + ""}
    assert check_http(other, len(json.dumps(other))) is other


def _counting(measure: Any) -> Any:
    def counted(result: Any) -> int:
        size = measure(result)
        counted.sizes.append(size)  # type: ignore[attr-defined]
        return size

    counted.sizes = []  # type: ignore[attr-defined]
    return counted
