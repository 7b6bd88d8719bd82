"""The chat message's content, independent of any platform's markup.

Every chat format shows the same things in the same order: a headline, the window, counts by
state, then lists (failed, newly failed, newly succeeded, stalled, running), each cut to ``cap``
entries with "… and N more", where N also counts what the summary itself left out
(``truncated``). Names and other free text come from SMS users, so they are clipped and passed
through the platform's ``escape`` (one per markup, all in ``escape.py``: user text adds no link,
image, mention or formatting there)."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.vocabulary import OTHER, states
from shared.webhooks.notify import list_total

NAME_MAX = 80
ERROR_MAX = 160
MISC_MAX = 48
UNNAMED = "(unnamed)"
WORST_MORE = "… and 9999999 more"  # room reserved for the "more" line while filling a section


def clip(text: Any, limit: int) -> str:
    """One line, at most ``limit`` characters (``…`` marks a cut)."""
    flat = " ".join(str(text).split()) if text is not None else ""
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def clip_to(text: str, limit: int, measure: Callable[[str], int]) -> str:
    """``text`` cut (with ``…``) so that ``measure`` of it is at most ``limit``."""
    if measure(text) <= limit:
        return text
    out = text[:limit]
    while out and measure(out + "…") > limit:
        out = out[:-1]
    return out + "…"


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def utf16_len(text: str) -> int:
    # Slack counts characters; UTF-16 units are never fewer, so limits hold either way.
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Markup:
    escape: Callable[[str], str]
    bold: Callable[[str], str]
    code: Callable[[str], str]
    bullet: str = "• "
    measure: Callable[[str], int] = len
    more_prefix: str = ""  # markdown lists: "- ", so "… and N more" is its own entry


@dataclass(frozen=True)
class ListSection:
    key: str
    title: str
    total: int
    lines: tuple[str, ...]  # marked-up entries, at most ``cap``
    more: int  # entries not in ``lines``: the rest of ``items`` plus the summary's ``truncated``


def more_line(n: int) -> str:
    return f"… and {n} more"


def short_time(value: Any) -> str:
    """``2026-11-29T01:00:00Z`` -> ``2026-11-29 01:00Z``; anything else is shown clipped."""
    text = clip(value, 40)
    if len(text) >= 16 and text[10:11] == "T":
        zone = "Z" if text.endswith("Z") else ""
        return f"{text[:10]} {text[11:16]}{zone}"
    return text


def duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
        return "?"
    s = int(seconds)
    days, rem = divmod(s, 86400)
    hours, rem = divmod(rem, 3600)
    minutes = rem // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{s}s"


def error_text(error: Any) -> str:
    """An SMS error object/string as one short line."""
    if error is None or error == "":
        return "no error detail"
    if isinstance(error, Mapping):
        code = error.get("error_code") or error.get("code")
        msg = error.get("error_msg") or error.get("message") or error.get("msg") or error.get("error_json")
        if code or msg:
            return clip(": ".join(str(p) for p in (code, msg) if p), ERROR_MAX)
        return clip(json.dumps(error, ensure_ascii=False, default=str), ERROR_MAX)
    return clip(error, ERROR_MAX)


def _items(node: Any) -> list[Any]:
    items = node.get("items") if isinstance(node, Mapping) else None
    return items if isinstance(items, list) else []


def _truncated(node: Any) -> int:
    n = node.get("truncated") if isinstance(node, Mapping) else None
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 0


def _name(m: Markup, item: Mapping[str, Any]) -> str:
    name = clip(item.get("name") or item.get("id") or "", NAME_MAX)
    task_id = clip(item.get("id") or "", MISC_MAX).replace("`", "")
    # Escaped first: a name of only invisible characters is no name (and ``****`` is no bold).
    shown_name, shown_id = m.escape(name), m.escape(task_id)
    ident = f" {m.code(shown_id)}" if shown_id and task_id != name else ""
    return f"{m.bold(shown_name or m.escape(UNNAMED))}{ident}"


def _subtask(m: Markup, sub: Any) -> str | None:
    if not isinstance(sub, Mapping) or not sub.get("name"):
        return None
    progress = sub.get("progress")
    pct = f" {progress}%" if isinstance(progress, (int, float)) and not isinstance(progress, bool) else ""
    return f"step {m.escape(clip(sub['name'], MISC_MAX))}{pct}"


def failed_line(m: Markup, item: Mapping[str, Any]) -> str:
    parts = [f"{_name(m, item)} — {m.escape(error_text(item.get('error')))}"]
    if item.get("failed_at"):
        parts.append(f"at {m.escape(short_time(item['failed_at']))}")
    return " · ".join(parts)


def change_line(m: Markup, item: Mapping[str, Any]) -> str:
    parts = [_name(m, item)]
    if item.get("state"):
        parts.append(m.escape(clip(item["state"], MISC_MAX)))
    if item.get("finished_at"):
        parts.append(f"at {m.escape(short_time(item['finished_at']))}")
    return " · ".join(parts)


def running_line(m: Markup, item: Mapping[str, Any]) -> str:
    parts = [_name(m, item)]
    progress = item.get("progress")
    if isinstance(progress, (int, float)) and not isinstance(progress, bool):
        parts.append(f"{progress:g}%")
    sub = _subtask(m, item.get("current_subtask"))
    if sub:
        parts.append(sub)
    speed = item.get("migrate_speed_mbps")
    if isinstance(speed, (int, float)) and not isinstance(speed, bool):
        parts.append(f"{speed:.1f} MB/s")  # SMS reports megabytes per second
    if item.get("estimated_completion"):
        parts.append(f"ETA {m.escape(short_time(item['estimated_completion']))}")
    if item.get("source_server"):
        parts.append(f"from {m.escape(clip(item['source_server'], MISC_MAX))}")
    return " · ".join(parts)


def stalled_line(m: Markup, item: Mapping[str, Any]) -> str:
    parts = [_name(m, item), f"idle {duration(item.get('idle_seconds'))}"]
    if item.get("last_activity_at"):
        parts.append(f"last activity {m.escape(short_time(item['last_activity_at']))}")
    sub = _subtask(m, item.get("current_subtask"))
    if sub:
        parts.append(sub)
    return " · ".join(parts)


# (key, path in the summary, title, line renderer), in display order.
LISTS: tuple[tuple[str, tuple[str, ...], str, Callable[[Markup, Mapping[str, Any]], str]], ...] = (
    ("failed", ("failed",), "Failed", failed_line),
    ("changes.failed", ("changes", "failed"), "Newly failed", change_line),
    ("changes.succeeded", ("changes", "succeeded"), "Newly succeeded", change_line),
    ("stalled", ("stalled",), "Stalled", stalled_line),
    ("running", ("running",), "Running", running_line),
)


def list_sections(summary: Mapping[str, Any], m: Markup, cap: int) -> list[ListSection]:
    """The non-empty lists, each showing at most ``cap`` entries."""
    out: list[ListSection] = []
    for key, path, title, render in LISTS:
        node: Any = summary
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        items = _items(node)
        total = max(list_total(summary, *path), len(items))
        if not total:
            continue
        shown = items[:cap]
        lines = tuple(
            m.bullet + (render(m, it) if isinstance(it, Mapping) else m.escape(clip(it, NAME_MAX)))
            for it in shown
        )
        # Normally hidden items + truncated == total - shown; trust the larger if they disagree.
        more = max(len(items) - len(shown) + _truncated(node), total - len(shown))
        out.append(ListSection(key, title, total, lines, more))
    return out


def section_text(section: ListSection, m: Markup, budget: int, *, heading: Callable[[str], str] | None = None,
                 sep: str = "\n") -> str:
    """Heading + as many lines as fit in ``budget`` (in ``m.measure`` units) + "… and N more"."""
    head = (heading or m.bold)(f"{section.title} ({section.total})")
    parts = [head]
    used = m.measure(head)
    reserve = m.measure(sep + m.more_prefix + m.escape(WORST_MORE))
    shown = 0
    for line in section.lines:
        cost = m.measure(sep + line)
        if used + cost + reserve > budget:
            break
        parts.append(line)
        used += cost
        shown += 1
    more = section.more + len(section.lines) - shown
    if more:
        parts.append(m.more_prefix + m.escape(more_line(more)))
    return sep.join(parts)


def headline(summary: Mapping[str, Any]) -> tuple[str, str]:
    """(title, severity) where severity is ``failed``, ``stalled`` or ``ok``."""
    failed = list_total(summary, "failed")
    new_failed = list_total(summary, "changes", "failed")
    succeeded = list_total(summary, "changes", "succeeded")
    stalled = list_total(summary, "stalled")
    running = list_total(summary, "running")
    bits = [
        f"{n} {label}"
        for n, label in (
            (failed, "failed"), (new_failed, "newly failed"), (stalled, "stalled"),
            (running, "running"), (succeeded, "newly succeeded"),
        )
        if n
    ]
    severity = "failed" if failed or new_failed else "stalled" if stalled else "ok"
    icon = {"failed": "❌", "stalled": "⚠️", "ok": "✅"}[severity]
    text = ", ".join(bits) if bits else "no failures, nothing running"
    return f"{icon} SMS migration: {text}", severity


def window_text(summary: Mapping[str, Any]) -> str:
    window = summary.get("window") if isinstance(summary.get("window"), Mapping) else {}
    start, end = window.get("start"), window.get("end")
    if start or end:
        return f"{short_time(start or '?')} → {short_time(end or '?')}"
    return f"generated {short_time(summary.get('generated_at') or '?')}"


def totals_text(summary: Mapping[str, Any]) -> str:
    total, scanned = summary.get("total"), summary.get("scanned")
    text = f"{total if isinstance(total, int) else '?'} tasks"
    if summary.get("partial"):
        text += f" · ⚠️ partial: scanned {scanned if isinstance(scanned, int) else '?'}"
    return text


def state_counts(summary: Mapping[str, Any]) -> list[tuple[str, int]]:
    """Non-zero ``by_state`` counts in the documented state order (unknown keys last)."""
    by_state = summary.get("by_state") if isinstance(summary.get("by_state"), Mapping) else {}
    order = (*states(), OTHER)  # the doc's order, as in the summary's by_state
    keys = [k for k in order if k in by_state] + sorted(k for k in by_state if k not in order)
    return [
        (clip(k, MISC_MAX), v)
        for k in keys
        if isinstance((v := by_state.get(k)), int) and not isinstance(v, bool) and v > 0
    ]


def footer_text(summary: Mapping[str, Any], delivery_id: str) -> str:
    parts = [
        f"generated {short_time(summary.get('generated_at') or '?')}",
        f"delivery {clip(delivery_id, 64)}",
    ]
    violations = summary.get("schema_violations")
    if isinstance(violations, int) and not isinstance(violations, bool) and violations > 0:
        parts.append(f"{violations} schema violations")
    return " · ".join(parts)
