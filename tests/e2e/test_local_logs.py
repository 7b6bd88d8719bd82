"""No token or secret in any log of the local tools (issue 21, item 7): the gateway's access log,
the backend's banner, a failed invocation's line, the webhook sink's echo."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.backend import ensure_backend, shown_endpoint
from local.gateway import Gateway
from local.webhook_sink import Sink
from shared.dashboard.links import sign

pytestmark = pytest.mark.e2e
LINK_SECRET = "local-logs-Yt5rE8wQ1aS4dF7gH0jK3lZ6"


@pytest.fixture
def gateway(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    monkeypatch.delenv("GATEWAY_QUIET", raising=False)
    monkeypatch.setenv("DASHBOARD_LINK_SECRET", LINK_SECRET)
    gw = Gateway(port=0).start()
    yield gw
    gw.stop()


def test_the_gateway_access_log_masks_tokens(gateway: Gateway, capfd: pytest.CaptureFixture[str]) -> None:
    token = sign("/dashboard", LINK_SECRET, 600)
    for path in (f"/dashboard?token={token}", f"/dashboard/tasks.csv?lang=en&token={token}",
                 "/v3/tasks?limit=1&access_token=plain-secret-xyz"):
        requests.get(gateway.url + path, timeout=30)
    err = capfd.readouterr().err
    assert "GET /dashboard?token=***" in err  # the access log ran and masked
    assert token not in err and token.split(".")[2] not in err and "plain-secret-xyz" not in err


def test_the_backend_prints_sms_endpoint_masked(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    url = "https://proxyuser:proxy-pass-123@sms.example.test:8443/base?AK=AKINQUERY1&sig=s1#frag-token"
    assert shown_endpoint(url) == "https://***@sms.example.test:8443/base?***#***"
    monkeypatch.setenv("SMS_ENDPOINT", url)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "AKREALCLOUD0000")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "sk-real-cloud-0000")
    assert ensure_backend() is None
    err = capsys.readouterr().err
    assert "sms.example.test:8443" in err
    for secret in ("proxyuser", "proxy-pass-123", "AKINQUERY1", "s1#", "frag-token", "AKREALCLOUD0000"):
        assert secret not in err
    assert shown_endpoint("http://[::1") == "***"


def test_the_webhook_sink_echo_masks_dashboard_tokens() -> None:
    token = sign("/dashboard", LINK_SECRET, 600)
    stream = io.StringIO()
    with Sink(port=0, stream=stream) as sink:
        body = {"text": f"see https://api.example.test/dashboard?lang=en&token={token}"}
        requests.post(f"{sink.url}/generic", json=body, timeout=30)
    assert "token=***" in stream.getvalue() and token not in stream.getvalue()


def test_make_dashboard_link_prints_only_the_link() -> None:
    """``make dashboard-link`` is the one tool whose purpose is to show a token: on stdout only,
    nothing on stderr."""
    out = subprocess.run([sys.executable, "-m", "local.dashboard_link", "--port", "1"], capture_output=True,
                         text=True, timeout=60, env={**os.environ, "DASHBOARD_LINK_SECRET": LINK_SECRET}, check=True)
    assert out.stdout.startswith("http://127.0.0.1:1/dashboard?token=sdl1.") and out.stderr == ""
