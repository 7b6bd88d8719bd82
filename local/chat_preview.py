"""The webhook sink's chat preview: every message received, newest first, drawn the way its platform
shows it (Slack Block Kit, Feishu card, DingTalk action card or markdown, WeCom markdown, generic JSON).

Everything in a message is data: it is HTML-escaped first, and only then does the platform's own
markup (bold, code, links, WeCom's ``<font>``) become tags, each built here from escaped pieces. A
link becomes ``<a>`` only for an http(s) URL. The page has no script and loads nothing from elsewhere
(its Content-Security-Policy says so)."""
from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from markupsafe import Markup, escape

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
LANGS = ("en", "zh-CN")

_MD_LINK = re.compile(r"\[([^\[\]\n]*)\]\(([^()\s]+)\)")
_SLACK_LINK = re.compile(r"<([^<>|\s]+)(?:\|([^<>]*))?>")
_FONT = re.compile(r'<font color="(\w+)">(.*?)</font>', re.S)
_CODE = re.compile(r"`([^`\n]+)`")
_MD_BOLD = re.compile(r"\*\*([^*\n]+)\*\*")
_SLACK_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_SLACK_ITALIC = re.compile(r"(?<![A-Za-z0-9_])_([^_\n]+)_(?![A-Za-z0-9_])")
_SLACK_STRIKE = re.compile(r"(?<![\w~])~([^~\n]+)~(?![\w~])")


class Message(Protocol):
    """What the preview needs of a received request (local.webhook_sink.Received)."""

    path: str
    platform: str
    signature: str | None
    reply_status: int | None
    body: bytes
    at: float


def _link(url: str, label: Markup) -> Markup:
    if url.startswith(("http://", "https://")):
        return Markup('<a href="{}">{}</a>').format(url, label)
    return label


def _styles(escaped: str, slack: bool) -> str:
    """Bold, italic, strike and code on text that is already HTML-escaped (the tags are ours)."""
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    if slack:
        escaped = _SLACK_BOLD.sub(r"<b>\1</b>", escaped)
        escaped = _SLACK_ITALIC.sub(r"<i>\1</i>", escaped)
        return _SLACK_STRIKE.sub(r"<s>\1</s>", escaped)
    return _MD_BOLD.sub(r"<b>\1</b>", escaped)


def _inline(text: str, link: re.Pattern[str], slack: bool, entities: bool) -> Markup:
    """One piece of platform text as HTML: links taken out first, the rest escaped, then styled."""
    out: list[str] = []
    pos = 0
    for match in link.finditer(text):
        out.append(_plain(text[pos:match.start()], slack, entities))
        if slack:
            url, label = match.group(1), match.group(2) or match.group(1)
        else:
            label, url = match.group(1), match.group(2)
        url = html.unescape(url) if entities else url
        out.append(_link(url, Markup(_plain(label, slack, entities))))
        pos = match.end()
    out.append(_plain(text[pos:], slack, entities))
    return Markup("".join(out))


def _plain(text: str, slack: bool, entities: bool) -> str:
    if entities:  # Slack and Feishu decode &amp; &lt; &gt; themselves
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _styles(str(escape(text)), slack).replace("\n", "<br>")


def mrkdwn(text: str) -> Markup:
    """Slack ``mrkdwn``: ``*bold*``, ``_italic_``, ``~strike~``, `` `code` ``, ``<url|label>``."""
    return _inline(text, _SLACK_LINK, slack=True, entities=True)


