"""Slack incoming webhook: Block Kit blocks plus a ``text`` fallback for notifications.

Limits used (docs.slack.dev Block Kit reference): at most 50 blocks per message; header text
(plain_text) 150 characters; section text 3000; section fields at most 10, each 2000; context at
most 10 elements. On top, the sum of all text is kept under 12,000 characters: Slack has rejected
messages of ~13k characters of block text with ``msg_blocks_too_long`` although every documented
limit held (slackapi/bolt-js#2509). Text is escaped as Slack documents (``&``, ``<``, ``>``), which
also defuses ``<!channel>``-style mentions in task names.

Answers: 200 with body ``ok``; errors are HTTP statuses with a short code in the body
(400 ``invalid_payload``, 403 ``action_prohibited``, 404 ``channel_not_found``, 410
``channel_is_archived``, 500 ``rollup_error``; api.slack.com changelog 2016-05-17); rate limiting
is 429 with ``Retry-After`` (about one message per second per webhook). Slack-compatible receivers
(Mattermost, Rocket.Chat) answer 2xx with other bodies (empty, JSON): a 2xx is delivered unless its
body is one of Slack's documented error codes (``SLACK_ERRORS``)."""
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
    fit,
    http_verdict,
    short,
)

MAX_BLOCKS = 50
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
FIELD_MAX = 2000
FIELDS_MAX = 10
CONTEXT_ELEMENTS_MAX = 10
TOTAL_TEXT_BUDGET = 12_000
FALLBACK_MAX = 300
# Slack's incoming-webhook error codes ("Handling errors", the 2016 changelog, msg_blocks_too_long).
SLACK_ERRORS = frozenset({
    "invalid_payload", "user_not_found", "channel_not_found", "channel_is_archived", "action_prohibited",
    "posting_to_general_channel_denied", "too_many_attachments", "no_service", "no_service_id", "no_team",
    "team_disabled", "invalid_token", "rollup_error", "no_text", "missing_text_or_fallback_or_attachments",
    "msg_too_long", "msg_blocks_too_long", "invalid_blocks", "invalid_blocks_format", "invalid_attachments",
})


escape = esc.slack_mrkdwn


MARKUP = t.Markup(
    escape=escape,
    bold=lambda s: f"*{s}*",
    code=lambda s: f"`{s}`",
    bullet="• ",
    measure=t.utf16_len,
    link=t.slack_link,
)
BUTTON_TEXT_MAX = 75
BUTTON_URL_MAX = 3000


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def build_payload(summary: Mapping[str, Any], ctx: RenderContext, cap: int) -> dict[str, Any]:
    c = t.Chat.of(MARKUP, ctx)
    title, _severity = t.headline(summary, c)
    header = {"type": "plain_text", "text": t.clip_to(title, HEADER_MAX, t.utf16_len), "emoji": True}
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": header},
        {"type": "context", "elements": [_mrkdwn(escape(t.intro_text(summary, c)))]},
    ]
    counts = t.health_counts(summary, c)
    for start in range(0, len(counts), FIELDS_MAX):
        chunk = counts[start:start + FIELDS_MAX]
        blocks.append({"type": "section", "fields": [_mrkdwn(f"*{escape(k)}*\n{v}") for k, v in chunk]})
    sections = t.list_sections(summary, c, cap)
    if sections:
        blocks.append({"type": "divider"})
    for section in sections:
        body = t.section_text(section, c, SECTION_TEXT_MAX)
        blocks.append({"type": "section", "text": _mrkdwn(body)})
    url = c.dashboard_url()
    if url and len(url) <= BUTTON_URL_MAX:  # a link button: opens the URL, needs no Slack app
        label = t.clip_to(t.open_dashboard(c), BUTTON_TEXT_MAX, t.utf16_len)
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "action_id": "open_dashboard", "url": url,
            "text": {"type": "plain_text", "text": label, "emoji": False},
        }]})
    blocks.append({"type": "context", "elements": [_mrkdwn(escape(t.footer_text(summary, ctx.delivery_id, c)))]})
    return {"text": t.clip_to(title, FALLBACK_MAX, t.utf16_len), "blocks": blocks}


def _texts(node: Any) -> int:
    """UTF-16 units of every ``text`` in a block, however deep (a button's label is nested)."""
    if isinstance(node, Mapping):
        own = node.get("text")
        total = t.utf16_len(own) if isinstance(own, str) else 0
        return total + sum(_texts(v) for k, v in node.items() if k != "text" or not isinstance(v, str))
    if isinstance(node, list):
        return sum(_texts(v) for v in node)
    return 0


def text_size(payload: Mapping[str, Any]) -> int:
    """All text Slack will count, in UTF-16 units."""
    return t.utf16_len(payload.get("text", "")) + _texts(payload.get("blocks", []))


@dataclass(frozen=True)
class SlackMessage:
    url: str
    body: bytes

    def build(self, now: float) -> OutgoingRequest:
        return OutgoingRequest(self.url, self.body, {"Content-Type": JSON_CONTENT_TYPE})


def render(summary: Mapping[str, Any], url: str, secret: str | None, ctx: RenderContext) -> SlackMessage:
    payload = fit(
        lambda cap: build_payload(summary, ctx, cap),
        lambda p: len(p["blocks"]) <= MAX_BLOCKS and text_size(p) <= TOTAL_TEXT_BUDGET,
        ctx.max_items,
    )
    return SlackMessage(url, dumps(payload))


def interpret(status: int, body: str) -> Verdict:
    text = body.strip()
    if 200 <= status < 300:
        if text in SLACK_ERRORS:
            return Verdict(False, error=f"Slack answered {text!r}")
        return Verdict(True)
    return http_verdict(status, short(text, 80))
