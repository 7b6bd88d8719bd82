"""Delivery against the local sink on loopback: signatures checked by the receiver, retries,
backoff, Retry-After, dedup ids, deadlines, one failing target among others, notify_on, URL safety
at send time, TLS pinning, and no secrets in outcomes, exceptions or logs.

No test sleeps for real: ``sleep`` is injected and records the delays deliver asked for."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import os
import ssl
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from local.servers import serve_in_background, stop_server
from local.webhook_sink import Reply, Sink
from shared.scope import Deadline
from shared.webhooks import (
    DeliveryFailed,
    Target,
    UrlPolicy,
    WebhookSettings,
    build_target,
    deliver,
    make_session,
    send_summary,
)
from tests.helpers import closed_port

pytestmark = pytest.mark.integration

WHSEC = "whsec_" + base64.b64encode(b"integration-test-key-0123456789!").decode()
FEISHU_SECRET = "feishu-secret-abc"
DINGTALK_SECRET = "SECdingtalk-secret-xyz"
LOCAL = UrlPolicy(allow_loopback=True)
SLACK_TOKEN = "slackTOKENslackTOKEN1234"


def summary(failed: int = 1, running: int = 0) -> dict[str, Any]:
    def lst(n: int, **extra: Any) -> dict[str, Any]:
        return {
            "total": n,
            "truncated": 0,
            "items": [{"id": f"id-{i}", "name": f"vm-{i}", **extra} for i in range(n)],
        }

    return {
        "schema_version": 1,
        "generated_at": "2026-11-29T01:00:00Z",
        "window": {"start": "2026-11-29T00:00:00Z", "end": "2026-11-29T01:00:00Z", "interval_seconds": 3600},
        "filters": {},
        "total": failed + running,
        "scanned": failed + running,
        "partial": False,
        "by_state": {"MIGRATE_FAIL": failed, "RUNNING": running},
        "running": lst(running, progress=50),
        "failed": lst(failed, error={"error_code": "SMS.1", "error_msg": "boom"}),
        "changes": {"succeeded": lst(0), "failed": lst(0)},
        "stalled": lst(0),
        "schema_violations": 0,
    }


class Sleeps(list):
    """Records requested delays instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class FakeDeadline:
    """A deadline that only moves when the injected sleep is called."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds
        self.slept: list[float] = []

    def remaining(self) -> float:
        return max(0.0, self.left)

    def cap(self, seconds: float) -> float:
        return min(seconds, self.remaining())

    def sleep(self, seconds: float) -> None:
        assert seconds <= self.left, "slept past the deadline"
        self.slept.append(seconds)
        self.left -= seconds


class Ticking:
    """A clock starting now that advances 10 s per reading (attempts get distinct timestamps)."""

    def __init__(self) -> None:
        self.t = float(int(time.time()))

    def __call__(self) -> float:
        self.t += 10
        return self.t


@pytest.fixture
def sink():
    s = Sink(
        port=0, secret=WHSEC, feishu_secret=FEISHU_SECRET, dingtalk_secret=DINGTALK_SECRET, tolerance_s=600
    ).start()
    yield s
    s.stop()


def settings(**kw: Any) -> WebhookSettings:
    return WebhookSettings(policy=LOCAL, **kw)


def targets_for(sink: Sink) -> dict[str, Target]:
    base = sink.url
    return {
        "generic": build_target("gen", f"{base}/generic/hooks/sms", "generic", WHSEC, policy=LOCAL),
        "slack": build_target("slack", f"{base}/slack/services/T01/B02/{SLACK_TOKEN}", "slack", policy=LOCAL),
        "feishu": build_target(
            "fs", f"{base}/feishu/open-apis/bot/v2/hook/hook-id-feishu", "feishu", FEISHU_SECRET, policy=LOCAL
        ),
        "dingtalk": build_target(
            "dt",
            f"{base}/dingtalk/robot/send?access_token=dt-access-token",
            "dingtalk",
            DINGTALK_SECRET,
            policy=LOCAL,
        ),
        "wecom": build_target(
            "wc", f"{base}/wecom/cgi-bin/webhook/send?key=wecom-key-123456", "wecom", policy=LOCAL
        ),
    }


def run(targets: list[Target], **kw: Any):
    kw.setdefault("deadline", Deadline(30))
    kw.setdefault("delivery_id", "req-0001")
    kw.setdefault("settings", settings())
    kw.setdefault("sleep", Sleeps())
    return deliver(targets, kw.pop("summary", summary()), **kw)


def receiver_verify_standard(secret: str, headers: dict[str, str], body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    return any(
        v == "v1" and hmac.compare_digest(expected, base64.b64decode(sig))
        for v, _, sig in (e.partition(",") for e in headers["webhook-signature"].split())
    )


def test_every_platform_is_delivered_and_signatures_verify(sink: Sink) -> None:
    targets = list(targets_for(sink).values())
    result = run(targets)
    assert result.ok and [o.status for o in result.outcomes] == ["delivered"] * 5
    assert [o.target for o in result.outcomes] == [t.name for t in targets]  # target order kept
    by_platform = {r.platform: r for r in sink.received}
    assert set(by_platform) == {"generic", "slack", "feishu", "dingtalk", "wecom"}
    for platform in ("generic", "feishu", "dingtalk"):
        assert by_platform[platform].signature == "valid", platform
    gen = by_platform["generic"]
    assert receiver_verify_standard(WHSEC, gen.headers, gen.body)
    assert gen.json["failed"]["total"] == 1 and gen.headers["webhook-id"] == "req-0001"
    assert by_platform["slack"].json["blocks"][0]["type"] == "header"
    assert by_platform["feishu"].json["msg_type"] == "interactive"
    assert by_platform["dingtalk"].json["msgtype"] == "markdown"
    assert by_platform["wecom"].json["msgtype"] == "markdown"
    assert all(r.headers["x-delivery-id"] == "req-0001" for r in sink.received)


def test_retries_keep_the_webhook_id_and_resign_each_attempt(sink: Sink) -> None:
    sink.script(Reply(503), Reply(503))
    sleeps = Sleeps()
    result = run([targets_for(sink)["generic"]], sleep=sleeps, clock=Ticking(), delivery_id="evt-77")
    [o] = result.outcomes
    assert (o.status, o.attempts, o.http_status) == ("delivered", 3, 200)
    got = sink.received
    assert [r.reply_status for r in got] == [503, 503, 200]
    assert {r.headers["webhook-id"] for r in got} == {"evt-77"}  # receivers can dedupe
    assert len({r.headers["webhook-timestamp"] for r in got}) == 3  # fresh timestamp per attempt
    assert len({r.headers["webhook-signature"] for r in got}) == 3
    assert all(receiver_verify_standard(WHSEC, r.headers, r.body) for r in got)
    assert len({r.body for r in got}) == 1
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0  # full jitter bounds


def test_429_retry_after_seconds_is_honoured(sink: Sink) -> None:
    sink.script(Reply(429, "slow down", headers={"Retry-After": "7"}))
    sleeps = Sleeps()
    [o] = run([targets_for(sink)["slack"]], sleep=sleeps).outcomes
    assert (o.status, o.attempts) == ("delivered", 2)
    assert sleeps == [7.0]


def test_retry_after_http_date_is_honoured(sink: Sink) -> None:
    now = float(int(time.time()))
    sink.script(Reply(503, headers={"Retry-After": formatdate(now + 5, usegmt=True)}))
    sleeps = Sleeps()
    [o] = run([targets_for(sink)["wecom"]], sleep=sleeps, clock=lambda: now).outcomes
    assert o.status == "delivered" and sleeps == [5.0]


def test_dropped_connection_is_retried(sink: Sink) -> None:
    sink.script(Reply.dropped())
    [o] = run([targets_for(sink)["generic"]]).outcomes
    assert (o.status, o.attempts) == ("delivered", 2)
    assert [r.reply_status for r in sink.received] == [None, 200]


def test_other_4xx_is_not_retried(sink: Sink) -> None:
    sink.script(Reply(400, "invalid_payload"))
    sleeps = Sleeps()
    result = run([targets_for(sink)["slack"]], sleep=sleeps)
    [o] = result.outcomes
    assert (o.status, o.attempts, o.http_status) == ("failed", 1, 400)
    assert "invalid_payload" in (o.error or "")
    assert sleeps == [] and len(sink.received) == 1 and not result.ok


def test_attempts_stop_at_max_attempts(sink: Sink) -> None:
    sink.script(*[Reply(503)] * 10)
    [o] = run([targets_for(sink)["generic"]], settings=settings(max_attempts=3)).outcomes
    assert (o.status, o.attempts, o.http_status) == ("failed", 3, 503)
    assert "gave up after 3 attempts" in (o.error or "")
    assert len(sink.received) == 3


def test_retry_after_beyond_the_deadline_is_not_waited_for(sink: Sink) -> None:
    sink.script(Reply(429, headers={"Retry-After": "5"}))
    deadline = FakeDeadline(2.0)
    [o] = run([targets_for(sink)["generic"]], deadline=deadline, sleep=deadline.sleep).outcomes
    assert (o.status, o.attempts) == ("failed", 1)
    assert "would pass the deadline" in (o.error or "") and deadline.slept == []


def test_backoff_never_sleeps_past_the_deadline(sink: Sink) -> None:
    class Max:
        def uniform(self, a: float, b: float) -> float:
            return b

    sink.script(*[Reply(500)] * 20)
    deadline = FakeDeadline(1.2)
    [o] = run(
        [targets_for(sink)["generic"]],
        deadline=deadline,
        sleep=deadline.sleep,
        rng=Max(),
        settings=settings(max_attempts=10),
    ).outcomes
    assert o.status == "failed" and "deadline" in (o.error or "")
    assert sum(deadline.slept) <= 1.2
    assert o.attempts == len(sink.received) < 10


def test_long_retry_after_is_left_to_the_platform_retry(sink: Sink) -> None:
    sink.script(Reply(429, headers={"Retry-After": "3600"}))
    [o] = run([targets_for(sink)["generic"]], deadline=Deadline(None)).outcomes
    assert o.status == "failed" and "Retry-After 3600s" in (o.error or "")


def test_read_timeout_is_a_retryable_network_error(sink: Sink) -> None:
    sink.script(Reply(200, delay=1.0))
    [o] = run([targets_for(sink)["generic"]], settings=settings(read_timeout=0.2, max_attempts=1)).outcomes
    assert o.status == "failed" and "network error" in (o.error or "") and o.http_status is None


@pytest.mark.parametrize(
    ("platform", "replies", "status", "attempts"),
    [
        ("slack", [Reply(200, "invalid_token")], "failed", 1),
        ("feishu", [Reply(200, {"code": 11232, "msg": "frequency limited"})], "delivered", 2),
        ("feishu", [Reply(200, {"code": 19024, "msg": "Key Words Not Found"})], "failed", 1),
        ("dingtalk", [Reply(200, {"errcode": 130101, "errmsg": "send too fast"})], "delivered", 2),
        ("dingtalk", [Reply(200, {"errcode": 310000, "errmsg": "keywords not in content"})], "failed", 1),
        ("wecom", [Reply(200, {"errcode": 45009, "errmsg": "api freq out of limit"})], "delivered", 2),
        ("wecom", [Reply(200, {"errcode": 40058, "errmsg": "exceed max length 4096"})], "failed", 1),
    ],
)
def test_platform_errors_inside_200(
    sink: Sink, platform: str, replies: list[Reply], status: str, attempts: int
) -> None:
    sink.script(*replies)
    [o] = run([targets_for(sink)[platform]]).outcomes
    assert (o.status, o.attempts) == (status, attempts)


def test_wrong_secret_is_rejected_by_the_receiver(sink: Sink) -> None:
    other = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    bad_generic = build_target("g2", f"{sink.url}/generic/h", "generic", other, policy=LOCAL)
    bad_feishu = build_target(
        "f2", f"{sink.url}/feishu/open-apis/bot/v2/hook/x", "feishu", "nope", policy=LOCAL
    )
    result = run([bad_generic, bad_feishu], settings=settings(concurrency=1))
    assert [(o.status, o.http_status, o.attempts) for o in result.outcomes] == [
        ("failed", 401, 1),
        ("failed", 200, 1),
    ]
    assert "19021" in (result.outcomes[1].error or "")


def test_one_failing_target_does_not_stop_the_others(sink: Sink, capsys: pytest.CaptureFixture[str]) -> None:
    t = targets_for(sink)
    closed = build_target(
        "down", f"http://127.0.0.1:{closed_port()}/hooks/down-token-0123456789abcdef", "generic", WHSEC,
        policy=LOCAL,
    )
    sleeps = Sleeps()
    result = run([t["slack"], closed, t["feishu"]], sleep=sleeps)
    assert [o.status for o in result.outcomes] == ["delivered", "failed", "delivered"]
    down = result.outcomes[1]
    assert down.attempts == 4 and "network error" in (down.error or "") and len(sleeps) == 3
    with pytest.raises(DeliveryFailed) as err:
        result.raise_for_failures()
    exc = err.value
    assert (exc.status, exc.error_code) == (502, "SMSFN.0502") and "down" in exc.error_msg
    assert [o.target for o in exc.outcomes] == ["slack", "down", "fs"]
    # No secret or URL token anywhere: outcomes, the exception, its body, the logs.
    logs = capsys.readouterr().err
    assert "webhook delivery failed" in logs
    texts = [json.dumps(result.to_dict()), str(exc), repr(exc), json.dumps(exc.body()), logs]
    for secret in (
        SLACK_TOKEN,
        "hook-id-feishu",
        "down-token-0123456789abcdef",
        WHSEC,
        FEISHU_SECRET,
        WHSEC.removeprefix("whsec_"),
    ):
        for text in texts:
            assert secret not in text


def test_notify_on_skips_and_sends_nothing(sink: Sink) -> None:
    quiet = summary(failed=0, running=2)
    result = run(list(targets_for(sink).values()), summary=quiet, notify_on=["failures", "stalled"])
    assert result.ok and not result.notified and [o.status for o in result.outcomes] == ["skipped"] * 5
    assert "no condition matched" in (result.outcomes[0].error or "")
    assert all(o.attempts == 0 for o in result.outcomes) and sink.received == []


def test_a_targets_own_notify_on_wins(sink: Sink) -> None:
    t = targets_for(sink)
    picky = Target("picky", t["slack"].url, "slack", notify_on=("running",))
    result = run([picky, t["wecom"]], summary=summary(failed=0, running=1), notify_on=["failures"])
    assert [(o.status, o.reasons) for o in result.outcomes] == [("delivered", ["running"]), ("skipped", [])]


def test_dns_rebinding_is_refused_at_send_time(sink: Sink) -> None:
    target = build_target("rebind", "https://hooks.example.test/in", "generic", policy=LOCAL)

    def resolver(host: str, port: int) -> list[str]:
        return ["169.254.169.254"]

    [o] = run([target], resolver=resolver).outcomes
    assert (o.status, o.attempts) == ("failed", 1) and "metadata" in (o.error or "")
    assert sink.received == []


def test_loopback_resolution_needs_the_flag_at_send_time(sink: Sink) -> None:
    target = Target("sneaky", f"http://localhost:{sink.port}/generic/h")  # built without checks
    [o] = run([target], settings=WebhookSettings(), resolver=lambda h, p: ["127.0.0.1"]).outcomes
    assert o.status == "failed" and "localhost" in (o.error or "") and sink.received == []


def test_requests_go_to_the_checked_address_with_the_original_host(sink: Sink) -> None:
    target = build_target("named", f"http://localhost:{sink.port}/generic/h", "generic", WHSEC, policy=LOCAL)
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    [o] = run([target], resolver=resolver).outcomes
    assert o.status == "delivered" and asked == ["localhost"]
    assert sink.received[0].headers["host"] == f"localhost:{sink.port}"


def test_send_summary_from_environment_and_options(sink: Sink) -> None:
    env = {
        "WEBHOOK_ALLOW_LOOPBACK": "1",
        "WEBHOOK_MAX_ATTEMPTS": "2",
        "WEBHOOK_TARGETS": json.dumps(
            [
                {"name": "ops", "format": "slack", "url_env": "WEBHOOK_SLACK_URL"},
                {"name": "audit", "url_env": "WEBHOOK_AUDIT_URL", "secret_env": "WEBHOOK_AUDIT_SECRET"},
            ]
        ),
        "WEBHOOK_SLACK_URL": f"{sink.url}/slack/services/T/B/{SLACK_TOKEN}",
        "WEBHOOK_AUDIT_URL": f"{sink.url}/generic/audit",
        "WEBHOOK_AUDIT_SECRET": WHSEC,
    }
    sink.script(*[Reply(503)] * 5)
    result = send_summary(
        summary(),
        env=env,
        options={"targets": [{"name": "audit"}], "notify_on": "failures"},
        deadline=Deadline(30),
        delivery_id="fg-req-9",
        sleep=Sleeps(),
    )
    [o] = result.outcomes
    assert (o.target, o.status, o.attempts) == ("audit", "failed", 2)  # WEBHOOK_MAX_ATTEMPTS applied
    assert [r.platform for r in sink.received] == ["generic", "generic"]
    assert result.to_dict()["failed"] == 1


def test_no_targets_is_a_successful_no_op() -> None:
    result = deliver([], summary(), deadline=Deadline(1), delivery_id="x")
    assert result.ok and result.outcomes == [] and result.to_dict()["delivered"] == 0
    result.raise_for_failures()


# --- TLS: connect to the checked IP, but verify the certificate for the real name ---


# A self-signed certificate for ``hooks.test`` (a reserved name, valid 2000-2100) and its key, made
# for this test alone, so it runs on any machine (no openssl CLI needed, no clock surprises):
#   openssl req -new -newkey rsa:2048 -nodes -subj /CN=hooks.test -keyout hooks.test.key -out req.csr
#   openssl ca -selfsign -keyfile hooks.test.key -in req.csr -startdate 20000101000000Z \
#       -enddate 21000101000000Z -out hooks.test.crt   # extensions: CA:TRUE, subjectAltName DNS:hooks.test
TLS_CERT = Path(__file__).resolve().parents[1] / "data" / "hooks.test.crt"
TLS_KEY = TLS_CERT.with_suffix(".key")


class _TlsServer:
    def __init__(self, cert: Path, key: Path) -> None:
        self.hosts: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.hosts.append(self.headers.get("Host", ""))
                self.send_response(204)
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self._thread = serve_in_background(self.server, "tls-server")

    def close(self) -> None:
        stop_server(self.server, self._thread)


def test_tls_is_verified_for_the_hostname_while_pinned_to_the_ip() -> None:
    cert = TLS_CERT
    server = _TlsServer(cert, TLS_KEY)
    try:
        session = make_session()
        session.verify = str(cert)  # trust our test certificate
        good = build_target("tls", f"https://hooks.test:{server.port}/in", "generic", policy=LOCAL)
        [o] = run([good], session=session, resolver=lambda h, p: ["127.0.0.1"]).outcomes
        assert (o.status, o.http_status) == ("delivered", 204)
        assert server.hosts == [f"hooks.test:{server.port}"]
        # The same server under another name: the certificate check must fail.
        wrong = build_target("tls2", f"https://other.test:{server.port}/in", "generic", policy=LOCAL)
        [o] = run(
            [wrong], session=session, resolver=lambda h, p: ["127.0.0.1"], settings=settings(max_attempts=1)
        ).outcomes
        assert o.status == "failed" and "SSLError" in (o.error or "")
    finally:
        server.close()


@pytest.mark.parametrize("body", ["", {"status": "OK"}, "ok", "{}"])
def test_a_mattermost_like_200_is_delivered_and_a_slack_error_word_is_not(body: Any) -> None:
    """A receiver of our own answering like Mattermost / Rocket.Chat, then like a failing Slack."""
    with Sink(port=0) as sink:
        target = targets_for(sink)["slack"]
        sink.script(Reply(200, body=body))
        assert run([target]).ok
        sink.script(Reply(200, body="channel_not_found"))
        failed = run([target])
        assert not failed.ok and "channel_not_found" in json.dumps(failed.to_dict())
        assert len(sink.received) == 2  # the error word is final: not retried