def markdown(text: str, entities: bool = False) -> Markup:
    """The Markdown of Feishu (``lark_md``, entities decoded), DingTalk and WeCom: headings, ``- `` lists,
    ``**bold**``, `` `code` ``, ``[label](url)``, and WeCom's ``<font color>``."""
    blocks: list[Markup] = []
    items: list[Markup] = []

    def flush() -> None:
        if items:
            blocks.append(Markup("<ul>{}</ul>").format(Markup("").join(Markup("<li>{}</li>").format(i) for i in items)))
            items.clear()

    for line in text.split("\n"):
        body = _fonts(line, entities)
        heading = re.match(r"^(#{1,6}) ", line)
        if line.startswith(("- ", "* ")):
            items.append(_fonts(line[2:], entities))
            continue
        flush()
        if heading:
            level = len(heading.group(1))
            text_html = _fonts(line[level + 1:], entities)
            blocks.append(Markup("<h{0} class=md>{1}</h{0}>").format(min(level + 1, 6), text_html))
        elif line.strip():
            blocks.append(Markup("<p>{}</p>").format(body))
    flush()
    return Markup("").join(blocks)


def _fonts(line: str, entities: bool) -> Markup:
    """WeCom's ``<font color="info|comment|warning">``: a class, never the colour as given."""
    out: list[Markup] = []
    pos = 0
    for match in _FONT.finditer(line):
        out.append(_inline(line[pos:match.start()], _MD_LINK, slack=False, entities=entities))
        color = match.group(1) if match.group(1) in ("info", "comment", "warning") else "other"
        inner = _inline(match.group(2), _MD_LINK, slack=False, entities=entities)
        out.append(Markup('<span class="font-{}">{}</span>').format(color, inner))
        pos = match.end()
    out.append(_inline(line[pos:], _MD_LINK, slack=False, entities=entities))
    return Markup("").join(out)


def _button(label: Any, url: Any) -> Markup:
    text = escape(str(label or ""))
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return Markup('<a class=button href="{}">{}</a>').format(url, text)
    return Markup("<span class=button>{}</span>").format(text)


def _actions(buttons: Any, label_key: str, url_key: str) -> Markup:
    """A row of link buttons: Slack's ``actions`` elements, Feishu's ``action`` buttons."""
    row = [_button((b.get("text") or {}).get(label_key), b.get(url_key))
           for b in buttons or [] if isinstance(b, dict)]
    return Markup("<div class=actions>{}</div>").format(Markup("").join(row))


def _slack_text(node: Any) -> Markup:
    if not isinstance(node, dict):
        return Markup("")
    text = str(node.get("text", ""))
    return mrkdwn(text) if node.get("type") == "mrkdwn" else Markup(escape(text))


def slack(payload: dict[str, Any]) -> Markup:
    """Block Kit: header, section (text, fields, button accessory), context, divider, actions."""
    parts: list[Markup] = []
    for block in payload.get("blocks") or []:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "header":
            parts.append(Markup("<h3>{}</h3>").format(_slack_text(block.get("text"))))
        elif kind == "section":
            section = [Markup("<div>{}</div>").format(_slack_text(block.get("text")))] if block.get("text") else []
            fields = [Markup("<div>{}</div>").format(_slack_text(f)) for f in block.get("fields") or []]
            if fields:
                section.append(Markup("<div class=fields>{}</div>").format(Markup("").join(fields)))
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") == "button":
                section.append(_button((accessory.get("text") or {}).get("text"), accessory.get("url")))
            parts.append(Markup("<section>{}</section>").format(Markup("").join(section)))
        elif kind == "context":
            inner = Markup(" ").join(_slack_text(e) for e in block.get("elements") or [])
            parts.append(Markup("<div class=context>{}</div>").format(inner))
        elif kind == "divider":
            parts.append(Markup("<hr>"))
        elif kind == "actions":
            parts.append(_actions(block.get("elements"), "text", "url"))
        else:
            parts.append(Markup("<div class=unknown>[{} block]</div>").format(str(kind)))
    if not parts:
        parts.append(mrkdwn(str(payload.get("text", ""))))
    return Markup("").join(parts)


def _lark_text(node: Any) -> Markup:
    if not isinstance(node, dict):
        return Markup("")
    content = str(node.get("content", ""))
    return markdown(content, entities=True) if node.get("tag") == "lark_md" else Markup(escape(content))


