"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright through the
local gateway. Counts on the page equal the summary's, filters work, task links open their page,
the CSV link downloads every task, both languages render, nothing leaves loopback, the console
stays clean, bad and expired links get 401, and the links a chat message carries open their pages.

The browser comes from ``conftest.py`` (a missing one fails under CI, else skips).
``UPDATE_SCREENSHOTS=1`` rewrites the README's screenshots (docs/dashboard-*.png)."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from local.fleet import demo_waves
from local.gateway import Gateway
from local.webhook_sink import Sink
from shared.dashboard.links import sign
from tests.helpers import FakeContext, function_handler, sample_event, without_eta

pytestmark = pytest.mark.e2e
SECRET = "browser-test-Zx4cV7bN2mQ9wE6rT1yU8iO3"
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def gateway(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    monkeypatch.setenv("DASHBOARD_LINK_SECRET", SECRET)
    monkeypatch.setenv("GATEWAY_QUIET", "1")
    monkeypatch.setenv("SUMMARY_GROUPS", json.dumps(demo_waves(sms_env.now_ms)))  # make run's waves
    gw = Gateway(port=0).start()
    yield gw
    gw.stop()


class Watch:
    """A browser context that lets only loopback requests through and records console errors."""

    def __init__(self, browser: Any, locale: str = "en-US", **options: Any) -> None:
        self.context = browser.new_context(locale=locale, accept_downloads=True, **options)
        self.left: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.failed: list[tuple[int, str]] = []  # answers of 400 and above
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("response", lambda r: self.failed.append((r.status, r.url)) if r.status >= 400 else None)

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
    healths = {el.get_attribute("data-health"): int(el.get_attribute("data-count"))
               for el in watch.page.query_selector_all("[data-health][data-count]")}
    assert healths == expected["health"]
    waves = [el.get_attribute("data-wave") for el in watch.page.query_selector_all("#waves-table tr[data-wave]")]
    assert waves == [g["name"] for g in expected["groups"]] and len(waves) >= 2
    # every section of the page has something in it against the emulator's fleet (make run's)
    for table in ("failed", "stalled", "lagging", "running", "completed"):
        assert watch.page.locator(f"#{table}-table tbody tr[data-task-id]").count() > 0, table
    ids = [el.get_attribute("data-task-id") for el in watch.page.query_selector_all("tr[data-task-id]")]
    assert len(ids) == len(set(ids))  # no task in two lists
    # the band leads: it comes before the waves, which come before the lists
    order = watch.page.evaluate("""() => ['#fleet', '#waves', '#attention', '#running', '#changes', '#breakdown']
        .map(s => document.querySelector(s).getBoundingClientRect().top)""")
    assert order == sorted(order)


def test_no_request_fails_and_the_csp_blocks_nothing(gateway: Gateway, watch: Watch) -> None:
    """The dashboard, a task page and an error page with a way back: one request each (no favicon,
    no image), no answer of 400 or above but the error page's own, no console error (a CSP
    violation is one)."""
    assert watch.page.goto(url(gateway)).status == 200
    task_id = watch.page.get_attribute("#failed-table tr[data-task-id]", "data-task-id")
    with watch.page.expect_navigation():
        watch.page.click(f'#failed-table tr[data-task-id="{task_id}"] a')
    missing = url(gateway, "/dashboard/tasks/no-such-task")
    assert watch.page.goto(missing).status == 404
    with watch.page.expect_navigation():
        watch.page.click("[data-back=dashboard]")
    assert urlsplit(watch.page.url).path == "/dashboard" and watch.page.locator("#fleet").count() == 1
    watch.page.wait_for_timeout(500)  # a late icon request would show up here
    assert [urlsplit(u).path for u in watch.requests] == ["/dashboard", f"/dashboard/tasks/{task_id}",
                                                         "/dashboard/tasks/no-such-task", "/dashboard"]
    assert [urlsplit(u).path for _, u in watch.failed] == ["/dashboard/tasks/no-such-task"]
    watch.errors = [e for e in watch.errors if "404" not in e]  # Chromium logs the 404 document load itself
    assert watch.errors == []


def test_and_n_more_opens_the_longer_list(gateway: Gateway, watch: Watch, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARY_MAX_ITEMS", "3")
    watch.page.goto(url(gateway))
    total = int(watch.page.get_attribute("[data-section=failed]", "data-count"))
    assert watch.page.locator("#failed-table tbody tr").count() == 3 < total
    with watch.page.expect_navigation():
        watch.page.click("[data-more=failed] a")
    assert "full=1" in watch.page.url and watch.page.url.endswith("#failed")
    assert watch.page.locator("#failed-table tbody tr").count() == total


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


def test_curl_reads_the_csv_gzip_or_not(gateway: Gateway) -> None:
    """curl (an independent client) through the local gateway: ``--compressed`` gets the gzip answer
    (Content-Encoding: gzip, decoded by curl) and a plain request the plain text; the same CSV."""
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")

    def fetch(*flags: str) -> tuple[str, bytes]:
        done = subprocess.run([curl, "-sS", "-D", "-", "-o", "-", *flags, url(gateway, "/dashboard/tasks.csv")],
                              capture_output=True, timeout=60, check=True)
        head, _, body = done.stdout.partition(b"\r\n\r\n")
        return head.decode("latin-1").lower(), body

    zipped_head, zipped = fetch("--compressed")
    plain_head, plain = fetch("-H", "Accept-Encoding: identity")
    assert "content-encoding: gzip" in zipped_head and "content-encoding" not in plain_head
    assert without_eta(zipped.decode("utf-8")) == without_eta(plain.decode("utf-8"))
    assert plain.startswith(b"\xef\xbb\xbf")
    assert len(list(csv.reader(io.StringIO(plain.decode("utf-8-sig"))))) - 1 == summary(gateway)["total"]


@pytest.mark.parametrize(("locale", "lang", "heading"), [("zh-CN", "zh-CN", "迁移仪表盘"),
                                                        ("en-US", "en", "Migration dashboard")])
def test_both_languages_render(gateway: Gateway, browser: Any, locale: str, lang: str, heading: str) -> None:
    w = Watch(browser, locale=locale, viewport={"width": 1280, "height": 1500})
    try:
        w.page.goto(url(gateway))
        assert w.page.get_attribute("html", "lang") == lang
        assert w.page.inner_text("h1") == heading
        if lang == "zh-CN":  # the page's own words are Chinese: no English sentence of ours is left
            text = w.page.inner_text("#fleet") + w.page.inner_text("#attention") + w.page.inner_text("#changes")
            assert "需要关注" in text and "预计完成时间" in text
            assert not re.search(r"\b(the|and|tasks?|done|Overdue|Unknown)\b", text), text
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
