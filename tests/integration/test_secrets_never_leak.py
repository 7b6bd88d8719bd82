"""Every secret carries a recognisable marker; the three functions run their success and failure paths;
no marker (nor its URL-encoded or base64 form) shows up in a log line, a result, a raised error or a
webhook body. The SMS stand-in is an emulator that only accepts the marked credentials, the webhook
receiver a sink that checks the marked signing secrets, so the secrets are really used."""
from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from local.sms_emulator import Emulator
from local.webhook_sink import Reply, Sink
from shared.read import sms_client
from tests.helpers import closed_port, function_handler, sample_event

pytestmark = pytest.mark.integration

ENV_AK, ENV_SK, ENV_TOKEN = "MARKenvAK0001", "MARKenvSK-secret-0001", "MARKenvTOKEN-0001"
AGENCY_AK, AGENCY_SK, AGENCY_TOKEN = "MARKagencyAK01", "MARKagencySK-secret-01", "MARKagencyTOKEN-01"
GENERIC_RAW = b"MARKgenericwhsecraw-000001"
GENERIC_B64 = base64.b64encode(GENERIC_RAW).decode()
GENERIC_SECRET = "whsec_" + GENERIC_B64
FEISHU_SECRET, DINGTALK_SECRET = "MARKfeishuSECRET01", "MARKdingSECRET01"
SLACK_TOKEN, FEISHU_HOOK = "MARKslackTOK01", "MARKfeishuHOOK01"
DING_TOKEN, WECOM_KEY, GENERIC_TOKEN = "MARKdingTOK01", "MARKwecomKEY01", "MARKgenTOK01"
SHORT_BAD_URL = "MARKbad1"  # not a URL: its error must name the variable, not quote it
MARKERS = (ENV_AK, ENV_SK, ENV_TOKEN, AGENCY_AK, AGENCY_SK, AGENCY_TOKEN, GENERIC_SECRET, GENERIC_B64,
           GENERIC_RAW.decode(), FEISHU_SECRET, DINGTALK_SECRET, SLACK_TOKEN, FEISHU_HOOK, DING_TOKEN, WECOM_KEY,
           GENERIC_TOKEN, SHORT_BAD_URL)


def forms(marker: str) -> set[str]:
    raw = marker.encode()
    return {marker, quote(marker, safe=""), quote_plus(marker), base64.b64encode(raw).decode().rstrip("="),
            base64.urlsafe_b64encode(raw).decode().rstrip("=")}


def leaks(text: str) -> list[str]:
    return sorted(m for m in MARKERS for form in forms(m) if form in text)


class AgencyContext:
    def __init__(self, agency: bool) -> None:
        self.agency = agency

    def getRequestID(self) -> str:
        return "req-secrets"

    def getRemainingTimeInMilliSeconds(self) -> int:
        return 20_000

    def getSecurityAccessKey(self) -> str:
        return AGENCY_AK if self.agency else ""

    def getSecuritySecretKey(self) -> str:
        return AGENCY_SK if self.agency else ""

    def getSecurityToken(self) -> str:
        return AGENCY_TOKEN if self.agency else ""


@pytest.fixture(scope="module")
def sms_pair() -> Iterator[dict[bool, Emulator]]:
    """One SMS stand-in per credential set: environment AK/SK + token, and the agency's."""
    env = Emulator(dataset="fleet", tasks=30, ak=ENV_AK, sk=ENV_SK, security_token=ENV_TOKEN, port=0).start()
    agency = Emulator(dataset="fleet", tasks=30, ak=AGENCY_AK, sk=AGENCY_SK, security_token=AGENCY_TOKEN,
                      port=0).start()
    yield {False: env, True: agency}
    env.stop()
    agency.stop()


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink(port=0, secret=GENERIC_SECRET, feishu_secret=FEISHU_SECRET, dingtalk_secret=DINGTALK_SECRET) as s:
        yield s


