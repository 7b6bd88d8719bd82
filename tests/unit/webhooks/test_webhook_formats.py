"""Each format's payload against what its platform documents, including size limits on huge
summaries; plus ``notify_on``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.errors import ApiError
from shared.webhooks.formats import FORMAT_MODULES, RenderContext
from shared.webhooks.notify import should_notify
from tests.helpers import SUMMARY_STATES

NOW = 1_764_378_000.0
SECRETS = {"generic": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "feishu": "fs-secret", "dingtalk": "SECdt"}
URLS = {
    "generic": "https://receiver.example.com/hooks/sms",
    "slack": "https://hooks.slack.com/services/T0/B0/XXXX",
    "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/abc",
    "dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=abc",
    "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
}


def task(i: int, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"{i:08x}-0000-4000-8000-{i:012x}", "name": name, **extra}


def make_summary(
    n: int = 2, truncated: int = 0, name: str = "vm-{i}", error: Any = "disk full"
) -> dict[str, Any]:
    """A format-v2 summary with ``n`` items in every list, each list's tasks its own (ids and,
    when ``name`` has ``{i}``, names differ from list to list, as one task has one health)."""
    def lst(items: list[dict[str, Any]]) -> dict[str, Any]:
        return {"total": len(items) + truncated, "truncated": truncated, "items": items}

    def tasks(k: int, **extra: Any) -> list[dict[str, Any]]:
        return [task(k * n + i, name.format(i=k * n + i), **extra) for i in range(n)]

    total = n + truncated
    moving = dict(progress=42, current_subtask={"name": "SYNC", "progress": 7}, migrate_speed_mbps=88.8,
                  source_server="src-server")
    health = {"failed": 2 * total, "stalled": total, "lagging": total, "healthy": total, "waiting": 0,
              "stopped": 0, "done": total}
    progress = {"status": "in_progress", "done": total, "share_done": 14.3, "percent": 51.2}
    return {
        "schema_version": 2,
        "generated_at": "2026-11-29T01:00:00Z",
        "window": {
            "start": "2026-11-29T00:00:00Z",
            "end": "2026-11-29T01:00:00Z",
            "interval_seconds": 3600,
            "clock_skew_seconds": 0,
        },
        "filters": {},
        "total": 6 * total,
        "scanned": 6 * total,
        "partial": False,
        "health": health,
        "progress": {**progress, "eta": "2026-11-30T05:00:00Z"},
        "groups": [],
        "by_state": {s: {"RUNNING": 3 * total, "MIGRATE_SUCCESS": total, "MIGRATE_FAIL": 2 * total}.get(s, 0)
                     for s in SUMMARY_STATES},
        "by_type": {"MIGRATE_FILE": 6 * total, "MIGRATE_BLOCK": 0, "OTHER": 0},
        "by_os": {"WINDOWS": 0, "LINUX": 6 * total, "OTHER": 0},
        # The newly failed tasks first; as many earlier failures again, left out (truncated).
        "failed": {"total": 2 * total, "truncated": 2 * total - n,
                   "items": tasks(1, health="failed", group=None, state="MIGRATE_FAIL", error=error,
                                  failed_at="2026-11-29T00:30:00Z")},
        "stalled": lst(tasks(2, health="stalled", group=None, state="RUNNING", progress=12, idle_seconds=7300,
                             last_activity_at="2026-11-28T23:00:00Z", current_subtask=None)),
        "lagging": lst(tasks(3, health="lagging", group=None, state="RUNNING", reason="overdue",
                             estimated_completion="2026-11-29T05:00:00Z", remaining_seconds=14400,
                             overdue_since="2026-11-28T20:00:00Z", **moving)),
        "running": lst(tasks(4, health="healthy", group=None, state="RUNNING", reason=None,
                             estimated_completion="2026-11-29T05:00:00Z", remaining_seconds=14400,
                             overdue_since=None, **moving)),
        "changes": {
            "succeeded": lst(tasks(5, health="done", group=None, state="MIGRATE_SUCCESS",
                                   finished_at="2026-11-29T00:20:00Z")),
            "failed": lst(tasks(1, health="failed", group=None, state="MIGRATE_FAIL",
                                finished_at="2026-11-29T00:30:00Z")),
            "stalled": lst(tasks(2, health="stalled", group=None, state="RUNNING", at="2026-11-29T00:40:00Z")),
            "recovered": lst(tasks(6, health="healthy", group=None, state="RUNNING", at="2026-11-29T00:50:00Z")),
        },
        "schema_violations": 0,
    }


def huge_summary() -> dict[str, Any]:
    long_cn = "华为云主机迁移任务-" * 200 + "{i}"
    error = {"error_code": "SMS.9999", "error_msg": "磁盘空间不足 " * 500, "details": ["x" * 5000]}
    return make_summary(n=3000, truncated=2500, name=long_cn, error=error)


# --- receiver-side checks of each platform's documented shape and limits ---


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_slack(body: bytes) -> dict[str, Any]:
    p = json.loads(body)
    assert isinstance(p["text"], str) and p["text"]  # notification fallback
    blocks = p["blocks"]
    assert 0 < len(blocks) <= 50
    total = utf16(p["text"])
    for b in blocks:
        assert b["type"] in {"header", "section", "context", "divider", "actions"}
        if b["type"] == "header":
            assert b["text"]["type"] == "plain_text" and 0 < utf16(b["text"]["text"]) <= 150
            total += utf16(b["text"]["text"])
        elif b["type"] == "section":
            assert "text" in b or "fields" in b
            if "text" in b:
                assert b["text"]["type"] == "mrkdwn" and 0 < utf16(b["text"]["text"]) <= 3000
                total += utf16(b["text"]["text"])
            for f in b.get("fields", []):
                assert utf16(f["text"]) <= 2000
                total += utf16(f["text"])
            assert len(b.get("fields", [])) <= 10
        elif b["type"] == "context":
            assert 0 < len(b["elements"]) <= 10
            total += sum(utf16(e["text"]) for e in b["elements"])
        elif b["type"] == "actions":  # link buttons: label <= 75, url <= 3000, action_id <= 255
            assert 0 < len(b["elements"]) <= 25
            for e in b["elements"]:
                assert e["type"] == "button" and e["text"]["type"] == "plain_text"
                assert 0 < utf16(e["text"]["text"]) <= 75 and 0 < len(e["url"]) <= 3000
                assert len(e["action_id"]) <= 255
                total += utf16(e["text"]["text"])
    assert total <= 12_000
    return p


def check_feishu(body: bytes) -> dict[str, Any]:
    assert len(body) <= 20_000
    p = json.loads(body)
    assert p["msg_type"] == "interactive"
    card = p["card"]
    assert card["header"]["title"]["tag"] == "plain_text" and card["header"]["title"]["content"]
    assert card["header"]["template"] in {"red", "orange", "green", "blue"}
    for el in card["elements"]:
        assert el["tag"] in {"div", "hr", "note", "action"}
        if el["tag"] == "div":
            assert ("text" in el and el["text"]["tag"] == "lark_md") or "fields" in el
        if el["tag"] == "action":  # message card buttons that open a URL
            for button in el["actions"]:
                assert button["tag"] == "button" and button["text"]["tag"] == "plain_text"
                assert button["url"].startswith("https://") and button["type"] in {"default", "primary", "danger"}
    return p


def check_dingtalk(body: bytes) -> dict[str, Any]:
    assert len(body) <= 20_000
    p = json.loads(body)
    assert p["msgtype"] in {"markdown", "actionCard"}
    if p["msgtype"] == "actionCard":  # the whole-card form: one button, singleTitle + singleURL
        card = p["actionCard"]
        assert card["title"] and card["text"] and card["singleTitle"] and card["singleURL"].startswith("https://")
        assert set(card) <= {"title", "text", "btnOrientation", "singleTitle", "singleURL"}
    else:
        assert p["markdown"]["title"] and p["markdown"]["text"]
    return p


def check_wecom(body: bytes) -> dict[str, Any]:
    p = json.loads(body)
    assert p["msgtype"] == "markdown"
    content = p["markdown"]["content"]
    assert content and len(content.encode("utf-8")) <= 4096
    return p


def check_generic(body: bytes, limit: int = 20_000) -> dict[str, Any]:
    assert len(body) <= limit
    return json.loads(body)


CHECKS = {
    "slack": check_slack,
    "feishu": check_feishu,
    "dingtalk": check_dingtalk,
    "wecom": check_wecom,
    "generic": check_generic,
}


def render(fmt: str, summary: dict[str, Any], signed: bool = True, max_items: int = 10) -> bytes:
    secret = SECRETS.get(fmt) if signed else None
    msg = FORMAT_MODULES[fmt].render(summary, URLS[fmt], secret, RenderContext("req-1", max_items=max_items))
    return msg.build(NOW).body


def text_of(fmt: str, payload: dict[str, Any]) -> str:
    """All human-readable text of a chat payload."""
    return json.dumps(payload, ensure_ascii=False)


@pytest.mark.parametrize("fmt", sorted(FORMAT_MODULES))
def test_small_summary_matches_the_documented_shape(fmt: str) -> None:
    CHECKS[fmt](render(fmt, make_summary()))


@pytest.mark.parametrize("fmt", sorted(FORMAT_MODULES))
@pytest.mark.parametrize("signed", [True, False])
def test_huge_summary_stays_within_the_platform_limit(fmt: str, signed: bool) -> None:
    summary = huge_summary()
    payload = CHECKS[fmt](render(fmt, summary, signed=signed))
    if fmt == "generic":
        # Totals stay exact; what was cut moved into ``truncated``.
        assert payload["failed"]["total"] == summary["failed"]["total"]
        kept = len(payload["failed"]["items"])
        assert kept + payload["failed"]["truncated"] == summary["failed"]["total"] == 2 * (3000 + 2500)
    else:
        assert "more" in text_of(fmt, payload)


@pytest.mark.parametrize("fmt", sorted(set(FORMAT_MODULES) - {"generic"}))
def test_chat_messages_show_the_speed_in_sms_units(fmt: str) -> None:
    # SMS reports migrate_speed in MB/s; "88.8 Mbit/s" understated it eightfold.
    text = text_of(fmt, CHECKS[fmt](render(fmt, make_summary())))
    assert "88.8 MB/s" in text and "Mbit" not in text


def test_generic_cut_does_not_touch_the_callers_summary() -> None:
    summary = huge_summary()

    def shape() -> list[Any]:
        nodes = [summary[k] for k in ("failed", "stalled", "lagging", "running")] + [*summary["changes"].values()]
        return [(id(n["items"]), len(n["items"]), n["truncated"], len(n["items"][0]["name"])) for n in nodes]

    before = shape()
    render("generic", summary)
    assert shape() == before
    assert len(summary["failed"]["items"][0]["error"]["details"][0]) == 5000


SUMMARY_SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "summary.schema.json"


def test_cut_generic_body_is_still_a_valid_summary() -> None:
    import jsonschema  # the reference validator (a test dependency): never a reason to skip

    validator = jsonschema.Draft202012Validator(json.loads(SUMMARY_SCHEMA.read_text(encoding="utf-8")))
    big = make_summary(n=1000, name="华为云主机迁移任务-" * 30 + "{i}", error={"error_msg": "磁盘" * 2000})
    assert not list(validator.iter_errors(big))
    body = json.loads(render("generic", big))
    assert body["failed"]["items"] and len(body["failed"]["items"]) < 1000  # it was cut
    assert not list(validator.iter_errors(body))
    for node in (body["failed"], body["stalled"], body["lagging"], body["running"], *body["changes"].values()):
        assert node["truncated"] == node["total"] - len(node["items"])


def test_generic_fits_unchanged_when_small() -> None:
    summary = make_summary()
    assert json.loads(render("generic", summary)) == summary


# A list entry: a bullet at the start of a line (JSON-escaped), not the "… and N more" line.
ENTRY = re.compile(r"\\n(?:• |- )(?!…)")


def shown_and_more(text: str, title: str, total: int) -> tuple[int, int]:
    """(entries shown, N of "… and N more") in the section ``title (total)``."""
    section = re.search(re.escape(f"{title} ({total})") + r"(.*?)… and (\d+) more", text)
    assert section, title
    return len(ENTRY.findall(section.group(0))), int(section.group(2))


def test_and_n_more_counts_the_summarys_own_truncation() -> None:
    # 15 newly failed items listed + 5 already truncated by the summary; 10 shown -> 10 more.
    summary = make_summary(n=15, truncated=5)
    for fmt in ("slack", "feishu", "dingtalk"):
        text = text_of(fmt, json.loads(render(fmt, summary)))
        assert shown_and_more(text, "Newly failed", 20) == (10, 10), fmt
    # WeCom's 4096 bytes hold fewer entries, but nothing goes unaccounted for.
    shown, more = shown_and_more(text_of("wecom", json.loads(render("wecom", summary))), "Newly failed", 20)
    assert shown >= 1 and shown + more == 20


def test_huge_lists_report_exactly_what_was_left_out() -> None:
    summary = huge_summary()
    for fmt in ("slack", "feishu", "dingtalk", "wecom"):
        text = text_of(fmt, json.loads(render(fmt, summary)))
        for title in ("Newly failed", "Stalled", "Lagging", "Completed", "Recovered"):
            shown, more = shown_and_more(text, title, 5500)
            assert shown + more == 5500, (fmt, title)


def test_multibyte_names_are_counted_in_bytes_for_wecom() -> None:
    payload = check_wecom(render("wecom", make_summary(n=50, name="数据库服务器-{i}-" + "测" * 60)))
    assert len(payload["markdown"]["content"].encode("utf-8")) <= 4096


@pytest.mark.parametrize(
    ("fmt", "forbidden"),
    [
        ("slack", ["<!channel>", "<@U123>"]),
        ("feishu", ["<at id=all>", "<at user_id"]),
        ("wecom", ["<@zhangsan>", "<font"]),
        ("dingtalk", ["<script>"]),
    ],
)
def test_names_cannot_inject_mentions_or_markup(fmt: str, forbidden: list[str]) -> None:
    name = '<!channel> <@U123> <at id=all></at> <at user_id="all"> <@zhangsan> <font color=red> <script>'
    payload = json.loads(render(fmt, make_summary(n=1, name=name)))
    if fmt == "wecom":  # our own <font> tags are fine; the name's are not
        text = "\n".join(
            line for line in payload["markdown"]["content"].split("\n") if "<@" in line or "color=red" in line
        )
    else:
        text = text_of(fmt, payload)
    for bad in forbidden:
        assert bad not in text, (fmt, bad)


def test_slack_escapes_as_documented() -> None:
    p = json.loads(render("slack", make_summary(n=1, name="a & b <c>")))
    assert "a &amp; b &lt;c&gt;" in text_of("slack", p)


@pytest.mark.parametrize("fmt", sorted(FORMAT_MODULES))
def test_empty_and_malformed_summaries_still_render(fmt: str) -> None:
    for summary in (
        {},
        {"failed": {"items": ["just a string", None, 7]}, "by_state": {"RUNNING": "x"}},
        {"running": {"total": 3, "items": None}, "window": "??", "partial": True},
    ):
        CHECKS[fmt](render(fmt, summary))


def test_headline_severity_drives_colour() -> None:
    ok = make_summary(n=0)
    assert json.loads(render("feishu", ok))["card"]["header"]["template"] == "green"
    assert json.loads(render("feishu", make_summary(n=1)))["card"]["header"]["template"] == "red"


names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=300)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names, n=st.integers(0, 60), truncated=st.integers(0, 10_000), max_items=st.integers(1, 50))
def test_any_summary_fits_every_platform(name: str, n: int, truncated: int, max_items: int) -> None:
    summary = make_summary(
        n=n,
        truncated=truncated,
        name=name.replace("{", "(").replace("}", ")") + "{i}",
        error={"error_msg": name * 3},
    )
    for fmt, check in CHECKS.items():
        check(render(fmt, summary, max_items=max_items))


# --- notify_on ---


def quiet() -> dict[str, Any]:
    return make_summary(n=0)


@pytest.mark.parametrize(
    ("mutate", "notify_on", "expected"),
    [
        (None, ["always"], ["always"]),
        (None, ["failures", "changes", "stalled", "running"], []),
        (("failed",), ["failures"], ["failures"]),
        (("changes", "failed"), ["failures"], ["failures"]),
        (("changes", "failed"), ["changes"], ["changes"]),
        (("changes", "succeeded"), ["changes", "failures"], ["changes"]),
        (("stalled",), "stalled,running", ["stalled"]),
        (("running",), ["running", "always"], ["running", "always"]),
    ],
)
def test_should_notify(mutate: tuple[str, ...] | None, notify_on: Any, expected: list[str]) -> None:
    summary = quiet()
    if mutate:
        node = summary
        for key in mutate:
            node = node[key]
        node["total"] = 1
    assert should_notify(summary, notify_on) == (bool(expected), expected)


@pytest.mark.parametrize("bad", [["sometimes"], "failures,nope", [], 5, [None]])
def test_unknown_notify_on_is_a_clear_error(bad: Any) -> None:
    with pytest.raises(ApiError) as err:
        should_notify(quiet(), bad)
    assert err.value.status == 400 and "always" in err.value.error_msg
