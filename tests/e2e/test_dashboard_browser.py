"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright through the
local gateway. Counts on the page equal the summary's, filters work, task links open their page,
the CSV link downloads every task, both languages render, nothing leaves loopback, the console
stays clean, bad and expired links get 401, and the links a chat message carries open their pages.

Under CI (``CI=true``) a missing browser fails the run; elsewhere these tests are skipped with the
reason. ``UPDATE_SCREENSHOTS=1`` rewrites the README's screenshots (docs/dashboard-*.png)."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from local.gateway import Gateway
from local.webhook_sink import Sink
from shared.dashboard.links import sign
from tests.helpers import FakeContext, function_handler, sample_event

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
SECRET = "browser-test-link-secret-7"
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (requirements-dev.txt)"
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does it)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def gateway(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    monkeypatch.setenv("DASHBOARD_LINK_SECRET", SECRET)
    monkeypatch.setenv("GATEWAY_QUIET", "1")
    gw = Gateway(port=0).start()
    yield gw
    gw.stop()


class Watch:
    """A browser context that lets only loopback requests through and records console errors."""

    def __init__(self, browser: Any, locale: str = "en-US", **options: Any) -> None:
        self.context = browser.new_context(locale=locale, accept_downloads=True, **options)
        self.left: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.left.append(route.request.url)
            route.abort()

    def close(self, *, expect_errors: bool = False) -> None:
        self.context.close()
        assert self.left == [], f"requests left loopback: {self.left}"
        if not expect_errors:
            assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
def watch(browser: Any) -> Iterator[Watch]:
    w = Watch(browser)
    yield w
    w.close()


def url(gw: Gateway, path: str = "/dashboard", **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{gw.url}{path}?{query + '&' if query else ''}token={sign('/dashboard', SECRET, 600)}"


def counts(page: Any) -> dict[str, int]:
    return {el.get_attribute("data-state"): int(el.get_attribute("data-count"))
            for el in page.query_selector_all("[data-state][data-count]")}


def summary(gw: Gateway, **filters: str) -> dict[str, Any]:
    return requests.get(f"{gw.url}/v3/tasks/summary", params=filters, timeout=30).json()


def test_counts_on_the_page_equal_the_summary(gateway: Gateway, watch: Watch) -> None:
    response = watch.page.goto(url(gateway))
    assert response.status == 200
    assert response.headers["cache-control"] == "no-store"
    expected = summary(gateway)
    assert counts(watch.page) == expected["by_state"]
    assert int(watch.page.get_attribute("[data-total]", "data-total")) == expected["total"]
    assert watch.page.locator("#failed-table tbody tr[data-task-id]").count() == len(expected["failed"]["items"])
    assert int(watch.page.get_attribute("[data-section=failed]", "data-count")) == expected["failed"]["total"]


def test_the_filter_form_filters(gateway: Gateway, watch: Watch) -> None:
    watch.page.goto(url(gateway))
    watch.page.select_option("#f-state", "MIGRATE_FAIL")
    with watch.page.expect_navigation():
        watch.page.click("form.filters button[type=submit]")
    assert "state=MIGRATE_FAIL" in watch.page.url and "token=" in watch.page.url
    expected = summary(gateway, state="MIGRATE_FAIL")
    shown = counts(watch.page)
    assert shown == expected["by_state"] and sum(shown.values()) == shown["MIGRATE_FAIL"] > 0
    assert watch.page.input_value("#f-state") == "MIGRATE_FAIL"


def test_a_task_link_opens_its_page(gateway: Gateway, watch: Watch) -> None:
    watch.page.goto(url(gateway))
    row = watch.page.locator("tr[data-task-id]").first
    task_id = row.get_attribute("data-task-id")
    with watch.page.expect_navigation():
        row.locator("a").first.click()
    assert urlsplit(watch.page.url).path == f"/dashboard/tasks/{task_id}"
    assert watch.page.locator(f'[data-task-id="{task_id}"]').count() == 1
    assert watch.page.locator("#fields + div table tbody tr").count() > 5
    with watch.page.expect_navigation():
        watch.page.click("text=Back to the dashboard")
    assert urlsplit(watch.page.url).path == "/dashboard"


def test_the_csv_link_downloads_every_task(gateway: Gateway, watch: Watch) -> None:
    watch.page.goto(url(gateway))
    with watch.page.expect_download() as info:
        watch.page.click("text=Download CSV")
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) - 1 == summary(gateway)["total"]


@pytest.mark.parametrize(("locale", "lang", "heading"), [("zh-CN", "zh-CN", "迁移仪表盘"),
                                                        ("en-US", "en", "Migration dashboard")])
def test_both_languages_render(gateway: Gateway, browser: Any, locale: str, lang: str, heading: str) -> None:
    w = Watch(browser, locale=locale, viewport={"width": 1280, "height": 1500})
    try:
        w.page.goto(url(gateway))
        assert w.page.get_attribute("html", "lang") == lang
        assert w.page.inner_text("h1") == heading
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            DOCS.mkdir(exist_ok=True)
            w.page.screenshot(path=str(DOCS / f"dashboard-{lang}.png"), full_page=False)
    finally:
        w.close()


def test_a_phone_sized_screen_has_no_page_wide_scroll(gateway: Gateway, browser: Any) -> None:
    w = Watch(browser, viewport={"width": 390, "height": 844})
    try:
        w.page.goto(url(gateway))
        width = w.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1
    finally:
        w.close()


def test_bad_and_expired_links_get_401(gateway: Gateway, browser: Any) -> None:
    w = Watch(browser)
    try:
        good = sign("/dashboard", SECRET, 600)
        for token in ("", "sdl1.AAAA.BBBB", good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
                      sign("/dashboard", SECRET, 1, now=1_000_000)):
            response = w.page.goto(f"{gateway.url}/dashboard?token={token}")
            assert response.status == 401
            assert w.page.locator("[data-task-id]").count() == 0
            assert w.page.locator("[data-state]").count() == 0
    finally:
        # Chromium reports each 401 document load as a console error; nothing else may appear.
        w.close(expect_errors=True)
        assert all("401" in e for e in w.errors), w.errors


@pytest.mark.parametrize(("fmt", "path", "lang", "heading"), [
    ("slack", "/slack/services/T0/B0/XXXX", "en", "Migration dashboard"),
    ("feishu", "/feishu/hook/abc", "zh-CN", "迁移仪表盘"),
])
def test_a_chat_messages_links_open_in_the_browser(gateway: Gateway, browser: Any, monkeypatch: pytest.MonkeyPatch,
                                                   sms_env: Any, fmt: str, path: str, lang: str,
                                                   heading: str) -> None:
    """The timer's message, as the platform receives it: its button opens the dashboard with the
    message's filters and language, and a stalled or lagging task's link opens that task's page
    (the tick at the fleet's own now, so its stalls lie in the tick's window)."""
    with Sink(port=0) as sink:
        for key, value in {"WEBHOOK_URL": f"{sink.url}{path}", "WEBHOOK_FORMAT": fmt, "WEBHOOK_ALLOW_LOOPBACK": "1",
                           "DASHBOARD_URL": gateway.url}.items():
            monkeypatch.setenv(key, value)
        event = sample_event("timer.json")
        event["time"] = datetime.fromtimestamp(sms_env.now_ms / 1000, timezone.utc).isoformat()
        event["user_event"] = json.dumps({"filters": {"state": "RUNNING"}})
        assert function_handler("list_tasks_timer")(event, FakeContext())["delivered"] == 1
        message = json.dumps(sink.received[0].json, ensure_ascii=False)
    urls = [u.replace("\\u0026", "&") for u in re.findall(r"(http://127\.0\.0\.1:\d+/dashboard[^\"|)>\s]*)", message)]
    button = next(u for u in urls if urlsplit(u).path == "/dashboard")
    task = next(u for u in urls if urlsplit(u).path.startswith("/dashboard/tasks/"))
    w = Watch(browser)  # the browser's own locale is English: the language comes from the link
    try:
        assert w.page.goto(button).status == 200
        assert w.page.get_attribute("html", "lang") == lang and w.page.inner_text("h1") == heading
        shown = counts(w.page)
        assert shown == summary(gateway, state="RUNNING")["by_state"] and shown["RUNNING"] > 0
        assert w.page.goto(task).status == 200
        task_id = urlsplit(task).path.rsplit("/", 1)[-1]
        assert w.page.locator(f'[data-task-id="{task_id}"]').count() == 1
    finally:
        w.close()
