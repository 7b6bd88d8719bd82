"""A loopback HTTP emulator of Huawei Cloud SMS ``ListTasks`` (``GET /v3/tasks``).

Used by integration tests, ``make run`` and benchmarks::

    with Emulator(dataset="fleet", tasks=250).start() as sms:
        client = SmsClient.new_builder().with_credentials(BasicCredentials(AK, SK, "any-project"))
            .with_endpoints([sms.url]).build()

Behaviour, following the ListTasks API reference:

* Query parameters ``state`` (one of the ten enum values), ``name``, ``id``, ``source_server_id``,
  ``enterprise_project_id``, ``limit`` (0..200, default 100) and ``offset`` (0..65535, default 0,
  counted in records). ``count`` is the number of matching tasks regardless of paging. Tasks come
  newest ``create_date`` first, like the doc's example.
* Filter choices the doc leaves open: ``name`` is a case-sensitive substring match (``%``/``_`` are
  literal); the other filters are exact. An empty filter value counts as absent, and
  ``enterprise_project_id=all_granted_eps`` (Huawei Cloud's "every project I may see") filters nothing.
* 400 for a non-integer (anything but 1-10 ASCII digits) or out-of-range ``limit``/``offset``, an
  unknown ``state``, an unknown or repeated parameter; 404 for other paths; 405 for other methods; all as
  ``{"error_code", "error_msg", "error_param"}``. Every response carries ``X-Request-Id``.
* AK/SK signatures are verified (see ``local.signature``): 401 for an unknown AK, 403 for a missing or
  malformed ``Authorization``, a wrong signature or an ``X-Sdk-Date`` more than 15 minutes off.

Error codes (the emulator's own; the doc names only SMS.9004): SMS.0001 bad query parameter or
fault configuration, SMS.0404 unknown path, SMS.0405 wrong method, SMS.9001 unknown AK (401),
SMS.9002 missing/malformed Authorization, SMS.9003 signature mismatch, SMS.9005 X-Sdk-Date invalid
or skewed, SMS.9006 wrong X-Security-Token (all 403, ``local.signature``); injected: SMS.9004 the
doc's 403 example, APIGW.0308 throttling (429), SMS.0<status> others; SMS.0500 an emulator bug.

Test hooks, not part of SMS (never signed, logged or faulted): ``GET /_emulator/health``,
``GET /_emulator/requests``, ``GET|POST /_emulator/faults``, ``POST /_emulator/reset``. Faults are
also reachable in-process as ``emulator.faults`` (see ``Faults``); a fault body looks like
``{"delay_ms": 200, "responses": [{"status": 429, "retry_after": 2}, {"kind": "drop"},
{"kind": "malformed"}, {"kind": "pass"}, {"kind": "mutate", "add_tasks": 5}], "add_tasks": 0,
"remove_tasks": 0, "remove_task_ids": []}``.

Environment: ``SMS_EMULATOR_DATASET`` (fleet|doc), ``SMS_EMULATOR_TASKS``, ``SMS_EMULATOR_AK``,
``SMS_EMULATOR_SK``, and for the CLI ``SMS_EMULATOR_HOST``, ``SMS_EMULATOR_PORT``, ``SMS_EMULATOR_AUTH``
(0 turns checks off), ``SMS_EMULATOR_WARM``, ``SMS_EMULATOR_DELAY_MS`` (a standing per-page latency,
as ``--delay-ms``: real SMS pages take 50-400 ms, loopback ~1 ms)."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local import fleet, ports
from local.servers import serve_in_background, stop_server
from local.signature import AuthError, Verifier

DEFAULT_AK = "EMULATORAK0000000000"
DEFAULT_SK = "emulator-secret-key-not-a-real-one"
DEFAULT_PORT = ports.EMULATOR.default  # local/ports.py
API_PATH = "/v3/tasks"
CONTROL_PREFIX = "/_emulator/"
CONTENT_TYPE = "application/json;charset=UTF-8"
QUERY_PARAMS = ("state", "name", "id", "source_server_id", "limit", "offset", "enterprise_project_id")
_TEXT_FILTERS = ("name", "id", "source_server_id", "enterprise_project_id")
INT_RANGES = {"limit": (0, 200, 100), "offset": (0, 65535, 0)}  # min, max, default
ALL_PROJECTS = "all_granted_eps"
REQUEST_LOG_SIZE = 10_000  # newest records kept, so long benchmarks do not grow memory
# ASCII digits only, at most 10 (the function's rule, shared.read.query.INTEGER_DIGITS_MAX): no sign or
# spaces, and never past int()'s digit limit.
INT_DIGITS_MAX = 10
_INT_RE = re.compile(rf"[0-9]{{1,{INT_DIGITS_MAX}}}")
_SECRET_HEADERS = frozenset({"x-security-token", "x-auth-token", "cookie", "proxy-authorization"})
_DOC_403 = fleet.DATA_DIR / "doc_example_403.json"


# --------------------------------------------------------------------------- query parameters


class QueryError(Exception):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass(frozen=True)
class ListQuery:
    state: str | None = None
    name: str | None = None
    id: str | None = None
    source_server_id: str | None = None
    enterprise_project_id: str | None = None
    limit: int = 100
    offset: int = 0


def parse_query(raw_query: str) -> ListQuery:
    """Validate ListTasks query parameters; the first problem found raises ``QueryError``."""
    values: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        if key not in QUERY_PARAMS:
            raise QueryError(key, f"Unknown query parameter '{_clip(key)}': ListTasks accepts "
                             f"{', '.join(QUERY_PARAMS)}")
        if key in values:
            raise QueryError(key, f"Query parameter '{key}' is repeated: give it at most once")
        values[key] = value
    state = values.get("state")
    if state is not None and state not in fleet.STATES:
        raise QueryError("state", f"Invalid parameter 'state': must be one of {', '.join(fleet.STATES)}; "
                         f"got '{_clip(state)}'")
    text = {key: values.get(key) or None for key in _TEXT_FILTERS}
    if text["enterprise_project_id"] == ALL_PROJECTS:
        text["enterprise_project_id"] = None
    return ListQuery(state=state, **text, limit=_int_param(values, "limit"),
                     offset=_int_param(values, "offset"))


def _int_param(values: Mapping[str, str], name: str) -> int:
    low, high, default = INT_RANGES[name]
    raw = values.get(name)
    if raw is None:
        return default
    allowed = f"must be an integer from {low} to {high} (default {default}), ASCII digits only"
    if not _INT_RE.fullmatch(raw):
        raise QueryError(name, f"Invalid parameter '{name}': {allowed}; got '{_clip(raw)}'")
    number = int(raw)
    if not low <= number <= high:
        raise QueryError(name, f"Invalid parameter '{name}': {allowed}; got {_clip(raw)}")
    return number


def _clip(text: str, size: int = 64) -> str:
    return text if len(text) <= size else text[:size] + "..."


# --------------------------------------------------------------------------- task store


class _Entry:
    """One served task: its filter keys and its JSON bytes, serialised once on first use.

    A generated task keeps only its head and bytes: the realised dict is dropped after serialising
    (a warmed 50,000-task fleet holds ~110 MB of JSON; the dicts would take ~280 MB). Two threads
    racing on the same entry compute identical bytes, so no lock is needed."""

    __slots__ = ("_blob", "_head", "_now_ms", "_task", "create_date", "enterprise_project_id", "id", "name",
                 "source_server_id", "state")

    def __init__(self, head: fleet.TaskHead | None, task: fleet.Task | None, now_ms: int) -> None:
        self._head, self._task, self._now_ms, self._blob = head, task, now_ms, None
        if head is not None:
            self.id, self.name, self.state = head.id, head.name, head.state
            self.source_server_id = head.source["id"]
            self.enterprise_project_id: str | None = head.enterprise_project_id
            self.create_date = head.create_date
        else:
            assert task is not None
            self.id, self.name, self.state = task.get("id"), task.get("name"), task.get("state")
            self.source_server_id = (task.get("source_server") or {}).get("id")
            self.enterprise_project_id = task.get("enterprise_project_id")
            self.create_date = task.get("create_date") or 0

    @classmethod
    def of_head(cls, head: fleet.TaskHead, now_ms: int) -> _Entry:
        return cls(head, None, now_ms)

    @classmethod
    def of_task(cls, task: fleet.Task) -> _Entry:
        return cls(None, task, 0)

    def task(self) -> fleet.Task:
        if self._task is not None:
            return self._task
        assert self._head is not None
        return fleet.realize(self._head, self._now_ms)

    def blob(self) -> bytes:
        if self._blob is None:
            self._blob = json.dumps(self.task(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self._blob


_INDEXED = ("state", "id", "source_server_id", "enterprise_project_id")


class _Snapshot:
    """An immutable, ordered view of the fleet with exact-match indexes (value -> positions)."""

    def __init__(self, entries: list[_Entry]) -> None:
        self.entries = entries
        self.names = [e.name or "" for e in entries]
        self._sets: dict[tuple[str, str], frozenset[int]] = {}
        self.index: dict[str, dict[Any, list[int]]] = {key: {} for key in _INDEXED}
        for pos, entry in enumerate(entries):
            for key in _INDEXED:
                self.index[key].setdefault(getattr(entry, key), []).append(pos)

    def select(self, q: ListQuery) -> tuple[int, list[_Entry]]:
        """(count of all matches, the requested page of them)."""
        exact = [(key, getattr(q, key)) for key in _INDEXED if getattr(q, key) is not None]
        if not exact and q.name is None:
            return len(self.entries), self.entries[q.offset:q.offset + q.limit]
        if not exact:
            needle = q.name
            matches = [pos for pos, name in enumerate(self.names) if needle in name]
        else:
            # Walk the shortest position list (ascending, so order is kept); test the others as sets.
            exact.sort(key=lambda kv: len(self.index[kv[0]].get(kv[1], ())))
            others = [self._positions(key, value) for key, value in exact[1:]]
            first = self.index[exact[0][0]].get(exact[0][1], [])
            matches = [pos for pos in first if all(pos in other for other in others)]
            if q.name is not None:
                matches = [pos for pos in matches if q.name in self.names[pos]]
        return len(matches), [self.entries[pos] for pos in matches[q.offset:q.offset + q.limit]]

    def _positions(self, key: str, value: str) -> frozenset[int]:
        """An index list as a set, built on first use (two threads racing build the same set)."""
        found = self._sets.get((key, value))
        if found is None:
            found = self._sets[(key, value)] = frozenset(self.index[key].get(value, ()))
        return found


def _distinct_ids(tasks: list[fleet.Task]) -> list[fleet.Task]:
    """The doc's example masks every id to the same placeholder; among a fleet each task gets its
    own, as SMS's ids are (a scan that sees an id twice reports the list as changed)."""
    for number, task in enumerate(tasks, start=1):
        task["id"] = f"xxxxxxxx-xxxx-xxxx-xxxx-{number:012d}"
    return tasks


