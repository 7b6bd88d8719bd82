"""The structured logger's masking: registered secrets, URL tokens, secret-named keys."""
from __future__ import annotations

import io
import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import logger as logger_module
from shared.logger import MASK, Logger, redact, redact_text, register_secret


def test_a_secret_containing_another_is_masked_whole() -> None:
    token = "tok-4f1c9a77e2"
    url_tail = f"{token}-and-more-secret-9d2b"
    register_secret(token)
    register_secret(url_tail)
    assert redact_text(f"posting to {url_tail} now") == f"posting to {MASK} now"


def test_secret_named_keys_are_masked_at_any_depth() -> None:
    out = redact({"target": {"webhook_secret": "s", "security_token": "t", "name": "ops"}})
    assert out == {"target": {"webhook_secret": MASK, "security_token": MASK, "name": "ops"}}


def test_log_lines_never_carry_a_registered_secret() -> None:
    secret = "SK-73c1d9b0e6a24f58"
    register_secret(secret)
    stream = io.StringIO()
    Logger(stream=stream).error(f"call failed with {secret}", detail={"note": secret})
    line = stream.getvalue()
    assert secret not in line
    assert json.loads(line)["detail"] == {"note": MASK}


def test_registering_while_other_threads_log_is_safe() -> None:
    # Webhook threads register URL secrets while other threads log; iterating a set that grows
    # underneath raised "Set changed size during iteration".
    errors: list[BaseException] = []
    stop = threading.Event()

    def log_loop() -> None:
        try:
            while not stop.is_set():
                redact_text("nothing secret here " * 4)
        except BaseException as exc:  # pragma: no cover - the failure being guarded against
            errors.append(exc)

    readers = [threading.Thread(target=log_loop) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for i in range(500):
            register_secret(f"concurrent-secret-{i:06d}")
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert errors == []
    assert redact_text("x concurrent-secret-000499 y") == f"x {MASK} y"


def test_secret_registry_is_bounded_and_keeps_what_is_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import OrderedDict

    from shared import logger as log

    monkeypatch.setattr(log, "_known_secrets", OrderedDict())
    monkeypatch.setattr(log, "_masking_order", ())
    in_use = "configured-webhook-secret-0001"
    for n in range(log.MAX_SECRETS * 3):  # a warm instance rotating agency credentials for a long time
        log.register_secret(f"rotated-agency-sk-{n:06d}")
        log.register_secret(in_use)  # every invocation registers what it uses again
    assert len(log._known_secrets) == log.MAX_SECRETS
    assert log.redact_text(f"x {in_use} y") == "x *** y"
    newest = f"rotated-agency-sk-{log.MAX_SECRETS * 3 - 1:06d}"
    assert log.redact_text(newest) == "***"
    assert "rotated-agency-sk-000000" not in log._known_secrets  # long unused: aged out


@pytest.mark.parametrize("text", [
    "Authorization: SDK-HMAC-SHA256 Access=UNREGak1, SignedHeaders=host;x-sdk-date, Signature=UNREGsig1",
    '{"authorization": "SDK-HMAC-SHA256 Access=UNREGak1, Signature=UNREGsig1"}',
    "{'X-Security-Token': 'UNREGtok1', 'Cookie': 'session=UNREGcookie1; other=UNREGcookie2'}",
    "x-auth-token=UNREGtok1\r\nset-cookie: id=UNREGcookie1",
    "debug AK=UNREGak1 SK=UNREGsk1, access_key_id=UNREGak1&security_token=UNREGtok1",
])
def test_credential_shaped_headers_are_masked_whole_even_unregistered(text: str) -> None:
    """Issue 21: an upstream echoing the request's headers; the values were never registered."""
    out = redact_text(text)
    assert "UNREG" not in out and MASK in out


def _every_pattern(text: str) -> str:
    """redact_text as it was before each pattern got its guard: all four, always."""
    for secret in logger_module._masking_order:
        if secret in text:
            text = text.replace(secret, MASK)
    text = logger_module._URL_TOKEN.sub(r"\1" + MASK, text)
    text = logger_module._LINK_TOKEN.sub(MASK, text)
    text = logger_module._HOOK_PATH.sub(r"\1" + MASK, text)
    return logger_module._HEADER_AUTH.sub(r"\1" + MASK, text)


_PIECES = st.sampled_from(["token=", "sk=", "Authorization: ", "x-auth-token=", "/hooks/", "/robot/send/",
                           "sdl1.", "abc", "Ab9_-", ".", "=", ":", "/", " ", "\"", "'", "&", "?", "\n", "迁"])


@given(st.lists(_PIECES, max_size=12).map("".join))
@settings(max_examples=500, deadline=None)
def test_guarded_patterns_mask_exactly_what_all_four_did(text: str) -> None:
    assert redact_text(text) == _every_pattern(text)
