"""Shared fixtures: an SMS emulator on loopback, settings pointed at it, the local gateway; and two
guards around every test: the process environment is restored after it, and nothing in this
process may resolve or connect to anything but loopback."""
from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from local.backend import LOCAL_AK, LOCAL_SK
from shared.read import sms_client

# Nothing in the tests may reach a real cloud: drop any cloud settings the shell had.
for _name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID", "SMS_REGION",
              "SMS_ENDPOINT", "HUAWEICLOUD_SDK_SECURITY_TOKEN", "WEBHOOK_URL", "WEBHOOK_TARGETS"):
    os.environ.pop(_name, None)


# --- loopback only -------------------------------------------------------------------------------

_LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}
_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_off_loopback: list[str] = []  # what the current test tried; the code under test may swallow the error


def _is_loopback(host: Any) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): a local bind
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host)
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> None:
    _off_loopback.append(what)
    raise OSError(f"tests talk to loopback only, not {what}")


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_loopback(host):
        _refuse(f"a lookup of {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        _refuse(f"a connection to {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        _refuse(f"a connection to {address!r}")
    return _real_connect_ex(self, address)


def pytest_configure(config: pytest.Config) -> None:
    from project.catalogs import compile_all

    compile_all(only_stale=True)  # the .mo catalogs the pages and chat messages read (make catalogs)
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    socket.getaddrinfo = _real_getaddrinfo
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _loopback_only_and_environment_restored() -> Iterator[None]:
    """Fails a test that tried to leave loopback (even if the code under test swallowed the
    error), and undoes environment changes made outside monkeypatch (the local gateway applies
    template.yaml's settings to os.environ, which would leak SMS_REGION & co. into later tests)."""
    saved = dict(os.environ)
    _off_loopback.clear()
    yield
    os.environ.clear()
    os.environ.update(saved)
    tried, _off_loopback[:] = list(_off_loopback), []
    assert not tried, f"the test tried to leave loopback: {tried}"


# --- SMS emulator ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    from local.sms_emulator import Emulator

    em = Emulator(dataset="fleet", tasks=250, ak=LOCAL_AK, sk=LOCAL_SK, port=0).start()
    yield em
    em.stop()


@pytest.fixture
def sms_env(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Settings pointed at the emulator; faults reset around each test."""
    monkeypatch.setenv("SMS_ENDPOINT", emulator.url)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", LOCAL_AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", LOCAL_SK)
    monkeypatch.setenv("SMS_VALIDATION", "warn")
    sms_client.reset_client_cache()
    emulator.reset()
    yield emulator
    emulator.reset()
    sms_client.reset_client_cache()