class TaskStore:
    """The served fleet. Mutations swap in a new snapshot, so a request always sees one version."""

    def __init__(self, dataset: str, tasks: int, now_ms: int, seed: int = fleet.DEFAULT_SEED) -> None:
        self.dataset, self.now_ms, self.seed = dataset, now_ms, seed
        if dataset == "doc":
            entries = [_Entry.of_task(t) for t in fleet.load_doc_tasks()]
        elif dataset in ("fleet", "fleet-cjk"):
            heads = fleet.generate_heads(tasks, now_ms, seed)
            if dataset == "fleet-cjk":
                heads = fleet.cjk_named(heads)
            entries = [_Entry.of_head(h, now_ms) for h in heads]
            entries += [_Entry.of_task(t) for t in _distinct_ids(fleet.load_doc_tasks())]
        else:
            raise ValueError(f"unknown dataset {dataset!r}: use 'fleet', 'fleet-cjk' or 'doc'")
        entries.sort(key=lambda e: -e.create_date)  # stable: generation order breaks ties
        self._original = entries
        self._snapshot = _Snapshot(entries)
        self._lock = threading.Lock()
        self._added = 0

    @property
    def snapshot(self) -> _Snapshot:
        return self._snapshot

    def __len__(self) -> int:
        return len(self._snapshot.entries)

    def page(self, q: ListQuery) -> bytes:
        """The 200 body, joined from per-task JSON bytes."""
        count, entries = self._snapshot.select(q)
        return b'{"count":%d,"tasks":[%s]}' % (count, b",".join(e.blob() for e in entries))

    def tasks(self) -> list[fleet.Task]:
        """Every served task in order (realises them all: meant for tests)."""
        return [e.task() for e in self._snapshot.entries]

    def warm(self) -> None:
        """Realise and serialise every task now, so later pages only join bytes."""
        for entry in self._snapshot.entries:
            entry.blob()

    def add(self, count: int = 0, tasks: Iterable[fleet.Task] = ()) -> int:
        """Add ``count`` new READY tasks (created now, so they sort first) and/or given tasks."""
        with self._lock:
            created = max(int(time.time() * 1000), self.now_ms)
            heads = fleet.new_ready_heads(count, created, fleet.MAX_TASKS + self._added, self.seed)
            self._added += count
            fresh = [_Entry.of_head(h, self.now_ms) for h in heads] + [_Entry.of_task(dict(t)) for t in tasks]
            entries = sorted(fresh + self._snapshot.entries, key=lambda e: -e.create_date)
            self._snapshot = _Snapshot(entries)
            return len(entries)

    def remove(self, count: int = 0, ids: Iterable[str] = ()) -> int:
        """Remove the ``count`` first (newest) tasks and/or every task whose id is in ``ids``."""
        drop = set(ids)
        with self._lock:
            entries = [e for e in self._snapshot.entries[count:] if e.id not in drop]
            self._snapshot = _Snapshot(entries)
            return len(entries)

    def reset(self) -> None:
        with self._lock:
            self._snapshot = _Snapshot(self._original)


