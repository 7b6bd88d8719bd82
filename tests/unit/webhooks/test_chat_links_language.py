"""Chat messages in Chinese and English, with the dashboard's links in each platform's own form.

Links are read back with independent parsers (markdown-it-py for the Markdown platforms, a regex
of Slack's documented ``<url|text>`` form, ``urllib.parse``) and their tokens checked by
``links.verify``; sizes are checked with the platform limits of ``test_webhook_formats``."""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

import pytest
from markdown_it import MarkdownIt

from shared.dashboard.links import DASHBOARD_SCOPE, MessageLinks, message_links, sign, verify
from shared.errors import ApiError
from shared.settings import Settings
from shared.webhooks import build_target, load_targets
from shared.webhooks.formats import FORMAT_MODULES, RenderContext
from shared.wire_text import encodable
from tests.unit.webhooks.test_chat_injection import HOSTILE, hostile_summary, markup_texts
from tests.unit.webhooks.test_webhook_formats import CHECKS, SECRETS, URLS, huge_summary, make_summary

SECRET = "chat-link-Bq8wE3rT6yU1iO4pA7sD2fG5hJ9"
BASE = "https://apig.example.com/sms"
CHAT = ("slack", "feishu", "dingtalk", "wecom")
MD = MarkdownIt("commonmark")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Words of the English message that a Chinese one must not contain (they all come from the catalog).
ENGLISH_WORDS = ("SMS migration", "failed", "running", "stalled", "tasks", "generated", "delivery", "idle",
                 "more", "Open dashboard", "Failed", "Running", "Stalled")


def links(filters: dict[str, str] | None = None) -> MessageLinks:
    return MessageLinks(BASE, sign(DASHBOARD_SCOPE, SECRET, 3600), filters or {})


def payload(fmt: str, summary: dict[str, Any], lang: str = "en", with_links: bool = True,
            max_items: int = 10) -> dict[str, Any]:
    ctx = RenderContext("req-1", max_items=max_items, lang=lang, links=links({"state": "MIGRATE_FAIL"})
                        if with_links else None)
    body = FORMAT_MODULES[fmt].render(summary, URLS[fmt], SECRETS.get(fmt), ctx).build(0).body
    return CHECKS[fmt](body)


def button_url(fmt: str, p: dict[str, Any]) -> str | None:
    """The dashboard button in the platform's own form (WeCom: its markdown link)."""
    if fmt == "slack":
        found = [e["url"] for b in p["blocks"] if b["type"] == "actions" for e in b["elements"]]
    elif fmt == "feishu":
        found = [a["url"] for e in p["card"]["elements"] if e["tag"] == "action" for a in e["actions"]]
    elif fmt == "dingtalk":
        found = [p["actionCard"]["singleURL"]] if p["msgtype"] == "actionCard" else []
    else:
        found = [u for u in hrefs(fmt, p) if urlsplit(u).path.endswith(DASHBOARD_SCOPE)]
    assert len(found) <= 1
    return found[0] if found else None


def hrefs(fmt: str, p: dict[str, Any]) -> list[str]:
    texts = markup_texts(fmt, p) if fmt != "dingtalk" or p["msgtype"] == "markdown" else [p["actionCard"]["text"]]
    if fmt == "slack":
        return [u for t in texts for u in re.findall(r"<(https?://[^|>]+)\|", t)]
    out = []
    for text in texts:
        for tok in MD.parse(text):
            out += [str(c.attrs["href"]) for c in tok.children or [] if c.type == "link_open"]
    return out


def task_ids_linked(fmt: str, p: dict[str, Any]) -> list[str]:
    prefix = urlsplit(BASE).path + DASHBOARD_SCOPE + "/tasks/"
    return [unquote(urlsplit(u).path[len(prefix):]) for u in hrefs(fmt, p) if urlsplit(u).path.startswith(prefix)]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("fmt", CHAT)
def test_button_opens_the_dashboard_with_the_filters_and_language(fmt: str, lang: str) -> None:
    url = button_url(fmt, payload(fmt, make_summary(), lang))
    assert url and url.startswith(BASE + DASHBOARD_SCOPE + "?")
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["state"] == "MIGRATE_FAIL" and query["lang"] == lang
    assert verify(query["token"], DASHBOARD_SCOPE, SECRET).covers(DASHBOARD_SCOPE + "/tasks/x")


@pytest.mark.parametrize("fmt", CHAT)
def test_each_task_needing_attention_links_to_its_page(fmt: str) -> None:
    summary = make_summary(3)
    linked = task_ids_linked(fmt, payload(fmt, summary))
    expected = [i["id"] for node in (summary["changes"]["failed"], summary["stalled"], summary["lagging"])
                for i in node["items"]]
    assert linked == expected  # in the message's order; completed and recovered tasks link nowhere


