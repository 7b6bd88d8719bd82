from __future__ import annotations

import io

import pytest

from shared.logger import Logger
from shared.webhooks.url_safety import (
    UnsafeUrl,
    UrlPolicy,
    check_url,
    register_url_secrets,
    resolve_safe,
    safe_url,
    url_tokens,
)

STRICT = UrlPolicy()
LOCAL = UrlPolicy(allow_loopback=True)


@pytest.mark.parametrize(
    ("url", "shown", "secret"),
    [
        (
            "https://hooks.slack.com/services/T0AAA1111/B0BBB2222/abcdefghijklmnopqrstuvwx",
            "https://hooks.slack.com/***",
            "abcdefghijklmnopqrstuvwx",
        ),
        (
            "https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07-265f269f86fd",
            "https://open.feishu.cn/***",
            "5e3d587e-d78e-4a07-bd07-265f269f86fd",
        ),
        (
            "https://open.larksuite.com/open-apis/bot/v2/hook/0123abcd-ffff",
            "https://open.larksuite.com/***",
            "0123abcd-ffff",
        ),
        (
            "https://oapi.dingtalk.com/robot/send?access_token=9f8e7d6c5b4a",
            "https://oapi.dingtalk.com/***?***",
            "9f8e7d6c5b4a",
        ),
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4",
            "https://qyapi.weixin.qq.com/***?***",
            "693a91f6-7xxx-4bc4",
        ),
        (
            "https://discord.com/api/webhooks/123456789012345678/tokenTOKENtoken_123",
            "https://discord.com/***",
            "tokenTOKENtoken_123",
        ),
        ("https://u:p4ssw0rd@example.com/x?sig=abcdef#frag", "https://***@example.com/***?***", "p4ssw0rd"),
        ("https://example.com/in/a1b2c3d4e5f6a7b8c9d0", "https://example.com/***", "a1b2c3d4e5f6a7b8c9d0"),
    ],
)
def test_safe_url_masks_tokens_but_keeps_the_host(url: str, shown: str, secret: str) -> None:
    assert safe_url(url) == shown
    assert secret not in safe_url(url)
    assert secret in url_tokens(url)


def test_plain_words_are_masked_in_the_url_but_not_registered_with_the_logger() -> None:
    url = "https://x.example.com/hooks/production?tenant=production&token=abc123"
    assert safe_url(url) == "https://x.example.com/***?***"
    assert url_tokens(url) == ["abc123"]  # a sensitive parameter, whatever it looks like


def test_safe_url_never_raises() -> None:
    assert safe_url("https://[::1") == "***"


def test_registered_url_tokens_are_masked_in_logs() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=tok-REGISTERED-777"
    register_url_secrets(url)
    stream = io.StringIO()
    Logger(stream=stream).info("oops", detail="token is tok-REGISTERED-777 here")
    assert "tok-REGISTERED-777" not in stream.getvalue()


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://hooks.example.com/x", "https"),
        ("ftp://hooks.example.com/x", "https"),
        ("https:///nohost", "no host"),
        ("https://user:pw@hooks.example.com/x", "user:password"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://100.100.100.200/latest/meta-data", "metadata"),
        ("https://[fd00:ec2::254]/latest", "metadata"),
        ("https://[::ffff:169.254.169.254]/x", "metadata"),
        ("https://[64:ff9b::a9fe:a9fe]/x", "metadata"),  # NAT64 form of 169.254.169.254
        ("https://169.254.10.20/x", "link-local"),
        ("https://[fe80::1]/x", "link-local"),
        ("https://metadata.google.internal/computeMetadata/v1/", "metadata host"),
        ("https://127.0.0.1/x", "loopback"),
        ("https://[::1]/x", "loopback"),
        ("https://localhost/x", "localhost"),
        ("https://app.localhost/x", "localhost"),
        ("https://10.1.2.3/x", "private"),
        ("https://0.0.0.0/x", "unspecified"),
    ],
)
def test_refused_urls(url: str, fragment: str) -> None:
    with pytest.raises(UnsafeUrl, match=fragment):
        check_url(url, STRICT)


