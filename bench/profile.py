"""``python -m bench.profile``: where the time of one page and of one scan goes.

Wraps the steps of the project's path with timers (signing: ``SmsTasksClient._signed_request``;
network: ``SmsTasksClient._exchange``, the request sent and the whole body read; decoding and
checking: ``decode_page``, split by timing msgspec's untyped decode of the same bytes as the
"decoding" part) and reports each as a share of the wall time; "our code" is the rest (settings,
client lookup, pager, headers, splice). In a scan the pages overlap on threads, so the steps add
up to more than the wall time; their shares are of the summed step time there."""
from __future__ import annotations

import contextlib
import os
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import msgspec

from bench.emulator import EmulatorProcess, use_emulator
from bench.page import project_page
from bench.scan import project_scan

ROUNDS = 20
_times: dict[str, float] = defaultdict(float)
_lock = threading.Lock()


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            with _lock:
                _times[name] += time.perf_counter() - start
    return wrapper


@contextlib.contextmanager
def _instrumented() -> Iterator[None]:
    from shared.read import pager, sms_client
    from shared.validation import decode

    client = sms_client.SmsTasksClient
    saved = [(client, "_signed_request"), (client, "_exchange"), (pager, "decode_page")]
    originals = [getattr(owner, name) for owner, name in saved]
    client._signed_request = _timed("signing", client._signed_request)
    client._exchange = _timed("network", client._exchange)
    untyped = msgspec.json.Decoder()
    checked = decode.decode_page

    def decode_page(content: bytes, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        untyped.decode(content)  # what parsing alone costs on these bytes (not part of the path)
        parse = time.perf_counter() - start
        start = time.perf_counter()
        out = checked(content, *args, **kwargs)
        both = time.perf_counter() - start
        with _lock:
            _times["decoding"] += min(parse, both)
            _times["checking"] += max(0.0, both - parse)
            _times["_untimed"] += parse
        return out

    pager.decode_page = decode_page
    # the Scanner binds decode_page at construction (functools.partial): rebuilt per call, so this holds
    try:
        yield
    finally:
        for (owner, name), original in zip(saved, originals, strict=True):
            setattr(owner, name, original)


def _profile(run: Callable[[], object]) -> tuple[float, dict[str, float]]:
    walls: list[float] = []
    shares: dict[str, list[float]] = defaultdict(list)
    for _ in range(ROUNDS):
        _times.clear()
        start = time.perf_counter()
        run()
        wall = time.perf_counter() - start - _times.get("_untimed", 0.0)
        walls.append(wall)
        steps = {k: v for k, v in _times.items() if not k.startswith("_")}
        summed = sum(steps.values())
        base = max(wall, summed)
        for name, value in steps.items():
            shares[name].append(value / base)
        shares["our code"].append(max(0.0, wall - summed) / base if summed <= wall else 0.0)
    return statistics.median(walls) * 1000.0, {k: statistics.median(v) * 100.0 for k, v in shares.items()}


def main() -> None:
    with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull), EmulatorProcess(10_000) as fleet:
        use_emulator(fleet)
        project_page()  # warm: client, compiled types
        project_scan()
        with _instrumented():
            for label, run in (("one 200-task page (handler)", project_page),
                               ("scan of 10,000 tasks (handler, all=true)", project_scan)):
                wall, shares = _profile(run)
                parts = ", ".join(f"{name} {share:.0f}%" for name, share in
                                  sorted(shares.items(), key=lambda item: -item[1]))
                print(f"{label}: {wall:.1f} ms wall (median of {ROUNDS}); {parts}")


if __name__ == "__main__":
    main()
