"""Progress and projected completion of a set of tasks (a wave, or the fleet), tallied while
streaming: a ``Tally`` holds a few counters whatever the number of tasks.

Rules (estimates; docs/health.md repeats them):

* ``share_done``: done / (total - stopped) * 100, one decimal (a stopped task is not going to be
  migrated); null when every task is stopped or there are none.
* ``percent``: the mean task progress over the same tasks, one decimal: done counts 100, waiting
  0, a failed, stalled or running task its sub task progress (0 when it has no sub tasks).
* ``status``: ``completed`` when nothing is left (no waiting, running, stalled or failed task)
  and something was done; ``not_started`` when no task has started (all waiting or stopped);
  else ``in_progress``.
* ``eta`` (projected completion): null when nothing is left to migrate, or when it cannot be
  computed: a stalled task (no end in sight), a moving task without its own estimate, or
  waiting tasks with no observed pace. Else the later of (a) the latest estimate of the moving
  tasks and (b) now + waiting / pace, where pace = tasks done in the last ``PACE_WINDOW_MS``
  (24 h) per ms. Failed tasks need a person, not time, and are left out of the projection
  (they make the wave ``at_risk`` instead).
* ``at_risk``: a failed, stalled or lagging task, or a target with work left and an eta that is
  unknown or after the target."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.summary.fields import iso_ms
from shared.summary.health import DONE, FAILED, HEALTHS, LAGGING, MOVING, STALLED, STOPPED, WAITING, empty_counts

PACE_WINDOW_MS = 24 * 3_600_000
_NO_POINTS = frozenset({WAITING, STOPPED})  # no progress of their own, no estimate
NOT_STARTED, IN_PROGRESS, COMPLETED = "not_started", "in_progress", "completed"


@dataclass
class Tally:
    """Counters for one wave or the fleet; ``add`` per task, ``result`` at the end."""

    counts: dict[str, int] = field(default_factory=empty_counts)
    points: float = 0.0  # sum of task progress over tasks not stopped
    latest_eta_ms: int | None = None  # latest estimate of the moving tasks
    moving_without_eta: int = 0
    done_recently: int = 0  # done tasks that finished within the pace window

    def add(self, health: str, progress: float | None, eta_ms: int | None = None,
            finished_ms: int | None = None, now_ms: int = 0) -> None:
        """Account for one task. ``progress``: its sub task progress (None: none known);
        ``eta_ms``: a moving task's projected completion; ``finished_ms``: a done task's end."""
        self.counts[health] += 1
        if health in _NO_POINTS:
            return
        if health == DONE:
            self.points += 100.0
            if finished_ms is not None and now_ms - PACE_WINDOW_MS < finished_ms <= now_ms:
                self.done_recently += 1
            return
        if progress:
            self.points += progress
        if health in MOVING:
            if eta_ms is None:
                self.moving_without_eta += 1
            elif self.latest_eta_ms is None or eta_ms > self.latest_eta_ms:
                self.latest_eta_ms = eta_ms

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def eta_ms(self, now_ms: int) -> int | None:
        c = self.counts
        waiting = c[WAITING]
        moving = sum(c[h] for h in MOVING)
        if not (waiting or moving or c[STALLED]) or c[STALLED] or self.moving_without_eta:
            return None
        eta = self.latest_eta_ms
        if waiting:
            if not self.done_recently:
                return None
            queue = now_ms + round(waiting * PACE_WINDOW_MS / self.done_recently)
            eta = queue if eta is None else max(eta, queue)
        return eta

    def progress(self) -> dict[str, Any]:
        c = self.counts
        counted = self.total - c[STOPPED]
        left = c[WAITING] + c[STALLED] + c[FAILED] + sum(c[h] for h in MOVING)
        if counted and not left and c[DONE]:
            status = COMPLETED
        elif counted == c[WAITING]:
            status = NOT_STARTED
        else:
            status = IN_PROGRESS
        return {
            "status": status,
            "done": c[DONE],
            "share_done": round(c[DONE] * 100.0 / counted, 1) if counted else None,
            "percent": round(self.points / counted, 1) if counted else None,
        }

    def at_risk(self, eta_ms: int | None, target_ms: int | None) -> bool:
        c = self.counts
        if c[FAILED] or c[STALLED] or c[LAGGING]:
            return True
        left = c[WAITING] + sum(c[h] for h in MOVING)
        return target_ms is not None and left > 0 and (eta_ms is None or eta_ms > target_ms)

    def result(self, now_ms: int, target_ms: int | None = None) -> dict[str, Any]:
        """``{total, health, progress, eta, at_risk}`` (``eta`` ISO or null)."""
        eta = self.eta_ms(now_ms)
        return {
            "total": self.total,
            "health": {h: self.counts[h] for h in HEALTHS},
            "progress": self.progress(),
            "eta": None if eta is None else iso_ms(eta),
            "at_risk": self.at_risk(eta, target_ms),
        }


def worst_first(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Waves ordered worst first: at risk, then by failed, stalled, lagging counts (descending),
    then least done, then name; ``Other`` keeps its rank among them."""
    def key(g: dict[str, Any]) -> tuple[Any, ...]:
        h, share = g["health"], g["progress"]["share_done"]
        return (not g["at_risk"], -h[FAILED], -h[STALLED], -h[LAGGING], 101.0 if share is None else share,
                g["name"])
    return sorted(groups, key=key)