def test_loopback_needs_the_local_flag_and_then_allows_http() -> None:
    with pytest.raises(UnsafeUrl):
        check_url("http://127.0.0.1:8091/slack", STRICT)
    assert check_url("http://127.0.0.1:8091/slack", LOCAL).port == 8091
    assert check_url("http://localhost:8091/x", LOCAL).host == "localhost"
    assert check_url("https://[::1]:9/x", LOCAL).host == "::1"
    # The flag does not open plain http to anything else, nor link-local or metadata.
    for url in ("http://hooks.example.com/x", "https://169.254.169.254/", "https://[fe80::1]/"):
        with pytest.raises(UnsafeUrl):
            check_url(url, LOCAL)


def test_private_ranges_need_their_own_flag_but_metadata_never_passes() -> None:
    relaxed = UrlPolicy(allow_private=True)
    assert check_url("https://10.1.2.3/x", relaxed).literal_ip
    with pytest.raises(UnsafeUrl, match="metadata"):
        check_url("https://100.100.100.200/", relaxed)


def test_error_messages_do_not_contain_url_tokens() -> None:
    url = "http://hooks.slack.com/services/T1/B2/secretpart1234567890abcd"
    with pytest.raises(UnsafeUrl) as err:
        check_url(url, STRICT)
    assert "secretpart1234567890abcd" not in str(err.value)


def _resolver(table: dict[str, list[str]]):
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return table[host]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def test_dns_rebinding_to_metadata_is_refused_at_send_time() -> None:
    checked = check_url("https://hooks.example.com/x", STRICT)  # a name passes the static check
    with pytest.raises(UnsafeUrl, match="metadata"):
        resolve_safe(checked, STRICT, _resolver({"hooks.example.com": ["169.254.169.254"]}))


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        (["93.184.216.34", "169.254.1.1"], "link-local"),  # one bad answer is enough
        (["127.0.0.1"], "loopback"),
        (["10.0.0.8"], "private"),
        (["::ffff:127.0.0.1"], "loopback"),
    ],
)
def test_any_forbidden_answer_refuses(answers: list[str], fragment: str) -> None:
    checked = check_url("https://hooks.example.com/x", STRICT)
    with pytest.raises(UnsafeUrl, match=fragment):
        resolve_safe(checked, STRICT, _resolver({"hooks.example.com": answers}))


def test_decimal_ip_host_is_caught_by_resolution() -> None:
    checked = check_url("https://2130706433/x", STRICT)  # not a literal to ipaddress; resolves to 127.0.0.1
    with pytest.raises(UnsafeUrl, match="loopback"):
        resolve_safe(checked, STRICT, _resolver({"2130706433": ["127.0.0.1"]}))


def test_resolution_returns_the_address_to_pin() -> None:
    checked = check_url("https://hooks.example.com/x", STRICT)
    assert (
        resolve_safe(checked, STRICT, _resolver({"hooks.example.com": ["93.184.216.34", "2606:2800::1"]}))
        == "93.184.216.34"
    )


def test_literal_ips_are_not_resolved_and_http_hostnames_must_be_loopback() -> None:
    resolver = _resolver({})
    assert resolve_safe(check_url("https://93.184.216.34/x", STRICT), STRICT, resolver) == "93.184.216.34"
    assert resolver.calls == []  # type: ignore[attr-defined]
    checked = check_url("http://localhost:8091/x", LOCAL)
    with pytest.raises(UnsafeUrl, match="https"):
        resolve_safe(checked, LOCAL, _resolver({"localhost": ["93.184.216.34"]}))


def test_empty_resolution_is_a_network_error() -> None:
    checked = check_url("https://hooks.example.com/x", STRICT)
    with pytest.raises(OSError):
        resolve_safe(checked, STRICT, _resolver({"hooks.example.com": []}))


@pytest.mark.parametrize("url", ["https://example.com/in/k3y", "https://example.com/x?k3y", "https://example.com/a/b?t=1"])
def test_short_tokens_never_show(url: str) -> None:
    shown = safe_url(url)
    assert shown.startswith("https://example.com/***") and "k3y" not in shown and "t=" not in shown


@pytest.mark.parametrize(
    "url",
    ["secretvalue123", "?://secretvalue123", "ftp://h/secretvalue123", "https://u:secretvalue123@h/x",
     "http://example.com/secretvalue123", "https://169.254.169.254/secretvalue123", "https://[::1/secretvalue123",
     "https://localhost/secretvalue123", "https:///secretvalue123"],
)
def test_check_url_errors_quote_nothing_of_the_url(url: str) -> None:
    with pytest.raises(UnsafeUrl) as info:
        check_url(url, STRICT)
    assert "secretvalue" not in str(info.value)