@pytest.mark.parametrize("fmt", CHAT)
def test_no_dashboard_no_links(fmt: str) -> None:
    p = payload(fmt, make_summary(), with_links=False)
    assert button_url(fmt, p) is None and hrefs(fmt, p) == []
    assert "/dashboard" not in json.dumps(p)


@pytest.mark.parametrize("fmt", CHAT)
@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_never_moves_a_link(fmt: str, text: str) -> None:
    # One item per list: even WeCom's 4096 bytes hold every link of the hostile message.
    p = payload(fmt, hostile_summary(text), "zh-CN", max_items=1)
    for url in hrefs(fmt, p):
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("https", "apig.example.com"), url
        assert parts.path.startswith("/sms/dashboard"), url
    benign = payload(fmt, hostile_summary("benign"), "zh-CN", max_items=1)
    expected = len(hrefs(fmt, benign)) - (0 if encodable(f"{text} id") else len(task_ids_linked(fmt, benign)))
    assert len(hrefs(fmt, p)) == expected


@pytest.mark.parametrize("fmt", CHAT)
def test_chinese_message_is_translated_and_english_has_no_chinese(fmt: str) -> None:
    zh = json.dumps(payload(fmt, make_summary(3), "zh-CN", max_items=2), ensure_ascii=False)
    en = json.dumps(payload(fmt, make_summary(3), "en", max_items=2), ensure_ascii=False)
    for needle in ("SMS 迁移", "失败", "运行中", "个任务", "另有", "打开仪表盘", "迁移失败"):
        assert needle in zh, needle
    text_zh = re.sub(r"https?://\S+?(?=[)|>\"])", "", zh)  # URLs hold no message words
    assert not [w for w in ENGLISH_WORDS if w in text_zh]
    assert not CJK.search(en) and "Open dashboard" in en


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("fmt", CHAT)
def test_huge_summaries_with_links_stay_within_the_limit(fmt: str, signed: bool, lang: str) -> None:
    ctx = RenderContext("req-1", lang=lang, links=links({"name": "迁移" * 100}))
    body = FORMAT_MODULES[fmt].render(huge_summary(), URLS[fmt], SECRETS.get(fmt) if signed else None,
                                      ctx).build(0).body
    p = CHECKS[fmt](body)  # the platform's own limits
    assert button_url(fmt, p)


def test_generic_is_language_neutral_and_carries_links() -> None:
    summary = make_summary(3)
    one = links()
    bodies = {lang: FORMAT_MODULES["generic"].render(summary, URLS["generic"], None, RenderContext(
        "req-1", lang=lang, links=one)).build(0).body.decode() for lang in ("en", "zh-CN")}
    # The language reaches only the links: the rest of the body is the same bytes.
    assert bodies["en"].replace("lang=en", "lang=zh-CN") == bodies["zh-CN"] and not CJK.search(bodies["zh-CN"])
    body = json.loads(bodies["zh-CN"])
    query = dict(parse_qsl(urlsplit(body["dashboard_url"]).query))
    assert body["dashboard_url"].startswith(BASE + DASHBOARD_SCOPE + "?") and query["lang"] == "zh-CN"
    for key in ("failed", "stalled"):
        for item in body[key]["items"]:
            assert urlsplit(item["dashboard_url"]).path == f"/sms/dashboard/tasks/{item['id']}"
            assert dict(parse_qsl(urlsplit(item["dashboard_url"]).query))["token"] == one.token
    assert all("dashboard_url" not in i for i in body["running"]["items"])
    assert "dashboard_url" not in summary and "dashboard_url" not in summary["failed"]["items"][0]


# --- per-target language -----------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "lang"), [("feishu", "zh-CN"), ("dingtalk", "zh-CN"), ("wecom", "zh-CN"),
                                          ("slack", "en"), ("generic", "en")])
def test_default_language_by_platform(fmt: str, lang: str) -> None:
    assert build_target("t", URLS[fmt], fmt).lang == lang


def test_lang_per_target_and_for_the_single_target() -> None:
    env = {"WEBHOOK_TARGETS": json.dumps([
        {"name": "a", "format": "feishu", "url": URLS["feishu"], "lang": "en"},
        {"name": "b", "format": "slack", "url": URLS["slack"], "lang": "ZH_cn"},
    ])}
    assert [t.lang for t in load_targets(env)] == ["en", "zh-CN"]
    single = {"WEBHOOK_URL": URLS["wecom"], "WEBHOOK_FORMAT": "wecom", "WEBHOOK_LANG": "en"}
    assert load_targets(single)[0].lang == "en"
    assert load_targets(single)[0].describe()["lang"] == "en"