def feishu(payload: dict[str, Any]) -> Markup:
    """Interactive card: coloured header, div (lark_md text, short fields), hr, action buttons, note."""
    card: dict[str, Any] = payload["card"] if isinstance(payload.get("card"), dict) else {}
    header = card.get("header") or {}
    title = (header.get("title") or {}).get("content", "")
    colour = str(header.get("template", "blue"))
    parts = [Markup('<h3 class="card-header tpl-{}">{}</h3>').format(colour if colour.isalpha() else "blue", title)]
    for element in card.get("elements") or []:
        tag = element.get("tag") if isinstance(element, dict) else None
        if tag == "div":
            inner = [_lark_text(element.get("text"))] if element.get("text") else []
            fields = [Markup("<div>{}</div>").format(_lark_text(f.get("text"))) for f in element.get("fields") or []]
            if fields:
                inner.append(Markup("<div class=fields>{}</div>").format(Markup("").join(fields)))
            parts.append(Markup("<section>{}</section>").format(Markup("").join(inner)))
        elif tag == "markdown":
            parts.append(markdown(str(element.get("content", "")), entities=True))
        elif tag == "hr":
            parts.append(Markup("<hr>"))
        elif tag == "action":
            parts.append(_actions(element.get("actions"), "content", "url"))
        elif tag == "note":
            note = Markup(" ").join(_lark_text(e) for e in element.get("elements") or [])
            parts.append(Markup("<div class=context>{}</div>").format(note))
        else:
            parts.append(Markup("<div class=unknown>[{} element]</div>").format(str(tag)))
    return Markup("").join(parts)


def dingtalk(payload: dict[str, Any]) -> Markup:
    """actionCard (markdown text and its single button or buttons), markdown, or text."""
    kind = payload.get("msgtype")
    if kind == "actionCard":
        card = payload.get("actionCard") or {}
        parts = [markdown(str(card.get("text", "")))]
        if card.get("singleTitle"):
            single = _button(card["singleTitle"], card.get("singleURL"))
            parts.append(Markup("<div class=actions>{}</div>").format(single))
        buttons = [_button(b.get("title"), b.get("actionURL")) for b in card.get("btns") or [] if isinstance(b, dict)]
        if buttons:
            parts.append(Markup("<div class=actions>{}</div>").format(Markup("").join(buttons)))
        return Markup("").join(parts)
    if kind == "markdown":
        return markdown(str((payload.get("markdown") or {}).get("text", "")))
    return Markup("<p>{}</p>").format(str((payload.get("text") or {}).get("content", "")))


def wecom(payload: dict[str, Any]) -> Markup:
    """markdown (its ``<font color>`` included) or text."""
    if payload.get("msgtype") == "markdown":
        return markdown(str((payload.get("markdown") or {}).get("content", "")))
    return Markup("<p>{}</p>").format(str((payload.get("text") or {}).get("content", "")))


def generic(payload: Any) -> Markup:
    """The JSON as sent, with its dashboard link as a button."""
    link = payload.get("summary", payload).get("dashboard_url") if isinstance(payload, dict) else None
    pre = Markup("<pre>{}</pre>").format(json.dumps(payload, ensure_ascii=False, indent=2))
    if isinstance(link, str) and isinstance(payload, dict):
        pre = Markup("<div class=actions>{}</div>{}").format(_button("dashboard_url", link), pre)
    return pre


RENDERERS: dict[str, Callable[[Any], Markup]] = {
    "slack": slack, "feishu": feishu, "dingtalk": dingtalk, "wecom": wecom, "generic": generic,
}


def language(path: str) -> str:
    """The language the path names (make run sends to /<platform>/<lang>), else empty."""
    return next((lang for lang in LANGS if f"/{lang}" in path), "")


