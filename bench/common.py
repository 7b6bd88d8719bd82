"""Timing, statistics, targets and the report format shared by every section."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Sample:
    """Repeated measurements of one variant, in milliseconds (or another ``unit``)."""

    name: str
    values: list[float] = field(default_factory=list)
    unit: str = "ms"

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def max(self) -> float:
        return max(self.values)


def interleave(variants: dict[str, Callable[[], object]], repeats: int, warmup: int = 1,
               setup: dict[str, Callable[[], object]] | None = None) -> dict[str, Sample]:
    """Run every variant once per round, ``repeats`` rounds, rotating the order each round so no
    variant always runs first (after a GC-heavy neighbour, on a cold cache ...). Warm-up rounds
    are run the same way and dropped. ``setup[name]``, when given, runs untimed right before."""
    names = list(variants)
    samples = {name: Sample(name) for name in names}
    for round_no in range(warmup + repeats):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            if setup and name in setup:
                setup[name]()
            start = time.perf_counter()
            variants[name]()
            elapsed = (time.perf_counter() - start) * 1000.0
            if round_no >= warmup:
                samples[name].values.append(elapsed)
    return samples


def fmt(value: float, unit: str = "ms") -> str:
    if unit == "ms":
        return f"{value:9.2f} ms" if value < 1000 else f"{value / 1000:9.3f} s "
    return f"{value:9.1f} {unit}"


def table(title: str, samples: list[Sample], baseline: Sample | None = None, note: str = "",
          also: Sample | None = None) -> None:
    """One section: median, min, max per variant and, with a baseline (and ``also``), the ratio of
    each median to the baseline's."""
    print(f"\n== {title}")
    if note:
        for line in note.splitlines():
            print(f"   {line}")
    width = max(len(s.name) for s in samples)
    print(f"   {'variant'.ljust(width)}  {'median':>12}  {'min':>12}  {'max':>12}  n")
    for s in samples:
        ratios = [f"{s.median / b.median:6.2f}x {b.name}" for b in (baseline, also) if b is not None and b is not s]
        tail = ("  " + ", ".join(ratios)) if ratios else ""
        print(f"   {s.name.ljust(width)}  {fmt(s.median, s.unit)}  {fmt(s.min, s.unit)}  {fmt(s.max, s.unit)}"
              f"  {len(s.values)}{tail}")


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    goal: float
    unit: str = "x"  # "x" for ratios, "%", "MiB" or "s"

    @property
    def ok(self) -> bool:
        return self.value <= self.goal

    def line(self) -> str:
        def show(v: float) -> str:
            if self.unit == "x":
                return f"{v:.2f}x"
            if self.unit == "%":
                return f"{v:.1f}%"
            return f"{v:.1f} {self.unit}"

        verdict = "ok" if self.ok else "MISS"
        return f"target {self.name}: {show(self.value)} (goal <= {show(self.goal)}) {verdict}"
