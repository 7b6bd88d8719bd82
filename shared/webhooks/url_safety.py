"""Which webhook URLs we are willing to call, and how they appear in logs.

Two checks, because a hostname can change its answer between loading the config and sending
(DNS rebinding): ``check_url`` when targets are loaded (scheme, host, literal addresses, metadata
host names) and ``resolve_safe`` right before every attempt, which resolves the host, refuses if
ANY of its addresses is forbidden and returns the one address the request is then pinned to.

Always refused: link-local (169.254.0.0/16, fe80::/10) and cloud metadata endpoints, also when
hidden inside IPv4-mapped / NAT64 / 6to4 IPv6 forms. Refused unless a local tool sets the flag:
loopback (``WEBHOOK_ALLOW_LOOPBACK=1``), private and other internal ranges
(``WEBHOOK_ALLOW_PRIVATE=1``). Plain ``http`` is accepted only for loopback.

``safe_url`` shows a webhook URL as its scheme, host and port only (the path and the query become
``***``: any part of them may be the token, however short), so a URL
can be logged or returned; ``register_url_secrets`` tells the logger to mask the credential-looking
values (query values, Slack's ``/services/T../B../xxx``, Feishu's ``/bot/v2/hook/<id>``, token-like
path segments) wherever they show up."""
from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from shared.logger import register_secret

MASK = "***"

# Known cloud metadata / host-agent endpoints outside the link-local range (which is refused whole).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, Huawei Cloud, GCP, Azure, OpenStack ... (also link-local)
        "169.254.170.2",  # AWS ECS task metadata (also link-local)
        "100.100.100.200",  # Alibaba Cloud (inside 100.64.0.0/10, so refused even with ALLOW_PRIVATE)
        "168.63.129.16",  # Azure WireServer
        "fd00:ec2::254",  # AWS IMDS over IPv6
    )
)
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.azure.com",
    }
)
_LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")

# Path segments after which everything is a credential (Slack /services/..., Feishu /bot/v2/hook/...,
# Discord /api/webhooks/..., generic /hooks/...).
_TOKEN_MARKERS = frozenset({"services", "hook", "hooks", "webhook", "webhooks"})
_BENIGN_SEGMENTS = frozenset({"send"})  # WeCom's /cgi-bin/webhook/send carries its key in the query
_SENSITIVE_PARAMS = frozenset({"access_token", "token", "key", "secret", "sign", "signature", "sig", "code",
                               "auth", "apikey", "api_key", "password"})
_TOKENISH = re.compile(r"^[A-Za-z0-9_\-=.~%]+$")

Resolver = Callable[[str, int], Sequence[str]]


class UnsafeUrl(ValueError):
    """A webhook URL we refuse to call. The message never contains the URL's credentials."""


@dataclass(frozen=True)
class UrlPolicy:
    """What local tools may relax; the deployed function runs with the defaults."""

    allow_loopback: bool = False
    allow_private: bool = False


@dataclass(frozen=True)
class CheckedUrl:
    scheme: str
    host: str  # lower-case, no trailing dot, IPv6 without brackets
    port: int
    literal_ip: bool


def _is_token_segment(segment: str) -> bool:
    # Random-looking ids/keys: long, and either containing digits or very long.
    if len(segment) < 16 or not _TOKENISH.match(segment):
        return False
    return any(c.isdigit() for c in segment) or len(segment) >= 24


def _worth_registering(token: str) -> bool:
    # The logger masks registered values everywhere, so skip plain words ("sms", "production").
    return "/" in token or (len(token) >= 8 and (any(c.isdigit() for c in token) or len(token) >= 16))


def _mask_parts(url: str) -> tuple[str, list[str]]:
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return MASK, []
    tokens: list[str] = []
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    if parts.username or parts.password:
        tokens += [p for p in (parts.username, parts.password) if p]
        netloc = f"{MASK}@{netloc}"
    segments = parts.path.split("/")
    masked: list[str] = []
    after_marker = False
    for seg in segments:
        if seg and ((after_marker and seg not in _BENIGN_SEGMENTS) or _is_token_segment(seg)):
            if _worth_registering(seg):
                tokens.append(seg)
            if not masked or masked[-1] != MASK:  # collapse a run of masked segments
                masked.append(MASK)
            continue
        masked.append(seg)
        if seg.lower() in _TOKEN_MARKERS:
            after_marker = True
    # Shown: nothing of the path. A token needs no marker or minimum length to be one (a short
    # key in a path reads like any word), so only the host is kept.
    path = "/" + MASK if parts.path.strip("/") else parts.path
    if after_marker and MASK in masked:  # also the whole secret tail, e.g. Slack's T../B../xxx
        tail = parts.path.split("/")[masked.index(MASK):]
        joined = "/".join(seg for seg in tail if seg)
        if _worth_registering(joined) and joined not in tokens:
            tokens.append(joined)
    query = ""
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        tokens += [v for k, v in pairs if v and (k.lower() in _SENSITIVE_PARAMS or _worth_registering(v))]
        query = "?" + MASK
    scheme = parts.scheme.lower() or "?"
    return f"{scheme}://{netloc}{path}{query}", tokens


