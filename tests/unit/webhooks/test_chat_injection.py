"""Text written by SMS users (task names, ids, error texts, sub task names, source servers) renders as
plain text on every chat platform: it adds no link, image, mention or formatting and can't reorder the
line. Checked against an independent Markdown parser (markdown-it-py with GFM and linkify) for the
Markdown platforms, and by comparison with a benign name for every platform: the message's structure
must be exactly the structure the project's own markup gives it."""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt

from shared.webhooks.formats import FORMAT_MODULES, escape
from tests.unit.webhooks.test_webhook_formats import make_summary, render

CHAT = ("slack", "feishu", "dingtalk", "wecom")
BENIGN = "benign"
HOSTILE = [
    "[x](https://evil.example)",
    "![](https://evil.example/p.png)",
    "[x]: https://evil.example",
    "*bold* _it_ ~strike~ ~~gfm~~ `code` **strong**",
    "name*", "*", "_lead", "trail_", "a__b__c", "x\\", "\\*x\\*",
    "<!channel> <@U123> <#C1|general> <https://evil.example|click>",
    '<at id=all></at> <at user_id="all"> <font color=red>x</font> <a href="https://evil.example">a</a>',
    "https://evil.example/path", "www.evil.example", "evil.example", "ops@evil.example", "@all", "mailto:a@b.co",
    "\u202eevil\u202c", "zero\u200bwidth\u200d\u2066iso\u2069\ufeff", "line\u2028sep", "\ud800surrogate",
    "# heading", "> quote", "| a | b |", "&lt;b&gt; &amp; &#91;x&#93;(y)", "1. list", "- item", "---",
    # issue 21: internationalised and punycode host names, emoji/image shortcodes
    "evil.рф/login", "see evil.рф/login now", "пример.испытание/x", "例子.中国/x", "xn--e1afmkfd.xn--p1ai/login",
    "ops@evil.рф", ":custom-emoji: :+1::skin-tone-2: :smile:", "a:b:c:d",
]
# Host names a message must never carry whole (each would be a link somewhere).
HOSTS = ("evil.example", "evil.рф", "пример.испытание", "例子.中国", "xn--e1afmkfd.xn--p1ai")
SHORTCODE = re.compile(r":[\w+'\-]+:")
LINKIFY = LinkifyIt()
MD = MarkdownIt("gfm-like", {"linkify": True}).enable(["linkify", "strikethrough", "table"])
# Characters with meaning in some markup (entities such as &lt; are how text shows them; an underscore
# between letters or digits is no emphasis anywhere).
STRUCTURE_TOKENS = re.compile(r"[<>*~`\[\]|#@]|://|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def hostile_summary(text: str) -> dict[str, Any]:
    summary = make_summary(n=2, name=text, error={"error_code": "SMS.6309", "error_msg": text})
    for path in (("failed",), ("stalled",), ("lagging",), ("running",), *(("changes", k) for k in summary["changes"])):
        node: Any = summary
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        for item in (node or {}).get("items", []):
            item["id"] = f"{text} id"  # differs from the name (shared by every task here), so both are shown
            if isinstance(item.get("current_subtask"), dict):
                item["current_subtask"]["name"] = text
            if "source_server" in item:
                item["source_server"] = text
    return summary


def markup_texts(fmt: str, payload: dict[str, Any]) -> list[str]:
    """The text of every field the platform renders as markup."""
    if fmt in ("dingtalk", "wecom"):
        return [payload["markdown"]["text" if fmt == "dingtalk" else "content"]]
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("tag") == "lark_md" or node.get("type") == "mrkdwn":
                found.append(node.get("content", node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload)
    return found


def rendered(fmt: str, text: str) -> tuple[dict[str, Any], list[str]]:
    payload = json.loads(render(fmt, hostile_summary(text), max_items=10))
    return payload, markup_texts(fmt, payload)


def all_texts(payload: Any) -> list[str]:
    """Every string in the payload, minus URLs our own markup placed (none here: no dashboard)."""
    if isinstance(payload, dict):
        return [t for v in payload.values() for t in all_texts(v)]
    if isinstance(payload, list):
        return [t for v in payload for t in all_texts(v)]
    return [payload] if isinstance(payload, str) else []


def markdown_structure(texts: list[str]) -> list[tuple[str, str]]:
    """Every token markdown-it-py sees except text itself: links, images, html, emphasis, code, lists."""
    out: list[tuple[str, str]] = []

    def walk(tokens: list[Any]) -> None:
        for tok in tokens:
            if tok.children:
                walk(tok.children)
            elif tok.type not in ("text", "softbreak", "hardbreak"):
                out.append((tok.type, tok.content if tok.type in ("html_inline", "html_block") else ""))
            if tok.type in ("link_open", "image"):
                out.append(("href", tok.attrs.get("href", "") or tok.attrs.get("src", "")))

    for text in texts:
        walk(MD.parse(text))
    return out


def markup_chars(texts: list[str]) -> list[str]:
    return STRUCTURE_TOKENS.findall("\n".join(texts))


def invisible(texts: list[str]) -> list[str]:
    return [c for c in "".join(texts) if unicodedata.category(c) in ("Cf", "Cc", "Cs", "Zl", "Zp") and c != "\n"]


def check(fmt: str, text: str) -> None:
    payload, texts = rendered(fmt, text)
    _, benign = rendered(fmt, BENIGN)
    if fmt != "slack":  # Slack's mrkdwn is not Markdown: its structure is checked by characters below
        assert markdown_structure(texts) == markdown_structure(benign), text
        assert not any(kind in ("link_open", "image") for kind, _ in markdown_structure(texts)), text
    assert markup_chars(texts) == markup_chars(benign), text
    assert not invisible(texts), text
    shown = json.dumps(payload, ensure_ascii=False)
    assert not [host for host in HOSTS if host in shown], text
    # linkify-it (markdown-it's linkifier, as the platforms' clients do) finds no link in any text
    # field, plain_text ones included; no emoji shortcode is left anywhere
    assert not [m.url for t in all_texts(payload) for m in LINKIFY.match(t) or []], text
    assert not [code for t in all_texts(payload) for code in SHORTCODE.findall(t)], text
    json.dumps(payload, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("fmt", CHAT)
@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_user_text_adds_no_structure(fmt: str, text: str) -> None:
    check(fmt, text)


MARKUP_ALPHABET = st.sampled_from([*"*_~`[]()<>!#|\\&@:/.-= aZ9", "https://", "www.", "evil.example", "\u202e",
                                   "\u200b", "&lt;", "<!here>", "**", "~~", "\n"])


@pytest.mark.parametrize("fmt", CHAT)
@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(MARKUP_ALPHABET, min_size=1, max_size=20))
def test_generated_markup_adds_no_structure(fmt: str, parts: list[str]) -> None:
    text = "".join(parts)
    if not text.strip():
        return
    check(fmt, text)


def test_ordinary_names_keep_their_look() -> None:
    assert escape.slack_mrkdwn("sms_task_leddesktop-01") == "sms_task_leddesktop-01"
    assert escape.markdown("迁移任务 web-01 (v2)") == "迁移任务 web-01 (v2)"
    assert escape.lark_md("disk 10.0.0.1 full.") == "disk 10.0.0.1 full."


def test_the_formats_use_the_shared_escapes() -> None:
    assert FORMAT_MODULES["slack"].escape is escape.slack_mrkdwn
    assert FORMAT_MODULES["feishu"].escape is escape.lark_md
    assert FORMAT_MODULES["dingtalk"].escape is FORMAT_MODULES["wecom"].escape is escape.markdown
