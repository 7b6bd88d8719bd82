"""One ``GET /dashboard`` through the HTTP function's real handler, in a fresh interpreter laid out
as FunctionGraph lays out a function (its code folder, ``shared`` beside it), against the emulator
named in its settings (running in another process).

Reads one JSON object on stdin: ``code`` and ``handler`` (template.yaml's), ``function``,
``timeout_s``, ``memory_mb``, ``user_data`` (what ``getUserData`` serves), ``event`` (the API
Gateway event, its signed token included) and ``tasks`` (the fleet's size). Serves the event twice,
as a new instance would: the first request (route imports, templates compiled) and a warm second
one. Prints one JSON object: peak RSS (``VmHWM``) after each, RSS after imports, each request's
time and the page's size. Exits 1 when an answer is not the page it should be (not 200, not HTML,
or state counts that do not add up to the fleet), so an error page is never measured."""
import json
import os
import sys
import time
from html.parser import HTMLParser

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from bench.children.function_child import load  # noqa: E402  (stdlib only)
from bench.children.proc_status import status_kib  # noqa: E402
from local.context import LocalContext  # noqa: E402  (stdlib only)

spec, handler, after_imports_kib = load()


class StateCounts(HTMLParser):
    """The page's per-state counts, read with the standard library's parser, not our templates."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if "data-state" in a:
            self.counts[str(a["data-state"])] = int(a.get("data-count") or -1)


def serve() -> tuple[dict, float, int]:
    """One request on a fresh context: the answer, its time (ms) and the peak RSS after it (KiB)."""
    context = LocalContext(spec["function"], spec["timeout_s"], spec["memory_mb"], spec["user_data"])
    start = time.perf_counter()
    out = handler(spec["event"], context)
    elapsed_ms = (time.perf_counter() - start) * 1000.0
    return out, elapsed_ms, status_kib("VmHWM")  # read before check() allocates anything


def check(out: dict) -> int:
    """The page's size in bytes; exits when the answer is not the whole dashboard."""
    body = out.get("body", "")
    content_type = out.get("headers", {}).get("Content-Type", "")
    problems = []
    if out.get("statusCode") != 200:
        problems.append(f"status {out.get('statusCode')}")
    if not content_type.startswith("text/html"):
        problems.append(f"Content-Type {content_type!r}")
    page = StateCounts()
    page.feed(body)
    page.close()
    if sum(page.counts.values()) != spec["tasks"]:
        problems.append(f"state counts {page.counts} add up to {sum(page.counts.values())}, not {spec['tasks']}")
    if problems:
        sys.exit(f"not the dashboard page: {'; '.join(problems)}; body starts {body[:300]!r}")
    return len(body.encode("utf-8"))


first, first_ms, first_hwm_kib = serve()
page_bytes = check(first)
del first
warm, warm_ms, warm_hwm_kib = serve()
check(warm)
print(json.dumps({
    "vm_hwm_kib": first_hwm_kib,
    "warm_vm_hwm_kib": warm_hwm_kib,
    "after_imports_kib": after_imports_kib,
    "elapsed_ms": first_ms,
    "warm_elapsed_ms": warm_ms,
    "page_bytes": page_bytes,
}))
