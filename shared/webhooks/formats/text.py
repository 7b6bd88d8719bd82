"""The chat message's content, independent of any platform's markup.

Every chat format shows the same things in the same order: a headline that says what needs
attention now and what changed in the window (not fleet totals), the window with the fleet's
progress, counts by health, one line per wave when waves are declared, then lists (newly failed,
stalled, lagging, completed, recovered), each cut to ``cap`` entries with "… and N more", where N
also counts what the summary itself left out (``truncated``); failures older than the window are
one line with their count (the dashboard lists them); and, when the dashboard is configured, a link
to it (the name of each task needing attention links to its own page). Each task is in one list
only: the lists are disjoint by construction (failed / stalled / lagging / done / healthy tasks).
A line names the task; a short id follows only where two listed tasks share a name.
Names and other free text come from SMS users, so they are
clipped and passed through the platform's ``escape`` (one per markup, all in ``escape.py``: user
text adds no link, image, mention or formatting there).

The words come from the gettext catalogs (``shared.i18n``) in the target's language (``Chat``):
msgids are the English text, so English needs no catalog."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from shared import i18n
from shared.errors import error_fields
from shared.i18n.labels import HEALTH_LABELS, N_, STATE_LABELS
from shared.vocabulary import OTHER_GROUP
from shared.webhooks.formats.base import ChatLinks, RenderContext
from shared.webhooks.notify import list_total, node_at
from shared.wire_text import encodable

NAME_MAX = 80
ERROR_MAX = 160
MISC_MAX = 48
SHORT_ID = 8  # characters of a task id shown to tell apart tasks of the same name
WORST_COUNT = 9_999_999  # the "more" line's room is reserved for this count while filling a section


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


def markdown_link(text: str, url: str) -> str:
    """``[text](url)``; ``text`` is already escaped (no brackets left in it), and the URL's own
    parentheses and spaces are percent-encoded so nothing can end the link early."""
    safe = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
    return f"[{text}]({safe})"


def slack_link(text: str, url: str) -> str:
    """``<url|text>``; the text is escaped (``|`` and ``>`` have look-alikes there)."""
    return f"<{url.replace('|', '%7C').replace('>', '%3E')}|{text}>"


@dataclass(frozen=True)
class Markup:
    escape: Callable[[str], str]
    bold: Callable[[str], str]
    code: Callable[[str], str]
    bullet: str = "• "
    measure: Callable[[str], int] = len
    more_prefix: str = ""  # markdown lists: "- ", so "… and N more" is its own entry
    link: Callable[[str, str], str] = markdown_link


@dataclass(frozen=True)
class Chat:
    """One message's markup, language and dashboard links."""

    m: Markup
    lang: str = i18n.DEFAULT_LANGUAGE
    links: ChatLinks | None = None
    quiet: bool = False  # a quiet tick's one-line message: headline, window and footer only
    shared_names: frozenset[str] = frozenset()  # names of more than one listed task: ids shown

    def _(self, message: str) -> str:
        return i18n.gettext_for(self.lang)(message)

    def n_(self, singular: str, plural: str, n: int) -> str:
        return i18n.ngettext_for(self.lang)(singular, plural, n)

    @classmethod
    def of(cls, m: Markup, ctx: RenderContext) -> Chat:
        return cls(m, ctx.lang, ctx.links, ctx.quiet)

    def dashboard_url(self) -> str | None:
        return self.links.dashboard(self.lang) if self.links else None

    def task_url(self, task_id: Any) -> str | None:
        if not self.links or not isinstance(task_id, str) or not task_id or not encodable(task_id):
            return None  # an id that is not text (a lone surrogate) has no page a URL could name
        return self.links.task(task_id, self.lang)


@dataclass(frozen=True)
class ListSection:
    key: str
    title: str
    total: int
    lines: tuple[str, ...]  # marked-up entries, at most ``cap``
    more: int  # entries not in ``lines``: the rest of ``items`` plus the summary's ``truncated``


