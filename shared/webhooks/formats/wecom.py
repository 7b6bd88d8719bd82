"""WeCom (WeChat Work) group robot: a ``markdown`` message.

Limits used: ``markdown.content`` at most 4096 bytes of UTF-8 (WeCom group-robot doc; longer
content is rejected with errcode 40058 "markdown.content exceed max length 4096"); 20 messages per
minute per robot. WeCom has no signing: the ``key`` in the URL is the credential. ``<``/``>`` in
user text become full-width so a task name can't form ``<@userid>`` mentions or ``<font>`` tags.

Answers: ``{"errcode": 0, "errmsg": "ok"}``. Non-zero is a failure; retried only for 45009 (API
frequency limit) and -1 (system busy)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.webhooks.formats import escape as esc
from shared.webhooks.formats import text as t
from shared.webhooks.formats.base import (
    JSON_CONTENT_TYPE,
    OutgoingRequest,
    RenderContext,
    Verdict,
    dumps,
    errcode_verdict,
    fit,
)

MAX_CONTENT_BYTES = 4096
RETRYABLE_CODES = frozenset({45009, -1})
_COLORS = {"failed": "warning", "stalled": "warning", "ok": "info"}


escape = esc.markdown


MARKUP = t.Markup(escape=escape, bold=lambda s: f"**{s}**", code=lambda s: f"`{s}`", bullet="- ",
                  measure=t.utf8_len, more_prefix="- ")


def build_content(summary: Mapping[str, Any], ctx: RenderContext, cap: int) -> str:
    c = t.Chat.of(MARKUP, ctx)
    title, severity = t.headline(summary, c)
    parts = [
        f'### <font color="{_COLORS[severity]}">{escape(title)}</font>',
        f'<font color="comment">{escape(t.intro_text(summary, c))}</font>',
    ]
    counts = t.health_counts(summary, c)
    if counts:
        parts.append(" · ".join(f"{escape(k)} **{v}**" for k, v in counts))
    parts += [t.section_text(s, c, MAX_CONTENT_BYTES) for s in t.list_sections(summary, c, cap)]
    url = c.dashboard_url()
    if url:  # WeCom's markdown has links but no buttons
        parts.append(t.markdown_link(escape(t.open_dashboard(c)), url))
    parts.append(f'<font color="comment">{escape(t.footer_text(summary, ctx.delivery_id, c))}</font>')
    return "\n\n".join(parts)


@dataclass(frozen=True)
class WeComMessage:
    url: str
    body: bytes

    def build(self, now: float) -> OutgoingRequest:
        return OutgoingRequest(self.url, self.body, {"Content-Type": JSON_CONTENT_TYPE})


def render(summary: Mapping[str, Any], url: str, secret: str | None, ctx: RenderContext) -> WeComMessage:
    content = fit(
        lambda cap: build_content(summary, ctx, cap),
        lambda c: t.utf8_len(c) <= MAX_CONTENT_BYTES,
        ctx.max_items,
    )
    return WeComMessage(url, dumps({"msgtype": "markdown", "markdown": {"content": content}}))


def interpret(status: int, body: str) -> Verdict:
    return errcode_verdict("WeCom", status, body, RETRYABLE_CODES)
