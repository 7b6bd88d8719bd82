"""The CSV's bytes over a hostile fleet are exactly those the export wrote before its rows were
sped up (issue 19): the golden file was written by the old per-cell ``task_row`` (``csv_golden``),
so this compares against code that no longer runs, not against itself. Also: the row path's fast
pieces (the cached ISO dates, the one-regex row check) against the definitions they shortcut."""
from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from shared.dashboard.csv_cells import neutralise, neutralise_row
from shared.dashboard.csv_export import csv_writer
from shared.summary.fields import MAX_EPOCH_MS, MIN_EPOCH_MS, iso_ms
from tests.unit.dashboard.csv_golden import GOLDEN, write_csv
from tests.unit.dashboard.test_csv import SIGNS


def test_rows_are_byte_for_byte_the_old_export() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(golden["tasks"]) > 100
    assert write_csv(golden["tasks"]) == golden["csv"]
    assert write_csv(golden["tasks"], csv_writer) == golden["csv"]  # the writer ``export_csv`` uses


@given(st.integers(MIN_EPOCH_MS, MAX_EPOCH_MS) | st.sampled_from([MIN_EPOCH_MS, MAX_EPOCH_MS, 951_782_400_000]))
def test_iso_dates_are_the_standard_librarys(ms: int) -> None:
    # iso_ms builds the text by arithmetic and a cache of days: the stdlib's datetime is the reference
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)
    reference = moment.isoformat(timespec="milliseconds")
    expected = reference.replace("+00:00", "Z").replace(".000Z", "Z")
    assert iso_ms(ms) == expected


CELL = st.one_of(st.none(), st.integers(), st.floats(), st.booleans(),
                 st.lists(st.one_of(st.text(max_size=4), SIGNS), max_size=6).map("".join))


# printable text (the row check's short path): cuts, spaces, quotes and signs of every width
PRINTABLE = st.text(alphabet=' ",;=+-@a1迁\uff0b\uff1d\u2212\ufe62.:', max_size=8)


@given(st.lists(CELL | PRINTABLE, max_size=24))
def test_a_row_is_its_cells_neutralised(cells: list[object]) -> None:
    assert neutralise_row(list(cells)) == [neutralise(cell) for cell in cells]


@given(st.lists(st.one_of(PRINTABLE, st.dictionaries(PRINTABLE, PRINTABLE, max_size=2),
                          st.lists(PRINTABLE, max_size=2)), max_size=6))
def test_containers_are_their_text_neutralised(cells: list[object]) -> None:
    assert neutralise_row(list(cells)) == [
        neutralise(str(cell) if isinstance(cell, (dict, list)) else cell) for cell in cells]


def test_printable_text_has_only_the_cuts_and_skippables_the_short_pattern_knows() -> None:
    """``neutralise_row``'s printable shortcut: a printable character is no control, cuts only at
    ``,`` or ``;`` and, of what an importer could strip, is only a space or ``"``."""
    from shared.dashboard.csv_cells import _CONTROLS, _CUT, _SKIPPABLE

    skippable = re.compile(f"[{_SKIPPABLE}]")
    printable = [ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isprintable()]
    assert not [ch for ch in printable if _CONTROLS.match(ch)]
    assert [ch for ch in printable if _CUT.match(ch)] == [",", ";"]
    assert [ch for ch in printable if skippable.match(ch)] == [" ", '"']