def more_line(c: Chat, n: int) -> str:
    # The pages' own msgid (Jinja's %-style), so pages and chat share one translation.
    return c.n_("… and %(num)d more", "… and %(num)d more", n) % {"num": n}


def short_time(value: Any) -> str:
    """``2026-11-29T01:00:00Z`` -> ``2026-11-29 01:00Z``; anything else is shown clipped."""
    text = clip(value, 40)
    if len(text) >= 16 and text[10:11] == "T":
        zone = "Z" if text.endswith("Z") else ""
        return f"{text[:10]} {text[11:16]}{zone}"
    return text


def error_text(c: Chat, error: Any) -> str:
    """An SMS error object/string as one short line."""
    if error is None or error == "":
        return c._("no error detail")
    if isinstance(error, Mapping):
        code, msg = error_fields(error)
        msg = msg or error.get("error_json")
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


def _raw_name(item: Mapping[str, Any]) -> str:
    return clip(item.get("name") or item.get("id") or "", NAME_MAX)


def _name(c: Chat, item: Mapping[str, Any]) -> str:
    m = c.m
    name = _raw_name(item)
    task_id = clip(item.get("id") or "", SHORT_ID).replace("`", "")
    # Escaped first: a name of only invisible characters is no name (and ``****`` is no bold).
    shown_name, shown_id = m.escape(name), m.escape(task_id)
    # The id only tells apart tasks sharing a name (or stands in for a name that is invisible).
    needs_id = name in c.shared_names or not shown_name
    ident = f" {m.code(shown_id)}" if needs_id and shown_id and task_id != name else ""
    shown_name = shown_name or m.escape(c._("(unnamed)"))
    # A linked name is the link alone (no bold nested in link markup, which not every platform
    # reads); its target is the task's own id, never a clipped one.
    url = c.task_url(item.get("id"))
    return f"{m.link(shown_name, url) if url else m.bold(shown_name)}{ident}"


def _subtask(c: Chat, sub: Any) -> str | None:
    if not isinstance(sub, Mapping) or not sub.get("name"):
        return None
    progress = sub.get("progress")
    pct = f" {progress}%" if isinstance(progress, (int, float)) and not isinstance(progress, bool) else ""
    return c._("step {name}{percent}").format(name=c.m.escape(clip(sub["name"], MISC_MAX)), percent=pct)


def _at(c: Chat, value: Any) -> str:
    return c._("at {time}").format(time=c.m.escape(short_time(value)))


def state_label(c: Chat, state: Any) -> str:
    """A state's display name in the message's language (unknown states as SMS wrote them)."""
    text = clip(state, MISC_MAX)
    return c._(STATE_LABELS[text]) if text in STATE_LABELS else text


def failed_line(c: Chat, item: Mapping[str, Any]) -> str:
    parts = [f"{_name(c, item)} — {c.m.escape(error_text(c, item.get('error')))}"]
    if item.get("failed_at"):
        parts.append(_at(c, item["failed_at"]))
    return " · ".join(parts)


def failed_or_change_line(c: Chat, item: Mapping[str, Any]) -> str:
    """A newly failed task: with its error when the summary's item carries one."""
    return failed_line(c, item) if "error" in item else change_line(c, item)


def change_line(c: Chat, item: Mapping[str, Any]) -> str:
    parts = [_name(c, item)]
    if item.get("state"):
        parts.append(c.m.escape(state_label(c, item["state"])))
    when = item.get("finished_at") or item.get("at")
    if when:
        parts.append(_at(c, when))
    return " · ".join(parts)


def _estimate(c: Chat, item: Mapping[str, Any]) -> str | None:
    """"overdue since …" for a passed SMS estimate (never a date to wait for), else "ETA ~…"."""
    if item.get("overdue_since"):
        return c._("overdue since {time}").format(time=c.m.escape(short_time(item["overdue_since"])))
    if item.get("estimated_completion"):
        return c._("est. done {time}").format(time=c.m.escape(short_time(item["estimated_completion"])))
    return None


