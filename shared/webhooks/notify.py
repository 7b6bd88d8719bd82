"""``notify_on``: which summaries are worth a message.

Conditions are OR-ed; a target sends when any of them holds:

* ``always``    - every run (the default, kept for compatibility)
* ``changes``   - something changed in the window: a task completed, failed, became stalled or
                  recovered (``changes.*.total > 0``). **The recommended setting**: a message
                  then always has news, and a quiet hour sends nothing (or one line, with
                  ``WEBHOOK_QUIET=line``)
* ``attention`` - a task needs attention now: failed, stalled or lagging
* ``failures``  - ``failed.total > 0`` or ``changes.failed.total > 0``
* ``stalled``   - ``stalled.total > 0``
* ``lagging``   - ``lagging.total > 0``
* ``running``   - a task is moving: ``running.total`` (healthy) or ``lagging.total`` > 0"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.errors import bad_request, config_error

NOTIFY_CONDITIONS = ("always", "changes", "attention", "failures", "stalled", "lagging", "running")
DEFAULT_NOTIFY_ON = ("always",)
RECOMMENDED_NOTIFY_ON = ("changes",)
CHANGE_KINDS = ("succeeded", "failed", "stalled", "recovered")
QUIET_MODES = ("skip", "line")  # WEBHOOK_QUIET: what a tick notify_on does not match sends


def node_at(summary: Any, *path: str) -> Any:
    """``summary[path...]``, None where the way is missing or not an object."""
    node: Any = summary
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def list_total(summary: Mapping[str, Any], *path: str) -> int:
    """``summary[path...]["total"]`` as an int, 0 when absent or malformed."""
    node = node_at(summary, *path)
    total = node.get("total") if isinstance(node, Mapping) else None
    return total if isinstance(total, int) and not isinstance(total, bool) and total > 0 else 0


def check_notify_on(value: Any) -> tuple[str, ...]:
    """A comma-separated string or a list of names -> a checked tuple; ``ValueError`` otherwise."""
    allowed = ", ".join(NOTIFY_CONDITIONS)
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise ValueError(f"must be a list of condition names or a comma-separated string; allowed: {allowed}")
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"must contain only strings; allowed: {allowed}")
        name = item.strip().lower()
        if not name:
            continue
        if name not in NOTIFY_CONDITIONS:
            raise ValueError(f"has unknown condition {item.strip()[:40]!r}; allowed: {allowed}")
        if name not in names:
            names.append(name)
    if not names:
        raise ValueError(f"must name at least one of: {allowed}")
    return tuple(names)


def parse_notify_on(value: Any, *, param: str = "notify_on", from_env: bool = False) -> tuple[str, ...]:
    """``check_notify_on`` as an ``ApiError``: 400 ``SMSFN.0400`` naming ``param``, or 500
    ``SMSFN.0500`` for a setting, listing the allowed conditions."""
    try:
        return check_notify_on(value)
    except ValueError as exc:
        raise (config_error(f"{param} {exc}") if from_env else bad_request(param, str(exc))) from None


def should_notify(summary: Mapping[str, Any], notify_on: Any = DEFAULT_NOTIFY_ON) -> tuple[bool, list[str]]:
    """Whether to send, and which conditions matched (in ``notify_on`` order)."""
    conditions = parse_notify_on(notify_on)
    changed_failed = list_total(summary, "changes", "failed")
    stalled, lagging = list_total(summary, "stalled") > 0, list_total(summary, "lagging") > 0
    failed = list_total(summary, "failed") > 0 or changed_failed > 0
    checks = {
        "always": True,
        "changes": any(list_total(summary, "changes", kind) > 0 for kind in CHANGE_KINDS),
        "attention": failed or stalled or lagging,
        "failures": failed,
        "stalled": stalled,
        "lagging": lagging,
        "running": list_total(summary, "running") > 0 or lagging,
    }
    reasons = [c for c in conditions if checks[c]]
    return bool(reasons), reasons
