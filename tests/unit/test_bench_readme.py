"""bench/readme.py: the measured cells README's performance table shows are rewritten from a run's
targets, by the row's marker; every row of the real README has a marker."""
from __future__ import annotations

import datetime
import re

from bench import readme
from bench.common import Target

TABLE = """One full run
<!-- bench:run -->(2 cores, Python 3.11, 2026-12-02), details:

| target | measured | goal |
|---|---|---|
| a page <!-- bench:page_vs_raw --> | 0.68x | ≤ 0.75x |
| rss <!-- bench:dashboard_rss_50000_vs_10000 --> | 1.04x (52.2 MiB) | ≤ 1.10x |
| not run <!-- bench:scan_vs_raw --> | 0.66x | ≤ 0.85x |
"""


def test_rows_of_the_run_are_rewritten_and_notes_kept() -> None:
    targets = [Target("page_vs_raw", 0.7149, 0.75), Target("dashboard_rss_50000_vs_10000", 1.061, 1.10),
               Target("new_target", 3.0, 4.0)]
    text, missing = readme.rewrite(TABLE, targets, datetime.date(2026, 12, 3))
    assert "| a page <!-- bench:page_vs_raw --> | 0.71x | ≤ 0.75x |" in text
    assert "| 1.06x (52.2 MiB) |" in text
    assert "| not run <!-- bench:scan_vs_raw --> | 0.66x |" in text  # a section not run stays
    assert re.search(r"<!-- bench:run -->\(\d+ cores, Python 3\.\d+\.\d+, 2026-12-03\)", text)
    assert missing == ["new_target"]
    met = TABLE.replace("| goal |", "| goal | met |").replace("|---|---|---|", "|---|---|---|---|")
    met = met.replace("≤ 0.75x |\n", "≤ 0.75x | yes |\n").replace("≤ 1.10x |", "≤ 1.10x | yes |")
    text, _ = readme.rewrite(met, [Target("page_vs_raw", 0.80, 0.75), Target("dashboard_rss_50000_vs_10000", 1.0, 1.1)],
                             datetime.date(2026, 12, 3))
    assert "| 0.80x | ≤ 0.75x | **no** |" in text and "| 1.00x (52.2 MiB) | ≤ 1.10x | yes |" in text
    partial, _ = readme.rewrite(TABLE, targets, datetime.date(2026, 12, 3), full=False)
    assert "(2 cores, Python 3.11, 2026-12-02)" in partial  # a BENCH_ONLY run is not a full run


def test_every_row_of_readmes_table_has_a_marker() -> None:
    text = readme.README.read_text(encoding="utf-8")
    table = text[text.index("| target | measured | goal | met |"):].split("\n\n", 1)[0].splitlines()[2:]
    assert len(table) >= 10
    assert all("<!-- bench:" in row for row in table), [row for row in table if "<!-- bench:" not in row]
    assert "<!-- bench:run -->(" in text
