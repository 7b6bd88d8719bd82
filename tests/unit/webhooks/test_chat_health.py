"""Chat messages from summaries the real builder made over fleets of known healths and waves,
read back with independent parsers (slack_sdk's Block Kit models for Slack, markdown-it-py for
the Markdown platforms): each task in one list at most, stalled never among the moving, earlier
failures a count, names without UUIDs unless two share a name, and quiet ticks."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from shared.summary.builder import SummaryBuilder, SummaryOptions
from shared.summary.groups import OTHER_GROUP, parse_groups
from shared.summary.health import HEALTHS
from shared.webhooks.formats import FORMAT_MODULES, RenderContext
from shared.webhooks.notify import should_notify
from tests.unit.summary.test_health import NOW, STALL_S, WAVES, make_task
from tests.unit.webhooks.test_chat_links_language import links
from tests.unit.webhooks.test_webhook_formats import CHECKS, SECRETS, URLS

CHAT = ("slack", "feishu", "dingtalk", "wecom")
MD = MarkdownIt("commonmark")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def summarise(tasks: list[dict[str, Any]], waves: bool = True) -> dict[str, Any]:
    builder = SummaryBuilder(SummaryOptions(
        now=NOW, interval_seconds=3600, stall_after_seconds=STALL_S, max_items=50,
        groups=parse_groups(json.dumps(WAVES)) if waves else ()))
    builder.add_many(tasks)
    return builder.build(None)


def render(fmt: str, summary: dict[str, Any], lang: str = "en", quiet: bool = False,
           dashboard: bool = True, max_items: int = 50) -> dict[str, Any]:
    ctx = RenderContext("req-1", max_items=max_items, lang=lang, links=links() if dashboard else None, quiet=quiet)
    body = FORMAT_MODULES[fmt].render(summary, URLS[fmt], SECRETS.get(fmt), ctx).build(0).body
    return CHECKS[fmt](body)


def _markdown_sections(texts: list[str]) -> dict[str, list[str]]:
    """{section heading: [first text of each list entry]} read by markdown-it."""
    out: dict[str, list[str]] = {}
    heading = ""
    for text in texts:
        tokens = MD.parse(text)
        in_item = False
        for i, tok in enumerate(tokens):
            if tok.type == "list_item_open":
                in_item = True
            elif tok.type == "list_item_close":
                in_item = False
            elif tok.type == "inline" and not in_item:
                heading = tok.content.strip("*")
            elif tok.type == "inline" and in_item and tokens[i - 1].type == "paragraph_open":
                first = next((c.content for c in tok.children or [] if c.type == "text" and c.content.strip()), "")
                if not first.startswith("…"):
                    out.setdefault(heading, []).append(first.split(" · ")[0].split(" — ")[0].strip())
    return out


def _slack_sections(payload: dict[str, Any]) -> dict[str, list[str]]:
    from slack_sdk.models.blocks import Block, SectionBlock

    out: dict[str, list[str]] = {}
    for raw in payload["blocks"]:
        block = Block.parse(raw)
        block.validate_json()
        if not isinstance(block, SectionBlock) or block.text is None:
            continue
        head, *lines = block.text.text.split("\n")
        head = head.strip("*")
        for line in lines:
            if line.startswith("• "):
                found = re.match(r"• (?:<[^|>]+\|([^>]*)>|\*([^*]*)\*)", line)
                assert found, line
                out.setdefault(head, []).append(found.group(1) or found.group(2))
    return out


def sections(fmt: str, payload: dict[str, Any]) -> dict[str, list[str]]:
    if fmt == "slack":
        return _slack_sections(payload)
    if fmt == "feishu":
        texts = [e["text"]["content"] for e in payload["card"]["elements"] if e.get("tag") == "div" and "text" in e]
        return _markdown_sections(texts)
    if fmt == "dingtalk":
        body = payload.get("markdown") or payload.get("actionCard")
        return _markdown_sections([body["text"]])
    return _markdown_sections([payload["markdown"]["content"]])


def task_sections(found: dict[str, list[str]]) -> dict[str, list[str]]:
    """The task lists only: sections headed "Title (n)" (the health counts have no such heading),
    but not the waves' (their lines name waves, not tasks)."""
    return {k: v for k, v in found.items()
            if re.fullmatch(r".+ \(\d+\)", k) and not k.startswith(("Waves", "迁移批次"))}


fleet_spec = st.lists(
    st.tuples(st.sampled_from(HEALTHS), st.sampled_from(["web", "finance", OTHER_GROUP]), st.integers(0, 5)),
    min_size=1, max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=fleet_spec, fmt=st.sampled_from(CHAT), lang=st.sampled_from(["en", "zh-CN"]))
def test_no_task_in_two_lists_and_stalled_never_moving(spec, fmt, lang):
    tasks = [make_task(f"t{i}", h, w, v) for i, (h, w, v) in enumerate(spec)]
    summary = summarise(tasks)
    payload = render(fmt, summary, lang)
    found = task_sections(sections(fmt, payload))
    names = [n for entries in found.values() for n in entries]
    assert len(names) == len(set(names)), found
    # Listed: exactly the newly failed, stalled, lagging, completed and recovered tasks (no running
    # list, no earlier failure); a few dozen tasks fit every platform whole.
    expected = {i["name"] for node in (summary["changes"]["failed"], summary["stalled"], summary["lagging"],
                                       summary["changes"]["succeeded"], summary["changes"]["recovered"])
                for i in node["items"]}
    assert set(names) == expected
    health_of = {t["name"]: h for t, (h, _, _) in zip(tasks, spec, strict=True)}
    total = summary["lagging"]["total"]
    lagging = found.get(f"Lagging ({total})", []) + found.get(f"滞后 ({total})", [])
    assert sorted(lagging) == sorted(n for n, h in health_of.items() if h == "lagging")
    assert not UUID.search(json.dumps(payload)), "a UUID after a unique name"


