"""*scan*: every page of a 10,000-task fleet through the HTTP function's handler
(``GET /v3/tasks?all=true&limit=200``, API Gateway event in, response out), against the naive
sequential SDK loop and the fastest competent raw clients (``bench.raw``).

* project: the handler with ``all=true`` in plain JSON, as a client loops on ``X-Next-Offset``
  (``Scanner.scan``: the first window at once, then the rest with ``SMS_SCAN_CONCURRENCY`` in
  flight, in order, count and id checks, each page decoded into the checked types, the pages'
  task arrays appended to the body as sent, each answer up to FunctionGraph's result limit);
  also the one gzip answer (not a target: zlib's CPU, see docs/performance.md);
* raw: the first page, then the rest concurrently on a thread pool, in order, for each of the four
  raw clients; each is calibrated over ``RAW_WORKERS`` first and runs at its fastest; the fastest of
  the four is the baseline; floor and lean + same checks the same way;
* naive: ``SmsClient.list_tasks`` + ``to_dict()`` page after page, offset += 200."""
from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench import handler
from bench import raw as rawmod
from bench.common import Sample, interleave, table
from bench.emulator import EmulatorProcess, sdk_client, use_emulator
from bench.raw import RawClient
from shared.settings import Settings
from shared.validation.decode import decode_page

PAGE = 200
REPEATS = 5
RAW_WORKERS = (2, 4, 8, 16)
MAX_PAGES = 1000  # a bound for the naive loop, far above 10,000 / 200
BEST = "best raw"


def project_scan() -> int:
    """Every task through ``GET /v3/tasks?all=true`` as a client reads it in plain JSON: an answer
    stops at FunctionGraph's 6,291,456 bytes (~2,800 tasks) and says where to go on
    (``X-Next-Offset``), so the client asks again from there until no offset is given (README's
    loop). Returns the tasks the answers carried, counted from their headers and sizes."""
    offset, answers, carried = 0, 0, 0
    while True:
        response = handler.call({"all": "true", "limit": str(PAGE), "offset": str(offset)})
        answers += 1
        nxt = response["headers"].get("X-Next-Offset")
        if nxt is None:
            assert response["headers"].get("X-Scan-Partial") != "true", response["headers"]
            return carried + _tail_tasks(response, offset)
        carried += int(nxt) - offset
        offset = int(nxt)


def _tail_tasks(response: dict[str, Any], offset: int) -> int:
    """The last answer's tasks: the fleet's count less where it started (checked once, untimed)."""
    count = int(response["body"][len('{"count":'):response["body"].index(",")])
    return count - offset


def gzip_scan() -> int:
    """``all=true`` with gzip accepted: one answer carries up to SMS_ALL_MAX_TASKS (10,000) tasks."""
    response = handler.call({"all": "true", "limit": str(PAGE)}, gzip=True)
    assert response["isBase64Encoded"] and "X-Next-Offset" not in response["headers"], response["headers"]
    return int(response["headers"].get("X-Scan-Pages", "0")) * PAGE


def naive_scan(client: Any) -> list[dict[str, Any]]:
    from huaweicloudsdksms.v3 import ListTasksRequest

    tasks: list[dict[str, Any]] = []
    for page in range(MAX_PAGES):
        body = client.list_tasks(ListTasksRequest(limit=PAGE, offset=page * PAGE)).to_dict()
        tasks.extend(body["tasks"])
        if (page + 1) * PAGE >= body["count"]:
            break
    return tasks


class _Checked(RawClient):
    """The lean transport's bytes through the project's checked decode (warn)."""

    def __init__(self, lean: rawmod.LeanTransport) -> None:
        super().__init__(lean, None)
        self.name = "lean + same checks"
        self._check = functools.partial(decode_page, mode="warn")

    def get(self, limit: int, offset: int = 0) -> Any:
        page = self._check(self.transport.raw(limit, offset))
        return {"count": page.count, "tasks": page.tasks}


def _fastest(client: RawClient, pools: dict[int, ThreadPoolExecutor], total: int) -> int:
    calibration = interleave({str(n): functools.partial(rawmod.scan, client, pool, PAGE, total)
                              for n, pool in pools.items()}, repeats=1, warmup=1)
    return min(pools, key=lambda n: calibration[str(n)].median)


def run(emulator: EmulatorProcess) -> dict[str, Sample]:
    use_emulator(emulator)
    competent, floor, lean = rawmod.clients(emulator.url)
    checked = _Checked(lean)
    naive_client = sdk_client(emulator.url)
    pools = {n: ThreadPoolExecutor(max_workers=n) for n in RAW_WORKERS}
    total = emulator.tasks
    try:
        workers = {c.name: _fastest(c, pools, total) for c in (*competent, floor, checked)}
        for c in (*competent, checked):
            assert rawmod.scan(c, pools[workers[c.name]], PAGE, total) == total
        assert project_scan() == total and len(naive_scan(naive_client)) == total
        variants = {"project (handler)": project_scan, "project, gzip (one answer)": gzip_scan}
        variants.update({f"{c.name} ({workers[c.name]} threads)":
                         functools.partial(rawmod.scan, c, pools[workers[c.name]], PAGE, total)
                         for c in (*competent, floor, checked)})
        variants["naive"] = functools.partial(naive_scan, naive_client)
        samples = interleave(variants, repeats=REPEATS, warmup=1)
    finally:
        for pool in pools.values():
            pool.shutdown()
        for transport in {c.transport for c in competent}:
            transport.close()
    names = {c.name: f"{c.name} ({workers[c.name]} threads)" for c in (*competent, floor, checked)}
    best = min((samples[names[c.name]] for c in competent), key=lambda s: s.median)
    concurrency = Settings.from_env().scan_concurrency
    table(f"scan: all {total} tasks in {PAGE}-task pages ({-(-total // PAGE)} pages), loopback",
          list(samples.values()), baseline=best, also=samples["naive"],
          note=f"project = the handler, all=true in plain JSON, SMS_SCAN_CONCURRENCY={concurrency}: answers of up to "
               "6,291,456 bytes, the client\nasking again from X-Next-Offset until none is given (every task, "
               "~2,800 per answer); gzip = one gzip answer (the runtime's\nlimit fits 10,000 tasks), "
               "zlib level 6 on one core; raw = first page, then the rest concurrently, in order;\n"
               f"workers calibrated over {RAW_WORKERS}; best raw = {best.name}")
    samples[BEST] = best
    samples["project"] = samples["project (handler)"]
    return samples
