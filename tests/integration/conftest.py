"""Fixtures of the integration tests: a webhook sink on loopback that the functions post to."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local.webhook_sink import Sink
from tests.helpers import WEBHOOK_SECRET


@pytest.fixture
def sink(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sink]:
    """A signature-checking sink, set as the single generic target (two attempts per delivery)."""
    with Sink(port=0, secret=WEBHOOK_SECRET) as s:
        monkeypatch.setenv("WEBHOOK_URL", f"{s.url}/generic")
        monkeypatch.setenv("WEBHOOK_SECRET", WEBHOOK_SECRET)
        monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")
        monkeypatch.setenv("WEBHOOK_MAX_ATTEMPTS", "2")
        yield s
