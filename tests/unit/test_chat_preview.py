"""local/chat_preview.py's markup: whatever text a message holds, the HTML made of it has only the tags
the platforms' markup stands for, links only to http(s) URLs and no other attributes; checked with
the standard library's HTML parser over text Hypothesis makes up."""
from __future__ import annotations

import json
from html.parser import HTMLParser
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from local import chat_preview as cp

ALLOWED = {"a": {"href", "class"}, "b": set(), "i": set(), "s": set(), "code": set(), "p": set(), "ul": set(),
           "li": set(), "br": set(), "span": {"class"}, "h2": {"class"}, "h3": {"class"}, "h4": {"class"},
           "h5": {"class"}, "h6": {"class"}}
MARKUP_BITS = st.sampled_from(["<", ">", "&", "&lt;", "&amp;", '"', "'", "*", "**", "_", "~", "`", "[", "]", "(",
                               ")", "|", "\n", "- ", "#### ", "<font color=\"warning\">", "</font>",
                               "https://ok.example/x", "javascript:alert(1)", "<script>", "<img src=x onerror=y>",
                               "<http://a|b>", "[t](javascript:x)", "[t](https://ok.example)", "é", "中"])
TEXT = st.lists(st.one_of(MARKUP_BITS, st.text(max_size=5)), max_size=25).map("".join)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            self.problems.append(f"tag {tag}")
            return
        for name, value in attrs:
            if name not in ALLOWED[tag]:
                self.problems.append(f"{tag} attribute {name}")
            if name == "href" and not (value or "").startswith(("http://", "https://")):
                self.problems.append(f"href {value!r}")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _problems(html: str) -> list[str]:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser.problems


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_markup_makes_only_its_own_tags(text: str) -> None:
    for rendered in (cp.mrkdwn(text), cp.markdown(text), cp.markdown(text, entities=True)):
        assert _problems(str(rendered)) == [], (text, str(rendered))


@settings(max_examples=100, deadline=None)
@given(TEXT, st.sampled_from(sorted(cp.RENDERERS)))
def test_whole_messages_render_safely(text: str, platform: str) -> None:
    payloads = {
        "slack": {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": text}},
                             {"type": "section", "text": {"type": "mrkdwn", "text": text},
                              "fields": [{"type": "mrkdwn", "text": text}]},
                             {"type": "actions", "elements": [{"type": "button", "url": text,
                                                               "text": {"type": "plain_text", "text": text}}]}]},
        "feishu": {"card": {"header": {"title": {"content": text}, "template": text},
                            "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": text}},
                                         {"tag": "action", "actions": [{"url": text, "text": {"content": text}}]}]}},
        "dingtalk": {"msgtype": "actionCard", "actionCard": {"text": text, "singleTitle": text, "singleURL": text}},
        "wecom": {"msgtype": "markdown", "markdown": {"content": text}},
        "generic": {"summary": {"dashboard_url": text, "note": text}},
    }
    item = SimpleNamespace(path=f"/{platform}/{text[:8]}", platform=platform, signature=text, reply_status=200,
                           body=json.dumps(payloads[platform]).encode(), at=0.0)
    html = str(cp.render_message(item))  # type: ignore[arg-type]
    body = html.split("<div class=bubble>", 1)[1]
    problems = [p for p in _problems(body) if not p.startswith(("tag div", "tag section", "tag hr", "tag pre"))]
    assert problems == [], (text, body)


def test_platform_markup_becomes_tags() -> None:
    slack = str(cp.mrkdwn("*done* <https://x.example/a?b=1&amp;c=2|a &amp; b> &lt;b&gt; `id`"))
    assert '<b>done</b>' in slack and '<a href="https://x.example/a?b=1&amp;c=2">a &amp; b</a>' in slack
    assert "&lt;b&gt;" in slack and "<code>id</code>" in slack
    md = str(cp.markdown('#### T\n- [n](https://x.example/t) **3**\n<font color="warning">w</font>'))
    assert '<a href="https://x.example/t">n</a>' in md and "<b>3</b>" in md and 'class="font-warning"' in md
    assert "<li>" in md and "<h5" in md
    assert "<a" not in str(cp.markdown("[x](javascript:alert(1))"))
