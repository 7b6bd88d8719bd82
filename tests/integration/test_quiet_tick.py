"""A tick with nothing new, delivered to a loopback sink: with notify_on=changes nothing is sent,
or (WEBHOOK_QUIET=line) one short message per chat target, never to the generic JSON receiver."""
from __future__ import annotations

import json

import pytest

from local.webhook_sink import Sink
from shared.scope import Deadline
from shared.summary.groups import OTHER_GROUP
from shared.webhooks import UrlPolicy, WebhookSettings, build_target, deliver
from tests.unit.summary.test_health import make_task
from tests.unit.webhooks.test_chat_health import summarise

pytestmark = pytest.mark.integration
LOCAL = UrlPolicy(allow_loopback=True)


@pytest.mark.parametrize("quiet", ["skip", "line"])
def test_a_quiet_tick(quiet: str) -> None:
    summary = summarise([make_task("h", "healthy", OTHER_GROUP, 0), make_task("o", "failed", OTHER_GROUP, 4)])
    assert not any(s["total"] for s in summary["changes"].values())
    with Sink(port=0) as sink:
        targets = [build_target("slack", f"{sink.url}/slack/services/T0/B0/X", "slack", policy=LOCAL),
                   build_target("gen", f"{sink.url}/generic/hooks", "generic", policy=LOCAL)]
        result = deliver(targets, summary, deadline=Deadline(10.0), delivery_id="quiet-1", notify_on=("changes",),
                         settings=WebhookSettings(policy=LOCAL, quiet=quiet))
        statuses = [o.status for o in result.outcomes]
        if quiet == "skip":
            assert statuses == ["skipped", "skipped"] and sink.received == []
            return
        assert statuses == ["delivered", "skipped"] and result.outcomes[0].reasons == ["quiet"]
        (received,) = sink.received
        blocks = json.loads(received.body)["blocks"]
        assert [b["type"] for b in blocks] == ["header", "context", "context"]
        assert blocks[0]["text"]["text"] == "⚠️ SMS migration: no change · needs attention: 1 failed"
