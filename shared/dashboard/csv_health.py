"""The CSV's judgement columns: each task's health (and why), its wave and its projected
completion, by the summary's own rules (``shared.summary.health``, ``groups``), so a row says what
the dashboard says about the same task at the same moment."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.settings import Settings
from shared.summary.builder import MAX_SPEED_MBPS, SummaryOptions
from shared.summary.fields import SubTaskFacts, epoch_ms, iso_ms, ms_of, norm_enum, number, text
from shared.summary.groups import WaveMatcher
from shared.summary.health import FAILED, REASON_ERROR, assess, fixed_health
from shared.vocabulary import states


class TaskJudge:
    """One export's rules: the tick time, the stall threshold, the clock skew and the waves."""

    def __init__(self, settings: Settings, now: datetime) -> None:
        summary = settings.summary
        self._now_ms = ms_of(now)
        # the summary's own threshold and tolerance (SummaryOptions' default skew, as summarise uses)
        self._stall_ms, self._skew_ms = summary.stall_after_s * 1000, SummaryOptions.clock_skew_seconds * 1000
        self._waves = summary.groups
        self._matcher = WaveMatcher(summary.groups) if summary.groups else None
        self._states = states()

    def _wave(self, task: Mapping[str, Any]) -> tuple[str | None, int | None]:
        if self._matcher is None:
            return None, None
        i = self._matcher.index(text(task.get("name")), text(task.get("enterprise_project_id")), text(task.get("id")))
        return self._matcher.names[i], self._waves[i].target_ms if i < len(self._waves) else None

    def columns(self, task: Mapping[str, Any], facts: SubTaskFacts) -> list[Any]:
        """``health``, ``health_reason``, ``wave``, ``eta`` (ISO, an estimate; moving tasks only);
        ``facts``: the task's ``sub_task_facts``, read once for its whole row."""
        wave, target_ms = self._wave(task)
        state = norm_enum(task.get("state"), self._states)
        health = fixed_health(state)
        if health is not None:
            return [health, REASON_ERROR if health == FAILED else None, wave, None]
        speed = number(task.get("migrate_speed"))
        judged = assess(facts,
                        speed if speed is not None and 0.0 <= speed <= MAX_SPEED_MBPS else None,
                        epoch_ms(task.get("estimate_complete_time")), now_ms=self._now_ms,
                        stall_ms=self._stall_ms, skew_ms=self._skew_ms, target_ms=target_ms)
        return [judged.health, judged.reason, wave, None if judged.eta_ms is None else iso_ms(judged.eta_ms)]