def running_line(c: Chat, item: Mapping[str, Any]) -> str:
    m = c.m
    parts = [_name(c, item)]
    progress = item.get("progress")
    if isinstance(progress, (int, float)) and not isinstance(progress, bool):
        parts.append(f"{progress:g}%")
    sub = _subtask(c, item.get("current_subtask"))
    if sub:
        parts.append(sub)
    speed = item.get("migrate_speed_mbps")
    if isinstance(speed, (int, float)) and not isinstance(speed, bool):
        parts.append(f"{speed:.1f} MB/s")  # SMS reports megabytes per second
    if item.get("reason") == "behind_target":
        parts.append(c._("behind its wave's target"))
    estimate = _estimate(c, item)
    if estimate:
        parts.append(estimate)
    if item.get("source_server"):
        parts.append(c._("from {server}").format(server=m.escape(clip(item["source_server"], MISC_MAX))))
    return " · ".join(parts)


def stalled_line(c: Chat, item: Mapping[str, Any]) -> str:
    idle = i18n.duration(item.get("idle_seconds"), c.lang)
    parts = [_name(c, item), c._("idle {duration}").format(duration=idle)]
    if item.get("last_activity_at"):
        parts.append(c._("last activity {time}").format(time=c.m.escape(short_time(item["last_activity_at"]))))
    sub = _subtask(c, item.get("current_subtask"))
    if sub:
        parts.append(sub)
    return " · ".join(parts)


class SummaryList(NamedTuple):
    key: str
    path: tuple[str, ...]  # where the list is in the summary
    title: str  # a msgid
    render: Callable[[Chat, Mapping[str, Any]], str]
    linked: bool  # its entries link to their task pages (the ones a reader wants to open)


# In display order: what needs attention, then what changed for the better. Disjoint: newly
# failed tasks are failed, stalled ones stalled, lagging ones lagging, completed ones done and
# recovered ones healthy, so no task is in two of them.
LISTS: tuple[SummaryList, ...] = (
    SummaryList("changes.failed", ("changes", "failed"), N_("Newly failed"), failed_or_change_line, True),
    SummaryList("stalled", ("stalled",), N_("Stalled"), stalled_line, True),
    SummaryList("lagging", ("lagging",), N_("Lagging"), running_line, True),
    SummaryList("changes.succeeded", ("changes", "succeeded"), N_("Completed"), change_line, False),
    SummaryList("changes.recovered", ("changes", "recovered"), N_("Recovered"), change_line, False),
)


def _shared_names(summary: Mapping[str, Any]) -> frozenset[str]:
    """Names that more than one task of the chat's lists carries (their lines add a short id)."""
    seen: set[str] = set()
    shared: set[str] = set()
    for entry in LISTS:
        for item in _items(node_at(summary, *entry.path)):
            if isinstance(item, Mapping):
                name = _raw_name(item)
                (shared if name in seen else seen).add(name)
    return frozenset(shared)


def earlier_failures(summary: Mapping[str, Any]) -> int:
    """Failed tasks that failed before the window: a count in the message, listed on the dashboard."""
    return max(0, list_total(summary, "failed") - list_total(summary, "changes", "failed"))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def progress_text(c: Chat, progress: Any, eta: Any) -> str | None:
    """"42% done · est. done 2026-12-05 10:00Z" (estimates), None when nothing is known."""
    if not isinstance(progress, Mapping):
        return None
    parts = []
    share = _number(progress.get("share_done"))
    if share is not None:
        parts.append(c._("done {percent}%").format(percent=f"{share:g}"))
    if eta:
        parts.append(c._("est. done {time}").format(time=c.m.escape(short_time(eta))))
    return " · ".join(parts) or None


