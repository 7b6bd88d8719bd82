"""Retry rules without a network: Retry-After parsing, backoff, and how each platform's answer is
judged (including errors inside a 200 body)."""

from __future__ import annotations

import json
from email.utils import formatdate

import pytest

from shared.transport.retry import parse_retry_after
from shared.webhooks.delivery import BACKOFF_CAP_S, webhook_retry_policy
from shared.webhooks.formats import dingtalk, feishu, generic, slack, wecom
from shared.webhooks.targets import WebhookSettings

NOW = 1_764_378_000.0


class UpperBound:
    """An rng whose ``uniform`` returns the top of the range: the largest possible delay."""

    def uniform(self, a: float, b: float) -> float:
        return b


class LowerBound:
    def uniform(self, a: float, b: float) -> float:
        return a


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        (formatdate(NOW + 12, usegmt=True), 12.0),
        (formatdate(NOW - 30, usegmt=True), 0.0),  # a date in the past: retry now
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_backoff_is_exponential_with_full_jitter_and_a_cap() -> None:
    backoff_delay = webhook_retry_policy(WebhookSettings()).backoff
    assert [backoff_delay(a, UpperBound()) for a in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert all(backoff_delay(a, LowerBound()) == 0.0 for a in range(1, 8))
    assert max(backoff_delay(9, UpperBound()) for _ in range(3)) == BACKOFF_CAP_S


def j(obj: object) -> str:
    return json.dumps(obj)


@pytest.mark.parametrize(
    ("module", "status", "body", "ok", "retryable"),
    [
        (generic, 200, "", True, False),
        (generic, 204, "", True, False),
        (generic, 302, "", False, False),  # redirects are not followed
        (generic, 400, "bad", False, False),
        (generic, 410, "gone", False, False),  # Standard Webhooks: stop sending
        (generic, 429, "", False, True),
        (generic, 503, "", False, True),
        (slack, 200, "ok", True, False),
        (slack, 200, "invalid_token", False, False),
        (slack, 400, "invalid_payload", False, False),
        (slack, 404, "channel_not_found", False, False),
        (slack, 410, "channel_is_archived", False, False),
        (slack, 429, "", False, True),
        (slack, 500, "rollup_error", False, True),
        (feishu, 200, j({"code": 0, "msg": "success", "data": {}}), True, False),
        (feishu, 200, j({"StatusCode": 0, "StatusMessage": "success"}), True, False),
        (feishu, 200, j({"code": 19021, "msg": "sign match fail"}), False, False),
        (feishu, 200, j({"code": 19024, "msg": "Key Words Not Found"}), False, False),
        (feishu, 200, j({"code": 11232, "msg": "frequency limited"}), False, True),
        (feishu, 400, j({"code": 11232, "msg": "frequency limited"}), False, True),
        (feishu, 400, j({"code": 9499, "msg": "too many request"}), False, True),
        (feishu, 400, j({"code": 9499, "msg": "Bad Request"}), False, False),
        (feishu, 200, "<html>proxy</html>", False, False),
        (feishu, 502, "", False, True),
        (dingtalk, 200, j({"errcode": 0, "errmsg": "ok"}), True, False),
        (
            dingtalk,
            200,
            j({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
            False,
            True,
        ),
        (dingtalk, 200, j({"errcode": 310000, "errmsg": "keywords not in content"}), False, False),
        (
            dingtalk,
            200,
            j({"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}),
            False,
            False,
        ),
        (dingtalk, 200, j({"errcode": -1, "errmsg": "system busy"}), False, True),
        (wecom, 200, j({"errcode": 0, "errmsg": "ok"}), True, False),
        (wecom, 200, j({"errcode": 45009, "errmsg": "api freq out of limit"}), False, True),
        (
            wecom,
            200,
            j({"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}),
            False,
            False,
        ),
        (wecom, 200, j({"errcode": 93000, "errmsg": "invalid webhook url"}), False, False),
        (wecom, 503, "", False, True),
    ],
)
def test_answers_are_judged_per_platform(module, status: int, body: str, ok: bool, retryable: bool) -> None:
    verdict = module.interpret(status, body)
    assert (verdict.ok, verdict.retryable) == (ok, retryable)
    if not ok:
        assert verdict.error


@pytest.mark.parametrize(
    ("status", "body", "ok", "retryable"),
    [
        (200, "ok", True, False),
        (200, "", True, False),  # Rocket.Chat and others: an empty 200
        (200, '{"success":true}', True, False),  # Rocket.Chat
        (201, "{}", True, False),
        (200, "invalid_payload", False, False),  # Slack's own error words fail even under 200
        (200, "  channel_is_archived\n", False, False),
        (400, "invalid_payload", False, False),
        (429, "rate_limited", False, True),
        (500, "rollup_error", False, True),
    ],
)
def test_slack_compatible_receivers_are_judged_by_slack_error_words(status: int, body: str, ok: bool,
                                                                    retryable: bool) -> None:
    verdict = slack.interpret(status, body)
    assert (verdict.ok, verdict.retryable) == (ok, retryable)
