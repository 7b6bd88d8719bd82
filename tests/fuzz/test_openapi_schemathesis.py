"""Schemathesis over ``openapi.yaml`` against the local gateway (and through it the HTTP function and the
emulator): positive and negative cases, every response check it has. Bounded and deterministic.

Auth is left out, and only auth: the ``ignored_auth`` check and the security scheme's header. The API's
IAM auth is API Gateway's job in the cloud; the local gateway (like ``make run``'s curl examples) does
not authenticate callers, so those would test a gateway we don't deploy."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from local.gateway import Gateway
from tests.helpers import ROOT

pytestmark = pytest.mark.e2e

load_all_checks()
CHECKED = [check for check in CHECKS.get_all() if check.__name__ != "ignored_auth"]
CONFIG = SchemathesisConfig.from_dict({"generation": {"mode": "all", "max-examples": 40, "deterministic": True,
                                                      "with-security-parameters": False}})
# The SMS-shaped JSON API. The dashboard's HTML routes (behind signed links) are driven by the
# browser tests (tests/e2e/test_dashboard_browser.py); their OpenAPI entries do not yet describe
# their HTML error pages, so schemathesis is kept to the JSON API.
schema = schemathesis.openapi.from_path(ROOT / "openapi.yaml", config=CONFIG).include(path_regex="^/v3/")


@pytest.fixture
def gateway(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    from local.dashboard_link import LOCAL_LINK_SECRET

    # configured as `make run` configures it: the dashboard routes then answer 401 without a link
    monkeypatch.setenv("DASHBOARD_LINK_SECRET", LOCAL_LINK_SECRET)
    gw = Gateway(port=0).start()
    yield gw
    gw.stop()


@schema.parametrize()
@settings(max_examples=40, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_every_response_conforms(case: Any, gateway: Gateway) -> None:
    case.call_and_validate(base_url=gateway.url, checks=CHECKED)
