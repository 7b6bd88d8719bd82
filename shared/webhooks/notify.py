"""``notify_on``: which summaries are worth a message.

Conditions are OR-ed; a target sends when any of them holds:

* ``always``   - every run (the default)
* ``failures`` - ``failed.total > 0`` or ``changes.failed.total > 0``
* ``changes``  - any task finished since the last run (``changes.succeeded`` or ``changes.failed``)
* ``stalled``  - ``stalled.total > 0``
* ``running``  - ``running.total > 0``"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.errors import bad_request, config_error

NOTIFY_CONDITIONS = ("always", "failures", "changes", "stalled", "running")
DEFAULT_NOTIFY_ON = ("always",)


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
    checks = {
        "always": True,
        "failures": list_total(summary, "failed") > 0 or changed_failed > 0,
        "changes": list_total(summary, "changes", "succeeded") > 0 or changed_failed > 0,
        "stalled": list_total(summary, "stalled") > 0,
        "running": list_total(summary, "running") > 0,
    }
    reasons = [c for c in conditions if checks[c]]
    return bool(reasons), reasons
