"""``generic``: the summary itself as the JSON body, signed per Standard Webhooks.

Headers: ``webhook-id`` (the delivery id, identical on every retry so receivers can dedupe),
``webhook-timestamp`` (unix seconds of this attempt) and, with a ``whsec_`` secret,
``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, re-signed per attempt.

Links: when the dashboard is configured, the body also carries ``dashboard_url`` (the dashboard
with the summary's filters) and each failed, newly failed and stalled item its own
``dashboard_url`` (that task's page): signed, expiring links that open in the target's ``lang``.
The payload itself stays language-neutral: codes, numbers and SMS's own text, no words of ours.

Size: Standard Webhooks recommends payloads "smaller than 20kb"; ``WEBHOOK_GENERIC_MAX_BYTES``
(default 20,000) is enforced by cutting list ``items`` (moving the cut ones into each list's
``truncated``, so ``total`` stays exact) and, first, clipping very long strings inside items.

Answers: any 2xx is success; 429 and 5xx are retried (``Retry-After`` honoured); 3xx and other
4xx (including 410 Gone, which the spec says means "stop sending") are final."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.webhooks.formats.base import (
    JSON_CONTENT_TYPE,
    ChatLinks,
    OutgoingRequest,
    RenderContext,
    RenderError,
    Verdict,
    dumps,
    fit,
    http_verdict,
    short,
    webhook_id,
)
from shared.webhooks.formats.text import clip
from shared.webhooks.notify import node_at
from shared.webhooks.signing import standard_headers, standard_key

ITEM_STRING_MAX = 512
# Every list of the summary (format v2), and whether its items get their task page's link (the
# tasks that need attention: failed, stalled, lagging, newly failed, newly stalled).
SUMMARY_LISTS: tuple[tuple[tuple[str, ...], bool], ...] = (
    (("failed",), True), (("stalled",), True), (("lagging",), True), (("running",), False),
    (("changes", "failed"), True), (("changes", "stalled"), True), (("changes", "succeeded"), False),
    (("changes", "recovered"), False),
)


def _list_nodes(summary: dict[str, Any], *, linked_only: bool = False) -> list[dict[str, Any]]:
    nodes = []
    for path, linked in SUMMARY_LISTS:
        node = node_at(summary, *path)
        if (linked or not linked_only) and isinstance(node, dict) and isinstance(node.get("items"), list):
            nodes.append(node)
    return nodes


def _clip_strings(value: Any) -> Any:
    if isinstance(value, str):
        return clip(value, ITEM_STRING_MAX) if len(value) > ITEM_STRING_MAX else value
    if isinstance(value, dict):
        return {k: _clip_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clip_strings(v) for v in value]
    return value


def _capped(base: Mapping[str, Any], cap: int | None) -> dict[str, Any]:
    """A copy with every list cut to ``cap`` items (``None``: no cut); never mutates ``base``."""
    out = dict(base)
    # Copy only the containers on the way to each list; items themselves are shared, not mutated.
    for key in ("failed", "stalled", "lagging", "running"):
        if isinstance(out.get(key), dict):
            out[key] = dict(out[key])
    if isinstance(out.get("changes"), dict):
        out["changes"] = {k: dict(v) if isinstance(v, dict) else v for k, v in out["changes"].items()}
    for node in _list_nodes(out):
        items = node["items"]
        if cap is not None and len(items) > cap:
            cut = len(items) - cap
            node["items"] = items[:cap]
            prior = node.get("truncated")
            node["truncated"] = (prior if isinstance(prior, int) and not isinstance(prior, bool) else 0) + cut
    return out


def fit_summary(summary: Mapping[str, Any], max_bytes: int) -> bytes:
    """The summary as JSON bytes, cut to ``max_bytes``; unchanged when it already fits."""
    body = dumps(summary)
    if len(body) <= max_bytes:
        return body
    base = _capped(summary, None)
    for node in _list_nodes(base):  # long free text first: one huge error must not cost every item
        node["items"] = _clip_strings(node["items"])
    longest = max((len(n["items"]) for n in _list_nodes(base)), default=0)
    try:
        trimmed = fit(lambda cap: _capped(base, cap), lambda s: len(dumps(s)) <= max_bytes, longest)
    except RenderError:
        raise RenderError(
            f"the summary does not fit WEBHOOK_GENERIC_MAX_BYTES={max_bytes} even without list items"
        ) from None
    return dumps(trimmed)


@dataclass(frozen=True)
class GenericMessage:
    url: str
    body: bytes
    msg_id: str
    key: bytes | None

    def build(self, now: float) -> OutgoingRequest:
        signed = standard_headers(self.key, self.msg_id, int(now), self.body)
        return OutgoingRequest(self.url, self.body, {"Content-Type": JSON_CONTENT_TYPE, **signed})


def _item_link(item: Any, links: ChatLinks, lang: str) -> Any:
    """The item with its page's ``dashboard_url``, or as it was when its id names no page."""
    url = links.task(item["id"], lang) if isinstance(item, dict) and isinstance(item.get("id"), str) else None
    return {**item, "dashboard_url": url} if url else item


def with_links(summary: Mapping[str, Any], links: ChatLinks, lang: str) -> dict[str, Any]:
    """A copy with ``dashboard_url`` on the summary and on each item of the lists the chat
    messages link (failed, stalled, lagging, newly failed, newly stalled); the caller's summary and its items are not
    touched."""
    out = _capped(summary, None)
    out["dashboard_url"] = links.dashboard(lang)
    for node in _list_nodes(out, linked_only=True):
        node["items"] = [_item_link(item, links, lang) for item in node["items"]]
    return out


def render(summary: Mapping[str, Any], url: str, secret: str | None, ctx: RenderContext) -> GenericMessage:
    key = standard_key(secret) if secret else None
    body = summary if ctx.links is None else with_links(summary, ctx.links, ctx.lang)
    return GenericMessage(url, fit_summary(body, ctx.generic_max_bytes), webhook_id(ctx.delivery_id), key)


def interpret(status: int, body: str) -> Verdict:
    return http_verdict(status, "" if 200 <= status < 300 else short(body, 80))
