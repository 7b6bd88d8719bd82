"""The HTTP function as FunctionGraph runs it: template.yaml's ``list_tasks_http`` handler, loaded
from its folder, fed API Gateway events (``events/apig_list_tasks.json`` with the query asked)."""
from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from functools import cache
from typing import Any

from bench.common import ROOT

SAMPLE_EVENT = ROOT / "events" / "apig_list_tasks.json"


class BenchContext:
    """The two FunctionGraph context getters the project reads."""

    def getRequestID(self) -> str:
        return "bench"

    def getRemainingTimeInMilliSeconds(self) -> int:
        return 60_000

    def getUserData(self, key: str) -> str | None:  # one argument, as FunctionGraph's
        return None


@cache
def handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("bench_list_tasks_http",
                                                  ROOT / "functions" / "list_tasks_http" / "index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def event(query: dict[str, str], gzip: bool = False) -> dict[str, Any]:
    return _event(tuple(sorted(query.items())), gzip)


@cache
def _event(query_items: tuple[tuple[str, str], ...], gzip: bool) -> dict[str, Any]:
    """Built once per query, outside the timed call (the runtime hands the event over parsed)."""
    query = dict(query_items)
    out = json.loads(SAMPLE_EVENT.read_text(encoding="utf-8"))
    out.update(httpMethod="GET", path="/v3/tasks", queryStringParameters=query, body="", isBase64Encoded=False)
    # Plain JSON by default, as the raw clients get it: no compression on either side.
    out["headers"] = {k: v for k, v in out["headers"].items() if k.lower() != "accept-encoding"}
    if gzip:
        out["headers"]["accept-encoding"] = "gzip"
    return out


def call(query: dict[str, str], gzip: bool = False) -> dict[str, Any]:
    """One event in, the response out; anything but a 200 is an error of the bench."""
    response = handler()(event(query, gzip), BenchContext())
    if response["statusCode"] != 200:
        raise RuntimeError(f"handler answered {response['statusCode']}: {str(response.get('body'))[:300]}")
    return response
