"""Issue 21 item 3, checked by a real spreadsheet engine: the dashboard's CSV, hostile task text in
every user-written column, opened by LibreOffice (headless, ``libreoffice-calc-nogui``) under the
import settings people use: ``,`` ``;`` TAB and all three at once, with and without "trim spaces",
no text delimiter, and the file read as UTF-7 and as Windows-1252 instead of UTF-8. Each import is
converted to flat ODF (``.fods``) and read back with the standard library's XML parser: no cell may
hold a formula (a DDE command is a formula too). The negative control runs the same check on the
old writer (``QUOTE_MINIMAL``, first character only) and must find formulas where issue 21 found
them (``;``, TAB, trimmed spaces) and under UTF-7, so the check can fail. (LibreOffice's default
comma import was already safe with the old writer.) One LibreOffice run per import setting, each
converting both files: about 8 s each on a loaded 2-core machine.

CSV filter options (LibreOffice's "Filter Options for the CSV Filter" help page): token 1 the
separators (ASCII codes, ``/`` between several), 2 the text delimiter, 3 the character set (76
UTF-8, 75 UTF-7, 1 Windows-1252), 4 the first line, 5 column formats, 6 language, 7 quoted field as
text, 8 detect special numbers, 9-10 export-only, 11 trim spaces."""
from __future__ import annotations

import copy
import csv
import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.dashboard.csv_export import BOM, COLUMNS, task_row
from tests.integration.test_dashboard import call as dashboard_call
from tests.integration.test_dashboard import csv_text, dash_env, token  # noqa: F401  (dash_env: a fixture)

pytestmark = pytest.mark.integration
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
PAYLOADS = [
    "x;=1+20;", "a\t=1+7", " =1+2", '=HYPERLINK("http://evil.example/","open")', "@SUM(1)", "-2+3",
    "+cmd|' /C calc'!A0", "\uff1d1+2", "=1+3", "\t=1+4", "+AD0-1+AC0-2", "x+ADs-+AD0-1+AC0-5",
    'q,"=1+6"', "\u3000=1+8", "\u200b=1+9", "\x1b(B=1+10", "ok;\r\n=1+11",
]
TRIM = ",,0,false,true,false,false,true"
IMPORTS = {
    "comma": "44,34,76,1",
    "semicolon": "59,34,76,1",
    "tab": "9,34,76,1",
    "comma, trimmed": "44,34,76,1" + TRIM,
    "all separators, trimmed": "44/59/9,34,76,1" + TRIM,
    "semicolon, no text delimiter": "59,,76,1",
    "semicolon, as UTF-7, trimmed": "59,34,75,1" + TRIM,
    "semicolon, as Windows-1252": "59,34,1,1",
}


def hostile_tasks(base: dict[str, Any]) -> list[dict[str, Any]]:
    """One task per payload, the payload in every user-written field (name, ids, IPs, servers, error)."""
    out = []
    for i, payload in enumerate(PAYLOADS):
        task = copy.deepcopy(base)
        task.update(id=f"hostile-{i}{payload}", name=payload, migration_ip=payload, enterprise_project_id=payload,
                    error_json=json.dumps({"error_code": payload, "error_msg": payload}))
        for key in ("source_server", "target_server"):
            task[key] = {**(task.get(key) or {}), "name": payload, "ip": payload}
        out.append(task)
    return out


def old_csv(tasks: list[dict[str, Any]]) -> str:
    """The writer before issue 21: QUOTE_MINIMAL, a ``'`` only before a first character in = + - @ TAB CR."""
    def old_neutralise(value: Any) -> Any:
        return "'" + value if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")) else value

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for task in tasks:
        raw = task_row(task)  # today's row, cells un-neutralised again below where we can
        writer.writerow([old_neutralise(task.get(c, v)) if c in ("name", "id", "migration_ip") else v
                         for c, v in zip(COLUMNS, raw, strict=True)])
    return BOM + out.getvalue()


def formulas(fods: Path) -> list[str]:
    """Every formula in the converted sheet, and the text of its cell."""
    found = []
    for cell in ET.parse(fods).iter(f"{{{TABLE}}}table-cell"):
        formula = cell.get(f"{{{TABLE}}}formula")
        if formula:
            found.append(formula)
    return found


def _text(element: ET.Element) -> str:
    """A paragraph's text as shown: ``text:tab`` is a TAB, ``text:s`` ``text:c`` spaces."""
    out = [element.text or ""]
    for child in element:
        if child.tag == f"{{{TEXT}}}tab":
            out.append("\t")
        elif child.tag == f"{{{TEXT}}}s":
            out.append(" " * int(child.get(f"{{{TEXT}}}c", "1")))
        else:
            out.append(_text(child))
        out.append(child.tail or "")
    return "".join(out)


def cell_texts(fods: Path) -> list[str]:
    return [_text(p) for p in ET.parse(fods).iter(f"{{{TEXT}}}p")]


def convert(files: list[Path], options: str, workdir: Path) -> dict[str, Path]:
    """``files`` opened by LibreOffice's CSV import with ``options``, each saved as flat ODF."""
    outdir = workdir / "out"
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir()
    profile = (workdir / "profile").as_uri()  # our own profile: no clash with another soffice
    proc = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--norestore", f"--infilter=CSV:{options}",
         "--convert-to", "fods", "--outdir", str(outdir), *map(str, files)],
        capture_output=True, timeout=180, check=False)
    out = {f.stem: outdir / f"{f.stem}.fods" for f in files}
    missing = [name for name, path in out.items() if not path.exists()]
    assert not missing, f"LibreOffice did not convert {missing}: {proc.stdout!r} {proc.stderr!r}"
    return out


@pytest.fixture
def exports(dash_env: Any, tmp_path: Path) -> Callable[[], dict[str, Path]]:  # noqa: F811
    if SOFFICE is None:
        pytest.fail("LibreOffice (libreoffice-calc-nogui) is not installed; .ci/run installs it")
    base = next(t for t in dash_env.tasks() if t["state"] == "MIGRATE_FAIL")
    tasks = hostile_tasks(base)
    dash_env.faults.add_tasks(tasks=tasks)
    ours = csv_text(dashboard_call("/dashboard/tasks.csv", {"token": token(), "name": ""}))
    assert all(f"hostile-{i}" in ours for i in range(len(PAYLOADS)))
    (tmp_path / "ours.csv").write_bytes(ours.encode("utf-8"))
    (tmp_path / "old.csv").write_bytes(old_csv(tasks).encode("utf-8"))

    def run(options: str) -> dict[str, Path]:
        return convert([tmp_path / "ours.csv", tmp_path / "old.csv"], options, tmp_path)

    return run


def test_no_import_setting_turns_a_cell_into_a_formula(exports: Callable[[str], dict[str, Path]]) -> None:
    caught_old = {}
    for label, options in IMPORTS.items():
        sheets = exports(options)
        assert formulas(sheets["ours"]) == [], f"{label} ({options}): formulas {formulas(sheets['ours'])}"
        caught_old[label] = formulas(sheets["old"])
        if label == "comma":
            texts = cell_texts(sheets["ours"])  # the text is still there, inert
            assert "x;'=1+20;" in texts and "'=1+3" in texts and "a\t'=1+7" in texts
    # Negative control: the same engine and check find the formulas the old writer let through.
    for label in ("semicolon", "tab", "comma, trimmed", "semicolon, as UTF-7, trimmed"):
        assert caught_old[label], f"the check found no formula in the old export under {label}"
