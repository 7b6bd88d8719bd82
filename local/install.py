"""Creates ``.venv`` and installs one requirements file into it, pinned by ``constraints.txt``.

    python3 local/install.py requirements-local.txt   # make run's set (the Makefile calls this)

Runs on the machine's own ``python3`` before anything is installed, so it imports the standard
library only. The installer is uv (pinned in constraints.txt, fetched from PyPI with pip once per
machine into ``$XDG_CACHE_HOME/sms-tasks/uv==<version>``, ``~/.cache`` by default, like pip's and uv's
own caches): it downloads and installs in parallel, a few seconds for make run's set. When uv
can't be had or fails (no pip on the machine, a mirror only pip is configured for, ``INSTALLER=pip``),
it falls back to pip in the venv, with pip's own progress output. Every step says what it does on
stderr, so stdout stays the command's own (``make invoke`` prints JSON there)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
CONSTRAINTS = ROOT / "constraints.txt"
STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[setup {time.monotonic() - STARTED:4.1f}s] {message}", file=sys.stderr, flush=True)


def tools_dir(spec: str) -> Path:
    """Where the pinned uv is kept: the user's cache (shared by every clone), else inside .venv."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sms-tasks" / spec
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        return cache
    except OSError:
        return VENV / ".tools" / spec


def pinned(name: str) -> str:
    """``name==version`` from constraints.txt (the one place versions live)."""
    pattern = re.compile(rf"^{re.escape(name)}==(\S+)", re.IGNORECASE)
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        match = pattern.match(line.strip())
        if match:
            return f"{name}=={match.group(1)}"
    raise SystemExit(f"[setup] {name} has no pin in constraints.txt")


def venv_python() -> Path:
    return VENV / "bin" / "python"


def run(cmd: list[str], env: dict[str, str] | None = None) -> bool:
    """Runs ``cmd`` with its output on stderr; False when it fails or can't start."""
    try:
        return subprocess.run(cmd, stdout=sys.stderr, env=env, check=False).returncode == 0
    except OSError:
        return False


def create_venv() -> None:
    if venv_python().exists():
        return
    say("creating .venv (no pip inside: the installer puts what is needed there)")
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(VENV)


def get_uv() -> Path | None:
    """The pinned uv in .venv/.tools, fetched by the machine's pip when missing; None if unavailable."""
    if os.environ.get("INSTALLER", "uv") == "pip":
        return None
    spec = pinned("uv")
    tools = tools_dir(spec)
    uv, stamp = tools / "bin" / "uv", tools / ".complete"
    if uv.exists() and stamp.exists():
        return uv
    say(f"fetching the installer {spec} from PyPI (once per machine, into {tools})")
    shutil.rmtree(tools, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-input",
           "--root-user-action=ignore", "--no-deps", "--no-compile", "--target", str(tools), spec]
    if not run(cmd) or not uv.exists():
        say("uv unavailable: falling back to pip")
        return None
    stamp.touch()
    return uv


def uv_env() -> dict[str, str]:
    """uv reads no pip.conf: a PyPI mirror given to pip by environment reaches uv too."""
    env = dict(os.environ)
    if env.get("PIP_INDEX_URL") and not env.get("UV_DEFAULT_INDEX"):
        env["UV_DEFAULT_INDEX"] = env["PIP_INDEX_URL"]
    return env


def install_with_uv(uv: Path, requirements: str) -> bool:
    cmd = [str(uv), "pip", "install", "--python", str(venv_python()), "-r", requirements, "-c", str(CONSTRAINTS)]
    return run(cmd, env=uv_env())


def install_with_pip(requirements: str) -> bool:
    py = str(venv_python())
    if not run([py, "-m", "pip", "--version"]):
        say("adding pip to .venv (ensurepip)")
        if not run([py, "-m", "ensurepip", "--default-pip"]):
            return False
    return run([py, "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "on",
                "-r", requirements, "-c", str(CONSTRAINTS)])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python3 local/install.py <requirements file>", file=sys.stderr)
        return 2
    requirements = argv[0]
    create_venv()
    uv = get_uv()
    say(f"installing {requirements} (pinned by constraints.txt) with {'uv' if uv else 'pip'}")
    ok = uv is not None and install_with_uv(uv, requirements)
    if not ok and uv is not None:
        say("uv failed: trying pip")
    ok = ok or install_with_pip(requirements)
    if not ok:
        say(f"installing {requirements} failed (see above); PyPI must be reachable")
        return 1
    say(f"{requirements} installed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
