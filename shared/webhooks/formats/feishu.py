"""Feishu / Lark custom bot: an interactive card (``msg_type: interactive``).

Card: ``header`` (plain_text title, colour template), ``div`` elements with ``lark_md`` text and
short ``fields``, ``hr``, and a ``note`` footer. With a secret, the body also carries ``timestamp``
(seconds) and ``sign`` (see ``signing.feishu_sign``), re-computed on every attempt.

Limits used: the request body at most 20 KB (Feishu custom-bot guide; cards themselves at most
30 KB), measured as the UTF-8 bytes we send, with room kept for ``timestamp``/``sign``. ``&``, ``<``,
``>`` are written as HTML entities so a task name can't inject ``<at id=all>`` mentions.

Answers: ``{"code": 0, "msg": "success"}`` (older answers use ``StatusCode``). Non-zero codes are
failures; only rate limiting is retried: 11232 (frequency limit, 100/min and 5/s per bot), 9499
when its message says "too many request", or HTTP 429. 19021 (bad signature or timestamp), 19022
(IP not allowed) and 19024 (keyword missing) are configuration errors and are not retried."""
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
    coded_answer_verdict,
    dumps,
    fit,
    parse_json_object,
    short,
)
from shared.webhooks.signing import feishu_sign

MAX_BODY_BYTES = 20_000
RATE_LIMIT_CODES = frozenset({11232})
_SIGN_PLACEHOLDER = {"timestamp": "0" * 10, "sign": "x" * 44}  # sizes of a real ts and signature
_TEMPLATES = {"failed": "red", "stalled": "orange", "ok": "green"}


escape = esc.lark_md


MARKUP = t.Markup(escape=escape, bold=lambda s: f"**{s}**", code=lambda s: s, bullet="- ", measure=t.utf8_len,
                  more_prefix="- ")


def _md(content: str) -> dict[str, Any]:
    return {"tag": "div", "text": {"tag": "lark_md", "content": content}}


def build_card(summary: Mapping[str, Any], ctx: RenderContext, cap: int) -> dict[str, Any]:
    c = t.Chat.of(MARKUP, ctx)
    title, severity = t.headline(summary, c)
    elements: list[dict[str, Any]] = [_md(escape(t.intro_text(summary, c)))]
    counts = t.health_counts(summary, c)
    if counts:
        elements.append({
            "tag": "div",
            "fields": [
                {"is_short": True, "text": {"tag": "lark_md", "content": f"**{escape(k)}**\n{v}"}}
                for k, v in counts
            ],
        })
    sections = t.list_sections(summary, c, cap)
    if sections:
        elements.append({"tag": "hr"})
    elements += [_md(t.section_text(s, c, MAX_BODY_BYTES)) for s in sections]
    url = c.dashboard_url()
    if url:  # the card's own button (message card ``action`` module, a button with ``url``)
        elements.append({"tag": "action", "actions": [{
            "tag": "button", "type": "primary", "url": url,
            "text": {"tag": "plain_text", "content": t.open_dashboard(c)},
        }]})
    elements.append({"tag": "note", "elements": [
        {"tag": "plain_text", "content": t.footer_text(summary, ctx.delivery_id, c)},
    ]})
    return {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": title}, "template": _TEMPLATES[severity]},
        "elements": elements,
    }


@dataclass(frozen=True)
class FeishuMessage:
    url: str
    card: dict[str, Any]
    secret: str | None

    def payload(self, now: float) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.secret:
            ts = int(now)
            body = {"timestamp": str(ts), "sign": feishu_sign(self.secret, ts)}
        return {**body, "msg_type": "interactive", "card": self.card}

    def build(self, now: float) -> OutgoingRequest:
        return OutgoingRequest(self.url, dumps(self.payload(now)), {"Content-Type": JSON_CONTENT_TYPE})


def render(summary: Mapping[str, Any], url: str, secret: str | None, ctx: RenderContext) -> FeishuMessage:
    extra = _SIGN_PLACEHOLDER if secret else {}

    def fits(card: dict[str, Any]) -> bool:
        return len(dumps({**extra, "msg_type": "interactive", "card": card})) <= MAX_BODY_BYTES

    card = fit(lambda cap: build_card(summary, ctx, cap), fits, ctx.max_items)
    return FeishuMessage(url, card, secret)


def interpret(status: int, body: str) -> Verdict:
    data = parse_json_object(body)
    code = None
    if data is not None:
        code = data.get("code", data.get("StatusCode"))
    msg = short(str(data.get("msg") or data.get("StatusMessage") or "")) if data else short(body)
    limited = code in RATE_LIMIT_CODES or (code == 9499 and "too many" in msg.lower())
    return coded_answer_verdict("Feishu", status, code, msg, retryable=limited, code_word="code")
