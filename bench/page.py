"""*page*: one 200-task page through the project's path, against raw and naive baselines.

* project: ``shared.read.tasks.read_tasks`` (what ``GET /v3/tasks?limit=200`` runs minus the APIG
  event and response shaping): settings from the environment, the instance's client, a signed
  GET, the body decoded into the checked types of the warn rule set (parse and validation in one
  pass), headers and the pass-through body;
* raw: SDK-signed ``requests`` GET on a kept-alive session + ``json.loads``, nothing else;
* naive: the doc's sample, ``SmsClient.list_tasks`` then ``to_dict()``."""
from __future__ import annotations

from typing import Any

from bench.common import Sample, interleave, table
from bench.emulator import EmulatorProcess, RawFetcher, sdk_client, use_emulator
from shared.read.query import parse_query
from shared.read.tasks import TasksResult, read_tasks
from shared.scope import Invocation
from shared.settings import Settings

PAGE = 200
REPEATS = 50


class BenchContext:
    """The two FunctionGraph context getters the project reads."""

    def getRequestID(self) -> str:
        return "bench"

    def getRemainingTimeInMilliSeconds(self) -> int:
        return 60_000


def project_result(limit: int = PAGE) -> TasksResult:
    return read_tasks(parse_query({"limit": str(limit)}), Settings.from_env(),
                      Invocation.from_context(BenchContext()))


def project_page(limit: int = PAGE) -> bytes:
    result = project_result(limit)
    body = result.body()
    assert isinstance(body, bytes) and result.count is not None
    return body


def run(emulator: EmulatorProcess) -> dict[str, Sample]:
    from huaweicloudsdksms.v3 import ListTasksRequest

    use_emulator(emulator)
    raw = RawFetcher(emulator.url)
    naive_client = sdk_client(emulator.url)

    def naive() -> dict[str, Any]:
        return naive_client.list_tasks(ListTasksRequest(limit=PAGE)).to_dict()

    assert len(raw.get(PAGE)["tasks"]) == PAGE and len(naive()["tasks"]) == PAGE
    samples = interleave({"project": project_page, "raw": lambda: raw.get(PAGE), "naive": naive},
                         repeats=REPEATS, warmup=5)
    raw.close()
    table(f"page: one {PAGE}-task page, signed GET (emulator auth on), loopback",
          list(samples.values()), baseline=samples["raw"],
          note="project = read_tasks (fetch + checked decode, warn + headers)\n"
               "raw = SDK-signed requests GET + json.loads; naive = SDK SmsClient.list_tasks + to_dict")
    return samples
