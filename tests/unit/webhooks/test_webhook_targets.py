from __future__ import annotations

import base64
import io
import json

import pytest

from shared.errors import ApiError
from shared.logger import Logger
from shared.webhooks.targets import Target, WebhookSettings, load_targets, targets_from_env

SLACK_URL = "https://hooks.slack.com/services/T01/B02/slackTOKENslackTOKEN42"
FEISHU_URL = "https://open.feishu.cn/open-apis/bot/v2/hook/feishu-hook-id-777777"
WHSEC = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def test_no_configuration_means_no_targets() -> None:
    assert load_targets({}) == []


def test_single_target_defaults_to_generic() -> None:
    [t] = load_targets({"WEBHOOK_URL": "https://hooks.example.com/in", "WEBHOOK_SECRET": WHSEC})
    assert (t.name, t.format, t.secret, t.notify_on) == ("default", "generic", WHSEC, None)


def test_single_target_with_format() -> None:
    [t] = load_targets({"WEBHOOK_URL": SLACK_URL, "WEBHOOK_FORMAT": "Slack"})
    assert t.format == "slack" and t.secret is None


def test_repr_and_describe_hide_tokens_and_secrets() -> None:
    [t] = load_targets(
        {"WEBHOOK_URL": FEISHU_URL, "WEBHOOK_FORMAT": "feishu", "WEBHOOK_SECRET": "fs-SECRET-99"}
    )
    for text in (repr(t), str(t), json.dumps(t.describe())):
        assert "feishu-hook-id-777777" not in text and "fs-SECRET-99" not in text
    assert "open.feishu.cn" in repr(t) and "<set>" in repr(t)
    assert t.describe()["signed"] is True


def test_several_targets_with_env_references() -> None:
    env = {
        "WEBHOOK_TARGETS": json.dumps(
            [
                {"name": "ops", "format": "slack", "url_env": "SLACK_URL"},
                {
                    "name": "cn",
                    "format": "feishu",
                    "url_env": "FS_URL",
                    "secret_env": "FS_SECRET",
                    "notify_on": ["failures", "stalled"],
                },
                {"name": "audit", "url": "https://audit.example.com/hooks/sms", "secret": WHSEC},
            ]
        ),
        "SLACK_URL": SLACK_URL,
        "FS_URL": FEISHU_URL,
        "FS_SECRET": "feishu-secret",
    }
    ops, cn, audit = load_targets(env)
    assert (ops.url, ops.format) == (SLACK_URL, "slack")
    assert (cn.secret, cn.notify_on) == ("feishu-secret", ("failures", "stalled"))
    assert (audit.format, audit.secret) == ("generic", WHSEC)


