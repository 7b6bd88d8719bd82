"""Hostile task data in a real Chromium (issue 21, items 4, 6 and 7), served by an SMS stand-in
(tests/hostile.py, not our emulator) through the local gateway:

* every link built from a task id resolves, as the browser resolves it, to one path segment under
  ``/dashboard/tasks/`` (page links and chat links alike), and opens that task's page;
* no bidi or invisible control from task text reaches the document; it shows as ``<U+202E>``;
* a 5,000-character name or error hides no other column at 1280x900 (column positions measured);
* the pages render under their CSP with no violation reported, and carry HSTS."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from local.gateway import Gateway
from shared.dashboard.links import message_links, sign
from shared.read import sms_client
from shared.settings import Settings
from tests.hostile import HostileServer, answer, tasks_page

pytestmark = pytest.mark.e2e
SECRET = "hostile-browser-Qw3eR6tY9uI2oP5aS8dF1gH4"
LONG = "N" * 5000
CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u200e\u200f\ufeff\u2060"
IDS = ["../../../v3/tasks", "../tasks.csv", "a/b?c#d", "%2e%2e", ".%2E", "...", "back\\slash", "ends-with/",
       "ok-1", ".", ".."]
VIOLATIONS = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
                          e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


def hostile_tasks() -> dict[str, Any]:
    page = tasks_page(IDS, len(IDS))
    for i, task in enumerate(page["tasks"]):
        task["name"] = [LONG, "\u202eevil\u202c" + CONTROLS, f"name{i}"][i % 3]
        if i % 2:
            task["state"] = "MIGRATE_FAIL"
            task["error_json"] = {"error_code": "SMS.1" + "9" * 3000, "error_msg": LONG + " " + CONTROLS}
    return page


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    with HostileServer(answer(200, hostile_tasks())) as upstream:
        for key, value in {"SMS_ENDPOINT": upstream.url, "HUAWEICLOUD_SDK_AK": "AKHOSTILE0000000",
                           "HUAWEICLOUD_SDK_SK": "sk-hostile-000000", "DASHBOARD_LINK_SECRET": SECRET,
                           "GATEWAY_QUIET": "1", "SMS_VALIDATION": "off"}.items():
            monkeypatch.setenv(key, value)
        sms_client.reset_client_cache()
        gw = Gateway(port=0).start()
        monkeypatch.setenv("DASHBOARD_URL", gw.url)
        yield gw
        gw.stop()
        sms_client.reset_client_cache()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(VIOLATIONS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.errors = errors
    yield pg
    context.close()


def one_segment(path: str) -> str:
    """The id a resolved task path names; fails unless it is exactly one segment under the route."""
    assert path.startswith("/dashboard/tasks/"), path
    rest = path[len("/dashboard/tasks/"):]
    assert rest and "/" not in rest and rest not in (".", ".."), path
    return unquote(rest)


def test_page_links_resolve_to_one_segment_and_open_their_task(gateway: Gateway, page: Any) -> None:
    response = page.goto(f"{gateway.url}/dashboard?lang=en&token={sign('/dashboard', SECRET, 600)}")
    assert response.status == 200
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    rows = page.query_selector_all("tr[data-task-id]")
    linked = []
    for row in rows:
        anchor = row.query_selector("a[href]")
        task_id = row.get_attribute("data-task-id")
        if anchor is None:
            assert task_id in (".", ".."), task_id  # only the ids no URL can name go unlinked
            continue
        resolved = anchor.evaluate("a => a.href")  # the browser's own resolution
        raw = anchor.get_attribute("href")
        assert urlsplit(resolved).path == urlsplit(urljoin(page.url, raw)).path  # urllib agrees
        linked.append((one_segment(urlsplit(resolved).path), resolved))
    assert {i for i, _ in linked} == set(IDS) - {".", ".."}
    for task_id, href in linked:
        opened = page.goto(href)
        assert opened.status == 200, (task_id, opened.status)
        assert one_segment(urlsplit(page.url).path) == task_id
        assert page.query_selector("p[data-task-id]") is not None
    assert page.evaluate("window.__csp") == [] and page.errors == []


def test_chat_links_resolve_to_one_segment_in_chromium(gateway: Gateway, page: Any) -> None:
    links = message_links(Settings.from_env())
    assert links is not None
    for task_id in IDS:
        href = links.task(task_id, "en")
        if task_id in (".", ".."):
            assert href is None
            continue
        assert href is not None
        assert one_segment(urlsplit(urljoin(gateway.url + "/x/y", href)).path) == task_id
        resolved = page.evaluate("u => new URL(u).pathname", href)
        assert one_segment(resolved) == task_id
        assert page.goto(href).status == 200


def test_no_invisible_control_reaches_the_document(gateway: Gateway, page: Any) -> None:
    page.goto(f"{gateway.url}/dashboard?lang=en&token={sign('/dashboard', SECRET, 600)}")
    html = page.content()
    text = page.evaluate("document.body.innerText")
    for ch in CONTROLS:
        assert ch not in html and ch not in text, f"U+{ord(ch):04X}"
    assert "<U+202E>evil<U+202C>" in text  # shown, visibly, where it was


def test_long_text_hides_no_column_at_1280x900(gateway: Gateway, page: Any) -> None:
    token = sign("/dashboard", SECRET, 600)
    for path in ("/dashboard", "/dashboard/tasks/..%2F..%2F..%2Fv3%2Ftasks", "/dashboard/tasks/..%2Ftasks.csv"):
        page.goto(f"{gateway.url}{path}?lang=en&token={token}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, path
        boxes = page.evaluate("""() => [...document.querySelectorAll('table')].map(t => ({
            id: t.id, cells: [...t.querySelectorAll('tr')].slice(0, 4).map(r => [...r.children].map(c => {
                const b = c.getBoundingClientRect(); return [b.left, b.right, b.width]; }))}))""")
        assert boxes
        for table in boxes:
            for row in table["cells"]:
                for left, right, width in row:
                    assert left >= 0 and right <= 1280 and width > 0, (path, table["id"], left, right)
                lefts = [c[0] for c in row]
                assert lefts == sorted(lefts)  # columns side by side, none on top of another
        assert page.evaluate("window.__csp") == [] and page.errors == []


def test_the_violation_listener_sees_a_violation(gateway: Gateway, page: Any) -> None:
    """The control for the CSP checks above: an image the policy forbids is reported."""
    page.goto(f"{gateway.url}/dashboard?lang=en&token={sign('/dashboard', SECRET, 600)}")
    page.evaluate("""() => { const i = document.createElement('img');
                             i.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw='; document.body.appendChild(i); }""")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__csp")[0].startswith("img-src")
