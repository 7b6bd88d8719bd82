"""Schemathesis over ``openapi.yaml`` against the local gateway (and through it the HTTP function and the
emulator): positive and negative cases, every response check it has. Bounded and deterministic.

Auth is left out, and only auth: the ``ignored_auth`` check and the security scheme's header. The API's
IAM auth is API Gateway's job in the cloud; the local gateway (like ``make run``'s curl examples) does
not authenticate callers, so those would test a gateway we don't deploy.

The dashboard's signed link (and ``/metrics``'s token) is a plain ``token`` parameter, which no
generator can sign: most dashboard and metrics cases get a valid token (some for one real task's
page), the rest keep the generated one (garbage or none) or get an expired one or one for another
page, so pages, CSVs and every error the link allows are all reached. On top of schemathesis's
checks, each answer's full ``Content-Type`` (charset included) is one the spec lists for its status,
and no dashboard error carries the token."""
from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from local.dashboard_link import LOCAL_LINK_SECRET
from local.gateway import Gateway
from shared.dashboard.links import DASHBOARD_SCOPE, TOKEN_PARAM, sign, task_path
from shared.triggers.metrics_route import METRICS_PATH
from tests.helpers import ROOT

pytestmark = pytest.mark.e2e

load_all_checks()
CHECKED = [check for check in CHECKS.get_all() if check.__name__ != "ignored_auth"]
CONFIG = SchemathesisConfig.from_dict({"generation": {"mode": "all", "max-examples": 40, "deterministic": True,
                                                      "with-security-parameters": False}})
SPEC = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
schema = schemathesis.openapi.from_dict(SPEC, config=CONFIG)
TOKENS = ("generated", "expired", "other page", "valid", "valid", "valid", "valid", "valid")
# The summary's group parameter names waves of SUMMARY_GROUPS, a deployment setting no generator can
# know: a well-formed generated value is swapped for declared names (an unknown one is a 400).
WAVES = [{"name": "web tier", "match": {"name": "web-frontend-*"}},
         {"name": "databases", "match": {"name": "erp-db-*"}}]
GROUP_VALUES = ("web tier", "databases", "Other", "web tier,Other")