@pytest.mark.parametrize(("env", "needle"), [
    ({"WEBHOOK_URL": URLS["slack"], "WEBHOOK_FORMAT": "slack", "WEBHOOK_LANG": "fr"}, "lang must be one of"),
    ({"WEBHOOK_TARGETS": json.dumps([{"url": URLS["slack"], "format": "slack", "lang": 1}])}, "lang must be a string"),
    ({"WEBHOOK_TARGETS": json.dumps([{"url": URLS["slack"], "format": "slack"}]), "WEBHOOK_LANG": "en"},
     "give each target its lang"),
])
def test_bad_lang_settings_are_clear_errors(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ApiError) as info:
        load_targets(env)
    assert needle in info.value.error_msg and info.value.status == 500


def test_timer_options_may_choose_a_language() -> None:
    from shared.webhooks.targets import WebhookSettings, targets_from_options

    (t,) = targets_from_options([{"url": URLS["dingtalk"], "format": "dingtalk", "lang": "en"}], [], {},
                                WebhookSettings().policy)
    assert t.lang == "en"
    with pytest.raises(ApiError) as info:
        targets_from_options([{"url": URLS["dingtalk"], "format": "dingtalk", "lang": "de"}], [], {},
                             WebhookSettings().policy)
    assert info.value.status == 400 and "lang" in info.value.error_msg


# --- the links a trigger makes ---------------------------------------------------------------

def test_message_links_need_both_settings_and_keep_only_filters() -> None:
    assert message_links(Settings(env={"DASHBOARD_URL": BASE})) is None
    assert message_links(Settings(env={"DASHBOARD_LINK_SECRET": SECRET})) is None
    made = message_links(Settings(env={"DASHBOARD_URL": BASE, "DASHBOARD_LINK_SECRET": SECRET}),
                         {"state": "RUNNING", "name": "", "limit": "5"}, now=1_000_000)
    assert made is not None and made.filters == {"state": "RUNNING"}
    url = made.task("a/b c", "en")
    assert urlsplit(url).path == "/sms/dashboard/tasks/a%2Fb%20c"  # one path segment, the slash encoded
    with pytest.raises(ApiError):  # signed at ``now``: long expired
        verify(dict(parse_qsl(urlsplit(url).query))["token"], "/dashboard", SECRET)


# --- Slack's own models as the verifier ------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("summary", ["small", "huge", "hostile"])
def test_slack_blocks_pass_slack_sdks_validators(summary: str, lang: str) -> None:
    """slack_sdk (Slack's Python SDK) parses every block into its models, checks them with its
    validators (lengths, counts, button URLs) and writes them back unchanged."""
    from slack_sdk.models.blocks import Block

    source = {"small": make_summary(), "huge": huge_summary(), "hostile": hostile_summary(HOSTILE[11])}[summary]
    for block in payload("slack", source, lang)["blocks"]:
        model = Block.parse(block)
        model.validate_json()
        assert model.to_dict() == block


def test_slack_sdks_validators_can_fail() -> None:
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

    with pytest.raises(SlackObjectFormationError):
        Block.parse({"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}).validate_json()


@pytest.mark.parametrize("fmt", CHAT)
@pytest.mark.parametrize("task_id", ["../../../v3/tasks", "../tasks.csv", "a/b?c#d", "x)](https://evil.example)",
                                     "%2e%2e", "a|b>c", "..."])
def test_a_task_link_is_one_path_segment_whatever_the_id(fmt: str, task_id: str) -> None:
    """Issue 21: the links a message carries, read back as each platform's parser reads them and
    resolved as urllib resolves them, stay one segment under ``/dashboard/tasks/``."""
    summary = make_summary(1)
    sections = [summary[k] for k in ("failed", "stalled", "lagging", "running") if k in summary]
    for section in (*sections, *summary["changes"].values()):  # every list a message can link from
        for item in section["items"]:
            item["id"] = task_id
    p = payload(fmt, summary)
    prefix = urlsplit(BASE).path + DASHBOARD_SCOPE + "/tasks/"
    task_urls = [u for u in hrefs(fmt, p) if not urlsplit(u).path.endswith(DASHBOARD_SCOPE)]
    assert task_urls
    for url in task_urls:
        path = urlsplit(urljoin(BASE + "/x/", url)).path
        assert path.startswith(prefix) and "/" not in path[len(prefix):], url
        assert unquote(path[len(prefix):]) == task_id
