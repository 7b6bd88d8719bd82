"""Server-rendered pages: Jinja2 templates (``templates/``) with autoescaping on, so every task
name, error and filter value written by SMS users is HTML-escaped; one environment per language,
its gettext catalog installed. The CSS is inline and allowed by its hash in the
``Content-Security-Policy``; there are no scripts, fonts or images from anywhere."""
from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from shared import i18n
from shared.dashboard.error_messages import error_message
from shared.dashboard.links import DASHBOARD_SCOPE, link, task_path
from shared.dashboard.visible import finalize
from shared.errors import ERROR_CODE_KEYS, ERROR_MESSAGE_KEYS, error_fields
from shared.i18n.labels import HEALTH_LABELS, OS_LABELS, STATE_LABELS, STATE_TONE, TYPE_LABELS
from shared.summary.fields import clamp_progress, epoch_ms, iso_ms, parse_error, sub_task_facts
from shared.summary.health import HEALTHS
from shared.vocabulary import OTHER, OTHER_GROUP, states

HERE = Path(__file__).resolve().parent
CSS = (HERE / "page.css").read_text(encoding="utf-8")
CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")
# Nothing but the inline stylesheet (bars are <meter>/<progress>, no image is fetched; the icon
# link is empty so no favicon is requested, see base.html); forms only to this origin; no framing,
# no base rewriting.
CSP = (f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
# HTTPS only for a year on this host (not its subdomains: the API group's domain is shared).
HSTS = "max-age=31536000"
HTML_TYPE = "text/html;charset=UTF-8"
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}
# A health's badge: its word is on the page, the colour only repeats it.
HEALTH_TONE = {"failed": "bad", "stalled": "bad", "lagging": "warn", "healthy": "busy", "waiting": "idle",
               "stopped": "idle", "done": "ok"}
# Task fields holding epoch milliseconds (the rest of the numbers are shown as they are).
DATE_FIELDS = frozenset({"create_date", "start_date", "end_date", "estimate_complete_time"})


def security_headers(content_type: str = HTML_TYPE) -> dict[str, str]:
    """Every dashboard response: nothing cached (the URL is a credential), no Referer sent on."""
    return {
        "Content-Type": content_type,
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": CSP,
        "Strict-Transport-Security": HSTS,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }


@dataclass(frozen=True)
class PageContext:
    """What every page needs besides its data: language, the token its links keep, filters."""

    lang: str
    token: str
    path: str
    filters: dict[str, str] = field(default_factory=dict)
    refresh: bool = False
    refresh_seconds: int = 60
    expires: int | None = None  # the token's expiry (epoch seconds)
    dashboard_allowed: bool = True  # the token opens /dashboard (a task link may open one task only)
    generated_at: str | None = None
    full: bool = False  # ``?full=1``: every list as long as a summary allows ("… and N more" leads here)

    def href(self, path: str, **params: Any) -> str:
        """A link of this site (no base URL) keeping the page's language and token."""
        return link("", path, self.token, {**params, "lang": self.lang})

    def dashboard_href(self, *, refresh: bool | None = None, lang: str | None = None,
                       full: bool | None = None) -> str:
        on = self.refresh if refresh is None else refresh
        ctx = self if lang is None else replace(self, lang=lang)
        long = self.full if full is None else full
        return ctx.href(DASHBOARD_SCOPE, **self.filters, refresh="1" if on else None, full="1" if long else None)

    def view(self) -> dict[str, Any]:
        languages = []
        for code in i18n.LANGUAGES if self.token else ():
            if self.path == DASHBOARD_SCOPE:
                href = self.dashboard_href(lang=code)
            else:
                href = replace(self, lang=code).href(self.path)
            languages.append((code, LANGUAGE_NAMES[code], href))
        return {
            "lang": self.lang,
            "token": self.token,
            "refresh": self.refresh,
            "refresh_seconds": self.refresh_seconds,
            "languages": languages,
            "generated_at": self.generated_at,
            "expires_at": iso_ms(self.expires * 1000) if self.expires else None,
            "csv_href": self.href(f"{DASHBOARD_SCOPE}/tasks.csv", **self.filters),
            "refresh_on_href": self.dashboard_href(refresh=True),
            "refresh_off_href": self.dashboard_href(refresh=False),
            "dashboard_href": self.dashboard_href(full=False) if self.dashboard_allowed else None,
            "full": self.full,
            "full_href": self.dashboard_href(full=True),
        }