# --------------------------------------------------------------------------- fault injection


FAULT_KINDS = ("respond", "malformed", "drop", "pass", "mutate", "delay")


@dataclass
class Fault:
    """What to do with one request to ``/v3/tasks``.

    ``respond``: answer ``status`` with ``body`` (dict -> JSON, str/bytes as is, None -> a default
    body for the status: the doc's example for 403) and ``headers``; a 200 with a body of your own
    serves any page you like (e.g. one that breaks the schema); ``malformed``: 200 with truncated
    JSON; ``drop``: close the connection without answering; ``pass``: answer normally (to aim at a
    later request); ``mutate``: add/remove tasks, then answer normally; ``delay``: wait
    ``delay_ms``, then answer normally."""

    kind: str = "respond"
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    add_tasks: int = 0
    remove_tasks: int = 0
    remove_task_ids: list[str] = field(default_factory=list)
    delay_ms: int = 0

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "respond":
            out.update(status=self.status, headers=self.headers)
        elif self.kind == "mutate":
            out.update(add_tasks=self.add_tasks, remove_tasks=self.remove_tasks,
                       remove_task_ids=self.remove_task_ids)
        elif self.kind == "delay":
            out["delay_ms"] = self.delay_ms
        return out


class Faults:
    """Fault injection for the ListTasks endpoint: a standing delay plus a queue of one-shot faults.

    Each ``GET /v3/tasks`` takes the next queued fault, if any, before its signature is checked.
    Mutations of the fleet can be immediate (``add_tasks``/``remove_tasks``) or queued (``mutate``)
    to land between two pages."""

    def __init__(self, store: TaskStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()
        self.delay_ms = 0

    def push(self, fault: Fault, times: int = 1) -> Faults:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}: use one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._queue.extend(Fault(**vars(fault)) for _ in range(times))
        return self

    def respond(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None,
                times: int = 1) -> Faults:
        return self.push(Fault("respond", status, body, dict(headers or {})), times)

    def server_error(self, status: int = 500, times: int = 1) -> Faults:
        return self.respond(status, times=times)

    def throttle(self, retry_after: int = 1, times: int = 1) -> Faults:
        return self.respond(429, headers={"Retry-After": str(retry_after)}, times=times)

    def forbidden(self, times: int = 1) -> Faults:
        """403 with the doc's example body (SMS.9004)."""
        return self.respond(403, times=times)

    def malformed(self, times: int = 1) -> Faults:
        return self.push(Fault("malformed"), times)

    def drop(self, times: int = 1) -> Faults:
        return self.push(Fault("drop"), times)

    def passthrough(self, times: int = 1) -> Faults:
        return self.push(Fault("pass"), times)

    def slow(self, delay_ms: int, times: int = 1) -> Faults:
        return self.push(Fault("delay", delay_ms=delay_ms), times)

    def mutate(self, add_tasks: int = 0, remove_tasks: int = 0,
               remove_task_ids: Iterable[str] = ()) -> Faults:
        return self.push(Fault("mutate", add_tasks=add_tasks, remove_tasks=remove_tasks,
                               remove_task_ids=list(remove_task_ids)))

    def add_tasks(self, count: int = 0, tasks: Iterable[fleet.Task] = ()) -> int:
        """Immediately add tasks; returns the new total."""
        return self._store.add(count, tasks)

    def remove_tasks(self, count: int = 0, ids: Iterable[str] = ()) -> int:
        """Immediately remove the newest ``count`` tasks and/or the given ids; returns the new total."""
        return self._store.remove(count, ids)

    def set_delay(self, delay_ms: int) -> Faults:
        self.delay_ms = max(0, int(delay_ms))
        return self

    def next(self) -> Fault | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._queue]

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.delay_ms = 0

    def apply_mutation(self, fault: Fault) -> None:
        if fault.add_tasks:
            self._store.add(fault.add_tasks)
        if fault.remove_tasks or fault.remove_task_ids:
            self._store.remove(fault.remove_tasks, fault.remove_task_ids)

    def configure(self, spec: Mapping[str, Any]) -> None:
        """Apply a ``POST /_emulator/faults`` body (see ``fault_from_spec``); raises ValueError."""
        unknown = set(spec) - {"delay_ms", "responses", "add_tasks", "remove_tasks", "remove_task_ids"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}: use delay_ms, responses, add_tasks, "
                             "remove_tasks, remove_task_ids")
        faults = [fault_from_spec(item) for item in spec.get("responses", [])]  # validate all first
        if "delay_ms" in spec:
            self.set_delay(_non_negative(spec["delay_ms"], "delay_ms"))
        for fault, times in faults:
            self.push(fault, times)
        self.apply_mutation(Fault("mutate", add_tasks=_non_negative(spec.get("add_tasks", 0), "add_tasks"),
                                  remove_tasks=_non_negative(spec.get("remove_tasks", 0), "remove_tasks"),
                                  remove_task_ids=_id_list(spec.get("remove_task_ids", []))))


