"""Signed dashboard links: a valid token opens its scope until it expires; anything else is 401."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.dashboard.links import PREFIX, link, sign, task_path, verify
from shared.errors import ApiError
from shared.logger import Logger

SECRET = "unit-test-link-secret-0123"
NOW = 1_800_000_000


def _reason(token: str | None, path: str = "/dashboard", now: int = NOW) -> str:
    with pytest.raises(ApiError) as info:
        verify(token, path, SECRET, now=now)
    assert info.value.status == 401 and info.value.error_code == "SMSFN.0401"
    return info.value.error_msg


def test_a_token_opens_its_scope_and_what_is_under_it() -> None:
    token = sign("/dashboard", SECRET, 600, now=NOW)
    for path in ("/dashboard", "/dashboard/tasks/abc", "/dashboard/tasks.csv"):
        assert verify(token, path, SECRET, now=NOW + 599).expires == NOW + 600
    assert "not valid for this page" in _reason(token, "/dashboardX")


def test_a_task_token_opens_only_that_task() -> None:
    token = sign("/dashboard/tasks/t-1", SECRET, 600, now=NOW)
    verify(token, "/dashboard/tasks/t-1", SECRET, now=NOW)
    for other in ("/dashboard", "/dashboard/tasks/t-10", "/dashboard/tasks.csv", "/dashboard/tasks/t-1/x"):
        assert "not valid for this page" in _reason(token, other)
    csv = sign("/dashboard/tasks.csv", SECRET, 600, now=NOW)
    verify(csv, "/dashboard/tasks.csv", SECRET, now=NOW)
    assert "not valid for this page" in _reason(csv, "/dashboard")


def test_missing_expired_and_malformed_tokens() -> None:
    assert "missing" in _reason(None) and "missing" in _reason("")
    assert "expired" in _reason(sign("/dashboard", SECRET, 600, now=NOW), now=NOW + 600)
    for bad in ("x", "sdl1.a", "sdl2.a.b", "sdl1.!!.b", "sdl1.a.b.c"):
        assert "malformed" in _reason(bad) or "not valid" in _reason(bad)


def test_any_altered_character_is_refused() -> None:
    token = sign("/dashboard", SECRET, 600, now=NOW)
    for i in range(len(PREFIX) + 1, len(token)):
        if token[i] == ".":
            continue
        swapped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
        with pytest.raises(ApiError) as info:
            verify(swapped, "/dashboard", SECRET, now=NOW)
        assert info.value.status == 401


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(payload: bytes) -> str:
    """A token signed by an independent HMAC over ``payload`` (this test's own, not links.sign)."""
    mac = hmac.new(SECRET.encode(), b"sdl1\n" + payload, hashlib.sha256).digest()
    return f"{PREFIX}.{_b64(payload)}.{_b64(mac)}"


def test_a_longer_lifetime_needs_the_secret() -> None:
    """Re-signing a changed expiry without the secret fails; with it (an independent HMAC) works."""
    payload = f"/dashboard\n{NOW}\n{NOW + 10**5}\n".encode()
    forged = f"{PREFIX}.{_b64(payload)}.{sign('/dashboard', SECRET, 600, now=NOW).split('.')[2]}"
    assert "not valid" in _reason(forged)
    assert verify(_signed(payload), "/dashboard", SECRET, now=NOW).expires == NOW + 10**5


def test_a_lifetime_beyond_the_maximum_is_refused_however_the_link_was_made() -> None:
    century = _signed(f"/dashboard\n{NOW}\n{NOW + 100 * 365 * 86400}\n".encode())
    assert "valid longer" in _reason(century)
    assert "valid longer" in _reason(sign("/dashboard", SECRET, 31 * 86400, now=NOW))  # default max 30 days
    assert verify(sign("/dashboard", SECRET, 31 * 86400, now=NOW), "/dashboard", SECRET, now=NOW,
                  max_ttl_s=90 * 86400)
    # an issue date moved ahead to shorten the apparent lifetime
    assert "valid longer" in _reason(_signed(f"/dashboard\n{NOW + 86400}\n{NOW + 90000}\n".encode()))


def test_one_canonical_form_per_token() -> None:
    """The same bytes spelled otherwise (padding, standard alphabet, non-zero spare bits, leading
    zeros, payload fields out of order) are refused; only ``sign``'s spelling opens."""
    token = sign("/dashboard", SECRET, 600, now=NOW, filters={"state": "FAILED"})
    _, body, sig = token.split(".")
    verify(token, "/dashboard", SECRET, now=NOW)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alphabet[alphabet.index(sig[-1]) ^ 1]  # a spare low bit set: the same 32 bytes to a lenient decoder
    assert base64.urlsafe_b64decode(sig[:-1] + sibling + "=") == base64.urlsafe_b64decode(sig + "=")
    variants = [f"{PREFIX}.{body}.{sig}=", f"{PREFIX}.{body}=.{sig}", f"{PREFIX}.{body}.{sig[:-1]}{sibling}",
                f"{PREFIX}.{body}.{sig.replace('-', '+').replace('_', '/')}" if ("-" in sig or "_" in sig) else "x"]
    for bad in variants:
        assert bad != token
        assert "malformed" in _reason(bad)
    for payload in (f"/dashboard\n{NOW}\n0{NOW + 600}\n", f"/dashboard\n{NOW}\n{NOW + 600}\n\n",
                    f"/dashboard\n{NOW}\n{NOW + 600}\nstate=FAILED&enterprise_project_id=x",
                    f"/dashboard\n{NOW}\n{NOW + 600}\nstate=",
                    f"/dashboard\n{NOW}\n{NOW + 600}\nlimit=1", f"/dashboard\n{NOW + 600}"):
        assert "malformed" in _reason(_signed(payload.encode())), payload


def test_signed_filters_hold_whatever_the_url_says() -> None:
    token = sign("/dashboard", SECRET, 600, now=NOW, filters={"enterprise_project_id": "ep-2", "lang": "en"})
    grant = verify(token, "/dashboard/tasks.csv", SECRET, now=NOW)
    assert grant.filters == {"enterprise_project_id": "ep-2"}  # only filters are signed
    assert grant.apply({}) == {"enterprise_project_id": "ep-2"}
    assert grant.apply({"state": "FAILED", "enterprise_project_id": "ep-2"}) == {
        "state": "FAILED", "enterprise_project_id": "ep-2"}
    with pytest.raises(ApiError) as info:
        grant.apply({"enterprise_project_id": "ep-1"})
    assert info.value.status == 401


def test_task_paths_are_one_segment_as_browsers_and_urljoin_resolve_them() -> None:
    base = "https://api.example.test/dashboard/tasks/"
    for task_id in ("../../../v3/tasks", "../tasks.csv", "a/b", "a\\b", "?x=1", "#f", "%2e%2e", "...", "a b", "é"):
        path = task_path(task_id)
        assert path is not None and path.startswith("/dashboard/tasks/")
        resolved = urlsplit(urljoin(base, path + "?token=t"))
        assert resolved.path.startswith("/dashboard/tasks/") and resolved.path.count("/") == 3, task_id
        assert unquote(resolved.path[len("/dashboard/tasks/"):]) == task_id
    for task_id in ("", ".", ".."):
        assert task_path(task_id) is None  # no encoding keeps these one segment in a browser (WHATWG: %2e is a dot)


@given(st.text(max_size=300))
def test_random_tokens_never_open_anything(token: str) -> None:
    with pytest.raises(ApiError):
        verify(token, "/dashboard", SECRET, now=NOW)


def test_links_keep_params_and_never_reach_the_log() -> None:
    token = sign("/dashboard", SECRET, 600, now=NOW)
    url = link("https://api.example.test/", "/dashboard", token, {"state": "RUNNING", "name": ""})
    assert url == f"https://api.example.test/dashboard?state=RUNNING&token={token}"
    stream = io.StringIO()
    Logger(stream=stream).info("opened", url=url, referer=url, note=f"token {token} inside text")
    record = json.loads(stream.getvalue())
    assert token not in stream.getvalue() and token.split(".")[2] not in stream.getvalue()
    assert record["url"].endswith("token=***")