def configure(monkeypatch: pytest.MonkeyPatch, sms: Emulator, sink: Sink) -> None:
    base = sink.url
    env = {
        "SMS_ENDPOINT": sms.url, "HUAWEICLOUD_SDK_AK": ENV_AK, "HUAWEICLOUD_SDK_SK": ENV_SK,
        "HUAWEICLOUD_SDK_SECURITY_TOKEN": ENV_TOKEN, "WEBHOOK_ALLOW_LOOPBACK": "1", "WEBHOOK_MAX_ATTEMPTS": "2",
        "SLACK_URL": f"{base}/slack/services/T0AB/B0CD/{SLACK_TOKEN}",
        "FEISHU_URL": f"{base}/feishu/open-apis/bot/v2/hook/{FEISHU_HOOK}",
        "DING_URL": f"{base}/dingtalk/robot/send?access_token={DING_TOKEN}",
        "WECOM_URL": f"{base}/wecom/cgi-bin/webhook/send?key={WECOM_KEY}",
        "FEISHU_SECRET": FEISHU_SECRET, "DING_SECRET": DINGTALK_SECRET, "GENERIC_SECRET": GENERIC_SECRET,
        "WEBHOOK_BAD": SHORT_BAD_URL,
        "WEBHOOK_TARGETS": json.dumps([
            {"name": "slack", "format": "slack", "url_env": "SLACK_URL"},
            {"name": "feishu", "format": "feishu", "url_env": "FEISHU_URL", "secret_env": "FEISHU_SECRET"},
            {"name": "ding", "format": "dingtalk", "url_env": "DING_URL", "secret_env": "DING_SECRET"},
            {"name": "wecom", "format": "wecom", "url_env": "WECOM_URL"},
            {"name": "generic", "url": f"{base}/generic/hooks/{GENERIC_TOKEN}", "secret_env": "GENERIC_SECRET"},
        ]),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    sms_client.reset_client_cache()
    sms.reset()


def run(fn: Any, *args: Any) -> tuple[Any, str]:
    """The handler's result or raised error, as text to search."""
    try:
        return fn(*args), ""
    except Exception as exc:  # what FunctionGraph would record
        body = exc.body() if hasattr(exc, "body") else {}
        return None, f"{type(exc).__name__}: {exc} {json.dumps(body, ensure_ascii=False, default=str)}"


def said(outcome: tuple[Any, str]) -> str:
    """What a path told its caller: the raised error's text, else the returned result."""
    result, raised = outcome
    return raised or json.dumps(result, ensure_ascii=False, default=str)


def timer_event(**options: Any) -> dict[str, Any]:
    event = sample_event("timer.json")
    event["user_event"] = json.dumps(options) if options else ""
    return event


def scenarios(sms: Emulator, sink: Sink, monkeypatch: pytest.MonkeyPatch, ctx: AgencyContext,
              ) -> Iterator[tuple[str, Any]]:
    """(name, outcome) of each path; each scenario sets up its own faults first."""
    http, timer, events = (function_handler(n) for n in ("list_tasks_http", "list_tasks_timer", "task_events"))

    def apig(query: dict[str, str], path: str = "/v3/tasks") -> dict[str, Any]:
        event = sample_event("apig_list_tasks.json")
        event.update(path=path, queryStringParameters=query)
        return event

    yield "http ok", http(apig({"limit": "5"}), ctx)
    yield "http summary", http(apig({}, "/v3/tasks/summary"), ctx)
    yield "http bad query", http(apig({"limit": "x"}), ctx)
    sms.faults.server_error(500, times=10)
    yield "http sms 500", http(apig({}), ctx)
    sms.faults.reset()
    sms.faults.forbidden(times=10)
    yield "http sms 403", http(apig({}), ctx)
    sms.faults.reset()
    yield "timer ok", run(timer, timer_event(), ctx)
    yield "event ok", run(events, {"action": "summary", "filters": {"state": "RUNNING"}}, ctx)
    sink.script(*[Reply(500)] * 20)
    yield "timer webhooks fail", run(timer, timer_event(), ctx)
    yield "event webhooks fail", run(events, {"action": "summary", "targets": ["slack", "ding"]}, ctx)
    sink.script()
    yield "timer bad url_env in options", run(
        timer, timer_event(targets=[{"format": "slack", "url_env": "WEBHOOK_BAD"}]), ctx)
    yield "timer bad url in options", run(timer, timer_event(targets=[f"ftp://h/{SLACK_TOKEN}"]), ctx)
    configured = os.environ["WEBHOOK_TARGETS"]
    specs = json.loads(configured)
    specs[0]["url_env"] = "WEBHOOK_BAD"
    monkeypatch.setenv("WEBHOOK_TARGETS", json.dumps(specs))
    yield "timer bad url_env configured", run(timer, timer_event(), ctx)
    yield "event bad url_env configured", run(events, {"action": "summary"}, ctx)
    yield "http with bad webhook config", http(apig({"limit": "1"}), ctx)
    monkeypatch.setenv("WEBHOOK_TARGETS", configured)  # the next paths fail at SMS, not at the settings
    monkeypatch.setenv("SMS_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    sms_client.reset_client_cache()
    yield "http sms unreachable", http(apig({}), ctx)
    yield "timer sms unreachable", run(timer, timer_event(), ctx)


@pytest.mark.parametrize("agency", [False, True], ids=["env-credentials", "agency-credentials"])
def test_no_secret_in_any_output(agency: bool, sms_pair: dict[bool, Emulator], sink: Sink,
                                 monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                 caplog: pytest.LogCaptureFixture) -> None:
    ctx = AgencyContext(agency)
    sms = sms_pair[agency]
    configure(monkeypatch, sms, sink)
    found: dict[str, list[str]] = {}
    outcomes = {}
    for name, outcome in scenarios(sms, sink, monkeypatch, ctx):
        outcomes[name] = outcome
        found[name] = leaks(json.dumps(outcome, ensure_ascii=False, default=str))
    logs = capsys.readouterr().err
    found["logs"] = leaks(logs)
    found["library logs"] = leaks(caplog.text)  # the SDK's own logging
    found["webhook bodies"] = leaks("\n".join(r.body.decode("utf-8", "replace") for r in sink.received))
    assert not any(found.values()), {k: v for k, v in found.items() if v}
    # The paths really ran: SMS accepted the marked credentials, every platform got a message, and the
    # bad settings were reported by name.
    assert outcomes["timer ok"][0], outcomes["timer ok"][1]
    assert outcomes["http ok"]["statusCode"] == 200 and outcomes["http sms 403"]["statusCode"] == 403
    assert outcomes["timer ok"][0]["ok"] and {r.platform for r in sink.received} >= {
        "slack", "feishu", "dingtalk", "wecom", "generic"}
    assert all(r.signature in (None, "valid") for r in sink.received[:5])
    # configuration errors are returned (ok: false), not raised: a retry can't fix them
    assert "WEBHOOK_BAD" in said(outcomes["timer bad url_env in options"])
    assert "WEBHOOK_TARGETS[0].url_env (WEBHOOK_BAD)" in said(outcomes["timer bad url_env configured"])
    assert outcomes["timer bad url_env configured"][0]["ok"] is False
    assert outcomes["timer webhooks fail"][1] and outcomes["timer sms unreachable"][1]