def render_message(item: Message) -> Markup:
    try:
        payload = json.loads(item.body.decode("utf-8"))
        body = RENDERERS.get(item.platform, generic)(payload) if isinstance(payload, dict) else generic(payload)
    except Exception as exc:  # whatever arrives is shown, never a broken page
        body = Markup("<p class=unknown>not renderable ({})</p><pre>{}</pre>").format(
            type(exc).__name__, item.body.decode("utf-8", errors="replace"))
    status = "dropped" if item.reply_status is None else str(item.reply_status)
    when = time.strftime("%H:%M:%S", time.localtime(item.at))
    meta = Markup("<span class=platform>{}</span> <span class=lang>{}</span> <code>{}</code> · {} · → {}{}").format(
        item.platform, language(item.path), item.path, when, status,
        Markup(" · signature: {}").format(item.signature) if item.signature else "")
    return Markup('<article class="msg {}" data-platform="{}" data-lang="{}"><header>{}</header>'
                  '<div class=bubble>{}</div></article>').format(
        item.platform, item.platform, language(item.path), meta, body)


STYLE = """
body{font:14px/1.45 system-ui,"Noto Sans CJK SC",sans-serif;margin:0;background:#f4f5f7;color:#1d1c1d}
main{max-width:1500px;margin:0 auto;padding:16px}
.list{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:14px;align-items:start}
h1{font-size:20px;margin:8px 0}
.msg{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;overflow:hidden}
.msg>header{font-size:12px;color:#555;padding:6px 12px;background:#fafafa;border-bottom:1px solid #eee}
.platform{font-weight:700;text-transform:uppercase}
.bubble{padding:10px 14px;overflow-wrap:anywhere;max-height:560px;overflow:auto}
.slack .bubble{border-left:4px solid #611f69}
.feishu .bubble{border-left:4px solid #3370ff}
.dingtalk .bubble{border-left:4px solid #0089ff}
.wecom .bubble{border-left:4px solid #07c160}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:4px 16px;margin:6px 0}
.context{font-size:12px;color:#616061}
.actions{margin:8px 0}
.button{display:inline-block;padding:4px 12px;border:1px solid #bbb;border-radius:4px;text-decoration:none;
 color:#1264a3;margin-right:6px}
.card-header{margin:-10px -14px 8px;padding:10px 14px;color:#fff;background:#3370ff}
.tpl-red{background:#d83931}.tpl-orange{background:#de7802}.tpl-green{background:#2ea121}
.font-info{color:#07c160}.font-comment{color:#888}.font-warning{color:#de7802}
pre{white-space:pre-wrap;font-size:12px;background:#f6f8fa;padding:8px;max-height:320px;overflow:auto}
code{background:#f2f2f2;padding:0 3px;border-radius:3px;font-size:12px}
ul{margin:4px 0;padding-left:20px} p{margin:4px 0} h3{margin:4px 0 8px;font-size:16px}
.empty{color:#666}
"""


def page(items: Sequence[Message] | Iterable[Message]) -> bytes:
    """The whole preview page, newest message first."""
    messages = sorted(items, key=lambda m: m.at, reverse=True)
    body = Markup("").join(render_message(m) for m in messages) or Markup(
        "<p class=empty>Nothing received yet. Fire the timer: "
        "<code>curl -s -X POST http://127.0.0.1:$PORT/_local/timers/&lt;name&gt;</code>, then reload.</p>")
    doc = Markup("<!doctype html><html lang=en><head><meta charset=utf-8>"
                 "<meta name=viewport content='width=device-width,initial-scale=1'>"
                 "<title>Chat preview · 聊天预览</title><style>{}</style></head><body><main>"
                 "<h1>Chat preview · 聊天预览</h1><p class=context>{} message(s), newest first; reload to update.</p>"
                 "<div class=list>{}</div></main></body></html>").format(Markup(STYLE), len(messages), body)
    return str(doc).encode("utf-8")
