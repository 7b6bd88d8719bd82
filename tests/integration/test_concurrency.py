"""One warm instance serving several requests at once (FunctionGraph does): every log line and
every response belongs to the call that produced it."""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from shared.logger import logger
from tests.helpers import FakeContext, apig_event, function_handler

pytestmark = pytest.mark.integration

THREADS = 8
CALLS_PER_THREAD = 12


class Lines:
    """A log stream that remembers, for each line, which request ids were being served when it
    was written: the writing thread's own (a caller) and all of them (for worker threads)."""

    def __init__(self) -> None:
        self.in_flight: dict[str, str] = {}  # calling thread -> the request id it serves now
        self.lines: list[tuple[str | None, set[str], dict[str, Any]]] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        if text.strip():
            with self._lock:
                own = self.in_flight.get(threading.current_thread().name)
                self.lines.append((own, set(self.in_flight.values()), json.loads(text)))

    def flush(self) -> None:
        pass


def test_concurrent_calls_never_mislabel_logs_or_responses(sms_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Lines()
    monkeypatch.setattr(logger, "_stream", stream)
    handler = function_handler("list_tasks_http")
    served: list[tuple[str, str]] = []

    def call(n: int) -> None:
        request_id = f"req-{n:04d}"
        with stream._lock:
            stream.in_flight[threading.current_thread().name] = request_id
        # every third call scans (worker threads) and every fifth is a bad query (error path)
        query = {"all": "true", "limit": "50"} if n % 3 == 0 else {"limit": "5"}
        if n % 5 == 0:
            query = {"limit": "lots"}
        out = handler(apig_event(query=query), FakeContext(request_id=request_id))
        served.append((request_id, out["headers"]["X-Request-Id"]))

    with ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="caller") as pool:
        list(pool.map(call, range(THREADS * CALLS_PER_THREAD)))

    assert len(served) == THREADS * CALLS_PER_THREAD
    assert all(asked == answered for asked, answered in served)
    wrong = missing = 0
    for own, serving, line in stream.lines:
        rid = line.get("request_id")
        if rid is None:
            missing += 1
        elif rid != own if own else rid not in serving:  # a worker thread's line: one being served
            wrong += 1
    assert len(stream.lines) >= 2 * len(served)  # request and response lines at least
    assert (wrong, missing) == (0, 0)
    for asked, _ in served:  # each call's own request and response lines are there, under its id
        mine = [line["message"] for _, _, line in stream.lines if line.get("request_id") == asked]
        assert mine[0] == "request" and mine[-1] == "response", (asked, mine)
