"""Helpers shared across test folders (fixtures live in the conftest files): a FunctionGraph-like
context, API Gateway events from the samples, the declared handlers, the doc's task states."""
from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
# A Standard Webhooks secret for the local sinks (never a real one).
WEBHOOK_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
# The ten states of the doc's ``state`` enum, in its order, then the summary's catch-all.
SUMMARY_STATES = (
    "READY",
    "RUNNING",
    "SYNCING",
    "MIGRATE_SUCCESS",
    "MIGRATE_FAIL",
    "ABORTING",
    "ABORT",
    "DELETING",
    "SYNC_F_ROLLBACKING",
    "SYNC_F_ROLLBACK_SUCCESS",
    "OTHER",
)


class FakeContext:
    """The getters FunctionGraph's Python runtime offers, with fixed values."""

    def __init__(self, request_id: str = "req-123", remaining_ms: int = 30000, agency: bool = False,
                 user_data: dict[str, str] | None = None) -> None:
        self.request_id, self.remaining_ms, self.agency = request_id, remaining_ms, agency
        self.user_data = dict(user_data or {})

    def getUserData(self, key: str) -> str | None:  # one argument, as FunctionGraph documents
        return self.user_data.get(key)

    def getRequestID(self) -> str:
        return self.request_id

    def getRemainingTimeInMilliSeconds(self) -> int:
        return self.remaining_ms

    def getSecurityAccessKey(self) -> str:
        return "AGENCYAK0001" if self.agency else ""

    def getSecuritySecretKey(self) -> str:
        return "agency-secret-0001" if self.agency else ""

    def getSecurityToken(self) -> str:
        return "agency-token-0001" if self.agency else ""


def sample_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def apig_event(path: str = "/v3/tasks", method: str = "GET", query: dict | None = None) -> dict:
    """The API Gateway sample event with another path, method and query."""
    base = sample_event("apig_list_tasks.json")
    base.update(path=path, httpMethod=method, queryStringParameters=query or {})
    return base


def function_handler(name: str) -> Any:
    """A function's handler as template.yaml declares it, loaded the way FunctionGraph does."""
    from local.functions import load_handler
    from project import template

    return load_handler(template.function(name))


def closed_port() -> int:
    """A loopback port nothing listens on (just released by the kernel; unlike a fixed port such as
    9, never one a service on the machine happens to hold)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def response_body(out: dict) -> bytes:
    """An APIG response's body as the client receives it: base64 decoded when ``isBase64Encoded``,
    then gunzipped (stdlib ``gzip``, not the code that wrote it) when ``Content-Encoding: gzip``."""
    import base64
    import gzip

    if not out.get("isBase64Encoded"):
        return out["body"].encode("utf-8")
    data = base64.b64decode(out["body"], validate=True)
    return gzip.decompress(data) if out["headers"].get("Content-Encoding") == "gzip" else data


def response_json(out: dict) -> Any:
    return json.loads(response_body(out))


def without_eta(text: str) -> list[list[str]]:
    """A dashboard CSV's rows without its eta column (a projection from the moment of each export),
    so two exports of one fleet compare equal."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    at = rows[0].index("eta")
    return [row[:at] + row[at + 1:] for row in rows]