def test_headline_says_what_changed_and_earlier_failures_are_a_count():
    old = [make_task(f"old{i}", "failed", OTHER_GROUP, 3) for i in range(4)]  # failed 4 h ago
    new = make_task("new", "failed", OTHER_GROUP, 0)  # failed 1 h ago: inside the window
    done = make_task("done", "done", "web", 0)
    stalled = make_task("st", "stalled", "web", 0)
    summary = summarise([*old, new, done, stalled])
    assert summary["changes"]["failed"]["total"] == 1 and summary["failed"]["total"] == 5
    for fmt in CHAT:
        payload = render(fmt, summary)
        text = json.dumps(payload, ensure_ascii=False)
        title = payload["text"] if fmt == "slack" else text
        assert "1 newly failed" in title and "1 completed" in title
        assert "needs attention: 5 failed, 1 stalled" in title
        found = task_sections(sections(fmt, payload))
        listed = [n for entries in found.values() for n in entries]
        assert "app-new" in listed and not [n for n in listed if n.startswith("app-old")]
        assert "Earlier failures, listed on the dashboard (4)" in text
        assert "Waves (2)" in text and "⚠️ at risk" in text  # web (stalled) and Other


def test_wave_lines_in_both_languages():
    summary = summarise([make_task("w", "healthy", "web", 0), make_task("d", "done", "web", 1)])
    for fmt in CHAT:
        en = json.dumps(render(fmt, summary), ensure_ascii=False)
        zh = json.dumps(render(fmt, summary, "zh-CN"), ensure_ascii=False)
        assert "Waves (1)" in en and "done 50%" in en and "target 2026-12-05" in en
        assert "迁移批次 (1)" in zh and "已完成 50%" in zh and "目标 2026-12-05" in zh
        assert "target" not in zh and "done 50%" not in zh


def test_names_that_collide_get_a_short_id():
    a = make_task("a", "stalled", OTHER_GROUP, 0)
    b = {**make_task("b", "lagging", OTHER_GROUP, 1), "name": a["name"], "id": "bbbbbbbb-1111-4222-8333-444444444444"}
    a["id"] = "aaaaaaaa-1111-4222-8333-444444444444"
    summary = summarise([a, b], waves=False)
    for fmt in CHAT:
        text = json.dumps(render(fmt, summary), ensure_ascii=False)
        assert "aaaaaaaa" in text and "bbbbbbbb" in text  # 8 characters tell them apart
        assert "aaaaaaaa-1111" not in re.sub(r"https?://[^\s)\"|>]+", "", text)  # never the whole UUID


def test_overdue_is_shown_as_overdue_never_as_an_eta():
    summary = summarise([make_task("o", "lagging", OTHER_GROUP, 1)], waves=False)
    [item] = summary["lagging"]["items"]
    for fmt in CHAT:
        text = json.dumps(render(fmt, summary), ensure_ascii=False)
        assert "overdue since" in text
        passed = item["overdue_since"][:10] + " " + item["overdue_since"][11:16]
        assert f"est. done {passed}" not in text


def test_quiet_tick_sends_nothing_or_one_line():
    summary = summarise([make_task("h", "healthy", OTHER_GROUP, 0), make_task("w", "waiting", OTHER_GROUP, 0)])
    assert should_notify(summary, ["changes"]) == (False, [])
    assert should_notify(summary, ["always"]) == (True, ["always"])
    for fmt in CHAT:
        payload = render(fmt, summary, quiet=True)
        assert sections(fmt, payload) == {} or not any(sections(fmt, payload).values())
        text = json.dumps(payload, ensure_ascii=False)
        assert "no change, nothing needs attention" in text and "Waves" not in text and "Healthy" not in text


def test_recommended_notify_on_sends_on_every_kind_of_change():
    base = [make_task("h", "healthy", OTHER_GROUP, 0)]
    assert not should_notify(summarise(base), ["changes"])[0]
    for extra in (make_task("n", "failed", OTHER_GROUP, 0), make_task("d", "done", OTHER_GROUP, 0),
                  make_task("s", "stalled", OTHER_GROUP, 0)):
        summary = summarise([*base, extra])
        assert should_notify(summary, ["changes"]) == (True, ["changes"]), extra["name"]
    lagging = summarise([*base, make_task("l", "lagging", OTHER_GROUP, 1)])
    assert should_notify(lagging, ["changes"])[0] is False
    assert should_notify(lagging, ["attention"]) == (True, ["attention"])
    assert should_notify(lagging, ["lagging", "running"]) == (True, ["lagging", "running"])


@pytest.mark.parametrize("fmt", CHAT)
def test_a_big_fleet_keeps_each_platforms_limit(fmt):
    tasks = [make_task(f"t{i:05d}", HEALTHS[i % 7], ["web", "finance", OTHER_GROUP][i % 3], i % 6)
             for i in range(3000)]
    summary = summarise(tasks)
    for lang in ("en", "zh-CN"):
        payload = render(fmt, summary, lang, max_items=10)  # CHECKS asserts the platform's limits
        names = [n for e in task_sections(sections(fmt, payload)).values() for n in e]
        assert len(names) == len(set(names))