def fault_from_spec(item: Mapping[str, Any]) -> tuple[Fault, int]:
    """``{"kind": ..., "status", "body", "headers", "retry_after", "times", "add_tasks", ...}``."""
    if not isinstance(item, Mapping):
        raise ValueError("each entry of 'responses' must be an object")
    kind = item.get("kind", "respond")
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}: use one of {', '.join(FAULT_KINDS)}")
    status = item.get("status", 500)
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
        raise ValueError(f"'status' must be an HTTP status code from 200 to 599, got {status!r}")
    headers = {str(k): str(v) for k, v in dict(item.get("headers") or {}).items()}
    if "retry_after" in item:
        headers["Retry-After"] = str(item["retry_after"])
    fault = Fault(kind, status, item.get("body"), headers,
                  add_tasks=_non_negative(item.get("add_tasks", 0), "add_tasks"),
                  remove_tasks=_non_negative(item.get("remove_tasks", 0), "remove_tasks"),
                  remove_task_ids=_id_list(item.get("remove_task_ids", [])),
                  delay_ms=_non_negative(item.get("delay_ms", 0), "delay_ms"))
    return fault, max(1, _non_negative(item.get("times", 1), "times"))


def _id_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'remove_task_ids' must be a list of task ids, got {value!r}")
    return value


