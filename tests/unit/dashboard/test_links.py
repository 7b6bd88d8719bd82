"""Signed dashboard links: a valid token opens its scope until it expires; anything else is 401."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.dashboard.links import PREFIX, link, sign, verify
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
    assert "not valid for this page" in _reason(token, "/dashboard")
    assert "not valid for this page" in _reason(token, "/dashboard/tasks/t-10")


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


def test_a_longer_lifetime_needs_the_secret() -> None:
    """Re-signing a changed expiry without the secret fails; with it (an independent HMAC) works."""
    payload = f"/dashboard\n{NOW + 10**6}".encode()
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    forged = f"{PREFIX}.{b64(payload)}.{sign('/dashboard', SECRET, 600, now=NOW).split('.')[2]}"
    assert "not valid" in _reason(forged)
    mac = hmac.new(SECRET.encode(), b"sdl1\n" + payload, hashlib.sha256).digest()
    assert verify(f"{PREFIX}.{b64(payload)}.{b64(mac)}", "/dashboard", SECRET, now=NOW)


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
