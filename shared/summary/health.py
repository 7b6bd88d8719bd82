"""One health per task, derived from ListTasks fields (the rule is in docs/health.md too).

Every task gets exactly one of ``HEALTHS``, worst first:

==========  ==================================================================================
failed      state MIGRATE_FAIL, SYNC_F_ROLLBACKING or SYNC_F_ROLLBACK_SUCCESS (reason ``error``)
stalled     state RUNNING/SYNCING, no sub task date for ``stall_after`` (idle = now - the latest
            sub task start_date/end_date) and ``migrate_speed`` not above 0 (reason ``idle``);
            a task without any sub task date cannot be judged idle
lagging     state RUNNING/SYNCING, not stalled, but behind: SMS's own ``estimate_complete_time``
            has passed (by more than the clock skew; reason ``overdue``), or its wave's target
            has passed or lies before the projected completion (reason ``behind_target``)
healthy     state RUNNING/SYNCING, moving and on track (the "running" list)
waiting     state READY (not started), or a state we cannot read (missing, undocumented): nothing
            known to be moving
stopped     state ABORTING, ABORT or DELETING (a deliberate stop)
done        state MIGRATE_SUCCESS
==========  ==================================================================================

The checks run in that order, so a stalled task is never lagging or healthy, and a task whose
SMS estimate has passed is never healthy. Its estimate is then reported as ``overdue_since``,
never as a completion to wait for; ``estimated_completion`` is only ever a future time.

Projected completion of a moving task (an estimate): SMS's ``estimate_complete_time`` when it
lies in the future (within a year), else extrapolated from its pace: now + elapsed * (100 -
progress) / progress, with elapsed = now - the first sub task start (0 < progress < 100, under a
year); else unknown. ``migrate_speed`` tells whether data moves but not how much is left
(ListTasks carries no data size), so it cannot give a time on its own."""
from __future__ import annotations

from typing import NamedTuple

from shared.summary.fields import SubTaskFacts

FAILED, STALLED, LAGGING, HEALTHY, WAITING, STOPPED, DONE = (
    "failed", "stalled", "lagging", "healthy", "waiting", "stopped", "done")
HEALTHS: tuple[str, ...] = (FAILED, STALLED, LAGGING, HEALTHY, WAITING, STOPPED, DONE)  # worst first
ATTENTION: tuple[str, ...] = (FAILED, STALLED, LAGGING)  # what needs a look
MOVING = frozenset({LAGGING, HEALTHY})  # running and not stalled: these have an ETA

REASON_ERROR, REASON_IDLE, REASON_OVERDUE, REASON_BEHIND = "error", "idle", "overdue", "behind_target"

RUNNING_STATES = frozenset({"RUNNING", "SYNCING"})
FAILED_STATES = frozenset({"MIGRATE_FAIL", "SYNC_F_ROLLBACKING", "SYNC_F_ROLLBACK_SUCCESS"})
STOPPED_STATES = frozenset({"ABORTING", "ABORT", "DELETING"})
SUCCESS_STATE = "MIGRATE_SUCCESS"
MAX_ETA_MS = 366 * 86_400_000

_FIXED = {SUCCESS_STATE: DONE, "READY": WAITING, **dict.fromkeys(FAILED_STATES, FAILED),
          **dict.fromkeys(STOPPED_STATES, STOPPED)}


def empty_counts() -> dict[str, int]:
    """``{health: 0}`` for the seven healths, in ``HEALTHS`` order."""
    return dict.fromkeys(HEALTHS, 0)


def fixed_health(state: str | None) -> str | None:
    """The health a state decides alone; None for RUNNING/SYNCING (see ``assess``)."""
    if state in RUNNING_STATES:
        return None
    return _FIXED.get(state, WAITING) if state is not None else WAITING


class TaskHealth(NamedTuple):
    """One running task's judgement. Times are epoch ms; None where unknown. (A tuple: one is made
    per running task of a scan, and a tuple is the cheapest to make.)"""

    health: str  # stalled, lagging or healthy
    reason: str | None  # idle, overdue, behind_target; None when healthy
    eta_ms: int | None  # projected completion, always in the future; None for stalled or unknown
    overdue_since_ms: int | None  # SMS's estimate when it has passed
    idle_ms: int | None  # now - last activity (None: no sub task date)


def projected_completion(facts: SubTaskFacts, estimate_ms: int | None, now_ms: int) -> int | None:
    """The moving task's completion estimate (module docstring), or None."""
    if estimate_ms is not None and now_ms < estimate_ms <= now_ms + MAX_ETA_MS:
        return estimate_ms
    progress, started = facts.progress, facts.first_start_ms
    if progress is None or started is None or not 0.0 < progress < 100.0:
        return None
    elapsed = now_ms - started
    if elapsed <= 0:
        return None
    remaining = elapsed * (100.0 - progress) / progress
    if remaining > MAX_ETA_MS:
        return None
    return now_ms + max(1, round(remaining))


def assess(
    facts: SubTaskFacts,
    speed: float | None,
    estimate_ms: int | None,
    *,
    now_ms: int,
    stall_ms: int,
    skew_ms: int,
    target_ms: int | None = None,
) -> TaskHealth:
    """Stalled, lagging or healthy for a RUNNING/SYNCING task (module docstring)."""
    last = facts.last_activity_ms
    idle = None if last is None else now_ms - last
    if idle is not None and idle >= stall_ms and not (speed or 0.0) > 0.0:
        return TaskHealth(STALLED, REASON_IDLE, None, None, idle)
    overdue = estimate_ms if estimate_ms is not None and estimate_ms < now_ms - skew_ms else None
    eta = projected_completion(facts, estimate_ms, now_ms)
    if overdue is not None:
        return TaskHealth(LAGGING, REASON_OVERDUE, eta, overdue, idle)
    if target_ms is not None and (target_ms < now_ms or (eta is not None and eta > target_ms)):
        return TaskHealth(LAGGING, REASON_BEHIND, eta, None, idle)
    return TaskHealth(HEALTHY, None, eta, None, idle)
