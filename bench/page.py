"""*page*: one 200-task page through the HTTP function's handler (API Gateway event in, response
out), against the fastest competent raw clients (``bench.raw``) and the naive SDK sample.

* project: ``functions/list_tasks_http/index.py``'s handler on ``GET /v3/tasks?limit=200``:
  settings, the instance's client, a signed GET, the body decoded into the checked types of the
  warn rule set, headers, the APIG response with the body passed through;
* raw: requests and a lean ``http.client`` transport, each with orjson and msgspec; the fastest of
  the four is the baseline (``best raw``); ``json.loads`` on requests is kept as the old baseline;
* floor: the lean transport's bytes, unparsed; lean + same checks: those bytes through the
  project's checked decode (``decode_page``, warn);
* naive: the doc's sample, ``SmsClient.list_tasks`` then ``to_dict()``."""
from __future__ import annotations

import functools
from typing import Any

from bench import handler
from bench.common import Sample, interleave, table
from bench.emulator import EmulatorProcess, sdk_client, use_emulator
from bench.raw import RawClient, RequestsTransport, clients
from shared.read.query import parse_query
from shared.read.tasks import TasksResult, read_tasks
from shared.scope import Invocation
from shared.settings import Settings
from shared.validation.decode import decode_page

PAGE = 200
REPEATS = 50
BEST = "best raw"


def project_result(limit: int = PAGE) -> TasksResult:
    """``read_tasks`` alone (no event, no response): for the invalid section and the profile."""
    return read_tasks(parse_query({"limit": str(limit)}), Settings.from_env(),
                      Invocation.from_context(handler.BenchContext()))


def project_page(limit: int = PAGE) -> dict[str, Any]:
    return handler.call({"limit": str(limit)})


def run(emulator: EmulatorProcess) -> dict[str, Sample]:
    from huaweicloudsdksms.v3 import ListTasksRequest

    use_emulator(emulator)
    competent, floor, lean = clients(emulator.url)
    old = RawClient(RequestsTransport(emulator.url), "json.loads")
    naive_client = sdk_client(emulator.url)
    checked = functools.partial(decode_page, mode="warn")

    def naive() -> dict[str, Any]:
        return naive_client.list_tasks(ListTasksRequest(limit=PAGE)).to_dict()

    variants = {"project (handler)": project_page, **{c.name: functools.partial(c.get, PAGE) for c in competent},
                floor.name: functools.partial(floor.get, PAGE),
                "lean + same checks": lambda: checked(lean.raw(PAGE)), old.name: functools.partial(old.get, PAGE),
                "naive": naive}
    for c in competent:
        assert len(c.get(PAGE)["tasks"]) == PAGE
    assert len(naive()["tasks"]) == PAGE and project_page()["body"]
    samples = interleave(variants, repeats=REPEATS, warmup=5)
    for transport in {c.transport for c in (*competent, floor, old)}:
        transport.close()
    best = min((samples[c.name] for c in competent), key=lambda s: s.median)
    table(f"page: one {PAGE}-task page, signed GET (emulator auth on), loopback", list(samples.values()),
          baseline=best,
          note="project = the HTTP function's handler, APIG event in, response out (checked decode, warn)\n"
               f"raw = SDK-signed GET on requests or lean http.client, parsed by orjson or msgspec; best: {best.name}\n"
               "floor = lean bytes unparsed; lean + same checks = lean bytes + the project's checked decode\n"
               "naive = SDK SmsClient.list_tasks + to_dict")
    samples[BEST] = best
    samples["project"] = samples["project (handler)"]
    return samples
