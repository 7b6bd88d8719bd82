"""``make package``: FunctionGraph zips for every function in template.yaml, into ``dist/``.

Layout (the default, ``deployment.dependency`` set):

* ``dist/<function>.zip``: the function's code folder at the zip root (``index.py``), plus the
  ``shared/`` package with its schema files. Small, so a code change uploads kilobytes.
* ``dist/<dependency>-py3NN.zip``: requirements.txt installed for the runtime, packages at the zip
  root (FunctionGraph merges a dependency with the code at run time; its docs build Python
  dependencies by zipping the contents of ``site-packages``). Uploaded once per change of
  requirements.txt/constraints.txt as a FunctionGraph dependency version shared by all functions.
* ``dist/manifest.json``: sizes, file counts and hashes; ``deploy`` works from it.

With ``deployment.dependency: null`` every code zip is self-contained instead.

Dependencies are wheels for FunctionGraph's platform (Linux x86_64, manylinux2014, CPython of the
function's runtime), never for this machine; every wheel must be pinned in constraints.txt. They
are unpacked here rather than by ``pip install --target`` (which records the local wheel path in
``direct_url.json`` and would break byte-for-byte reproducibility).

Only what runs is shipped: tests, benchmarks, caches, C sources, type stubs, scripts, dist-info
files nothing reads at run time, and the parts of distributions the functions never import
(``UNUSED_PATHS``) are left out, so the dependency stays well under FunctionGraph's 10 MB limit
for a directly uploaded zip. tests/deploy/test_package.py invokes every packaged function."""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.archive import Archive, Entry, mode_for, write_zip
from project import template

ROOT = template.ROOT
DIST = ROOT / "dist"
WHEEL_CACHE = ROOT / "build" / "wheels"
PLATFORM = "manylinux2014_x86_64"  # FunctionGraph runs Linux x86_64; 2014 = glibc 2.17, the safe floor
MANIFEST = "manifest.json"

# Path parts never shipped: caches, test suites, benchmarks.
_SKIP_DIRS = {"__pycache__", "tests", "test", "benchmarks", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".c", ".h", ".pyx", ".pxd", ".pyi", "py.typed")
# Per distribution (normalised name), paths that never run here. pymongo's wheel also carries bson,
# which huaweicloudsdkcore imports: bson stays, the MongoDB driver and its DNS resolver (dnspython)
# go. pyyaml's libyaml accelerator is optional: yaml falls back to its pure-Python loader.
UNUSED_PATHS: dict[str, tuple[str, ...]] = {
    "pymongo": ("pymongo/", "gridfs/"),
    "dnspython": ("dns/", "dnspython-"),
    "pyyaml": ("_yaml/", "yaml/_yaml."),
    "crcmod": ("crcmod/_crcfunext", "crcmod/test.py"),
    # The OBS SDK imports pycryptodome's AES, PKCS1_OAEP and RSA (its client-side encryption, unused
    # here) at import: the self tests and the native libraries of other ciphers, hashes, curves and
    # big-number code never load (an import of obs from the packaged zip is checked on Python 3.12).
    "pycryptodome": ("Crypto/SelfTest/", "Crypto/PublicKey/_ec_", "Crypto/PublicKey/_ed", "Crypto/PublicKey/_ml",
                     "Crypto/PublicKey/_curve", "Crypto/Protocol/_scrypt", "Crypto/Cipher/_raw_eksblowfish",
                     "Crypto/Math/_nat", "Crypto/Cipher/_raw_des", "Crypto/Cipher/_chacha20", "Crypto/Cipher/_Salsa20",
                     "Crypto/Cipher/_raw_arc2", "Crypto/Cipher/_raw_blowfish", "Crypto/Cipher/_raw_cast",
                     "Crypto/Cipher/_ARC4", "Crypto/Hash/_k12", "Crypto/Hash/_MD2", "Crypto/Hash/_MD4",
                     "Crypto/Hash/_RIPEMD160", "Crypto/Hash/_BLAKE2b", "Crypto/Hash/_SHA224", "Crypto/Hash/_SHA384",
                     "Crypto/Hash/_SHA512", "Crypto/Hash/_keccak", "Crypto/Hash/_poly1305"),
}
# dist-info files kept: METADATA (importlib.metadata reads it) and licence texts, which travel with
# every copy; RECORD, WHEEL, SBOMs, entry points ... are read by installers only.
_DIST_INFO_KEEP = re.compile(r"[^/]+\.dist-info/(METADATA|licenses/.+|(LICEN[CS]E|COPYING|NOTICE|AUTHORS)[^/]*)")
# FunctionGraph's limits for a zip uploaded in the request; above them the zip goes through OBS.
DIRECT_UPLOAD_LIMITS = {"function": 40_000_000, "dependency": 10_000_000}  # bytes (MB, the strict reading)
_WHEEL_NAME = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)-")


