"""DingTalk custom robot: a ``markdown`` message (``title`` for the notification, ``text``), or,
when the dashboard is configured, the same markdown as an ``actionCard`` with one button
(``singleTitle``/``singleURL``) that opens it.

With a secret, every attempt appends ``timestamp`` (milliseconds) and ``sign`` (URL-encoded, see
``signing.dingtalk_sign``) to the webhook URL's query, next to ``access_token``.

Limits used: the request body at most 20,000 bytes (DingTalk answers 460101 "message too long,
exceed 20000 bytes"); 20 messages per minute per robot, after which it throttles for 10 minutes.
``<``/``>`` in user text become full-width so they can't form HTML.

Answers: ``{"errcode": 0, "errmsg": "ok"}``. Non-zero is a failure; retried only for 130101
("send too fast, exceed 20 times per minute") and -1 (system busy). 310000 (keyword, signature or
IP check failed) and others are configuration errors."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

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
from shared.webhooks.signing import dingtalk_sign

MAX_BODY_BYTES = 20_000
RETRYABLE_CODES = frozenset({130101, -1})


escape = esc.markdown


MARKUP = t.Markup(escape=escape, bold=lambda s: f"**{s}**", code=lambda s: s, bullet="- ", measure=t.utf8_len,
                  more_prefix="- ")


def build_payload(summary: Mapping[str, Any], ctx: RenderContext, cap: int) -> dict[str, Any]:
    c = t.Chat.of(MARKUP, ctx)
    title, _severity = t.headline(summary, c)
    parts = [f"#### {escape(title)}", escape(t.intro_text(summary, c))]
    counts = t.health_counts(summary, c)
    if counts:
        parts.append("\n".join(f"- {escape(k)}: **{v}**" for k, v in counts))
    parts += [t.section_text(s, c, MAX_BODY_BYTES) for s in t.list_sections(summary, c, cap)]
    parts.append(f"> {escape(t.footer_text(summary, ctx.delivery_id, c))}")
    notice, text = t.clip(title, 64), "\n\n".join(parts)
    url = c.dashboard_url()
    if url:  # the same markdown as an ActionCard, whose one button opens the dashboard
        return {"msgtype": "actionCard", "actionCard": {
            "title": notice, "text": text, "btnOrientation": "0",
            "singleTitle": t.open_dashboard(c), "singleURL": url,
        }}
    return {"msgtype": "markdown", "markdown": {"title": notice, "text": text}}


@dataclass(frozen=True)
class DingTalkMessage:
    url: str
    body: bytes
    secret: str | None

    def build(self, now: float) -> OutgoingRequest:
        url = self.url
        if self.secret:
            ts = int(now * 1000)
            sep = "&" if "?" in url else "?"
            url = f"{url}{sep}timestamp={ts}&sign={quote_plus(dingtalk_sign(self.secret, ts))}"
        return OutgoingRequest(url, self.body, {"Content-Type": JSON_CONTENT_TYPE})


def render(summary: Mapping[str, Any], url: str, secret: str | None, ctx: RenderContext) -> DingTalkMessage:
    payload = fit(
        lambda cap: build_payload(summary, ctx, cap),
        lambda p: len(dumps(p)) <= MAX_BODY_BYTES,
        ctx.max_items,
    )
    return DingTalkMessage(url, dumps(payload), secret)


def interpret(status: int, body: str) -> Verdict:
    return errcode_verdict("DingTalk", status, body, RETRYABLE_CODES)
