"""``make package``: layout, exclusions, reproducibility (fast, no PyPI) and, marked ``package``,
the real packages unpacked into a clean virtual environment of the runtime's Python and invoked
with every sample event against the SMS emulator."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy import package
from deploy.archive import ZIP_EPOCH, write_zip
from local.backend import LOCAL_AK, LOCAL_SK
from project import template
from tests.deploy.conftest import PROJECT_TEMPLATE, make_project, tiny_wheel


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def test_code_zip_layout(project: dict[str, Any]) -> None:
    entries = names(project["dist"] / "api.zip")
    assert entries == sorted(entries)
    assert entries == ["index.py", "shared/__init__.py", "shared/schemas/x.schema.json"]  # no __pycache__
    deps = names(project["dist"] / "demo-deps-py312.zip")
    # purelib mapped to the root, tests/caches/scripts left out, metadata kept
    assert deps == ["tinydep-1.0.dist-info/METADATA", "tinydep/__init__.py", "tinyextra.py"]


def test_zip_entries_have_fixed_time_and_permissions(project: dict[str, Any]) -> None:
    with zipfile.ZipFile(project["dist"] / "api.zip") as zf:
        for info in zf.infolist():
            assert info.date_time == ZIP_EPOCH
            assert info.external_attr >> 16 == 0o100644
            assert info.create_system == 3


def test_build_is_reproducible(project: dict[str, Any], tmp_path: Path) -> None:
    first = {p.name: p.read_bytes() for p in project["dist"].iterdir()}
    # touch every source: mtimes must not matter
    for path in project["root"].rglob("*.py"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
    other = tmp_path / "again"
    package.build(other, project["template"])
    second = {p.name: p.read_bytes() for p in other.iterdir()}
    assert first == second


def test_manifest_records_sizes_and_hashes(project: dict[str, Any]) -> None:
    manifest = json.loads((project["dist"] / package.MANIFEST).read_text())
    rec = manifest["functions"]["timer"]
    data = (project["dist"] / rec["zip"]).read_bytes()
    assert rec["size"] == len(data) and rec["sha256"] == hashlib.sha256(data).hexdigest()
    assert rec["dependency"] == "demo-deps-py312" and rec["runtime"] == "Python3.12"
    report = package.report(manifest, project["dist"])
    assert "api.zip" in report and "demo-deps-py312.zip" in report and "files" in report
    assert "of the 10 MB dependency upload limit" in report and "of the 40 MB function upload limit" in report
    assert "OBS" not in report
    big = {**manifest, "dependencies": {k: {**r, "size": 12_000_000} for k, r in manifest["dependencies"].items()}}
    over = package.report(big, project["dist"])
    assert "120.0% of the 10 MB" in over and "over the limit: upload the zip to an OBS bucket" in over


def test_what_never_runs_is_left_out(tmp_path: Path) -> None:
    wheel = tmp_path / "pymongo-4.18.2-cp312-cp312-manylinux2014_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name in ("bson/__init__.py", "pymongo/__init__.py", "gridfs/__init__.py", "bson/py.typed",
                     "bson/x.pyi", "pymongo-4.18.2.dist-info/METADATA", "pymongo-4.18.2.dist-info/RECORD",
                     "pymongo-4.18.2.dist-info/licenses/LICENSE", "pymongo-4.18.2.dist-info/WHEEL"):
            zf.writestr(name, "x")
    assert sorted(package.wheel_entries([wheel])) == [
        "bson/__init__.py", "pymongo-4.18.2.dist-info/METADATA", "pymongo-4.18.2.dist-info/licenses/LICENSE"]


def test_self_contained_when_no_dependency_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    assert "dependency: demo-deps" in PROJECT_TEMPLATE
    path = make_project(root, PROJECT_TEMPLATE.replace("dependency: demo-deps", "dependency: null"))
    wheel = tiny_wheel(tmp_path)
    monkeypatch.setattr(package, "download_wheels", lambda *a, **k: [wheel])
    manifest = package.build(root / "dist", path)
    assert manifest["dependencies"] == {}
    assert "tinydep/__init__.py" in names(root / "dist" / "api.zip")


def test_unpinned_wheel_is_refused(tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("# pins\nTinyDep==1.0  # comment\nother==2\n")
    package.check_pinned([tiny_wheel(tmp_path, "1.0")], constraints)
    with pytest.raises(SystemExit, match="not pinned"):
        package.check_pinned([tiny_wheel(tmp_path, "9.9")], constraints)


def test_wheel_cache_is_reused_without_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "req.txt").write_text("tinydep\n")
    (tmp_path / "con.txt").write_text("tinydep==1.0\n")
    target = package.Target.for_runtime("Python3.12")
    folder = package.cache_folder(target, tmp_path / "req.txt", tmp_path / "con.txt", tmp_path / "cache")
    folder.mkdir(parents=True)
    wheel = tiny_wheel(folder)
    (folder / ".complete").write_text("done\n")
    monkeypatch.setattr(package.subprocess, "run", lambda *a, **k: pytest.fail("pip must not run"))
    assert package.download_wheels(target, tmp_path / "req.txt", tmp_path / "con.txt", tmp_path / "cache") == [wheel]


def test_target_for_runtime() -> None:
    assert package.Target.for_runtime("Python3.12").tag == "py312"
    assert package.Target.for_runtime("Python3.10", "3.11").python_version == "3.11"
    with pytest.raises(SystemExit):
        package.Target.for_runtime("Node.js18.15")


# --- the real packages (wheels from PyPI for the FunctionGraph platform) ---------------------------

def _python_for(version: str) -> str | None:
    """An interpreter of ``version``: on PATH, or under pyenv."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(str(p) for p in pyenv.glob(f"{version}.*/bin/python{version}"))
    for exe in filter(None, candidates):
        out = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=False)
        if out.stdout.strip() == version:
            return exe
    return None


