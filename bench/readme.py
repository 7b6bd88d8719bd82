"""``BENCH_README=1 make bench``: the measured column of README's performance table, rewritten from
this run's targets.

Each row carries its target's name in a comment (``<!-- bench:page_vs_raw -->``); the first figure of
its measured cell is replaced (a note after it, such as an absolute size, is kept), a fourth column, when
the table has one, says whether the goal was met, and, after a run of every section, the run's
description (cores, Python, date) after ``<!-- bench:run -->``. Rows of
sections not run stay as they were, so ``BENCH_ONLY`` updates only what it measured."""
from __future__ import annotations

import datetime
import os
import platform
import re
from pathlib import Path

from bench.common import Target

README = Path(__file__).resolve().parents[1] / "README.md"
_FIGURE = re.compile(r"\d+(?:\.\d+)?(?:x| MiB| s|%)")
_RUN = re.compile(r"(<!-- bench:run -->)\([^)]*\)")


def shown(target: Target) -> str:
    """The value as the target line shows it (``0.68x``, ``45.3 MiB``, ``0.3 s``)."""
    return target.line().split(": ", 1)[1].split(" (goal", 1)[0]


def rewrite(readme: str, targets: list[Target], today: datetime.date, full: bool = True) -> tuple[str, list[str]]:
    """README with the measured cells of ``targets`` (and, for a full run, its description); also the
    names with no row (to add by hand)."""
    by_name = {t.name: t for t in targets}
    found: set[str] = set()
    lines = readme.split("\n")
    for i, line in enumerate(lines):
        marker = re.search(r"<!-- bench:([A-Za-z0-9_]+) -->", line)
        if not marker or marker.group(1) not in by_name or not line.startswith("|"):
            continue
        cells = line.split("|")
        if len(cells) < 4:
            continue
        found.add(marker.group(1))
        target = by_name[marker.group(1)]
        cells[2] = _FIGURE.sub(shown(target), cells[2], count=1)
        if len(cells) >= 6:  # | target | measured | goal | met |
            cells[4] = " yes " if target.ok else " **no** "
        lines[i] = "|".join(cells)
    text = "\n".join(lines)
    if full:
        text = _RUN.sub(rf"\1({os.cpu_count()} cores, Python {platform.python_version()}, {today.isoformat()})", text)
    return text, sorted(set(by_name) - found)


def update(targets: list[Target], full: bool) -> list[str]:
    """Rewrites README in place; returns the target names README has no row for."""
    text, missing = rewrite(README.read_text(encoding="utf-8"), targets, datetime.date.today(), full)
    README.write_text(text, encoding="utf-8")
    return missing
