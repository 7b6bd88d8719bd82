"""Shared fixtures: an SMS emulator on loopback, settings pointed at it, the local gateway."""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from local.backend import LOCAL_AK, LOCAL_SK
from shared import sms_client

# Nothing in the tests may reach a real cloud: drop any cloud settings the shell had.
for _name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID", "SMS_REGION",
              "SMS_ENDPOINT", "HUAWEICLOUD_SDK_SECURITY_TOKEN", "WEBHOOK_URL", "WEBHOOK_TARGETS"):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    from local.sms_emulator import Emulator

    em = Emulator(dataset="fleet", tasks=250, ak=LOCAL_AK, sk=LOCAL_SK, port=0).start()
    yield em
    em.stop()


@pytest.fixture
def sms_env(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Settings pointed at the emulator; faults reset around each test."""
    monkeypatch.setenv("SMS_ENDPOINT", emulator.url)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", LOCAL_AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", LOCAL_SK)
    monkeypatch.setenv("SMS_VALIDATION", "warn")
    sms_client.reset_client_cache()
    emulator.reset()
    yield emulator
    emulator.reset()
    sms_client.reset_client_cache()
