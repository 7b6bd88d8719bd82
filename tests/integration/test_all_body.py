"""``all=true`` builds its body by splicing the pages' ``tasks`` arrays as SMS sent them: the result
is valid JSON equal in content to what SMS holds (every member of every task, unknown ones too),
in every validation mode, with a page the reference path judged, and with a cap inside a page.
Compared against the emulator's own task list, not against another run of our code."""
from __future__ import annotations

from typing import Any

import pytest

from local import fleet
from shared.triggers import http_routes
from tests.helpers import FakeContext, response_json
from tests.helpers import apig_event as event

pytestmark = pytest.mark.integration


def call(query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
    out = http_routes.handle(event("/v3/tasks", query=query), FakeContext())
    return out["statusCode"], out["headers"], response_json(out)


@pytest.mark.parametrize("mode", ["warn", "strict", "off"])
def test_all_pages_equal_smss_tasks_in_content(sms_env: Any, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv("SMS_VALIDATION", mode)
    expected = sms_env.tasks()
    if mode == "strict":  # strict refuses the doc's example tasks (502): stop before the first one
        doc_names = {t["name"] for t in fleet.load_doc_tasks()}
        first_doc = min(i for i, t in enumerate(expected) if t["name"] in doc_names)
        assert first_doc > 100
        monkeypatch.setenv("SMS_ALL_MAX_TASKS", str(first_doc))
        expected = expected[:first_doc]
    status, headers, body = call({"all": "true", "limit": "40"})
    assert status == 200, body
    assert body == {"count": len(sms_env.tasks()), "tasks": expected}
    assert ("X-Schema-Violations" in headers) is (mode != "off")


def test_a_page_with_violations_and_unknown_members_is_spliced_unchanged(
    sms_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMS_SCAN_CONCURRENCY", "1")  # the second request is the second page
    tasks = [dict(t) for t in sms_env.tasks()]
    odd = [{**t, "migrate_speed": "fast", "x_new": {"kept": [1, 2.5, None]}, "name": f"{t['name']} \u4efb\u52a1"}
           for t in tasks[40:80]]
    sms_env.faults.passthrough().respond(200, {"count": len(tasks), "tasks": odd})
    status, headers, body = call({"all": "true", "limit": "40"})
    assert status == 200
    assert body["tasks"] == tasks[:40] + odd + tasks[80:]
    assert headers["X-Schema-Violations"] == "40"  # one type error each, found by the reference path


def test_a_cap_inside_the_first_page_keeps_whole_tasks(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_ALL_MAX_TASKS", "7")
    status, headers, body = call({"all": "true", "limit": "50"})
    assert status == 200 and body["tasks"] == sms_env.tasks()[:7]
    assert headers["X-Scan-Partial"] == "true"


def test_stream_tasks_hands_dicts_unless_typed_is_asked(sms_env: Any) -> None:
    import msgspec

    from shared.read.query import parse_query
    from shared.read.tasks import stream_tasks
    from shared.scope import Deadline, Invocation
    from shared.settings import Settings

    seen: dict[bool, list[Any]] = {False: [], True: []}
    for typed in (False, True):
        stream_tasks(parse_query({"limit": "60"}), Settings.from_env(), Invocation("t", Deadline(30.0)),
                     seen[typed].append, typed=typed)
    assert seen[False] == sms_env.tasks()  # plain dicts, every member, for consumers that index them
    assert all(isinstance(t, msgspec.Struct) for t in seen[True])
    assert [t.id for t in seen[True]] == [t["id"] for t in sms_env.tasks()]
