"""A real Prometheus (Debian's ``prometheus``) scrapes ``/metrics`` through the local API Gateway
with a bearer token, and PromQL over what it stored returns the fleet's counts."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from local.gateway import Gateway
from shared.dashboard.links import sign

pytestmark = pytest.mark.e2e
SECRET = "Pr0m3thEusE2eL1nkS3cr3tXq9Zw7Vb4Nc"
PROMETHEUS = shutil.which("prometheus")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gateway(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    monkeypatch.setenv("DASHBOARD_LINK_SECRET", SECRET)
    monkeypatch.setenv("GATEWAY_QUIET", "1")
    gw = Gateway(port=0).start()
    yield gw
    gw.stop()


@pytest.fixture(params=["/metrics"])
def prometheus(request: pytest.FixtureRequest, gateway: Gateway, tmp_path: Path) -> Iterator[str]:
    """Prometheus scraping the gateway with a token of the scope given as the fixture's param."""
    if PROMETHEUS is None and not os.environ.get("CI"):  # CI must run it: .ci/run installs it
        pytest.skip("prometheus is not installed (.ci/run installs Debian's)")
    host, port = gateway.server_address[:2]
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global: {{scrape_interval: 1s, scrape_timeout: 1s}}
scrape_configs:
  - job_name: sms_tasks
    metrics_path: /metrics
    authorization: {{type: Bearer, credentials: "{sign(request.param, SECRET, 600)}"}}
    static_configs: [{{targets: ["{host}:{port}"]}}]
""", encoding="utf-8")
    web = f"127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [PROMETHEUS or "prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address={web}", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("wb"))
    try:
        yield f"http://{web}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def query(base: str, promql: str, deadline_s: float = 45.0) -> list[dict[str, Any]]:
    """The PromQL result once Prometheus has scraped something for it (polled, bounded)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            r = requests.get(f"{base}/api/v1/query", params={"query": promql}, timeout=5)
            result = r.json()["data"]["result"] if r.status_code == 200 else []
        except (requests.RequestException, ValueError, KeyError):
            result = []
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"Prometheus returned nothing for {promql!r} within {deadline_s} s")


def test_prometheus_scrapes_the_fleets_counts(prometheus: str, sms_env: Any) -> None:
    tasks = sms_env.tasks()
    assert query(prometheus, 'up{job="sms_tasks"} == 1')
    total = query(prometheus, "sum(sms_tasks)")
    assert float(total[0]["value"][1]) == len(tasks)
    by_state = {r["metric"]["state"]: float(r["value"][1]) for r in query(prometheus, "sms_tasks > 0")}
    assert by_state == {k: float(v) for k, v in Counter(t["state"] for t in tasks).items()}
    partial = query(prometheus, "sms_scan_partial")
    assert float(partial[0]["value"][1]) == 0


@pytest.mark.parametrize("prometheus", ["/dashboard"], indirect=True)
def test_prometheus_sees_a_wrong_token_as_down(prometheus: str) -> None:
    """Negative control: the same scrape with a dashboard-scoped token is refused: the target is
    down and no fleet series exists."""
    assert query(prometheus, 'up{job="sms_tasks"} == 0')
    r = requests.get(f"{prometheus}/api/v1/query", params={"query": "sms_tasks"}, timeout=5)
    assert r.json()["data"]["result"] == []
