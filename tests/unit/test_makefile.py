"""The Makefile: ``make help`` lists every .PHONY target (from their ``## `` comments, so it cannot
drift), and the two install stamps do what README says: ``make run`` installs only the run stack,
``make test`` after it installs the rest, and nothing installs twice."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = ROOT / "Makefile"
INSTALL_INPUTS = ("requirements.txt", "requirements-local.txt", "requirements-dev.txt", "requirements-deploy.txt",
                  "constraints.txt", "local/install.py", "requirements-yr.txt", "constraints-yr.txt")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def phony_targets() -> set[str]:
    text = MAKEFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    targets: set[str] = set()
    for line in text.splitlines():
        if line.startswith(".PHONY:"):
            targets.update(line.split(":", 1)[1].split())
    return targets


def test_help_lists_every_phony_target() -> None:
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    listed = set(re.findall(r"^\s+make (\S+)\s", out, re.M))
    targets = phony_targets()
    assert len(targets) >= 15
    assert targets <= listed, f"not in make help (add a '## ' comment): {sorted(targets - listed)}"
    assert listed <= targets, f"in make help but not .PHONY: {sorted(listed - targets)}"


def _dry_run(tmp: Path, target: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(["make", "-n", target], cwd=tmp, capture_output=True, text=True, check=True, env=env).stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The Makefile and the install inputs, nothing installed."""
    shutil.copy(MAKEFILE, tmp_path / "Makefile")
    for name in INSTALL_INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _stamp(checkout: Path, name: str) -> None:
    stamp = checkout / ".venv" / name
    stamp.parent.mkdir(exist_ok=True)
    stamp.touch()
    later = time.time() + 5
    os.utime(stamp, (later, later))


def test_run_installs_only_the_run_stack(checkout: Path) -> None:
    plan = _dry_run(checkout, "run")
    assert "local/install.py requirements-local.txt" in plan
    assert "requirements-dev.txt" not in plan


def test_test_after_run_installs_the_rest_only(checkout: Path) -> None:
    _stamp(checkout, ".installed-run")
    plan = _dry_run(checkout, "test")
    assert "local/install.py requirements-dev.txt" in plan
    assert "requirements-local.txt" not in plan
    _stamp(checkout, ".installed")
    assert "install.py" not in _dry_run(checkout, "test")
    assert "install.py" not in _dry_run(checkout, "run")


def test_a_changed_pin_reinstalls_both(checkout: Path) -> None:
    _stamp(checkout, ".installed-run")
    _stamp(checkout, ".installed")
    later = time.time() + 10
    os.utime(checkout / "constraints.txt", (later, later))
    plan = _dry_run(checkout, "test")
    assert "requirements-local.txt" in plan and "requirements-dev.txt" in plan
