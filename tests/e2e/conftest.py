"""Fixtures of the end-to-end tests: ``make run``'s stack as a user starts it (``python -m local.run``
in its own process, every port chosen by the system, PORT=0 and WEBHOOK_SINK_PORT=0, its URLs read
from the banner it prints), and Debian's Chromium, headless, driven by Playwright for the browser
tests (under ``CI=true`` a missing browser fails the run; elsewhere those tests are skipped with the
reason)."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "Ctrl-C to stop."
_URL = {"gateway": r"API gateway:\s+(\S+)", "dashboard": r"dashboard:\s+(\S+)", "preview": r"chat preview:\s+(\S+)"}


def clean_env(**extra: str) -> dict[str, str]:
    """The user's environment without cloud, webhook or dashboard settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HUAWEICLOUD_", "SMS_", "WEBHOOK_", "DASHBOARD_")) and k != "PORT"}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


@dataclass
class Stack:
    proc: subprocess.Popen[str]
    stderr_file: IO[str]
    stdout: list[str] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]

    @property
    def preview(self) -> str:
        return self.urls["preview"]

    @property
    def dashboard(self) -> str:
        return self.urls["dashboard"]

    def banner(self) -> str:
        return "".join(self.stdout)

    def stderr(self) -> str:
        self.stderr_file.seek(0)
        return self.stderr_file.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.stderr_file.close()


def start_stack(env: Mapping[str, str], timeout_s: float = 90.0, expect_ready: bool = True) -> Stack:
    """Starts ``python -m local.run``; returns once its banner is printed or the process has ended
    (with ``expect_ready``, an end before the banner raises with its output)."""
    stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (closed by Stack.stop)
    proc = subprocess.Popen([sys.executable, "-m", "local.run"], cwd=ROOT, env=dict(env), text=True,
                            stdout=subprocess.PIPE, stderr=stderr, encoding="utf-8")
    stack = Stack(proc, stderr)
    ready = threading.Event()

    def pump() -> None:  # keeps reading, so the pipe never fills while the tests run
        assert proc.stdout is not None
        for line in proc.stdout:
            stack.stdout.append(line)
            if line.strip() == READY_LINE:
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while not ready.wait(0.2) and time.monotonic() < deadline:
        pass
    banner = stack.banner()
    if READY_LINE not in banner:
        if expect_ready:
            stack.stop()
            raise AssertionError(f"make run did not get ready:\n{banner}\n{stack.stderr()[-4000:]}")
        proc.wait(timeout=30)
        return stack
    for name, pattern in _URL.items():
        match = re.search(pattern, banner)
        if match:
            stack.urls[name] = match.group(1).rstrip("/")
    return stack


@pytest.fixture(scope="session")
def run_stack() -> Iterator[Stack]:
    stack = start_stack(clean_env(PORT="0", WEBHOOK_SINK_PORT="0", GATEWAY_QUIET="1"))
    yield stack
    stack.stop()


# --- the browser ---------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (requirements-dev.txt)"
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does it)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()
