"""``GET /metrics`` through the HTTP function's handler, against the emulator: a signed token
(bearer header or query) with the metrics scope, the same filters and 400s as ``/v3/tasks``,
counts equal to the emulator's fleet (read back with prometheus_client's parser)."""
from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.dashboard.links import sign
from shared.triggers import http_routes
from tests.helpers import FakeContext
from tests.helpers import apig_event as event

pytestmark = pytest.mark.integration
SECRET = "kT3x9Qp2LmZ8vB4nR7sW1yC6dF0gH5jAm"  # random-looking: the secret rule


@pytest.fixture
def metrics_env(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DASHBOARD_LINK_SECRET", SECRET)
    return sms_env


def scrape(query: dict | None = None, headers: dict | None = None) -> dict[str, Any]:
    ev = event("/metrics", query=query)
    ev["headers"] = {**ev.get("headers", {}), **(headers or {})}
    return http_routes.handle(ev, FakeContext())


def bearer(scope: str = "/metrics") -> dict[str, str]:
    return {"authorization": f"Bearer {sign(scope, SECRET, 600)}"}


def gauges(body: str, name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if s.name == name:
                out[",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))] = s.value
    return out


def test_counts_equal_the_fleet(metrics_env: Any) -> None:
    out = scrape(headers=bearer())
    assert out["statusCode"] == 200, out["body"]
    assert out["headers"]["Content-Type"].startswith("text/plain; version=0.0.4")
    states = Counter(t["state"] for t in metrics_env.tasks())
    got = gauges(out["body"], "sms_tasks")
    assert {k.removeprefix("state="): v for k, v in got.items() if v} == dict(states)
    assert gauges(out["body"], "sms_tasks_matched") == {"": len(metrics_env.tasks())}
    assert gauges(out["body"], "sms_scan_partial") == {"": 0}


def test_token_in_the_query_works_too(metrics_env: Any) -> None:
    assert scrape({"token": sign("/metrics", SECRET, 600)})["statusCode"] == 200


def test_filters_narrow_the_counts(metrics_env: Any) -> None:
    out = scrape({"state": "MIGRATE_FAIL"}, bearer())
    failed = sum(1 for t in metrics_env.tasks() if t["state"] == "MIGRATE_FAIL")
    assert gauges(out["body"], "sms_tasks_matched") == {"": failed}
    bad = scrape({"state": "DONE"}, bearer())
    assert bad["statusCode"] == 400 and '"error_param":["state"]' in bad["body"]


@pytest.mark.parametrize("headers", [
    {},  # no token
    {"authorization": "Bearer sdl1.nope.nope"},  # malformed
    {"authorization": "Basic dXNlcjpwYXNz"},  # another scheme: no token
])
def test_no_valid_token_is_401_before_sms_is_read(metrics_env: Any, headers: dict) -> None:
    before = len(metrics_env.requests)
    out = scrape(headers=headers)
    assert out["statusCode"] == 401 and out["headers"]["WWW-Authenticate"].startswith("Bearer")
    assert '"error_code":"SMSFN.0401"' in out["body"]
    assert len(metrics_env.requests) == before


def test_signed_filters_hold(metrics_env: Any) -> None:
    """A token signed for one state counts only that state, and a URL asking for another is refused."""
    token = sign("/metrics", SECRET, 600, filters={"state": "MIGRATE_FAIL"})
    out = scrape(headers={"authorization": f"Bearer {token}"})
    failed = sum(1 for t in metrics_env.tasks() if t["state"] == "MIGRATE_FAIL")
    assert gauges(out["body"], "sms_tasks_matched") == {"": failed}
    assert scrape({"state": "RUNNING"}, {"authorization": f"Bearer {token}"})["statusCode"] == 401


def test_a_dashboard_token_does_not_open_metrics(metrics_env: Any) -> None:
    out = scrape(headers=bearer("/dashboard"))
    assert out["statusCode"] == 401


def test_without_a_link_secret_the_route_says_what_to_set(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHBOARD_LINK_SECRET", raising=False)
    out = scrape(headers=bearer())
    assert out["statusCode"] >= 500 and "DASHBOARD_LINK_SECRET" in out["body"]
