"""*scan*: every page of a 10,000-task fleet through the project's path, against the naive
sequential SDK loop and the fastest raw fetch.

* project: ``read_tasks`` with ``all=true`` (``Scanner.scan``: first page, then the rest
  concurrently with ``SMS_SCAN_CONCURRENCY`` in flight, in order, count and id checks, each page
  decoded into the checked types, the pages' task arrays spliced into the body), 200 tasks a page;
* naive: ``SmsClient.list_tasks`` + ``to_dict()`` page after page, offset += 200;
* raw: first page, then the rest as concurrent SDK-signed GETs + ``json.loads`` on a thread
  pool, in order; the worker count is calibrated first and the fastest is kept."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import Sample, interleave, table
from bench.emulator import EmulatorProcess, RawFetcher, sdk_client, use_emulator
from bench.page import BenchContext
from shared.read.query import parse_query
from shared.read.tasks import read_tasks
from shared.scope import Invocation
from shared.settings import Settings

PAGE = 200
REPEATS = 5
RAW_WORKERS = (2, 4, 8)
MAX_PAGES = 1000  # a bound for the naive loop, far above 10,000 / 200


def project_scan() -> bytes:
    """What ``GET /v3/tasks?all=true`` builds: the spliced body."""
    result = read_tasks(parse_query({"all": "true", "limit": str(PAGE)}), Settings.from_env(),
                        Invocation.from_context(BenchContext()))
    assert not result.scan.partial, result.scan.partial_reason
    return result.body()


def naive_scan(client: Any) -> list[dict[str, Any]]:
    from huaweicloudsdksms.v3 import ListTasksRequest

    tasks: list[dict[str, Any]] = []
    for page in range(MAX_PAGES):
        body = client.list_tasks(ListTasksRequest(limit=PAGE, offset=page * PAGE)).to_dict()
        tasks.extend(body["tasks"])
        if (page + 1) * PAGE >= body["count"]:
            break
    return tasks


def raw_scan(fetcher: RawFetcher, pool: ThreadPoolExecutor) -> list[dict[str, Any]]:
    first = fetcher.get(PAGE, 0)
    tasks: list[dict[str, Any]] = list(first["tasks"])
    offsets = range(PAGE, first["count"], PAGE)
    for body in pool.map(lambda offset: fetcher.get(PAGE, offset), offsets):
        tasks.extend(body["tasks"])
    return tasks


def raw_stream_scan(fetcher: RawFetcher, pool: ThreadPoolExecutor) -> int:
    """``raw_scan`` that keeps no task (as a streaming summary keeps none): the number read."""
    first = fetcher.get(PAGE, 0)
    read = len(first["tasks"])
    for body in pool.map(lambda offset: fetcher.get(PAGE, offset), range(PAGE, first["count"], PAGE)):
        read += len(body["tasks"])
    return read


def run(emulator: EmulatorProcess) -> dict[str, Sample]:
    use_emulator(emulator)
    fetcher = RawFetcher(emulator.url)
    client = sdk_client(emulator.url)
    pools = {n: ThreadPoolExecutor(max_workers=n) for n in RAW_WORKERS}
    try:
        calibration = interleave({str(n): (lambda p=pool: raw_scan(fetcher, p)) for n, pool in pools.items()},
                                 repeats=3, warmup=1)
        best = min(RAW_WORKERS, key=lambda n: calibration[str(n)].median)
        raw_name = f"raw ({best} threads)"
        ids = [t["id"] for t in json.loads(project_scan())["tasks"]]  # same tasks, same order, untimed
        assert ids == [t["id"] for t in raw_scan(fetcher, pools[best])] == [t["id"] for t in naive_scan(client)]
        assert len(ids) == emulator.tasks
        samples = interleave({"project": project_scan, raw_name: lambda: raw_scan(fetcher, pools[best]),
                              "naive": lambda: naive_scan(client)}, repeats=REPEATS, warmup=1)
    finally:
        for pool in pools.values():
            pool.shutdown()
        fetcher.close()
    concurrency = Settings.from_env().scan_concurrency
    table(f"scan: all {emulator.tasks} tasks in {PAGE}-task pages ({-(-emulator.tasks // PAGE)} pages), loopback",
          list(samples.values()), baseline=samples["naive"], also=samples[raw_name],
          note=f"project = read_tasks(all=true), SMS_SCAN_CONCURRENCY={concurrency}; "
               f"raw workers calibrated over {RAW_WORKERS}: "
               + ", ".join(f"{n}={calibration[str(n)].median:.0f} ms" for n in RAW_WORKERS))
    samples["raw"] = samples.pop(raw_name)
    samples["raw"].name = raw_name
    return samples