@dataclass(frozen=True)
class Target:
    """What the dependencies are built for: a FunctionGraph runtime's CPython on Linux x86_64."""

    runtime: str
    python_version: str

    @classmethod
    def for_runtime(cls, runtime: str, python_version: str | None = None) -> Target:
        match = re.fullmatch(r"Python(3\.\d+)", runtime)
        if not match:
            raise SystemExit(f"runtime {runtime!r} is not a FunctionGraph Python 3 runtime")
        return cls(runtime, python_version or match.group(1))

    @property
    def tag(self) -> str:
        return "py" + self.python_version.replace(".", "")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(constraints: Path) -> dict[str, str]:
    out = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, _, version = line.partition("==")
            out[_normalize(name.strip())] = version.split(";")[0].strip()
    return out


def _skipped(parts: tuple[str, ...]) -> bool:
    # The first part is a top-level package; a package literally named "test" stays.
    return any(p in _SKIP_DIRS for p in parts[1:-1]) or parts[0] == "__pycache__" or parts[-1].endswith(_SKIP_SUFFIXES)


def cache_folder(target: Target, requirements: Path, constraints: Path, cache: Path = WHEEL_CACHE) -> Path:
    """Where the wheels for these inputs are kept: keyed by the hash of everything that selects them."""
    key = hashlib.sha256(
        b"\0".join([requirements.read_bytes(), constraints.read_bytes(), PLATFORM.encode(),
                    target.python_version.encode()])
    ).hexdigest()[:16]
    return cache / f"{target.tag}-{key}"


def check_pinned(wheels: list[Path], constraints: Path) -> None:
    """Every wheel's exact version is in constraints.txt, so the same inputs select the same wheels."""
    pinned = pins(constraints)
    for wheel in wheels:
        m = _WHEEL_NAME.match(wheel.name)
        name, version = (_normalize(m["name"]), m["version"]) if m else (wheel.name, "?")
        if pinned.get(name) != version:
            raise SystemExit(f"{wheel.name}: {name} {version} is not pinned in {constraints.name}; "
                             "pin it so packages stay reproducible")


# Libraries published only as sources, built here into a wheel: esdk-obs-python is pure Python; crcmod
# (which it imports) compiles an optional C speed-up for this machine's Python, left out by UNUSED_PATHS
# so its pure-Python fallback runs. What they import besides comes as platform wheels like the rest.
SOURCE_ONLY = {"esdk-obs-python": ("pycryptodome", "requests"), "crcmod": ()}


def _requirement_name(line: str) -> str:
    return _normalize(re.split(r"[\s<>=!~;\[#]", line.strip(), maxsplit=1)[0]) if line.strip() else ""


def _platform_requirements(requirements: Path, folder: Path) -> tuple[Path, list[str]]:
    """``requirements`` without the source-only ones (and with what they import), and those names."""
    lines = requirements.read_text(encoding="utf-8").splitlines()
    sources = [n for n in map(_requirement_name, lines) if n in map(_normalize, SOURCE_ONLY)]
    kept = [line for line in lines if _requirement_name(line) not in sources]
    kept += [dep for name, deps in SOURCE_ONLY.items() if _normalize(name) in sources for dep in deps]
    out = folder / "platform-requirements.txt"
    out.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return out, sources