def _config_error(env: dict[str, str]) -> ApiError:
    with pytest.raises(ApiError) as err:
        targets_from_env(env)
    assert (err.value.status, err.value.error_code) == (500, "SMSFN.0500")
    return err.value


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"WEBHOOK_URL": SLACK_URL, "WEBHOOK_TARGETS": "[]"}, "not both"),
        ({"WEBHOOK_URL": SLACK_URL, "WEBHOOK_FORMAT": "teams"}, "allowed: generic, slack"),
        (
            {"WEBHOOK_URL": SLACK_URL, "WEBHOOK_FORMAT": "slack", "WEBHOOK_SECRET": "s3cr3t-value"},
            "no signing",
        ),
        ({"WEBHOOK_URL": "https://x.example.com/h", "WEBHOOK_SECRET": "plain-not-whsec!"}, "whsec_"),
        ({"WEBHOOK_URL": "http://hooks.example.com/in"}, "https"),
        ({"WEBHOOK_URL": "https://169.254.169.254/latest"}, "metadata"),
        ({"WEBHOOK_TARGETS": '{"url": "x"}'}, "JSON array"),
        ({"WEBHOOK_TARGETS": '[{"url": '}, "not valid JSON"),
        ({"WEBHOOK_TARGETS": '[{"name": "a"}]'}, "needs url or url_env"),
        (
            {"WEBHOOK_TARGETS": '[{"url": "https://a.example.com/h", "colour": "red"}]'},
            "unknown key(s) colour",
        ),
        ({"WEBHOOK_TARGETS": '[{"url": "https://a.example.com/h", "url_env": "X"}]'}, "both url and url_env"),
        ({"WEBHOOK_TARGETS": '[{"url_env": "MISSING_VAR"}]'}, "MISSING_VAR, which is not set"),
        ({"WEBHOOK_TARGETS": '[{"url_env": "bad name"}]'}, "environment variable name"),
        ({"WEBHOOK_TARGETS": '[{"url": "https://a.example.com/h", "name": "x y"}]'}, "target name"),
        (
            {"WEBHOOK_TARGETS": '[{"url": "https://a.example.com/h", "notify_on": ["sometimes"]}]'},
            "sometimes",
        ),
        (
            {
                "WEBHOOK_TARGETS": '[{"name": "a", "url": "https://a.example.com/h"},'
                ' {"name": "a", "url": "https://b.example.com/h"}]'
            },
            "two targets named 'a'",
        ),
    ],
)
def test_invalid_configuration_is_a_clear_500(env: dict[str, str], fragment: str) -> None:
    assert fragment in _config_error(env).error_msg


def test_references_to_the_functions_own_credentials_are_refused() -> None:
    env = {
        "WEBHOOK_TARGETS": '[{"url": "https://a.example.com/h", "secret_env": "HUAWEICLOUD_SDK_SK"}]',
        "HUAWEICLOUD_SDK_SK": "sk-value-never-used",
    }
    err = _config_error(env)
    assert (
        "may not reference HUAWEICLOUD_SDK_SK" in err.error_msg and "sk-value-never-used" not in err.error_msg
    )


def test_errors_never_contain_secrets_or_tokens() -> None:
    secret_json = '[{"url": "https://hooks.slack.com/services/T9/B9/leakyTOKENleakyTOKEN", "format": "slack",'
    secret_json += ' "secret": "leaky-secret-value"'  # and the JSON is broken
    cases = [
        {"WEBHOOK_URL": "http://hooks.slack.com/services/T9/B9/leakyTOKENleakyTOKEN"},
        {"WEBHOOK_URL": SLACK_URL, "WEBHOOK_FORMAT": "slack", "WEBHOOK_SECRET": "leaky-secret-value"},
        {"WEBHOOK_TARGETS": secret_json},
        {"WEBHOOK_TARGETS": secret_json + "}]"},
    ]
    for env in cases:
        err = _config_error(env)
        for text in (err.error_msg, repr(err), json.dumps(err.body())):
            assert "leakyTOKENleakyTOKEN" not in text and "leaky-secret-value" not in text


def test_loaded_secrets_are_masked_by_the_logger() -> None:
    load_targets(
        {"WEBHOOK_URL": FEISHU_URL, "WEBHOOK_FORMAT": "feishu", "WEBHOOK_SECRET": "masked-feishu-secret"}
    )
    stream = io.StringIO()
    Logger(stream=stream).error("debugging", note=f"{FEISHU_URL} with masked-feishu-secret")
    out = stream.getvalue()
    assert "feishu-hook-id-777777" not in out and "masked-feishu-secret" not in out


def test_loopback_only_with_the_environment_flag() -> None:
    url = "http://127.0.0.1:8091/slack/services/T/B/X"
    with pytest.raises(ApiError, match="loopback"):
        load_targets({"WEBHOOK_URL": url})
    [t] = load_targets({"WEBHOOK_URL": url, "WEBHOOK_ALLOW_LOOPBACK": "1"})
    assert t.url == url


# --- per-invocation overrides ---

