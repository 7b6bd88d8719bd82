"""*page*: one 200-task page through the project's path, against raw and naive baselines.

* project: ``tasks_service.read_tasks`` (what ``GET /v3/tasks?limit=200`` runs minus the APIG
  event and response shaping): settings from the environment, the instance's client, a signed
  GET, ``json.loads``, compiled validation (warn), headers and the pass-through body;
* raw: SDK-signed ``requests`` GET on a kept-alive session + ``json.loads``, nothing else;
* naive: the doc's sample, ``SmsClient.list_tasks`` then ``to_dict()``."""
from __future__ import annotations

from typing import Any

from bench.common import Sample, interleave, table
from bench.emulator import EmulatorProcess, RawFetcher, sdk_client, use_emulator
from shared.read.query import parse_query
from shared.read.tasks import read_tasks
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


def project_page(limit: int = PAGE) -> bytes:
    result = read_tasks(parse_query({"limit": str(limit)}), Settings.from_env(),
                        Invocation.from_context(BenchContext()))
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
          note="project = tasks_service.read_tasks (fetch + parse + warn validation + headers)\n"
               "raw = SDK-signed requests GET + json.loads; naive = SDK SmsClient.list_tasks + to_dict")
    return samples