HEALTH_OTHER = N_("Other")
ATTENTION_COUNTS = {"failed": N_("{n} failed"), "stalled": N_("{n} stalled"), "lagging": N_("{n} lagging")}


def health_text(c: Chat, health: Any) -> str:
    """"2 failed, 1 stalled" for the non-zero counts of what needs attention."""
    counts = health if isinstance(health, Mapping) else {}
    return c._(", ").join(
        c._(label).format(n=n)
        for k, label in ATTENTION_COUNTS.items()
        if isinstance((n := counts.get(k)), int) and not isinstance(n, bool) and n > 0
    )


def wave_line(c: Chat, wave: Mapping[str, Any]) -> str:
    m = c.m
    raw = wave.get("name")
    # "Other" is ours (the tasks no wave matches): translated; declared names are the operator's.
    raw = c._(HEALTH_OTHER) if raw == OTHER_GROUP else raw
    name = m.escape(clip(raw or "", NAME_MAX)) or m.escape(c._("(unnamed)"))
    parts = [m.bold(name)]
    done = progress_text(c, wave.get("progress"), wave.get("eta"))
    if done:
        parts.append(done)
    attention = health_text(c, wave.get("health"))
    if attention:
        parts.append(attention)
    if wave.get("target"):
        parts.append(c._("target {time}").format(time=m.escape(short_time(wave["target"]))))
    if wave.get("at_risk") is True:
        parts.append(c._("⚠️ at risk"))
    return " · ".join(parts)


def _waves_section(summary: Mapping[str, Any], c: Chat, cap: int) -> ListSection | None:
    groups = summary.get("groups")
    # A declared wave without tasks stays in the summary (a match that finds nothing is worth
    # seeing there) but is no news in chat.
    waves = [g for g in groups if isinstance(g, Mapping) and g.get("total") != 0] if isinstance(groups, list) else []
    if not waves:
        return None
    shown = waves[:cap]
    lines = tuple(c.m.bullet + wave_line(c, w) for w in shown)
    return ListSection("groups", c._("Waves"), len(waves), lines, len(waves) - len(shown))


def list_sections(summary: Mapping[str, Any], c: Chat, cap: int) -> list[ListSection]:
    """The waves, then the non-empty lists, each showing at most ``cap`` entries; none when quiet."""
    if c.quiet:
        return []
    m = c.m
    c = replace(c, shared_names=_shared_names(summary))
    unlinked = replace(c, links=None)
    out: list[ListSection] = []
    waves = _waves_section(summary, c, cap)
    if waves:
        out.append(waves)
    for key, path, title, render, linked in LISTS:
        node = node_at(summary, *path)
        items = _items(node)
        total = max(list_total(summary, *path), len(items))
        if not total:
            continue
        shown = items[:cap]
        lines = tuple(
            m.bullet + (render(c if linked else unlinked, it) if isinstance(it, Mapping)
                        else m.escape(clip(it, NAME_MAX)))
            for it in shown
        )
        # Normally hidden items + truncated == total - shown; trust the larger if they disagree.
        more = max(len(items) - len(shown) + _truncated(node), total - len(shown))
        out.append(ListSection(key, c._(title), total, lines, more))
    earlier = earlier_failures(summary)
    if earlier:  # a count, not a relisted block: the dashboard lists them
        title = c._("Earlier failures, listed on the dashboard") if c.links else c._("Earlier failures")
        out.append(ListSection("failed.earlier", title, earlier, (), 0))
    return out


def section_text(section: ListSection, c: Chat, budget: int, *, heading: Callable[[str], str] | None = None,
                 sep: str = "\n") -> str:
    """Heading + as many lines as fit in ``budget`` (in ``m.measure`` units) + "… and N more"."""
    m = c.m
    head = (heading or m.bold)(f"{section.title} ({section.total})")
    parts = [head]
    used = m.measure(head)
    reserve = m.measure(sep + m.more_prefix + m.escape(more_line(c, WORST_COUNT)))
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
        parts.append(m.more_prefix + m.escape(more_line(c, more)))
    return sep.join(parts)