CONFIGURED = {
    "WEBHOOK_TARGETS": json.dumps(
        [
            {"name": "ops", "format": "slack", "url_env": "SLACK_URL"},
            {"name": "audit", "url": "https://audit.example.com/hooks/sms"},
        ]
    ),
    "SLACK_URL": SLACK_URL,
    "WEBHOOK_EXTRA_URL": "https://extra.example.com/in",
    "OTHER_URL": "https://other.example.com/in",
}


def test_options_replace_the_configured_targets() -> None:
    [t] = load_targets(CONFIGURED, {"targets": [{"name": "adhoc", "url": "https://adhoc.example.com/h"}]})
    assert (t.name, t.url) == ("adhoc", "https://adhoc.example.com/h")


def test_options_can_pick_configured_targets_by_name() -> None:
    picked = load_targets(CONFIGURED, {"targets": [{"name": "ops"}]})
    assert [t.name for t in picked] == ["ops"] and picked[0].url == SLACK_URL


def test_options_accept_strings_as_names_or_urls() -> None:
    picked = load_targets(CONFIGURED, {"targets": ["audit", "https://adhoc.example.com/in"]})
    assert [(t.name, t.format) for t in picked] == [("audit", "generic"), ("target-2", "generic")]
    assert picked[1].url == "https://adhoc.example.com/in"
    with pytest.raises(ApiError, match="https"):
        load_targets(CONFIGURED, {"targets": ["http://adhoc.example.com/in"]})


def test_options_env_references_are_limited_to_webhook_variables() -> None:
    [t] = load_targets(CONFIGURED, {"targets": [{"name": "x", "url_env": "WEBHOOK_EXTRA_URL"}]})
    assert t.url == "https://extra.example.com/in"
    with pytest.raises(ApiError) as err:
        load_targets(CONFIGURED, {"targets": [{"name": "x", "url_env": "OTHER_URL"}]})
    assert (err.value.status, err.value.error_code) == (400, "SMSFN.0400")
    assert err.value.error_param == ["targets"]


@pytest.mark.parametrize(
    ("targets", "fragment"),
    [
        ("https://x.example.com", "must be a list"),
        ([{"name": "nope"}], "names no configured target"),
        ([{"url": "http://127.0.0.1:9/x"}], "loopback"),
        ([{"url": "https://x.example.com/h", "allow_loopback": True}], "unknown key(s) allow_loopback"),
        ([{"url": "https://x.example.com/h", "format": "irc"}], "unknown format"),
        ([42], "must be an object"),
    ],
)
def test_invalid_option_targets_are_a_400(targets: object, fragment: str) -> None:
    with pytest.raises(ApiError) as err:
        load_targets(CONFIGURED, {"targets": targets})
    assert err.value.status == 400 and fragment in err.value.error_msg


def test_settings_defaults_and_ranges() -> None:
    s = WebhookSettings.from_env({})
    assert (s.connect_timeout, s.read_timeout, s.max_attempts, s.notify_on) == (3.0, 10.0, 4, ("always",))
    assert not s.policy.allow_loopback and not s.policy.allow_private
    s = WebhookSettings.from_env(
        {
            "WEBHOOK_MAX_ATTEMPTS": "2",
            "WEBHOOK_NOTIFY_ON": "failures, stalled",
            "WEBHOOK_ALLOW_LOOPBACK": "true",
            "WEBHOOK_READ_TIMEOUT": "2.5",
        }
    )
    assert (s.max_attempts, s.notify_on, s.policy.allow_loopback, s.read_timeout) == (
        2,
        ("failures", "stalled"),
        True,
        2.5,
    )
    for env in (
        {"WEBHOOK_MAX_ATTEMPTS": "0"},
        {"WEBHOOK_CONNECT_TIMEOUT": "soon"},
        {"WEBHOOK_NOTIFY_ON": "x"},
    ):
        with pytest.raises(ApiError) as err:
            WebhookSettings.from_env(env)
        assert err.value.status == 500


def test_target_is_a_plain_value() -> None:
    t = Target("a", "https://a.example.com/h")
    assert t.format == "generic" and t == Target("a", "https://a.example.com/h")
