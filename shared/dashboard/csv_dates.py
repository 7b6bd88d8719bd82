"""The CSV's date cells: the summary's ISO form (``shared.summary.fields.iso_ms``:
``2026-11-29T01:00:00Z``, milliseconds only when not zero) without a ``datetime`` per cell. A
``datetime`` and ``strftime`` per date were a third of a row's cost; integer arithmetic and a cache
of days (a fleet's dates fall on few days) give the same text several times faster."""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from shared.summary.fields import epoch_ms

DAY_MS = 86_400_000
_EPOCH_DAY = date(1970, 1, 1)


@lru_cache(maxsize=4096)
def _day(days: int) -> str:
    return (_EPOCH_DAY + timedelta(days=days)).isoformat()


def iso_date(ms: int) -> str:
    """``iso_ms(ms)`` for any ``ms`` ``epoch_ms`` accepts (years 2000-9999)."""
    days, ms = divmod(ms, DAY_MS)
    seconds, frac = divmod(ms, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if frac:
        return f"{_day(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{frac:03d}Z"
    return f"{_day(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}Z"


def date_cell(value: Any) -> str | None:
    """A task's epoch-milliseconds date as ISO text, or ``None`` when ``epoch_ms`` reads no date."""
    ms = epoch_ms(value)
    return None if ms is None else iso_date(ms)