@pytest.fixture(scope="session")
def real_packages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``make package`` output for the real template, built once per session (wheels cached in
    build/wheels). Built for the runtime's Python; where this machine has no interpreter of that
    version, for this interpreter's version instead (said in the test report)."""
    functions = template.load()
    runtime_version = package.Target.for_runtime(next(iter(functions.values())).runtime).python_version
    python = _python_for(runtime_version)
    override = None
    if python is None:
        override = "{}.{}".format(*sys.version_info[:2])
        python = sys.executable
        # Visible in the test summary (a print of a passing test is not): the wheels checked are
        # not the ones FunctionGraph's runtime would get.
        warnings.warn(f"no Python {runtime_version} here: packages built and tested for {override} instead",
                      stacklevel=1)
    out = tmp_path_factory.mktemp("dist")
    manifest = package.build(out, python_version=override)
    yield {"dist": out, "manifest": manifest, "python": python, "version": override or runtime_version}


@pytest.mark.package
def test_real_packages_are_clean_and_for_the_platform(real_packages: dict[str, Any]) -> None:
    manifest = real_packages["manifest"]
    print("\n" + package.report(manifest, real_packages["dist"]))
    for name, rec in manifest["dependencies"].items():
        entries = names(real_packages["dist"] / rec["zip"])
        assert not [e for e in entries if "__pycache__" in e or e.endswith((".pyc", ".c", ".h"))], name
        assert not [e for e in entries if "/tests/" in e or "/benchmarks/" in e], name
        assert not [e for e in entries if e.startswith(("bin/", "pytest", "_pytest", "ruff", "hypothesis"))]
        assert "huaweicloudsdkcore/__init__.py" in entries and "huaweicloudsdksms/__init__.py" in entries
        assert not [e for e in entries if e.startswith("huaweicloudsdkfunctiongraph")]  # deploy-only
        native = [e for e in entries if e.endswith(".so")]
        tag = "cp" + real_packages["version"].replace(".", "")
        assert native and all("x86_64" in e or "abi3" in e or tag in e for e in native), native
        # Under the 10 MB direct-upload limit with room: only what runs is shipped. 0.90 since the
        # official OBS SDK (CSV exports, issue 19) brought pycryptodome, which it imports: 8.7 MB.
        assert rec["size"] < 0.90 * package.DIRECT_UPLOAD_LIMITS["dependency"], rec["size"]
        assert "bson/__init__.py" in entries  # huaweicloudsdkcore imports it; the driver around it goes
        assert not [e for e in entries if e.startswith(("pymongo/", "gridfs/", "dns/", "_yaml/", "yaml/_yaml."))]
        assert not [e for e in entries if e.endswith((".pyi", "py.typed", ".dist-info/RECORD", ".dist-info/WHEEL"))]
        assert "huaweicloudsdkcore-3.1.219.dist-info/METADATA" in entries  # importlib.metadata still works
    for name, rec in manifest["functions"].items():
        entries = names(real_packages["dist"] / rec["zip"])
        fn = template.function(name)
        assert fn.handler_file.relative_to(fn.code).as_posix() in entries
        assert "shared/__init__.py" in entries
        assert any(e.startswith("shared/schemas/") and e.endswith(".json") for e in entries)
        assert not [e for e in entries if "__pycache__" in e or e.endswith(".pyc")]