def _pip(cmd: list[str], what: str) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", *cmd], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        noise = ("Location 'file:", "is ignored: it is neither")
        err = "\n".join(x for x in result.stderr.splitlines() if not any(n in x for n in noise))
        raise SystemExit(f"{what} failed:\n{err[-4000:]}")


def download_wheels(target: Target, requirements: Path, constraints: Path, cache: Path = WHEEL_CACHE) -> list[Path]:
    """The platform wheels of ``requirements``, downloaded once per set of inputs."""
    folder = cache_folder(target, requirements, constraints, cache)
    if not (folder / ".complete").is_file():
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        platform_reqs, sources = _platform_requirements(requirements, tmp)
        quiet = ["--disable-pip-version-check", "--no-input", "-q"]
        cmd = ["download", *quiet, "--only-binary=:all:", "--platform", PLATFORM, "--python-version",
               target.python_version, "--implementation", "cp", "-r", str(platform_reqs), "-c", str(constraints),
               "-d", str(tmp)]
        _pip(cmd, f"pip download for {target.runtime} ({PLATFORM})")
        for name in sources:
            _pip(["wheel", *quiet, "--no-deps", "--no-binary", name, name, "-c", str(constraints), "-w", str(tmp)],
                 f"building {name}")
            for wheel in tmp.glob(f"{name.replace('-', '_')}-*.whl"):
                with zipfile.ZipFile(wheel) as zf:
                    compiled = [n for n in zf.namelist() if n.endswith((".so", ".pyd")) and not _unused(name, n)]
                if compiled:
                    raise SystemExit(f"{name}: built here with compiled parts {compiled}, not for {PLATFORM}")
        platform_reqs.unlink()
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        (folder / ".complete").write_text(" ".join(cmd) + "\n", encoding="utf-8")
    wheels = sorted(folder.glob("*.whl"))
    check_pinned(wheels, constraints)
    return wheels


def _unused(distribution: str, name: str) -> bool:
    if ".dist-info/" in name and not _DIST_INFO_KEEP.fullmatch(name):
        return True
    return name.startswith(UNUSED_PATHS.get(distribution, ()))


def wheel_entries(wheels: list[Path]) -> dict[str, Entry]:
    """Wheels unpacked as an installer would into site-packages (PEP 427): purelib/platlib go to
    the root; scripts, headers and data files are not needed by an imported library."""
    entries: dict[str, Entry] = {}
    for wheel in wheels:
        m = _WHEEL_NAME.match(wheel.name)
        distribution = _normalize(m["name"]) if m else wheel.name
        with zipfile.ZipFile(wheel) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                name = info.filename
                parts = tuple(name.split("/"))
                if parts[0].endswith(".data"):
                    if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                        continue
                    parts = parts[2:]
                    name = "/".join(parts)
                if _skipped(parts) or _unused(distribution, name):
                    continue
                if name in entries:
                    raise SystemExit(f"{wheel.name}: {name} is also in another wheel")
                entries[name] = Entry(zf.read(info), mode_for(name))
    return entries


def _tree_entries(folder: Path, prefix: str = "") -> dict[str, Entry]:
    entries = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(folder).parts
        if _skipped((folder.name, *rel)):
            continue
        entries[prefix + "/".join(rel)] = Entry(path.read_bytes(), mode_for(path.name))
    return entries


def code_entries(fn: template.Function, root: Path = ROOT) -> dict[str, Entry]:
    """The handler's folder at the zip root and ``shared/`` beside it, as the handler imports it."""
    entries = _tree_entries(fn.code)
    if any(name.startswith("shared/") for name in entries):
        raise SystemExit(f"{fn.name}: the code folder has its own shared/, which would hide the package")
    entries.update(_tree_entries(root / "shared", "shared/"))
    return entries