@pytest.fixture
def gateway(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    # configured as `make run` configures it: the dashboard routes then answer 401 without a link
    monkeypatch.setenv("DASHBOARD_LINK_SECRET", LOCAL_LINK_SECRET)
    monkeypatch.setenv("SUMMARY_GROUPS", json.dumps(WAVES))
    gw = Gateway(port=0).start()
    yield gw
    gw.stop()


def _pick(case: Any, salt: str, options: int) -> int:
    """A choice fixed by the case itself (hypothesis is derandomized, so runs are repeatable)."""
    key = f"{salt} {case.operation.label} {sorted(case.query.items())!r} {sorted(case.path_parameters.items())!r}"
    return zlib.crc32(key.encode("utf-8")) % options


def with_waves(case: Any) -> None:
    group = (case.query or {}).get("group")
    if isinstance(group, str) and 1 <= len(group) <= 4096:
        case.query["group"] = GROUP_VALUES[_pick(case, "group", len(GROUP_VALUES))]


def with_link(case: Any, task_ids: list[str]) -> str | None:
    """Puts a token on a dashboard or metrics case; returns it when it is one the function must not echo."""
    if not case.path.startswith((DASHBOARD_SCOPE, METRICS_PATH)):
        return None
    kind = TOKENS[_pick(case, "token", len(TOKENS))]
    if kind == "generated":
        return None
    if case.path == METRICS_PATH:
        token = {"expired": lambda: sign(METRICS_PATH, LOCAL_LINK_SECRET, 1, now=0),
                 "other page": lambda: sign(DASHBOARD_SCOPE, LOCAL_LINK_SECRET, 600),
                 "valid": lambda: sign(METRICS_PATH, LOCAL_LINK_SECRET, 600)}[kind]()
        case.query = {**(case.query or {}), TOKEN_PARAM: token}
        return token
    if "id" in case.path_parameters and kind == "valid" and _pick(case, "task", 2):
        case.path_parameters["id"] = task_ids[_pick(case, "which", len(task_ids))]
    page = DASHBOARD_SCOPE
    if "id" in case.path_parameters:  # an id no link can name (".", "..") keeps its raw path: never opened
        page = task_path(str(case.path_parameters["id"])) or f"{DASHBOARD_SCOPE}/tasks/{case.path_parameters['id']}"
    token = {"expired": lambda: sign(DASHBOARD_SCOPE, LOCAL_LINK_SECRET, 1, now=0),
             "other page": lambda: sign(page + "-other", LOCAL_LINK_SECRET, 600),
             "valid": lambda: sign(page if _pick(case, "scope", 2) else DASHBOARD_SCOPE, LOCAL_LINK_SECRET, 600),
             }[kind]()
    case.query = {**(case.query or {}), TOKEN_PARAM: token}
    return token


def documented_media_types(case: Any, status: int) -> set[str] | None:
    """The media types the operation lists for ``status`` (None: the status is not listed)."""
    responses = SPEC["paths"][case.operation.path][case.operation.method.lower()]["responses"]
    node = responses.get(str(status))
    if node is None:
        return None
    if "$ref" in node:
        node = SPEC["components"]["responses"][node["$ref"].rsplit("/", 1)[-1]]
    return set(node.get("content", {}))


@schema.parametrize()
@settings(max_examples=40, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_every_response_conforms(case: Any, gateway: Gateway, sms_env: Any) -> None:
    token = with_link(case, [t["id"] for t in sms_env.tasks()[:20]])
    with_waves(case)
    response = case.call_and_validate(base_url=gateway.url, checks=CHECKED)
    media_types = documented_media_types(case, response.status_code)  # None failed the status check above
    assert media_types is not None and response.headers["content-type"][0] in media_types
    if token is not None and response.status_code >= 400:
        assert token not in outside_links(response.text)


# SMS failing in each way the function answers for, on every operation: the answer is the status the
# failure maps to, and it conforms (status, media type, headers such as Retry-After) like any other;
# here a 5xx is the point, so only the server-error check is left out.
CONFORMANCE = [check for check in CHECKED if check.__name__ != "not_a_server_error"]
FAULTS: dict[str, tuple[int, Any]] = {
    "SMS refuses the call": (403, lambda sms, env: sms.faults.forbidden(times=50)),
    "SMS throttles past the deadline": (429, lambda sms, env: sms.faults.throttle(retry_after=3600, times=50)),
    "SMS fails": (502, lambda sms, env: sms.faults.server_error(503, times=50)),
    "SMS answers garbage": (502, lambda sms, env: sms.faults.malformed(times=50)),
    "SMS is too slow": (504, lambda sms, env: (env.setenv("SMS_READ_TIMEOUT", "0.2"),
                                               sms.faults.slow(1000, times=50))),
    "SMS does not know the access key": (401, lambda sms, env: env.setenv("HUAWEICLOUD_SDK_AK", "UNKNOWNAK0000")),
    "the task list changes mid-scan": (409, lambda sms, env: sms.faults.passthrough().mutate(add_tasks=1)),
    "no link secret is configured": (500, lambda sms, env: env.delenv("DASHBOARD_LINK_SECRET")),
}


OPERATIONS = [op.ok().label for op in schema.get_all_operations()]
# Not every failure can happen everywhere: the API needs no link secret, a task page scans nothing.
CASES = [(op, fault) for op in OPERATIONS for fault, (status, _) in FAULTS.items()
         if not (status == 500 and DASHBOARD_SCOPE not in op and METRICS_PATH not in op)
         and not (status == 409 and "{id}" in op)]


@pytest.mark.parametrize(("operation", "fault"), CASES)
def test_upstream_failures_conform(operation: str, fault: str, gateway: Gateway, sms_env: Any,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    method, path = operation.split(" ", 1)
    status, inject = FAULTS[fault]
    monkeypatch.setenv("SMS_PAGE_RETRIES", "0")
    task_id = sms_env.tasks()[0]["id"]
    inject(sms_env, monkeypatch)
    # /v3/tasks reads every page, as the dashboard's scans do (its one-page failures: tests/integration)
    query = {TOKEN_PARAM: sign(DASHBOARD_SCOPE, LOCAL_LINK_SECRET, 600)} if path.startswith(DASHBOARD_SCOPE) else \
        {TOKEN_PARAM: sign(METRICS_PATH, LOCAL_LINK_SECRET, 600)} if path == METRICS_PATH else \
        {"all": "true"} if path == "/v3/tasks" else {}
    case = schema[path][method].Case(query=query, path_parameters={"id": task_id} if "{id}" in path else {})
    response = case.call_and_validate(base_url=gateway.url, checks=CONFORMANCE)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"][0] in (documented_media_types(case, status) or ())
    assert query.get(TOKEN_PARAM, "-") not in outside_links(response.text)


def outside_links(text: str) -> str:
    """An answer without its links' targets: a dashboard error page after a valid link links back
    with that token (its way back); nowhere else may the token appear."""
    return re.sub(r'href="/dashboard[^"]*"', 'href=""', text)