def headline(summary: Mapping[str, Any], c: Chat) -> tuple[str, str]:
    """(title, severity): what changed in the window, then what needs attention now; severity is
    ``failed`` (new failures), ``stalled`` (anything needing attention) or ``ok``."""
    new_failed = list_total(summary, "changes", "failed")
    new_stalled = list_total(summary, "changes", "stalled")
    changed = [
        label.format(n=n)
        for n, label in (
            (new_failed, c._("{n} newly failed")), (new_stalled, c._("{n} newly stalled")),
            (list_total(summary, "changes", "succeeded"), c._("{n} completed")),
            (list_total(summary, "changes", "recovered"), c._("{n} recovered")),
        )
        if n
    ]
    health = summary.get("health") if isinstance(summary.get("health"), Mapping) else {}
    attention = health_text(c, health)
    severity = "failed" if new_failed else "stalled" if attention or new_stalled else "ok"
    icon = {"failed": "❌", "stalled": "⚠️", "ok": "✅"}[severity]
    status = c._(", ").join(changed) if changed else c._("no change")
    if attention:
        status += " · " + c._("needs attention: {counts}").format(counts=attention)
    elif not changed:
        status = c._("no change, nothing needs attention")
    return c._("{icon} SMS migration: {status}").format(icon=icon, status=status), severity


def _generated(c: Chat, summary: Mapping[str, Any]) -> str:
    return c._("generated {time}").format(time=short_time(summary.get("generated_at") or "?"))


def window_text(summary: Mapping[str, Any], c: Chat) -> str:
    window = summary.get("window") if isinstance(summary.get("window"), Mapping) else {}
    start, end = window.get("start"), window.get("end")
    if start or end:
        return f"{short_time(start or '?')} → {short_time(end or '?')}"
    return _generated(c, summary)


def totals_text(summary: Mapping[str, Any], c: Chat) -> str:
    total, scanned = summary.get("total"), summary.get("scanned")
    if isinstance(total, int) and not isinstance(total, bool):
        text = c.n_("{n} task", "{n} tasks", total).format(n=total)
    else:
        text = c._("? tasks")
    if summary.get("partial"):
        shown = scanned if isinstance(scanned, int) and not isinstance(scanned, bool) else "?"
        text += " · " + c._("⚠️ partial: scanned {n}").format(n=shown)
    return text


def intro_text(summary: Mapping[str, Any], c: Chat) -> str:
    """The line under the title: the window, the totals and the fleet's progress (estimates)."""
    progress = summary.get("progress") if isinstance(summary.get("progress"), Mapping) else {}
    done = progress_text(c, progress, progress.get("eta"))
    return " · ".join(p for p in (window_text(summary, c), totals_text(summary, c), done) if p)


def open_dashboard(c: Chat) -> str:
    """The label of the message's dashboard button or link."""
    return c._("Open dashboard")


def health_counts(summary: Mapping[str, Any], c: Chat) -> list[tuple[str, int]]:
    """Non-zero counts by health, worst first, each with its name in the message's language
    (none in a quiet tick's message)."""
    health = summary.get("health") if isinstance(summary.get("health"), Mapping) else {}
    if c.quiet:
        return []
    return [
        (c._(label), v)
        for k, label in HEALTH_LABELS.items()
        if isinstance((v := health.get(k)), int) and not isinstance(v, bool) and v > 0
    ]


def footer_text(summary: Mapping[str, Any], delivery_id: str, c: Chat) -> str:
    parts = [_generated(c, summary), c._("delivery {id}").format(id=clip(delivery_id, 64))]
    violations = summary.get("schema_violations")
    if isinstance(violations, int) and not isinstance(violations, bool) and violations > 0:
        parts.append(c.n_("{n} schema violation", "{n} schema violations", violations).format(n=violations))
    return " · ".join(parts)