def _non_negative(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"'{name}' must be a non-negative integer, got {value!r}")
    return value


# --------------------------------------------------------------------------- responses


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay_s: float = 0.0
    note: str | None = None  # fault or auth outcome, for the request log
    detail: str | None = None  # the server's canonical request when a signature did not match


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, dict(headers or {}))


def error_response(status: int, code: str, message: str, param: str | None = None,
                   headers: Mapping[str, str] | None = None) -> Response:
    return json_response(status, {"error_code": code, "error_msg": message,
                                  "error_param": [param] if param else []}, headers)


def _default_fault_body(status: int, request_id: str) -> Any:
    if status == 403:
        return json.loads(_DOC_403.read_text(encoding="utf-8"))
    if status == 429:  # throttling comes from the API gateway in front of SMS
        return {"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached: "
                "policy user over ratelimit", "request_id": request_id}
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"error_code": f"SMS.{status:04d}", "error_msg": f"{phrase} (injected by the emulator)",
            "error_param": []}


def _fault_response(fault: Fault, request_id: str) -> Response:
    body = fault.body if fault.body is not None else _default_fault_body(fault.status, request_id)
    if isinstance(body, (bytes, str)):
        raw = body.encode("utf-8") if isinstance(body, str) else body
        return Response(fault.status, raw, dict(fault.headers))
    return json_response(fault.status, body, fault.headers)


