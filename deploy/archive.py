"""Reproducible zip files: the same entries always give the same bytes.

Everything that would vary between builds is fixed: entry order (sorted), timestamps (1980-01-01,
the zip epoch), permissions (0644, 0755 for native libraries), creator system (Unix), compression
(deflate, level 9), no directory entries and no extra fields."""
from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXEC_MODE = 0o755


@dataclass(frozen=True)
class Entry:
    data: bytes
    mode: int = FILE_MODE


@dataclass(frozen=True)
class Archive:
    path: Path
    size: int
    sha256: str
    sha512: str
    files: int


def mode_for(name: str) -> int:
    # Native extensions get the execute bit as pip installs them; dlopen does not need it, but a
    # runtime that copies the files with their modes keeps them usable either way.
    return EXEC_MODE if name.endswith(".so") or ".so." in name else FILE_MODE


def write_zip(path: Path, entries: Mapping[str, Entry]) -> Archive:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(entries):
            entry = entries[name]
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.create_system = 3  # Unix, so external_attr carries the permissions
            info.external_attr = (0o100000 | entry.mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, entry.data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    tmp.replace(path)
    return describe(path)


def describe(path: Path) -> Archive:
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        files = len(zf.namelist())
    return Archive(path, len(data), hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest(), files)