def _when(value: Any) -> str:
    """ISO-8601 or epoch ms → ``2026-11-29 01:28 UTC``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        ms = epoch_ms(value)
        value = iso_ms(ms) if ms is not None else value
    if not isinstance(value, str):
        return "—" if value is None else str(value)
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _field(value: Any, key: str = "") -> str:
    """One task field for the "all fields" tables (escaped by the template)."""
    if key in DATE_FIELDS and isinstance(value, (int, float)) and epoch_ms(value) is not None:
        return f"{_when(value)} ({value})"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, indent=None)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def error_parts(error: Any) -> dict[str, Any]:
    """The summary's/parse_error's error (object, text or null) as code, message and the rest."""
    if isinstance(error, Mapping):
        code, message = error_fields(error)
        extra = [(str(k), _field(v)) for k, v in error.items() if k not in (*ERROR_CODE_KEYS, *ERROR_MESSAGE_KEYS)]
        return {"code": None if code is None else str(code), "message": None if message is None else str(message),
                "extra": extra}
    return {"code": None, "message": None if error is None else str(error), "extra": []}


def _tone(state: Any) -> str:
    return STATE_TONE.get(str(state), "idle")


@lru_cache(maxsize=len(i18n.LANGUAGES))
def environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        finalize=finalize,  # no bidi or invisible character from the data reaches the page
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translate = i18n.gettext_for(lang)
    env.install_gettext_callables(translate, i18n.ngettext_for(lang), newstyle=True)  # type: ignore[attr-defined]
    # one wording of idle and elapsed times, pages and chat messages alike
    env.filters.update(when=_when, duration=lambda seconds: i18n.duration(seconds, lang), field=_field)
    env.globals.update(
        css=Markup(CSS),  # our own file: the hash above must match it verbatim
        states=states(),
        state_label=lambda key: translate(STATE_LABELS.get(str(key), str(key))),
        type_label=lambda key: translate(TYPE_LABELS.get(str(key), str(key))),
        os_label=lambda key: translate(OS_LABELS.get(str(key), str(key))),
        tone=_tone,
        healths=HEALTHS,
        health_label=lambda key: translate(HEALTH_LABELS.get(str(key), str(key))),
        health_tone=lambda key: HEALTH_TONE.get(str(key), "idle"),
        # the tasks of no declared wave: a reserved name, shown in the page's language
        wave_label=lambda name: translate(STATE_LABELS[OTHER]) if name == OTHER_GROUP else name,
        error_parts=error_parts,
    )
    return env


def _task_href(ctx: PageContext, task_id: Any) -> str | None:
    """A task's page link, or None when its id names no page (not text, empty, `.` or `..`)."""
    path = task_path(task_id) if isinstance(task_id, str) else None
    return None if path is None else ctx.href(path)


def _render(name: str, ctx: PageContext, **data: Any) -> str:
    env = environment(ctx.lang)
    return env.get_template(name).render(
        page=ctx.view(),
        task_href=lambda task_id: _task_href(ctx, task_id),
        **data,
    )


def _ids(section: Mapping[str, Any]) -> set[str]:
    return {str(item.get("id")) for item in section.get("items", ()) if isinstance(item, Mapping)}


def _overdue(value: Any, now: Any) -> bool:
    """An estimate at or before the page's time: shown as overdue, never as a time to wait for."""
    ms, now_ms = epoch_ms(_ms(value)), epoch_ms(_ms(now))
    return ms is not None and now_ms is not None and ms <= now_ms


def _ms(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def dashboard_view(summary: Mapping[str, Any]) -> dict[str, Any]:
    """What the page derives from the summary: the band's projection and why it may be unknown,
    each wave's target (a lagging task behind its wave's target shows it), the window's new
    failures, stalls and recoveries (marked in the lists the tasks are in, never listed twice)."""
    progress, health = summary["progress"], summary["health"]
    eta, now = progress.get("eta"), summary["generated_at"]
    if eta:
        projection = "overdue" if _overdue(eta, now) else "estimate"
    elif progress.get("status") == "completed" or not any(health[h] for h in HEALTHS if h not in ("done", "stopped")):
        projection = "nothing_left"
    elif health["stalled"]:
        projection = "stalled"
    else:
        projection = "unknown"
    changes = summary["changes"]
    return {
        "projection": projection,
        "targets": {g["name"]: g.get("target") for g in summary.get("groups", ())},
        "new": {"failed": _ids(changes["failed"]), "stalled": _ids(changes["stalled"]),
                "recovered": _ids(changes["recovered"])},
        "peak": {key: max(summary[key].values(), default=0) or 1 for key in ("by_state", "by_type", "by_os")},
    }


def render_dashboard(summary: Mapping[str, Any], ctx: PageContext) -> str:
    return _render("dashboard.html", ctx, s=summary, v=dashboard_view(summary), filters=ctx.filters,
                   overdue=lambda value: _overdue(value, summary["generated_at"]))


def task_view(task: Mapping[str, Any]) -> dict[str, Any]:
    """What the task page shows besides the raw fields: progress, the sub task timeline, the error."""
    facts = sub_task_facts(task.get("sub_tasks"))
    steps = []
    for sub in task.get("sub_tasks") or []:
        if not isinstance(sub, Mapping):
            continue
        start, end = epoch_ms(sub.get("start_date")), epoch_ms(sub.get("end_date"))
        steps.append({
            "name": sub.get("name"),
            "progress": 100 if end is not None else clamp_progress(sub.get("progress")),
            "start": start, "end": end, "started": start is not None, "done": end is not None,
            "duration": (end - start) // 1000 if start is not None and end is not None and end >= start else None,
        })
    error = parse_error(task.get("error_json"))
    return {
        "state": task.get("state"),
        "progress": facts.progress,
        "sub_tasks": steps,
        "error": error_parts(error) if error is not None else None,
    }


def render_task(task: Mapping[str, Any], ctx: PageContext) -> str:
    return _render("task.html", ctx, task=task, view=task_view(task))


def render_error(status: int, error_code: str, error_msg: str, ctx: PageContext) -> str:
    """An error page in the page's language: a translated sentence for the code, the original
    message as the detail, and a way back (the dashboard with the same token when the token is
    valid and opens it; else what to do instead)."""
    _ = i18n.gettext_for(ctx.lang)
    headings = {404: _("Not found"), 400: _("Bad request")}
    # The link's own 401 only: SMS refusing the function's credentials is a 401 too, not the link's fault.
    link_refused = error_code == "SMSFN.0401"
    heading = _("Link not valid") if link_refused else headings.get(status, _("Error"))
    back = ctx.dashboard_href(full=False) if ctx.token and ctx.dashboard_allowed else None
    return _render("error.html", ctx, heading=heading, back_href=back, link_refused=link_refused,
                   error={"status": status, "error_code": error_code, "error_msg": error_msg,
                          "message": _(error_message(status, error_code))})
