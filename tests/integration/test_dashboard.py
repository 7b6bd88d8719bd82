"""The dashboard routes through the HTTP function's handler, against the emulator: signed links,
filters with /v3/tasks's rules, the page's counts equal to the summary's (read back with an
independent HTML parser), task pages, the CSV read back by the csv module, escaping of hostile
task names everywhere."""
from __future__ import annotations

import base64
import copy
import csv
import gzip
import io
import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any

import pytest

from local.fleet import demo_waves
from shared.dashboard.links import sign
from shared.triggers import http_routes
from tests.helpers import FakeContext, without_eta
from tests.helpers import apig_event as event

pytestmark = pytest.mark.integration
SECRET = "integration-Kp7vQ2xZ9mT4wR8nL3cY6bH1"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>=HYPERLINK("http://evil")'


@pytest.fixture
def dash_env(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DASHBOARD_LINK_SECRET", SECRET)
    monkeypatch.setenv("SUMMARY_GROUPS", json.dumps(demo_waves(sms_env.now_ms)))  # make run's waves
    return sms_env


def call(path: str, query: dict | None = None, headers: dict | None = None, method: str = "GET") -> dict[str, Any]:
    ev = event(path, method=method, query=query)
    ev["headers"] = {**ev.get("headers", {}), **(headers or {})}
    return http_routes.handle(ev, FakeContext())


def csv_text(out: dict[str, Any]) -> str:
    """The CSV of an answer as a client reads it: gunzipped when it came as gzip."""
    if out.get("isBase64Encoded"):
        assert out["headers"]["Content-Encoding"] == "gzip"
        return gzip.decompress(base64.b64decode(out["body"])).decode("utf-8")
    return out["body"]


def csv_rows(query: dict | None = None, headers: dict | None = None) -> list[list[str]]:
    out = call("/dashboard/tasks.csv", {"token": token(), **(query or {})}, headers)
    assert out["statusCode"] == 200, out["body"][:300]
    return list(csv.reader(io.StringIO(csv_text(out)[1:])))


def token(scope: str = "/dashboard", ttl: int = 600) -> str:
    return sign(scope, SECRET, ttl)


class Page(HTMLParser):
    """The page's machine-readable bits, read without our own code: counts from data- attributes,
    each listed task with the table (list) it is in, the waves' rows, every link."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.states: dict[str, int] = {}
        self.healths: dict[str, int] = {}
        self.sections: dict[str, int] = {}
        self.changes: dict[str, int] = {}
        self.waves: dict[str, dict[str, Any]] = {}
        self.rows: list[tuple[str, str, str | None]] = []  # (table id, task id, data-health)
        self.task_ids: list[str] = []
        self.links: list[str] = []
        self.more: dict[str, str] = {}
        self.icons: list[str | None] = []
        self.external: list[str] = []
        self.band: dict[str, str] = {}
        self.scripts = 0
        self._table: str | None = None
        self._wave: str | None = None
        self._more: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        count = int(a["data-count"] or -1) if "data-count" in a else None
        if "data-state" in a:
            self.states[str(a["data-state"])] = int(a["data-count"] or -1)
        if "data-health" in a and count is not None:
            self.healths[str(a["data-health"])] = count
        if "data-section" in a:
            self.sections[str(a["data-section"])] = int(a["data-count"] or -1)
        if "data-change" in a:
            self.changes[str(a["data-change"])] = int(a["data-count"] or -1)
        for key in ("data-share-done", "data-percent", "data-projection"):
            if key in a:
                self.band[key] = str(a[key])
        if tag == "table":
            self._table = a.get("id")
        if "data-wave" in a:
            self._wave = str(a["data-wave"])
            self.waves[self._wave] = {"total": int(a["data-total"] or -1), "at_risk": a["data-at-risk"] == "true",
                                      "health": {}}
        if "data-wave-health" in a and self._wave is not None:
            self.waves[self._wave]["health"][str(a["data-wave-health"])] = count
        if "data-task-id" in a:
            self.task_ids.append(str(a["data-task-id"]))
            if tag == "tr":
                self.rows.append((str(self._table), str(a["data-task-id"]), a.get("data-health")))
        if "data-more" in a:
            self._more = str(a["data-more"])
        if tag == "script":
            self.scripts += 1
        if tag == "link" and a.get("rel") == "icon":
            self.icons.append(a.get("href"))
            return
        for key in ("href", "src", "action"):
            value = a.get(key) or ""
            if key == "href" and key in a:
                self.links.append(value)
                if self._more is not None:
                    self.more[self._more] = value
                    self._more = None
            if "//" in value or value.startswith("data:"):
                self.external.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        if tag == "tr":
            self._wave = None

    def listed(self, table: str) -> list[str]:
        return [task for tab, task, _ in self.rows if tab == table]


def test_the_page_counts_equal_the_summary(dash_env: Any) -> None:
    out = call("/dashboard", {"token": token()})
    assert out["statusCode"] == 200, out["body"][:500]
    summary = json.loads(call("/v3/tasks/summary")["body"])
    page = Page(out["body"])
    assert page.states == summary["by_state"] and len(page.states) == 11
    shown = {i["id"] for key in ("running", "failed", "stalled") for i in summary[key]["items"]}
    assert shown <= set(page.task_ids)
    assert page.scripts == 0 and page.external == []
    h = out["headers"]
    assert h["Cache-Control"] == "no-store" and h["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in h["Content-Security-Policy"] and h["Content-Type"].startswith("text/html")
    # every link on the page keeps the token, but the in-page anchors; the icon link requests nothing
    assert page.links and all("token=" in href for href in page.links if not href.startswith("#"))
    assert page.icons == [""]


def test_the_page_leads_with_the_summarys_judgement(dash_env: Any) -> None:
    """The band, the waves, the attention lists and the changes carry the summary's numbers; each
    task is listed once, in the list of its own health; a stalled task never shows as running."""
    page = Page(call("/dashboard", {"token": token(), "lang": "en"})["body"])
    summary = json.loads(call("/v3/tasks/summary")["body"])
    assert page.healths == summary["health"] and sum(page.healths.values()) == summary["scanned"]
    assert float(page.band["data-share-done"]) == summary["progress"]["share_done"]
    assert float(page.band["data-percent"]) == summary["progress"]["percent"]
    for key in ("failed", "stalled", "lagging", "running"):
        assert page.sections[key] == summary[key]["total"] > 0, key  # the emulator's fleet fills each
        assert page.listed(f"{key}-table") == [i["id"] for i in summary[key]["items"]], key
    assert page.sections["attention"] == sum(summary["health"][h] for h in ("failed", "stalled", "lagging"))
    assert page.changes == {k: v["total"] for k, v in summary["changes"].items()}
    assert sum(page.changes.values()) > 0
    assert page.listed("completed-table") == [i["id"] for i in summary["changes"]["succeeded"]["items"]]
    # waves: the summary's, in its order (worst first), with their counts
    assert list(page.waves) == [g["name"] for g in summary["groups"]] and len(page.waves) >= 2
    for g in summary["groups"]:
        shown = page.waves[g["name"]]
        assert shown["total"] == g["total"] and shown["at_risk"] == g["at_risk"]
        assert shown["health"] == {h: n for h, n in g["health"].items() if n}
    # no task in two lists; each row's health is its list's; stalled ones never among the running
    ids = [task for _, task, _ in page.rows]
    assert len(ids) == len(set(ids))
    expected = {"failed-table": "failed", "stalled-table": "stalled", "lagging-table": "lagging",
                "running-table": "healthy", "completed-table": "done"}
    assert {(table, health) for table, _, health in page.rows} <= set(expected.items())
    stalled = {i["id"] for i in summary["stalled"]["items"]}
    assert stalled and not stalled & (set(page.listed("running-table")) | set(page.listed("lagging-table")))


def test_no_estimate_in_the_past_is_shown_as_a_date_to_wait_for(dash_env: Any) -> None:
    """An independent reading of every data-eta: after the page's own time; lagging tasks whose SMS
    estimate passed say overdue."""
    out = call("/dashboard", {"token": token(), "lang": "en"})
    summary = json.loads(call("/v3/tasks/summary")["body"])
    generated = datetime.fromisoformat(summary["generated_at"].replace("Z", "+00:00"))
    etas = [datetime.fromisoformat(m.replace("Z", "+00:00"))
            for m in re.findall(r'data-eta="([^"]+)"', out["body"])]
    assert etas and all(e > generated for e in etas)
    overdue = [i for i in summary["lagging"]["items"] if i["reason"] == "overdue"]
    assert overdue and out["body"].count("Overdue: SMS's estimate was") == len(overdue)


def test_and_n_more_links_to_the_longer_list(dash_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARY_MAX_ITEMS", "2")
    page = Page(call("/dashboard", {"token": token()})["body"])
    summary = json.loads(call("/v3/tasks/summary")["body"])
    assert summary["failed"]["truncated"] > 0 and "failed" in page.more
    href = page.more["failed"]
    assert href.startswith("/dashboard?") and "full=1" in href and href.endswith("#failed") and "token=" in href
    query = dict(pair.split("=", 1) for pair in href.split("?", 1)[1].split("#", 1)[0].split("&"))
    longer = Page(call("/dashboard", query)["body"])
    assert len(longer.listed("failed-table")) == summary["failed"]["total"]  # every one of them now
    assert "failed" not in longer.more


@pytest.mark.parametrize("query", [{}, {"token": "sdl1.AAAA.BBBB"}, {"token": ["a", "b"]}])
def test_no_or_bad_token_is_401_without_task_data(dash_env: Any, query: dict) -> None:
    for path in ("/dashboard", "/dashboard/tasks.csv", "/dashboard/tasks/" + dash_env.tasks()[0]["id"]):
        out = call(path, query)
        assert out["statusCode"] == 401, path
        assert out["headers"]["Cache-Control"] == "no-store"
        assert not Page(out["body"]).task_ids and dash_env.tasks()[0]["name"] not in out["body"]
        assert not any(t["id"] in out["body"] for t in dash_env.tasks()[:50])


def test_expired_and_altered_tokens_are_401(dash_env: Any) -> None:
    good = token()
    requests_before = len(dash_env.requests)
    assert call("/dashboard", {"token": sign("/dashboard", SECRET, 1, now=0)})["statusCode"] == 401
    assert call("/dashboard", {"token": good[:-3] + ("AAA" if good[-3:] != "AAA" else "BBB")})["statusCode"] == 401
    assert call("/dashboard", {"token": sign("/dashboard", "another-secret-entirely", 600)})["statusCode"] == 401
    assert len(dash_env.requests) == requests_before  # nothing was read for them


def test_no_secret_is_a_clear_500_naming_the_setting(sms_env: Any) -> None:
    out = call("/dashboard", {"token": token()})
    assert out["statusCode"] == 500 and "DASHBOARD_LINK_SECRET" in out["body"]


@pytest.mark.parametrize(("query", "param"), [
    ({"state": "DONE"}, "state"), ({"limit": "5"}, "limit"), ({"nope": "1"}, "nope"), ({"lang": "fr"}, "lang"),
    ({"state": ["RUNNING", "READY"]}, "state"),
])
def test_filters_follow_the_query_rules(dash_env: Any, query: dict, param: str) -> None:
    out = call("/dashboard", {**query, "token": token()})
    assert out["statusCode"] == 400 and param in out["body"]
    csv_out = call("/dashboard/tasks.csv", {**query, "token": token()})
    assert csv_out["statusCode"] == 400 and json.loads(csv_out["body"])["error_param"] == [param]


def test_filters_and_empty_form_fields(dash_env: Any) -> None:
    out = call("/dashboard", {"state": "MIGRATE_FAIL", "name": "", "enterprise_project_id": "", "token": token()})
    page = Page(out["body"])
    expected = sum(1 for t in dash_env.tasks() if t["state"] == "MIGRATE_FAIL")
    assert page.states["MIGRATE_FAIL"] == expected and sum(page.states.values()) == expected
    assert dash_env.requests[-1]["query"].get("state") == "MIGRATE_FAIL"


def test_a_chat_links_id_filter_is_applied_and_kept_by_the_form(dash_env: Any) -> None:
    """A summary of one task (an event about it) links to the dashboard filtered by its id; the
    form, which has no field for it, keeps it hidden, and so do the page's links."""
    task = dash_env.tasks()[0]
    out = call("/dashboard", {"id": task["id"], "token": token()})
    page = Page(out["body"])
    assert out["statusCode"] == 200 and sum(page.states.values()) == 1 and page.states[task["state"]] == 1
    assert f'<input type="hidden" name="id" value="{task["id"]}">' in out["body"]
    csv_links = [link for link in page.links if "tasks.csv" in link]
    assert csv_links and all(f"id={task['id']}" in link for link in csv_links)
    assert dash_env.requests[-1]["query"].get("id") == task["id"]


def test_task_page_and_unknown_task(dash_env: Any) -> None:
    task = next(t for t in dash_env.tasks() if t.get("sub_tasks") and t["state"] == "MIGRATE_FAIL")
    out = call(f"/dashboard/tasks/{task['id']}", {"token": token(f"/dashboard/tasks/{task['id']}")})
    assert out["statusCode"] == 200
    body = out["body"]
    assert f'data-task-id="{task["id"]}"' in body and body.count('data-subtask="') == len(task["sub_tasks"])
    assert "/dashboard?" not in body  # a task-only token gets no dashboard link
    missing = call("/dashboard/tasks/no-such-task", {"token": token()})
    assert missing["statusCode"] == 404 and "no-such-task" in missing["body"]
    assert missing["headers"]["Content-Type"].startswith("text/html")


def test_csv_has_every_task_with_a_bom(dash_env: Any) -> None:
    out = call("/dashboard/tasks.csv", {"token": token()})
    assert out["statusCode"] == 200 and out["isBase64Encoded"] and out["headers"]["Content-Encoding"] == "gzip"
    assert csv_text(out).startswith("\ufeff")
    plain = call("/dashboard/tasks.csv", {"token": token()}, {"accept-encoding": "identity"})
    assert not plain["isBase64Encoded"] and "Content-Encoding" not in plain["headers"]
    assert without_eta(plain["body"]) == without_eta(csv_text(out))
    rows = list(csv.reader(io.StringIO(csv_text(out)[1:])))
    assert rows[0][:3] == ["id", "name", "state"]
    assert len(rows) - 1 == len(dash_env.tasks()) == int(out["headers"]["X-Task-Count"])
    assert {r[0] for r in rows[1:]} == {t["id"] for t in dash_env.tasks()}


def test_a_capped_csv_says_it_is_partial(dash_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARY_MAX_TASKS", "40")
    out = call("/dashboard/tasks.csv", {"token": token()})
    rows = list(csv.reader(io.StringIO(csv_text(out)[1:])))
    assert out["headers"]["X-Scan-Partial"] == "true"
    assert rows[-1][0].startswith("# partial export: ") and len(rows) - 2 < len(dash_env.tasks())


def test_hostile_task_text_is_escaped_in_page_detail_and_csv(dash_env: Any) -> None:
    base = next(t for t in dash_env.tasks() if t["state"] == "MIGRATE_FAIL")
    task = copy.deepcopy(base)
    task.update(id="hostile-1", name=HOSTILE, error_json=json.dumps({"error_code": "SMS.1", "error_msg": HOSTILE}))
    dash_env.faults.add_tasks(tasks=[task])
    page = call("/dashboard", {"token": token(), "name": "<script>"})
    detail = call("/dashboard/tasks/hostile-1", {"token": token()})
    for out in (page, detail):
        assert out["statusCode"] == 200
        assert "<script>" not in out["body"] and "<img" not in out["body"]
        assert "&lt;script&gt;" in out["body"] and Page(out["body"]).scripts == 0
    rows = csv_rows()
    hostile = next(r for r in rows if r[0] == "hostile-1")
    assert hostile[1] == HOSTILE  # starts with "<": kept as text
    task2 = {**task, "id": "hostile-2", "name": '=HYPERLINK("http://evil")', "migration_ip": "+1", "error_json": "@x"}
    dash_env.faults.add_tasks(tasks=[task2])
    rows = csv_rows()
    row = next(r for r in rows if r[0] == "hostile-2")
    assert row[1] == "'=HYPERLINK(\"http://evil\")" and "'+1" in row and "'@x" in row


def test_languages(dash_env: Any) -> None:
    zh = call("/dashboard", {"token": token()}, {"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})["body"]
    en = call("/dashboard", {"token": token(), "lang": "en"}, {"accept-language": "zh-CN"})["body"]
    assert '<html lang="zh-CN">' in zh and "迁移仪表盘" in zh
    assert '<html lang="en">' in en and "Migration dashboard" in en and "迁移仪表盘" not in en


def heading(html: str) -> str:
    return html.split("<h1>", 1)[1].split("</h1>", 1)[0]


def test_each_route_answers_its_errors_in_its_own_shape(dash_env: Any) -> None:
    good = token()
    for path in ("/dashboard", "/dashboard/tasks/" + dash_env.tasks()[0]["id"]):
        page = call(path, {"token": good}, method="POST")
        h = page["headers"]
        assert page["statusCode"] == 405 and h["Allow"] == "GET" and h["Content-Type"].startswith("text/html")
        assert h["Cache-Control"] == "no-store" and "default-src 'none'" in h["Content-Security-Policy"]
        assert good not in page["body"] and 'data-status="405"' in page["body"]
    csv_out = call("/dashboard/tasks.csv", {"token": good}, method="DELETE")
    h = csv_out["headers"]
    assert csv_out["statusCode"] == 405 and h["Allow"] == "GET" and h["Cache-Control"] == "no-store"
    assert h["Content-Type"].startswith("application/json")
    assert json.loads(csv_out["body"])["allowed_methods"] == ["GET"]
    nothing = call("/dashboard/nothing-here", {"token": good})
    assert nothing["statusCode"] == 404 and nothing["headers"]["Content-Type"].startswith("text/html")
    assert heading(nothing["body"]) == "Not found"
    back = Page(nothing["body"]).links  # a valid token: the page links back to the dashboard with it
    assert f"/dashboard?lang=en&token={good}" in back
    # a request that could not be read has no route to answer for it: JSON, whatever its path
    unread = http_routes.handle({"path": "/dashboard", "queryStringParameters": {"token": good}}, FakeContext())
    assert unread["statusCode"] == 400 and json.loads(unread["body"])["error_code"] == "SMSFN.0400"
    api = call("/v3/nothing")
    assert api["statusCode"] == 404 and "Cache-Control" not in api["headers"]


def test_error_pages_link_back_or_explain_in_the_pages_language(dash_env: Any) -> None:
    """A 400 or 404 after a valid link links back with the same token; a bad link gets no link but
    what to do; a Chinese page says it in Chinese (the code's sentence), the English detail kept."""
    good = token()
    zh = call("/dashboard", {"token": good, "state": "DONE", "lang": "zh-CN"})
    assert zh["statusCode"] == 400 and f"/dashboard?lang=zh-CN&token={good}" in Page(zh["body"]).links
    assert "请求无效" in zh["body"] and "返回仪表盘" in zh["body"] and 'data-error-code="SMSFN.0400"' in zh["body"]
    missing = call("/dashboard/tasks/no-such-task", {"token": good, "lang": "zh-CN"})
    assert missing["statusCode"] == 404 and "这里没有内容" in missing["body"]
    bad = call("/dashboard", {"token": "sdl1.AAAA.BBBB", "lang": "zh-CN"})
    page = Page(bad["body"])
    assert bad["statusCode"] == 401 and not [link for link in page.links if "token=" in link]
    assert "链接无效" in bad["body"] and 'data-back="none"' in bad["body"] and "聊天消息" in bad["body"]
    task_only = token("/dashboard/tasks/no-such-task")  # opens one task page, not the dashboard
    out = call("/dashboard/tasks/no-such-task", {"token": task_only})
    assert out["statusCode"] == 404 and 'data-back="none"' in out["body"]
    assert not [link for link in Page(out["body"]).links if link.startswith("/dashboard?")]


def test_smss_own_401_is_not_called_a_bad_link(dash_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert heading(call("/dashboard", {"token": "sdl1.AAAA.BBBB"})["body"]) == "Link not valid"
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "UNKNOWNAK0000")  # the emulator answers 401 for it
    out = call("/dashboard", {"token": token(), "lang": "en"})
    assert out["statusCode"] == 401 and heading(out["body"]) == "Error" and "SMSFN.0401" not in out["body"]


def test_throttled_page_keeps_retry_after(dash_env: Any) -> None:
    dash_env.faults.throttle(retry_after=3600, times=20)  # longer than the function may wait
    out = call("/dashboard", {"token": token()})
    assert out["statusCode"] == 429 and out["headers"]["Retry-After"] == "3600"
    assert out["headers"]["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("value", "status", "refreshing"), [
    ("1", 200, True), ("yes", 200, True), ("false", 200, False), ("maybe", 400, False), (["1", "1"], 400, False),
])
def test_refresh_follows_the_boolean_rule(dash_env: Any, value: Any, status: int, refreshing: bool) -> None:
    out = call("/dashboard", {"token": token(), "refresh": value})
    assert out["statusCode"] == status and ('http-equiv="refresh"' in out["body"]) == refreshing
    if status == 400:
        assert "refresh" in out["body"] and len(dash_env.requests) == 0  # refused before SMS is read


def test_csv_health_wave_and_eta_agree_with_the_summary(dash_env: Any) -> None:
    """The CSV (read by the csv module) judges each task as the summary does: its health column
    counts are the summary's seven, its wave column the waves' totals; an eta only for moving
    tasks, always after the export; stalled tasks have none."""
    rows = csv_rows()
    summary = json.loads(call("/v3/tasks/summary")["body"])
    header, body = rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert {"health", "health_reason", "wave", "progress", "eta"} <= set(header)
    assert Counter(r["health"] for r in body) == {h: n for h, n in summary["health"].items() if n}
    assert Counter(r["wave"] for r in body) == {g["name"]: g["total"] for g in summary["groups"]}
    now = datetime.now(timezone.utc)
    for r in body:
        if r["eta"]:
            assert r["health"] in ("healthy", "lagging")
            assert datetime.fromisoformat(r["eta"].replace("Z", "+00:00")) > now - timedelta(seconds=5)
        if r["health"] == "stalled":
            assert r["eta"] == "" and r["health_reason"] == "idle"
    lagging = {r["id"]: r["health_reason"] for r in body if r["health"] == "lagging"}
    assert {i["id"]: i["reason"] for i in summary["lagging"]["items"]}.items() <= lagging.items()
