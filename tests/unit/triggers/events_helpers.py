"""Helpers shared by the tests/unit/test_events_*.py files: sample events, a fake run, calls."""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from shared.read.sms_client import UpstreamError
from shared.triggers.events import dispatch
from shared.triggers.events.request import EventRequest
from tests.helpers import FakeContext, sample_event

sample = sample_event  # the sample events in events/, by file name


def upstream_502() -> UpstreamError:
    return UpstreamError(502, {"error_code": "SMSFN.0502", "error_msg": "SMS answered 500"}, retryable=True,
                         upstream_status=500)


class FakeExecute:
    """Stands in for ``execute``: records the requests, fails those ``fail`` picks."""

    def __init__(self, fail: Callable[[EventRequest], BaseException | None] = lambda r: None) -> None:
        self.requests: list[EventRequest] = []
        self.fail = fail

    def __call__(self, request: EventRequest, run: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        self.requests.append(request)
        exc = self.fail(request)
        if exc is not None:
            raise exc
        return {"action": request.action, "task_ids": list(request.task_ids)}, {}


def install_fake_execute(monkeypatch: pytest.MonkeyPatch, fake: FakeExecute | None = None) -> FakeExecute:
    """No SMS, no webhooks: ``execute`` replaced, webhook and size settings cleared."""
    fake = fake or FakeExecute()
    monkeypatch.setattr(dispatch, "execute", fake)
    for name in ("WEBHOOK_URL", "WEBHOOK_TARGETS", "EVENT_MAX_RECORD_BYTES"):
        monkeypatch.delenv(name, raising=False)
    return fake


def call(event: Any, request_id: str = "req-123") -> dict[str, Any]:
    return dispatch.handle(copy.deepcopy(event), FakeContext(request_id=request_id))


def statuses(result: dict[str, Any]) -> list[str]:
    return [o["status"] for o in result["outcomes"]]