def safe_url(url: str) -> str:
    """The URL with its path and query replaced by ``***`` (fragment dropped)."""
    return _mask_parts(url)[0]


def url_tokens(url: str) -> list[str]:
    """The credential values among what ``safe_url`` masks, to register with the logger (plain
    words are left out: registering "production" would mask it in every log line)."""
    return _mask_parts(url)[1]


def register_url_secrets(url: str) -> None:
    """Make the logger mask this URL's tokens (and the URL itself) wherever they show up."""
    register_secret(url)
    for token in url_tokens(url):
        register_secret(token)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_problem(address: str, policy: UrlPolicy) -> str | None:
    """Why this address must not be called, or None if it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            problem = address_problem(str(inner), policy)
            return f"{problem} (embedded in an IPv6 address)" if problem else None
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if any(ip in net for net in _LINK_LOCAL):
        return "a link-local address"
    if ip.is_loopback:
        return None if policy.allow_loopback else "a loopback address (allowed only for local runs)"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "an unspecified, multicast or reserved address"
    if (ip.is_private or ip in _CGNAT) and not policy.allow_private:
        return "a private or internal address (set WEBHOOK_ALLOW_PRIVATE=1 to allow)"
    return None


def _is_localhost_name(host: str) -> bool:
    return host in ("localhost", "localhost.localdomain") or host.endswith(".localhost")


def check_url(url: str, policy: UrlPolicy) -> CheckedUrl:
    """Static checks done when a target is loaded; ``resolve_safe`` repeats the address part.

    The messages quote nothing of the URL (any part of it, even a short one, may be its token):
    the caller names the setting it came from."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeUrl("webhook URL is not a valid URL") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in ("https", "http"):
        raise UnsafeUrl("webhook URL must use https")
    if not host:
        raise UnsafeUrl("webhook URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("webhook URL must not carry user:password (use the target's secret)")
    literal = True
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        literal = False
    if literal:
        problem = address_problem(host, policy)
        if problem:
            raise UnsafeUrl(f"webhook URL points to {problem}")
        loopback = ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    else:
        if host in METADATA_HOSTS:
            raise UnsafeUrl("webhook URL points to a cloud metadata host")
        loopback = _is_localhost_name(host)
        if loopback and not policy.allow_loopback:
            raise UnsafeUrl("webhook URL points to localhost (allowed only for local runs)")
    if scheme == "http" and not (loopback and policy.allow_loopback):
        raise UnsafeUrl("webhook URL must use https")
    return CheckedUrl(scheme, host, port or (443 if scheme == "https" else 80), literal)


def default_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class LookupTimedOut(OSError):
    """The name did not resolve within the time allowed (a network error: retried if time allows)."""


# Lookups run here so a caller can stop waiting: getaddrinfo blocks in C and takes no timeout.
# A lookup given up on finishes in the background and holds one of these few threads until then.
_lookups = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


def _bounded_lookup(resolver: Resolver, host: str, port: int, timeout_s: float | None) -> list[str]:
    if timeout_s is None:
        return list(resolver(host, port))
    future = _lookups.submit(resolver, host, port)
    try:
        return list(future.result(timeout=max(timeout_s, 0.0)))
    except FutureTimeout:
        future.cancel()
        raise LookupTimedOut(f"{host} did not resolve within {timeout_s:.1f} s") from None


def resolve_safe(checked: CheckedUrl, policy: UrlPolicy, resolver: Resolver | None = None,
                 timeout_s: float | None = None) -> str:
    """The address to connect to, after checking every address the name resolves to; the lookup
    ends within ``timeout_s`` (None: whenever the resolver returns).

    Raises ``UnsafeUrl`` (never retried) or ``OSError`` from the resolver (a network error)."""
    if checked.literal_ip:
        addresses: Sequence[str] = [checked.host]
    else:
        addresses = _bounded_lookup(resolver or default_resolver, checked.host, checked.port, timeout_s)
        if not addresses:
            raise OSError(f"{checked.host} did not resolve")
    for address in addresses:
        problem = address_problem(address, policy)
        if problem:
            raise UnsafeUrl(f"the webhook URL's host resolves to {problem}")
        if checked.scheme == "http" and not ipaddress.ip_address(address.split("%", 1)[0]).is_loopback:
            raise UnsafeUrl("the webhook URL's host is not loopback, so it must use https")
    return addresses[0]
