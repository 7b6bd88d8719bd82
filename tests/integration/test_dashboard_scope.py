"""A link opens exactly what it names (issue 21): its path scope and its filters are signed
together and hold on every route, whatever the URL says; task and CSV links open only themselves;
``make dashboard-link`` and chat messages make such links. Read through the HTTP function's
handler against the emulator, and against a stand-in SMS that ignores every filter (so the
function's own check is what holds)."""
from __future__ import annotations

import base64
import csv
import gzip
import io
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from local import dashboard_link
from shared.dashboard.links import message_links, sign, task_path
from shared.settings import Settings
from tests.hostile import HostileServer, answer, tasks_page
from tests.integration.test_dashboard import SECRET, call

pytestmark = pytest.mark.integration
EP = "2b1f6f2e-6d1c-4a8e-9c1a-6f0b7f1d2a01"


@pytest.fixture
def dash_env(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DASHBOARD_LINK_SECRET", SECRET)
    return sms_env


def open_url(url: str) -> dict[str, Any]:
    """A signed URL as API Gateway would hand it on: its path and its query."""
    parts = urlsplit(url)
    return call(parts.path, dict(parse_qsl(parts.query)))


def csv_rows(out: dict[str, Any]) -> list[dict[str, str]]:
    assert out["statusCode"] == 200, out["body"][:300]
    body = gzip.decompress(base64.b64decode(out["body"])).decode("utf-8") if out.get("isBase64Encoded") else out["body"]
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_signed_filters_hold_when_the_url_drops_them(dash_env: Any) -> None:
    token = sign("/dashboard", SECRET, 600, filters={"enterprise_project_id": EP})
    in_ep = [t for t in dash_env.tasks() if t.get("enterprise_project_id") == EP]
    assert 0 < len(in_ep) < len(dash_env.tasks())
    for query in ({"token": token}, {"token": token, "enterprise_project_id": ""},
                  {"token": token, "enterprise_project_id": EP}):
        rows = csv_rows(call("/dashboard/tasks.csv", query))
        assert {r["id"] for r in rows} == {t["id"] for t in in_ep}
        page = call("/dashboard", query)
        assert page["statusCode"] == 200 and f'data-total="{len(in_ep)}"' in page["body"]
    # narrowing further within the signed filters is allowed
    narrowed = csv_rows(call("/dashboard/tasks.csv", {"token": token, "state": "MIGRATE_FAIL"}))
    assert {r["id"] for r in narrowed} == {t["id"] for t in in_ep if t.get("state") == "MIGRATE_FAIL"}
    # another project, or "every project", in the URL is refused
    for other in ("0", "all_granted_eps"):
        for path in ("/dashboard", "/dashboard/tasks.csv"):
            out = call(path, {"token": token, "enterprise_project_id": other})
            assert out["statusCode"] == 401 and "SMSFN.0401" in out["body"]


def test_a_filtered_link_opens_only_task_pages_it_covers(dash_env: Any) -> None:
    token = sign("/dashboard", SECRET, 600, filters={"enterprise_project_id": EP})
    inside = next(t for t in dash_env.tasks() if t.get("enterprise_project_id") == EP)
    outside = next(t for t in dash_env.tasks() if t.get("enterprise_project_id") != EP)
    assert call(task_path(inside["id"]) or "", {"token": token})["statusCode"] == 200
    assert call(task_path(outside["id"]) or "", {"token": token})["statusCode"] == 404


def test_the_function_checks_the_filters_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """An SMS stand-in that ignores every filter: the task page still refuses a task outside the
    link's project, and the page it opens shows only what SMS sent for the signed query."""
    page = tasks_page(["t-in", "t-out"], 2)
    page["tasks"][1]["enterprise_project_id"] = "ep-other"
    page["tasks"][0]["enterprise_project_id"] = "ep-2"
    with HostileServer(answer(200, page)) as upstream:
        for key, value in {"SMS_ENDPOINT": upstream.url, "HUAWEICLOUD_SDK_AK": "AKSTANDIN0000000",
                           "HUAWEICLOUD_SDK_SK": "sk-standin-secret-000", "DASHBOARD_LINK_SECRET": SECRET}.items():
            monkeypatch.setenv(key, value)
        token = sign("/dashboard", SECRET, 600, filters={"enterprise_project_id": "ep-2"})
        assert call("/dashboard/tasks/t-in", {"token": token})["statusCode"] == 200
        assert call("/dashboard/tasks/t-out", {"token": token})["statusCode"] == 404
        csv_rows(call("/dashboard/tasks.csv", {"token": token}))
        assert all(seen.query.get("enterprise_project_id") == "ep-2" for seen in upstream.seen)


def test_a_task_link_opens_only_its_task(dash_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = dash_env.tasks()[:2]
    monkeypatch.setenv("PORT", "8080")
    url = dashboard_link.local_link("https://api.example.test", f"/dashboard/tasks/{first['id']}")
    assert open_url(url)["statusCode"] == 200
    token = dict(parse_qsl(urlsplit(url).query))["token"]
    for path in ("/dashboard", "/dashboard/tasks.csv", task_path(second["id"]) or ""):
        out = call(path, {"token": token})
        assert out["statusCode"] == 401, path
    csv_url = dashboard_link.local_link("https://api.example.test", "/dashboard/tasks.csv",
                                        filters={"state": "MIGRATE_SUCCESS"})
    rows = csv_rows(open_url(csv_url))
    assert rows and {r["state"] for r in rows} == {"MIGRATE_SUCCESS"}
    assert call("/dashboard", {"token": dict(parse_qsl(urlsplit(csv_url).query))["token"]})["statusCode"] == 401


def test_make_dashboard_link_cli(dash_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert dashboard_link.main(["--path", "/dashboard", "--filter", f"enterprise_project_id={EP}"]) == 0
    url = capsys.readouterr().out.strip()
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["enterprise_project_id"] == EP
    query.pop("enterprise_project_id")  # removed by hand: still that project only
    rows = csv_rows(call("/dashboard/tasks.csv", query))
    assert rows and {r["enterprise_project_id"] for r in rows} == {EP}
    assert dashboard_link.main(["--new-secret"]) == 0
    fresh = capsys.readouterr().out.strip()
    assert Settings(env={"DASHBOARD_LINK_SECRET": fresh}).dashboard.link_secret == fresh  # passes the rule
    assert len(fresh) >= 32 and fresh != dashboard_link.new_secret()
    with pytest.raises(SystemExit):
        dashboard_link.main(["--ttl", str(91 * 86400)])


def test_chat_links_carry_the_messages_filters(dash_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_URL", "https://api.example.test")
    links = message_links(Settings.from_env(), {"enterprise_project_id": EP, "state": "MIGRATE_FAIL"})
    assert links is not None
    url = links.dashboard("en")
    parts = urlsplit(url)
    bare = {k: v for k, v in parse_qsl(parts.query) if k in ("token", "lang")}  # filters removed by hand
    rows = csv_rows(call("/dashboard/tasks.csv", bare))
    expected = {t["id"] for t in dash_env.tasks()
                if t.get("enterprise_project_id") == EP and t.get("state") == "MIGRATE_FAIL"}
    assert {r["id"] for r in rows} == expected
    outside = next(t for t in dash_env.tasks() if t.get("enterprise_project_id") != EP)
    assert open_url(links.task(outside["id"], "en") or "")["statusCode"] == 404