# --------------------------------------------------------------------------- request log


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers as received, minus secrets: tokens masked, the signature cut off the Authorization."""
    out = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in _SECRET_HEADERS:
            value = "***"
        elif lower == "authorization":
            value = re.sub(r"Signature=\S+", "Signature=***", value)
        out[name] = value
    return out


def query_dict(raw_query: str) -> dict[str, str | list[str]]:
    """Query as a dict: one value as a string, a repeated parameter as a list."""
    out: dict[str, str | list[str]] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        prev = out.get(key)
        out[key] = value if prev is None else [*(prev if isinstance(prev, list) else [prev]), value]
    return out


class RequestLog:
    def __init__(self, size: int = REQUEST_LOG_SIZE) -> None:
        self._records: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._records.append(record)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


# --------------------------------------------------------------------------- the emulator


class Emulator:
    """SMS ListTasks on loopback. Arguments left as None come from ``SMS_EMULATOR_*`` or defaults.

    ``now_ms`` anchors generated dates (default: now); ``auth=False`` skips signature checks;
    ``security_token`` pins the accepted ``X-Security-Token``; ``warm`` serialises every task in
    ``start()`` so the first pages are as fast as later ones."""

    def __init__(self, dataset: str | None = None, tasks: int | None = None, ak: str | None = None,
                 sk: str | None = None, auth: bool = True, host: str = "127.0.0.1", port: int = 0, *,
                 now_ms: int | None = None, seed: int = fleet.DEFAULT_SEED, security_token: str | None = None,
                 max_skew_s: float = 15 * 60, warm: bool = False, verbose: bool = False) -> None:
        self.dataset = dataset or os.environ.get("SMS_EMULATOR_DATASET") or "fleet"
        if tasks is None:
            tasks = int(os.environ.get("SMS_EMULATOR_TASKS") or fleet.DEFAULT_TASKS)
        self.ak = ak or os.environ.get("SMS_EMULATOR_AK") or DEFAULT_AK
        self.sk = sk or os.environ.get("SMS_EMULATOR_SK") or DEFAULT_SK
        self.auth = auth
        self.host, self.port = host, port
        self.now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
        self.store = TaskStore(self.dataset, tasks, self.now_ms, seed)
        self.faults = Faults(self.store)
        self.verifier = Verifier({self.ak: self.sk}, security_token, max_skew_s)
        self.log = RequestLog()
        self.warm, self.verbose = warm, verbose
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------

    def start(self) -> Emulator:
        if self.warm:
            self.store.warm()
        server = _Server((self.host, self.port), _Handler)
        server.daemon_threads = True
        server.emulator = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        self._thread = serve_in_background(server, "sms-emulator")
        return self

    def stop(self) -> None:
        if self._server is not None:
            stop_server(self._server, self._thread)
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self if self._server is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Requests to non-control paths, oldest first (the newest 10,000): method, path, query,
        raw_query, headers (secrets masked), status (None when dropped), request_id, note (fault kind
        or auth error code), canonical_request (on a signature mismatch), time."""
        return self.log.all()

    def tasks(self) -> list[fleet.Task]:
        return self.store.tasks()

    def reset(self) -> None:
        """Clear faults and the request log, restore the original fleet."""
        self.faults.reset()
        self.log.clear()
        self.store.reset()

    # request handling (no sockets: the handler below does the I/O) ----------

    def handle(self, method: str, path: str, raw_query: str, headers: Mapping[str, str], body: bytes,
               request_id: str) -> Response:
        """One request -> one response; ``path`` as received (not decoded), ``headers`` lower-case."""
        if path.startswith(CONTROL_PREFIX):
            return self._control(method, path, body)
        if path != API_PATH:
            return error_response(404, "SMS.0404", f"No API at '{_clip(path)}': the emulator serves "
                                  f"GET {API_PATH}", None)
        if method != "GET":
            return error_response(405, "SMS.0405", f"Method '{method}' is not allowed on {API_PATH}: use GET",
                                  None, {"Allow": "GET"})
        delay_s = self.faults.delay_ms / 1000
        fault = self.faults.next()
        response = self._list_tasks(method, path, raw_query, headers, body, fault, request_id)
        if fault is not None and fault.kind == "delay":
            delay_s += fault.delay_ms / 1000
        response.delay_s = delay_s
        return response

    def _list_tasks(self, method: str, raw_path: str, raw_query: str, headers: Mapping[str, str],
                    body: bytes, fault: Fault | None, request_id: str) -> Response:
        kind = fault.kind if fault else None
        if fault is not None and kind == "respond":
            return _note(_fault_response(fault, request_id), f"fault:respond:{fault.status}")
        if kind == "drop":
            return Response(0, drop=True, note="fault:drop")
        if fault is not None and kind == "mutate":
            self.faults.apply_mutation(fault)
        note = f"fault:{kind}" if kind else None
        if self.auth:
            try:
                self.verifier.verify(method, raw_path, raw_query, headers, body)
            except AuthError as err:
                response = _note(json_response(err.status, err.body()), note or f"auth:{err.code}")
                response.detail = err.canonical_request or None
                return response
        try:
            query = parse_query(raw_query)
        except QueryError as err:
            return _note(error_response(400, "SMS.0001", err.message, err.param), note)
        page = self.store.page(query)
        if kind == "malformed":
            page = page[: max(1, len(page) // 2)]  # cut mid-document: the client must fail to parse
        return Response(200, page, note=note)

    def _control(self, method: str, path: str, body: bytes) -> Response:
        routes = {
            ("GET", "/_emulator/health"): lambda: json_response(200, self._status()),
            ("GET", "/_emulator/requests"): lambda: json_response(200, {"requests": self.requests}),
            ("GET", "/_emulator/faults"): lambda: json_response(200, self._fault_state()),
            ("POST", "/_emulator/faults"): lambda: self._configure_faults(body),
            ("POST", "/_emulator/reset"): self._reset_response,
        }
        action = routes.get((method, path))
        if action is not None:
            return action()
        if any(p == path for _, p in routes):
            allowed = sorted(m for m, p in routes if p == path)
            return error_response(405, "SMS.0405", f"Method '{method}' is not allowed on {path}: use "
                                  f"{', '.join(allowed)}", None, {"Allow": ", ".join(allowed)})
        return error_response(404, "SMS.0404", f"No control endpoint '{_clip(path)}'", None)

    def _configure_faults(self, body: bytes) -> Response:
        try:
            spec = json.loads(body or b"{}")
            if not isinstance(spec, dict):
                raise ValueError("the body must be a JSON object")
            self.faults.configure(spec)
        except ValueError as err:  # includes JSONDecodeError
            return error_response(400, "SMS.0001", f"Invalid fault configuration: {err}", "body")
        return json_response(200, self._fault_state())

    def _reset_response(self) -> Response:
        self.reset()
        return json_response(200, self._status())

    def _status(self) -> dict[str, Any]:
        return {"status": "ok", "dataset": self.dataset, "count": len(self.store), "auth": self.auth,
                "now_ms": self.now_ms}

    def _fault_state(self) -> dict[str, Any]:
        return {"delay_ms": self.faults.delay_ms, "pending": self.faults.pending(), "count": len(self.store)}


def _note(response: Response, note: str | None) -> Response:
    response.note = note
    return response


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: a scan opening 16+ connections at once would see SYNs
    # dropped and retried a second later, a stall a real SMS endpoint does not have.
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with Content-Length on every answer, so clients keep connections alive."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server_version = "SMS-Emulator/1.0"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

    def _serve(self) -> None:
        emulator: Emulator = self.server.emulator  # type: ignore[attr-defined]
        request_id = uuid.uuid4().hex
        split = urlsplit(self.path)
        body = self._read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            response = emulator.handle(self.command, split.path, split.query, headers, body, request_id)
        except Exception as err:  # an emulator bug must still answer, in the same JSON shape
            response = error_response(500, "SMS.0500", f"Emulator error: {type(err).__name__}: {err}")
            self.log_error("emulator error on %s: %r", self.path, err)
        if not split.path.startswith(CONTROL_PREFIX):
            emulator.log.add(self._record(split.path, split.query, request_id, response))
        if response.delay_s:
            time.sleep(response.delay_s)
        if response.drop:
            self.close_connection = True
            return
        self._write(response, request_id)

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, response: Response, request_id: str) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("X-Request-Id", request_id)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _record(self, path: str, raw_query: str, request_id: str, response: Response) -> dict[str, Any]:
        return {
            "time": time.time(),
            "method": self.command,
            "path": path,
            "query": query_dict(raw_query),
            "raw_query": raw_query,
            "headers": redact_headers(dict(self.headers.items())),
            "status": None if response.drop else response.status,
            "request_id": request_id,
            "note": response.note,
            "canonical_request": response.detail,
        }

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.emulator.verbose:  # type: ignore[attr-defined]
            super().log_message(format, *args)


# --------------------------------------------------------------------------- CLI


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() not in ("0", "false", "no", "off", "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.sms_emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("SMS_EMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=None,
                        help=f"default: ${ports.EMULATOR.setting} or {ports.EMULATOR.default} (local/ports.py)")
    parser.add_argument("--dataset", choices=("fleet", "fleet-cjk", "doc"), default=None,
                        help="default: $SMS_EMULATOR_DATASET or fleet")
    parser.add_argument("--tasks", type=int, default=None, help="generated fleet size "
                        f"(default: $SMS_EMULATOR_TASKS or {fleet.DEFAULT_TASKS}; max {fleet.MAX_TASKS})")
    parser.add_argument("--no-auth", action="store_true", help="accept unsigned requests")
    parser.add_argument("--now-ms", type=int, default=None, help="reference time of generated dates")
    parser.add_argument("--warm", action="store_true", default=_env_flag("SMS_EMULATOR_WARM", False),
                        help="serialise every task before serving ($SMS_EMULATOR_WARM)")
    parser.add_argument("--verbose", action="store_true", help="log each request on stderr")
    parser.add_argument("--delay-ms", type=int, default=int(os.environ.get("SMS_EMULATOR_DELAY_MS") or 0),
                        help="standing latency added to every ListTasks answer, as a real SMS page takes "
                        "50-400 ms ($SMS_EMULATOR_DELAY_MS; the faults API can change it)")
    args = parser.parse_args(argv)
    auth = not args.no_auth and _env_flag("SMS_EMULATOR_AUTH", True)
    def start(port: int) -> Emulator:
        return Emulator(args.dataset, args.tasks, auth=auth, host=args.host, port=port,
                        now_ms=args.now_ms, warm=args.warm, verbose=args.verbose).start()

    emulator = ports.start_tool("SMS emulator", ports.EMULATOR, start, args.port)
    if emulator is None:
        return 2
    emulator.faults.set_delay(args.delay_ms)
    print(emulator.url, flush=True)
    print(f"SMS emulator: dataset={emulator.dataset} tasks={len(emulator.store)} "
          f"auth={'on' if auth else 'off'} ak={emulator.ak}", file=sys.stderr, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
