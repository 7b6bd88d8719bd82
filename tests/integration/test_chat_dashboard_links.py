"""The loop from a chat message back to the dashboard: the timer posts to a loopback sink (in each
platform's own button form), and the links it carries are then opened through the HTTP
function's handler: the dashboard with the message's filters and language, and each failed or
stalled task's page. The pages are read with the standard library's HTML parser."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest
from markdown_it import MarkdownIt

from local.webhook_sink import Sink
from shared.schemas import load_schema
from shared.triggers import http_routes
from tests.helpers import FakeContext, function_handler, sample_event
from tests.helpers import apig_event as event
from tests.integration.test_dashboard import Page

pytestmark = pytest.mark.integration
LINK_SECRET = "chat-links-Gv5tN8qW2zX7kP4mR9sD3fJ6"
DASHBOARD = "https://dash.example.test/sms"  # never contacted: the links are opened via the handler
MD = MarkdownIt("commonmark")


@pytest.fixture
def chat(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    with Sink(port=0) as sink:
        monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")
        monkeypatch.setenv("WEBHOOK_MAX_ATTEMPTS", "1")
        monkeypatch.setenv("DASHBOARD_URL", DASHBOARD)
        monkeypatch.setenv("DASHBOARD_LINK_SECRET", LINK_SECRET)

        def tick(fmt: str, path: str, filters: dict[str, str] | None = None, **env: str) -> dict[str, Any]:
            monkeypatch.setenv("WEBHOOK_URL", f"{sink.url}{path}")
            monkeypatch.setenv("WEBHOOK_FORMAT", fmt)
            for key, value in env.items():
                monkeypatch.setenv(key, value)
            ev = sample_event("timer.json")
            # The tick at the fleet's own now: its recent failures, stalls and lagging tasks (the
            # ones a message lists and links) lie in the tick's window.
            ev["time"] = datetime.fromtimestamp(sms_env.now_ms / 1000, timezone.utc).isoformat()
            ev["user_event"] = json.dumps({"filters": filters} if filters else {})
            before = len(sink.received)
            result = function_handler("list_tasks_timer")(ev, FakeContext())
            assert result["ok"] and result["delivered"] == 1, result
            return sink.received[before].json

        yield tick


def open_link(url: str) -> dict[str, Any]:
    """GET a link the message carries, through the HTTP function (as the gateway would pass it)."""
    assert url.startswith(DASHBOARD + "/dashboard"), url
    parts = urlsplit(url)
    path = parts.path[len(urlsplit(DASHBOARD).path):]
    answer = http_routes.handle(event(path, query=dict(parse_qsl(parts.query))), FakeContext())
    assert answer["statusCode"] == 200, answer["body"][:400]
    return answer


def markdown_links(text: str) -> list[str]:
    hrefs: list[str] = []
    for tok in MD.parse(text):
        for child in tok.children or []:
            if child.type == "link_open":
                hrefs.append(str(child.attrs["href"]))
    return hrefs


def task_links(urls: list[str]) -> dict[str, str]:
    return {urlsplit(u).path.rsplit("/", 1)[-1]: u for u in urls if "/dashboard/tasks/" in u}


def check_task_pages(links: dict[str, str]) -> None:
    assert links
    for task_id, url in links.items():
        assert Page(open_link(url)["body"]).task_ids == [task_id]


def test_slack_button_opens_the_dashboard_with_the_messages_filters(chat: Any, sms_env: Any) -> None:
    # RUNNING: the stalled and lagging tasks a message lists (and links) are all in it.
    body = chat("slack", "/slack/services/T0/B0/XXXX", {"state": "RUNNING"})
    (button,) = [e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    query = dict(parse_qsl(urlsplit(button["url"]).query))
    assert query["state"] == "RUNNING" and query["lang"] == "en"
    page = Page(open_link(button["url"])["body"])
    expected = sum(1 for t in sms_env.tasks() if t["state"] == "RUNNING")
    assert page.states["RUNNING"] == expected and sum(page.states.values()) == expected
    texts = " ".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section" and "text" in b)
    check_task_pages(task_links(re.findall(r"<(https://[^|>]+)\|", texts)))


def test_feishu_card_button_and_task_links_are_chinese(chat: Any) -> None:
    body = chat("feishu", "/feishu/hook/abc")
    elements = body["card"]["elements"]
    (button,) = [a for e in elements if e["tag"] == "action" for a in e["actions"]]
    assert button["text"]["content"] == "打开仪表盘" and "lang=zh-CN" in button["url"]
    assert '<html lang="zh-CN"' in open_link(button["url"])["body"]
    texts = [e["text"]["content"] for e in elements if e["tag"] == "div" and "text" in e]
    urls = [u for t in texts for u in markdown_links(t)]
    assert any("失败" in t for t in texts)
    check_task_pages(task_links(urls))


def test_dingtalk_action_card_and_wecom_link(chat: Any) -> None:
    card = chat("dingtalk", "/dingtalk/robot/send")
    assert card["msgtype"] == "actionCard"
    open_link(card["actionCard"]["singleURL"])
    check_task_pages(task_links(markdown_links(card["actionCard"]["text"])))
    wecom = chat("wecom", "/wecom/webhook/send", WEBHOOK_LANG="en")
    urls = markdown_links(wecom["markdown"]["content"])
    (dashboard,) = [u for u in urls if urlsplit(u).path.endswith("/dashboard")]
    assert "lang=en" in dashboard and '<html lang="en"' in open_link(dashboard)["body"]


def test_generic_payload_is_a_valid_summary_with_links_in_its_language(chat: Any) -> None:
    body = chat("generic", "/generic", WEBHOOK_LANG="zh-CN")
    jsonschema.validate(body, load_schema("summary"))  # the published schema
    assert '<html lang="zh-CN"' in open_link(body["dashboard_url"])["body"]
    linked = {i["id"]: i["dashboard_url"] for key in ("failed", "stalled") for i in body[key]["items"]}
    assert linked and all("lang=zh-CN" in u for u in linked.values())
    check_task_pages(linked)


def test_without_a_dashboard_url_no_links_and_a_warning(
    chat: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DASHBOARD_URL")
    body = chat("slack", "/slack/services/T0/B0/XXXX")
    assert not [b for b in body["blocks"] if b["type"] == "actions"]
    assert "/dashboard" not in json.dumps(body)
    logged = capsys.readouterr().err
    assert "DASHBOARD_URL is not set" in logged and LINK_SECRET not in logged


def test_an_event_summary_links_too(chat: Any, sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The event function's summaries carry the same links (EventGrid's sample asks for a summary
    of failed tasks, so the dashboard opens filtered to them)."""
    with Sink(port=0) as sink:
        monkeypatch.setenv("WEBHOOK_URL", f"{sink.url}/dingtalk/robot/send")
        monkeypatch.setenv("WEBHOOK_FORMAT", "dingtalk")
        result = function_handler("task_events")(sample_event("eventgrid_cloudevent.json"), FakeContext())
        assert result["outcomes"][0]["status"] == "ok", result
        card = sink.received[0].json["actionCard"]
    query = dict(parse_qsl(urlsplit(card["singleURL"]).query))
    assert query["state"] == "MIGRATE_FAIL" and query["lang"] == "zh-CN"
    page = Page(open_link(card["singleURL"])["body"])
    assert sum(page.states.values()) == page.states["MIGRATE_FAIL"] > 0
    check_task_pages(task_links(markdown_links(card["text"])))
