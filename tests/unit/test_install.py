"""local/install.py: versions come from constraints.txt, uv is skipped on request, and pip is the
fallback whenever uv can't be had or fails (without the network: the installers are stood in for)."""
from __future__ import annotations

from pathlib import Path

import pytest

from local import install


def test_pins_come_from_constraints() -> None:
    assert install.pinned("uv").startswith("uv==0.")
    with pytest.raises(SystemExit, match="no pin"):
        install.pinned("no-such-package-h22")


def test_installer_pip_skips_uv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSTALLER", "pip")
    assert install.get_uv() is None


def test_uv_cache_is_per_version_in_the_users_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert install.tools_dir("uv==1.2.3") == tmp_path / "sms-tasks" / "uv==1.2.3"


@pytest.mark.parametrize(("uv_works", "expected"), [(True, ["uv"]), (False, ["uv", "pip"])])
def test_pip_is_the_fallback(monkeypatch: pytest.MonkeyPatch, uv_works: bool, expected: list[str]) -> None:
    used: list[str] = []
    monkeypatch.setattr(install, "create_venv", lambda: None)
    monkeypatch.setattr(install, "get_uv", lambda: Path("/nonexistent/uv"))
    monkeypatch.setattr(install, "install_with_uv", lambda uv, req: used.append("uv") or uv_works)
    monkeypatch.setattr(install, "install_with_pip", lambda req: used.append("pip") or True)
    assert install.main(["requirements-local.txt"]) == 0
    assert used == expected


def test_failure_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(install, "create_venv", lambda: None)
    monkeypatch.setattr(install, "get_uv", lambda: None)
    monkeypatch.setattr(install, "install_with_pip", lambda req: False)
    assert install.main(["requirements-local.txt"]) == 1
    assert "PyPI must be reachable" in capsys.readouterr().err
