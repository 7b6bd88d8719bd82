"""The chat preview (GET / on the webhook sink of ``make run``) in Debian's Chromium: every platform
in both languages, newest first, drawn as its platform does; hostile message text stays text; the
links open the local dashboard. ``UPDATE_SCREENSHOTS=1`` rewrites docs/chat-preview.png."""
from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
import requests

from shared.summary.health import HEALTHS
from tests.e2e.conftest import ROOT, Stack
from tests.e2e.test_dashboard_browser import Watch

pytestmark = pytest.mark.e2e
PLATFORMS = ("slack", "feishu", "dingtalk", "wecom")
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def _wait_for_messages(stack: Stack, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if requests.get(stack.preview + "/count", timeout=5).json()["received"] >= count:
            return
        time.sleep(0.3)
    pytest.fail(f"the sink did not receive {count} messages in 60 s")


def _post(stack: Stack, path: str, payload: Any) -> None:
    answer = requests.post(stack.preview + path, data=json.dumps(payload), timeout=5,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 200


@pytest.fixture(scope="module")
def preview(run_stack: Stack, browser: Any) -> Stack:
    """make run's stack after its first timer tick, plus hostile messages sent last (the newest)."""
    _wait_for_messages(run_stack, 1 + 2 * len(PLATFORMS))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":  # README's picture: the timer's messages only
        w = Watch(browser, viewport={"width": 1400, "height": 1000})
        w.page.goto(run_stack.preview + "/")
        w.page.screenshot(path=str(ROOT / "docs" / "chat-preview.png"), full_page=False)
        w.context.close()
    _post(run_stack, "/slack/en", {"text": "x", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{HOSTILE}* <javascript:alert(3)|click me>"}}]})
    _post(run_stack, "/feishu/en", {"msg_type": "interactive", "card": {
        "header": {"title": {"tag": "plain_text", "content": HOSTILE}, "template": "red\" onclick=\"x"},
        "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": f"[{HOSTILE}](javascript:alert(4))"}}]}})
    _post(run_stack, "/wecom/en", {"msgtype": "markdown", "markdown": {
        "content": f'<font color="warning">{HOSTILE}</font> <font color="red;x">y</font>'}})
    return run_stack


def test_every_platform_in_both_languages_newest_first(browser: Any, preview: Stack) -> None:
    w = Watch(browser)
    try:
        response = w.page.goto(preview.preview + "/")
        assert response is not None and response.status == 200
        assert "default-src 'none'" in (response.headers.get("content-security-policy") or "")
        articles = w.page.locator("article.msg")
        seen = {(a.get_attribute("data-platform"), a.get_attribute("data-lang")) for a in articles.all()}
        for platform in PLATFORMS:
            for lang in ("en", "zh-CN"):
                assert (platform, lang) in seen
        assert ("generic", "") in seen
        # The hostile messages were sent last: they come first, in reverse order of sending.
        first = [articles.nth(i).get_attribute("data-platform") for i in range(3)]
        assert first == ["wecom", "feishu", "slack"]
        # Each drawn as its platform does: Slack's header and fields, Feishu's coloured header,
        # DingTalk's action card button, WeCom's markdown with its <font> colours.
        slack = w.page.locator("article.slack[data-lang=en]").last
        # one field per health (summary v2's counts by health)
        assert slack.locator("h3").count() == 1 and slack.locator(".fields > div").count() == len(HEALTHS)
        assert w.page.locator("article.feishu[data-lang=zh-CN] .card-header.tpl-red").count() >= 1
        assert w.page.locator("article.dingtalk[data-lang=zh-CN] .actions a.button").count() >= 1
        assert w.page.locator("article.wecom[data-lang=zh-CN] .font-warning").count() >= 1
        assert "迁移" in w.page.locator("article.feishu[data-lang=zh-CN]").first.inner_text()
        assert not w.errors and not w.left
    finally:
        w.context.close()


def test_message_text_is_data(browser: Any, preview: Stack) -> None:
    w = Watch(browser)
    try:
        w.page.goto(preview.preview + "/")
        dialogs: list[str] = []
        w.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        assert w.page.locator("main img, main script, [onerror], [onclick]").count() == 0
        assert w.page.locator("a[href^='javascript']").count() == 0
        hostile = w.page.locator("article.msg").first
        assert HOSTILE in hostile.inner_text()  # shown as text, whole
        assert "click me" in w.page.locator("article.slack").first.inner_text()
        assert hostile.locator(".font-warning").count() == 1
        assert '<font color="red;x">y</font>' in hostile.inner_text()  # not WeCom markup: shown as text
        assert not dialogs and not w.errors
    finally:
        w.context.close()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_links_open_the_local_dashboard(browser: Any, preview: Stack, platform: str) -> None:
    w = Watch(browser)
    try:
        w.page.goto(preview.preview + "/")
        message = w.page.locator(f"article.{platform}[data-lang=zh-CN]").first
        hrefs = [a.get_attribute("href") or "" for a in message.locator("a").all()]
        dashboards = [h for h in hrefs if "/dashboard?" in h]
        tasks = [h for h in hrefs if "/dashboard/tasks/" in h]
        assert dashboards and tasks, hrefs
        assert all(h.startswith(preview.gateway + "/") for h in hrefs)
        message.locator("a[href*='/dashboard?']").first.click()
        w.page.wait_for_load_state()
        assert w.page.url.startswith(preview.gateway + "/dashboard?")
        assert w.page.locator("html").get_attribute("lang") == "zh-CN"
        assert w.page.locator("[data-state][data-count]").count() >= 10
        response = w.page.goto(tasks[0])
        assert response is not None and response.status == 200
        task_id = tasks[0].split("/dashboard/tasks/", 1)[1].split("?", 1)[0]
        assert task_id in w.page.content()
        assert not w.errors and not w.left
    finally:
        w.context.close()
