"""Fires the TIMER triggers of ``template.yaml`` locally: once at start, then on their ``rate``,
and on demand (``fire``), each with the event FunctionGraph sends a timer-triggered function."""
from __future__ import annotations

import json
import re
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from local.functions import invoke
from project import template
from shared.logger import redact_text

_RATE = re.compile(r"^(\d+)([mhd])$")
_UNIT_S = {"m": 60, "h": 3600, "d": 86400}


def rate_seconds(rate: str) -> int:
    m = _RATE.match(rate.strip())
    if not m:
        raise ValueError(f"rate must look like 5m, 2h or 1d, got {rate!r}")
    return int(m.group(1)) * _UNIT_S[m.group(2)]


def timer_event(trigger: template.Trigger, when: datetime) -> dict[str, Any]:
    """FunctionGraph's TIMER event: ``user_event`` is the trigger's payload as a string."""
    payload = trigger.spec.get("payload", "")
    return {
        "version": "v1.0",
        "time": when.astimezone().isoformat(timespec="seconds"),
        "trigger_type": "TIMER",
        "trigger_name": trigger.name,
        "user_event": payload if isinstance(payload, str) else json.dumps(payload),
    }


@dataclass(frozen=True)
class ScheduledTimer:
    function: template.Function
    trigger: template.Trigger

    @property
    def interval_s(self) -> int | None:
        rate = self.trigger.spec.get("rate")
        return rate_seconds(rate) if rate else None  # cron timers fire at start and on demand


def declared_timers() -> list[ScheduledTimer]:
    return [ScheduledTimer(fn, t) for fn in template.load().values() for t in fn.triggers_of("TIMER")]


class TimerRunner:
    def __init__(self, timers: list[ScheduledTimer] | None = None) -> None:
        self.timers = {t.trigger.name: t for t in (timers if timers is not None else declared_timers())}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def fire(self, name: str, when: datetime | None = None) -> dict[str, Any]:
        """Run one tick now; returns ``{"ok", "result" | "error"}`` and never raises."""
        timer = self.timers.get(name)
        if timer is None:
            return {"ok": False, "error": f"no TIMER trigger {name!r}; declared: {', '.join(self.timers)}"}
        event = timer_event(timer.trigger, when or datetime.now(timezone.utc))
        try:
            return {"ok": True, "result": invoke(timer.function, event)}
        except Exception as exc:  # FunctionGraph would record the failed invocation and retry it
            error = redact_text(f"{type(exc).__name__}: {exc}")
            print(f"timer {name}: {timer.function.name} raised {error}", file=sys.stderr)
            return {"ok": False, "error": error}

    def _loop(self) -> None:
        due = {name: time.monotonic() + 1.0 for name in self.timers}  # first tick right after start
        while not self._stop.is_set():
            now = time.monotonic()
            for name, at in due.items():
                if now >= at:
                    print(f"timer {name}: firing", file=sys.stderr)
                    self.fire(name)
                    interval = self.timers[name].interval_s
                    due[name] = now + interval if interval else float("inf")
            self._stop.wait(0.5)

    def start(self) -> TimerRunner:
        self._thread = threading.Thread(target=self._loop, name="local-timers", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
