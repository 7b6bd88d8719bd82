"""Peak memory of one timer summary: ``shared.summary.summarise.summarise`` over every task of the
emulator named by ``SMS_ENDPOINT`` (running in another process), in a fresh interpreter, with
``BENCH_DEADLINE_S`` (default 300) as the function's remaining time.

Prints one JSON object: peak RSS (``VmHWM``; ``ru_maxrss`` too, though Linux folds the spawning
parent's peak into it across fork+exec), the RSS after imports, and what the scan saw."""
import json
import os
import resource
import sys
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from bench.children.proc_status import status_kib  # noqa: E402  (stdlib only)
from shared.read.query import parse_query  # noqa: E402
from shared.scope import Deadline, Invocation  # noqa: E402
from shared.settings import Settings  # noqa: E402
from shared.summary.summarise import summarise  # noqa: E402

after_imports_kib = status_kib("VmRSS")
start = time.perf_counter()
deadline = Deadline(float(os.environ.get("BENCH_DEADLINE_S", "300")))
summary, result = summarise(parse_query({}), Settings.from_env(), Invocation("bench-rss", deadline),
                            now=datetime.now(timezone.utc))
print(json.dumps({
    "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "vm_hwm_kib": status_kib("VmHWM"),
    "after_imports_kib": after_imports_kib,
    "elapsed_ms": (time.perf_counter() - start) * 1000.0,
    "scanned": summary["scanned"],
    "total": summary["total"],
    "pages": result.pages,
    "partial": result.partial,
}))