def _record(archive: Archive, out: Path, **extra: Any) -> dict[str, Any]:
    return {"zip": archive.path.relative_to(out).as_posix(), "size": archive.size, "files": archive.files,
            "sha256": archive.sha256, "sha512": archive.sha512, **extra}


def build(out: Path = DIST, template_path: Path = template.TEMPLATE, only: list[str] | None = None,
          python_version: str | None = None) -> dict[str, Any]:
    """Builds the zips and ``manifest.json`` in ``out``; returns the manifest.

    ``python_version`` overrides the runtime's CPython version (tests on a machine without it)."""
    root = template_path.resolve().parent
    functions = template.load(template_path)
    settings = template.deployment(template_path)
    chosen = [functions[n] for n in (only or sorted(functions))]
    requirements, constraints = root / "requirements.txt", root / "constraints.txt"
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"platform": PLATFORM, "dependencies": {}, "functions": {}}
    deps_by_tag: dict[str, dict[str, Entry]] = {}
    for fn in chosen:
        target = Target.for_runtime(fn.runtime, python_version)
        if target.tag not in deps_by_tag:
            wheels = download_wheels(target, requirements, constraints)
            deps_by_tag[target.tag] = wheel_entries(wheels)
            if settings.dependency:
                name = f"{settings.dependency}-{target.tag}"
                archive = write_zip(out / f"{name}.zip", deps_by_tag[target.tag])
                manifest["dependencies"][name] = _record(
                    archive, out, runtime=fn.runtime, python_version=target.python_version,
                    wheels=[w.name for w in wheels])
        entries = code_entries(fn, root)
        dependency = None
        if settings.dependency:
            dependency = f"{settings.dependency}-{target.tag}"
        else:
            clash = sorted(set(entries) & set(deps_by_tag[target.tag]))
            if clash:
                raise SystemExit(f"{fn.name}: code and dependencies both have {clash[:3]}")
            entries = {**deps_by_tag[target.tag], **entries}
        archive = write_zip(out / f"{fn.name}.zip", entries)
        manifest["functions"][fn.name] = _record(archive, out, runtime=fn.runtime, dependency=dependency)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    return f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MiB"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def over_limit_advice(kind: str) -> str:
    if kind == "dependency":
        return ("upload the zip to an OBS bucket and create the dependency version from it "
                "(CreateDependencyVersion with depend_type obs and depend_link = the object's URL)")
    return "upload the zip to an OBS bucket and point the function at it (code_type obs, code_url)"


def report(manifest: dict[str, Any], out: Path) -> str:
    """One line per zip: path, size against FunctionGraph's direct-upload limit, file count, hash
    prefix; a zip above its limit gets a line saying how to upload it through OBS."""
    rows = [(_shown(out / r["zip"]), kind, r) for kind, section in (("function", "functions"),
                                                                   ("dependency", "dependencies"))
            for r in manifest[section].values()]
    width = max((len(name) for name, _, _ in rows), default=0)
    lines = []
    for name, kind, r in rows:
        limit = DIRECT_UPLOAD_LIMITS[kind]
        lines.append(f"{name:<{width}}  {human_size(r['size']):>10}  {100 * r['size'] / limit:5.1f}% of the "
                     f"{limit // 1_000_000} MB {kind} upload limit  {r['files']:>5} files  sha256 {r['sha256'][:16]}")
        if r["size"] > limit:
            lines.append(f"  {name} is over the limit: {over_limit_advice(kind)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("functions", nargs="*", help="only these functions (default: all in template.yaml)")
    parser.add_argument("--out", type=Path, default=DIST)
    parser.add_argument("--python-version", help="override the runtime's CPython version, e.g. 3.11")
    args = parser.parse_args(argv)
    manifest = build(args.out, only=args.functions or None, python_version=args.python_version)
    print(report(manifest, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
