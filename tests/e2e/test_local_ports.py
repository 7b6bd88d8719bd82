"""No port traps: a taken port the user set stops every local tool with one line naming the port and
the setting (no traceback); a taken default port is replaced by a free one; and every port comes
from local/ports.py."""
from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest

from local import ports
from tests.e2e.conftest import ROOT, clean_env, start_stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port something else is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        yield other.getsockname()[1]


def _one_line_naming(stderr: str, port: int | str, setting: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    problem = [line for line in lines if str(port) in line]
    assert "Traceback" not in stderr, stderr
    assert len(problem) == 1, stderr
    assert setting in problem[0] and str(port) in problem[0], problem[0]


@pytest.mark.parametrize("setting", ["PORT", "WEBHOOK_SINK_PORT"])
def test_make_run_stops_with_one_line_when_a_set_port_is_taken(taken_port: int, setting: str) -> None:
    env = clean_env(**{"PORT": "0", "WEBHOOK_SINK_PORT": "0", "GATEWAY_QUIET": "1", setting: str(taken_port)})
    stack = start_stack(env, timeout_s=60, expect_ready=False)
    try:
        assert stack.proc.returncode == 2, stack.banner()
        assert "Ctrl-C to stop." not in stack.banner()
        _one_line_naming(stack.stderr(), taken_port, setting)
    finally:
        stack.stop()


@pytest.mark.parametrize(("module", "setting"), [("local.gateway", "PORT"), ("local.webhook_sink", "WEBHOOK_SINK_PORT"),
                                                 ("local.sms_emulator", "SMS_EMULATOR_PORT")])
def test_each_tool_alone_stops_with_one_line(taken_port: int, module: str, setting: str) -> None:
    done = subprocess.run([sys.executable, "-m", module], cwd=ROOT, env=clean_env(**{setting: str(taken_port)}),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    _one_line_naming(done.stderr, taken_port, setting)


def test_a_port_that_is_not_a_number_is_one_line_too() -> None:
    done = subprocess.run([sys.executable, "-m", "local.run"], cwd=ROOT, env=clean_env(PORT="80a80"),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    _one_line_naming(done.stderr, "80a80", "PORT")


def test_a_taken_default_port_is_replaced_by_a_free_one(taken_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    listener = ports.Listener("H22_TEST_PORT", taken_port, "a test listener")
    monkeypatch.delenv("H22_TEST_PORT", raising=False)
    notes: list[str] = []
    server = ports.bind(listener, lambda p: ThreadingHTTPServer(("127.0.0.1", p), None), notes)  # type: ignore[arg-type]
    try:
        assert server.server_address[1] not in (0, taken_port)
        assert notes and str(taken_port) in notes[0] and "H22_TEST_PORT" in notes[0]
    finally:
        server.server_close()
    monkeypatch.setenv("H22_TEST_PORT", str(taken_port))  # set explicitly: no silent replacement
    with pytest.raises(ports.PortError, match=rf"port {taken_port} .*H22_TEST_PORT"):
        ports.bind(listener, lambda p: ThreadingHTTPServer(("127.0.0.1", p), None))  # type: ignore[arg-type]


def test_make_run_banner_lists_every_url_and_what_to_try(run_stack: object) -> None:
    banner = run_stack.banner()  # type: ignore[attr-defined]
    for label in ("API gateway:", "dashboard:", "webhook sink:", "chat preview:", "SMS:"):
        assert re.search(rf"{label}\s+http://127\.0\.0\.1:\d+", banner), label
    assert "curl -i 'http://127.0.0.1:" in banner
    assert "/_local/timers/sms_tasks_hourly" in banner  # how to fire the timer
    assert "?token=sdl1." in banner  # a working dashboard link


def test_no_port_literal_outside_local_ports() -> None:
    """The defaults live in local/ports.py only (the tools' --port defaults and run.py read it)."""
    for path in (ROOT / "local").glob("*.py"):
        if path.name == "ports.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(8080|8090|8091)\b", text.split('"""', 2)[-1]), path