@pytest.mark.package
def test_real_build_is_reproducible(real_packages: dict[str, Any], tmp_path: Path) -> None:
    again = package.build(tmp_path / "a", python_version=None if real_packages["python"] != sys.executable
                          else real_packages["version"])
    for name, rec in real_packages["manifest"]["dependencies"].items():
        assert again["dependencies"][name]["sha256"] == rec["sha256"], name
    # Code zips back to back (the session build may predate an edit of shared/ in a working tree).
    for name in again["functions"]:
        fn = template.function(name)
        first = write_zip(tmp_path / "b" / f"{name}.zip", package.code_entries(fn))
        assert first.sha256 == again["functions"][name]["sha256"], name


DRIVER = """
import json, sys, traceback
code, requests = sys.argv[1], json.loads(sys.argv[2])
sys.path.insert(0, code)

class Context:  # the getters FunctionGraph's Python runtime offers
    def __init__(self, name): self.name = name
    def getRequestID(self): return "pkg-test"
    def getRemainingTimeInMilliSeconds(self): return 25000
    def getFunctionName(self): return self.name
    def getSecurityAccessKey(self): return ""
    def getSecuritySecretKey(self): return ""
    def getSecurityToken(self): return ""

import importlib
results = []
for module_name, attr, name, event_path in requests:
    try:
        handler = getattr(importlib.import_module(module_name), attr)
        out = handler(json.load(open(event_path)), Context(name))
        reply = out if isinstance(out, dict) else {}
        results.append({"event": event_path, "ok": True, "status": reply.get("statusCode"), "body": reply.get("body")})
    except BaseException:
        results.append({"event": event_path, "ok": False, "error": traceback.format_exc()[-2000:]})
print(json.dumps(results))
"""


@pytest.mark.package
def test_packages_run_in_a_clean_venv_of_the_runtime_python(real_packages: dict[str, Any], emulator: Any,
                                                             tmp_path: Path) -> None:
    """Each function exactly as FunctionGraph assembles it (dependency merged with the code) in a
    fresh venv, no site-packages, handler invoked with each of its sample events."""
    venv = tmp_path / "venv"
    subprocess.run([real_packages["python"], "-m", "venv", "--without-pip", str(venv)], check=True)
    venv_python = venv / "bin" / "python"
    manifest = real_packages["manifest"]
    checked = 0
    for name, rec in manifest["functions"].items():
        fn = template.function(name)
        events = [str(template.ROOT / e) for e in fn.sample_events]
        if not events:
            continue
        code = tmp_path / "code" / name
        if rec["dependency"]:
            with zipfile.ZipFile(real_packages["dist"] / manifest["dependencies"][rec["dependency"]]["zip"]) as zf:
                zf.extractall(code)
        with zipfile.ZipFile(real_packages["dist"] / rec["zip"]) as zf:
            zf.extractall(code)
        module, _, attr = fn.handler.rpartition(".")
        requests = [[module, attr, name, e] for e in events]
        env = {"PATH": "/usr/bin:/bin", "SMS_ENDPOINT": emulator.url, "HUAWEICLOUD_SDK_AK": LOCAL_AK,
               "HUAWEICLOUD_SDK_SK": LOCAL_SK, **fn.environment, "WEBHOOK_ALLOW_LOOPBACK": "1",
               "DASHBOARD_LINK_SECRET": "package-test-Lk3jH6gF9dS2aQ5wE8rT1yU4"}
        # -I -S: no user site, no site-packages, no PYTHON* variables: only the package is importable.
        out = subprocess.run([str(venv_python), "-I", "-S", "-c", DRIVER, str(code), json.dumps(requests)],
                             capture_output=True, text=True, env=env, timeout=300, check=False)
        assert out.returncode == 0, out.stderr[-3000:]
        for result in json.loads(out.stdout.strip().splitlines()[-1]):
            assert result["ok"], result.get("error")
            if fn.triggers_of("APIG"):  # an API Gateway answer always has its status
                event_name = Path(result["event"]).name
                expected = 400 if "bad" in event_name else 401 if "unsigned" in event_name else 200
                assert result["status"] == expected, (result["event"], result.get("body", "")[:500])
                if "dashboard" in event_name:  # templates and the compiled zh-CN catalog are in the zip
                    assert "<html" in result["body"] and "链接" in result["body"], result["body"][:500]
            checked += 1
    assert checked >= 4
