"""A migration summary (``summary.schema.json``) and its scan, as Prometheus text format.

Built with ``prometheus_client``'s own collector types and writer, so names, HELP text and label
values are escaped as the format requires, whatever a wave's name holds. Label cardinality is
bounded by design: no per-task label; states, types, OS types and healths come from fixed
vocabularies; waves come from the operator's ``SUMMARY_GROUPS`` and are cut at ``MAX_WAVES``
(the rest summed under ``wave="…more"``), so a long wave list cannot flood a TSDB.

Every gauge describes the tasks the request's filters matched, at the summary's
``generated_at``; ETA and target instants are Unix seconds (Grafana: ``* 1000`` for a time
field), and an ETA that cannot be computed is absent, never 0."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

PREFIX = "sms"
MAX_WAVES = 50
MORE_WAVES = "…more"
# 0.0.4: what every Prometheus (Debian 12 ships 2.42) and AOM read; our names are plain ASCII.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


def epoch_s(value: Any) -> float | None:
    """An ISO-8601 instant (``Z`` or offset) as Unix seconds; None for anything else."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _gauge(name: str, doc: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=list(labels))


def _counts(name: str, doc: str, label: str, counts: Mapping[str, Any] | None) -> Iterator[Metric]:
    if not isinstance(counts, Mapping):
        return
    family = _gauge(name, doc, (label,))
    for key, value in counts.items():
        if isinstance(value, int):
            family.add_metric([str(key)], value)
    yield family


def _share(progress: Any, key: str) -> float | None:
    """A progress object's percentage ``key`` (``share_done`` or ``percent``, 0..100) as 0..1."""
    value = progress.get(key) if isinstance(progress, Mapping) else None
    return round(value / 100.0, 6) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _waves(groups: Any) -> list[Mapping[str, Any]]:
    """The summary's waves, the first ``MAX_WAVES`` kept and the rest summed into one."""
    waves = [g for g in groups if isinstance(g, Mapping) and isinstance(g.get("name"), str)] \
        if isinstance(groups, list) else []
    if len(waves) <= MAX_WAVES:
        return waves
    kept, rest = waves[: MAX_WAVES - 1], waves[MAX_WAVES - 1:]
    health: dict[str, int] = {}
    for wave in rest:
        for key, value in (wave.get("health") or {}).items():
            if isinstance(value, int):
                health[key] = health.get(key, 0) + value
    total = sum(w.get("total", 0) for w in rest if isinstance(w.get("total"), int))
    return [*kept, {"name": MORE_WAVES, "total": total, "health": health,
                    "at_risk": any(w.get("at_risk") is True for w in rest)}]


class SummaryCollector(Collector):
    """One scrape's metrics: a summary and its scan figures, collected once."""

    def __init__(self, summary: Mapping[str, Any], scan: Mapping[str, Any]) -> None:
        self.summary = summary
        self.scan = scan

    def collect(self) -> Iterator[Metric]:
        s = self.summary
        yield from _counts("tasks", "Tasks by SMS state (the tasks the filters matched).", "state", s.get("by_state"))
        yield from _counts("tasks_by_health", "Tasks by migration health: done, failed, stalled, lagging, "
                           "healthy, waiting, stopped (docs/health.md).", "health", s.get("health"))
        yield from _counts("tasks_by_type", "Tasks by migration type.", "type", s.get("by_type"))
        yield from _counts("tasks_by_os", "Tasks by source OS type.", "os", s.get("by_os"))
        yield from self._fleet()
        yield from self._waves()
        yield from self._scan()

    def _fleet(self) -> Iterator[Metric]:
        s = self.summary
        matched = _gauge("tasks_matched", "Tasks the filters matched, as SMS counts them.")
        matched.add_metric([], s.get("total") or 0)
        yield matched
        progress = s.get("progress")
        for name, doc, value in (
            ("fleet_done_ratio", "Share of the fleet's tasks done (stopped ones left out), 0..1.",
             _share(progress, "share_done")),
            ("fleet_progress_ratio", "Mean task progress of the fleet (done 1, waiting 0), 0..1 (an estimate).",
             _share(progress, "percent")),
            ("fleet_eta_timestamp_seconds", "Projected completion of the fleet, Unix seconds (an estimate; absent "
             "when it cannot be computed).", epoch_s(progress.get("eta")) if isinstance(progress, Mapping) else None),
            ("generated_timestamp_seconds", "When these figures were read, Unix seconds.",
             epoch_s(s.get("generated_at"))),
        ):
            if value is not None:
                gauge = _gauge(name, doc)
                gauge.add_metric([], value)
                yield gauge

    def _waves(self) -> Iterator[Metric]:
        waves = _waves(self.summary.get("groups"))
        if not waves:
            return
        tasks = _gauge("wave_tasks", "Tasks of each wave (SUMMARY_GROUPS) by health.", ("wave", "health"))
        done = _gauge("wave_done_ratio", "Share of each wave's tasks done (stopped ones left out), 0..1.", ("wave",))
        progress = _gauge("wave_progress_ratio", "Mean task progress of each wave, 0..1 (an estimate).", ("wave",))
        eta = _gauge("wave_eta_timestamp_seconds", "Projected completion of each wave, Unix seconds (an "
                     "estimate; absent when it cannot be computed).", ("wave",))
        target = _gauge("wave_target_timestamp_seconds", "Each wave's declared target, Unix seconds.", ("wave",))
        at_risk = _gauge("wave_at_risk", "1 when the wave has failed, stalled or lagging tasks or is projected "
                         "to miss its target, else 0.", ("wave",))
        for wave in waves:
            name = wave["name"]
            for health, count in (wave.get("health") or {}).items():
                if isinstance(count, int):
                    tasks.add_metric([name, str(health)], count)
            for family, value in ((done, _share(wave.get("progress"), "share_done")),
                                  (progress, _share(wave.get("progress"), "percent")),
                                  (eta, epoch_s(wave.get("eta"))), (target, epoch_s(wave.get("target")))):
                if value is not None:
                    family.add_metric([name], value)
            if isinstance(wave.get("at_risk"), bool):
                at_risk.add_metric([name], int(wave["at_risk"]))
        yield from (tasks, done, progress, eta, target, at_risk)

    def _scan(self) -> Iterator[Metric]:
        scan, s = self.scan, self.summary
        for name, doc, value in (
            ("scan_duration_seconds", "How long this scrape's read of SMS took.", scan.get("elapsed_s")),
            ("scan_pages", "SMS pages this scrape read.", scan.get("pages")),
            ("scan_retries", "Retries this scrape's read of SMS needed.", scan.get("retries")),
            ("scan_tasks", "Tasks this scrape read.", s.get("scanned")),
            ("scan_partial", "1 when this scrape could not read every task (deadline or limit), else 0.",
             int(bool(s.get("partial")))),
            ("schema_violations", "SMS answers that broke the documented ListTasks schema in this scrape.",
             s.get("schema_violations")),
        ):
            if isinstance(value, int | float) and not isinstance(value, bool):
                gauge = _gauge(name, doc)
                gauge.add_metric([], value)
                yield gauge


def render(summary: Mapping[str, Any], scan: Mapping[str, Any]) -> bytes:
    """The Prometheus text exposition (format 0.0.4) of one summary and its scan."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SummaryCollector(summary, scan))
    return generate_latest(registry)
