"""README says dashboard tokens never reach a log: the local gateway's access log masks them too."""
from __future__ import annotations

from typing import Any

import pytest
import requests

from local.gateway import Gateway
from shared.dashboard.links import sign

pytestmark = pytest.mark.e2e


def test_access_log_masks_the_link_token(sms_env: Any, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DASHBOARD_LINK_SECRET", "gateway-log-Hj4kL7zX1cV9bN3mQ6wE8rT2")
    monkeypatch.delenv("GATEWAY_QUIET", raising=False)
    token = sign("/dashboard", "gateway-log-Hj4kL7zX1cV9bN3mQ6wE8rT2", 600)
    gw = Gateway(port=0).start()
    try:
        answer = requests.get(f"{gw.url}/dashboard?token={token}", timeout=30)
        assert answer.status_code == 200
    finally:
        gw.stop()
    log = capsys.readouterr().err
    assert "gateway: 127.0.0.1" in log and "GET /dashboard?token=" in log  # the line is there
    assert token not in log and token.split(".")[2] not in log
