"""One ``GET /v3/tasks?all=true`` through the HTTP function's real handler, in a fresh interpreter
laid out as FunctionGraph lays out a function, against the emulator named in its settings (running
in another process), its result serialised as the runtime does (``json.dumps``, in this process).

Reads one JSON object on stdin: ``code``, ``handler``, ``function``, ``timeout_s``, ``memory_mb``,
``user_data`` and ``event`` (the API Gateway event). Prints one JSON object: peak RSS (``VmHWM``,
read before the answer is checked), RSS after imports, the request's time, the result's size as
FunctionGraph measures it, and what the answer holds (read back with the standard library's
``base64``/``gzip``/``json``). Exits 1 when the answer is not a 200 ListTasks body."""
import base64
import gzip
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from bench.children.function_child import load  # noqa: E402  (stdlib only)
from bench.children.proc_status import status_kib  # noqa: E402
from local.context import LocalContext  # noqa: E402  (stdlib only)

spec, handler, after_imports_kib = load()

context = LocalContext(spec["function"], spec["timeout_s"], spec["memory_mb"], spec["user_data"])
start = time.perf_counter()
out = handler(spec["event"], context)
result_bytes = len(json.dumps(out))  # what the runtime serialises and measures against its limit
elapsed_ms = (time.perf_counter() - start) * 1000.0
hwm_kib = status_kib("VmHWM")

if out.get("statusCode") != 200:
    sys.exit(f"not a 200: {str(out)[:500]}")
headers = out["headers"]
data = base64.b64decode(out["body"]) if out["isBase64Encoded"] else out["body"].encode("utf-8")
if headers.get("Content-Encoding") == "gzip":
    data = gzip.decompress(data)
body = json.loads(data)
if not (isinstance(body.get("count"), int) and isinstance(body.get("tasks"), list)):
    sys.exit(f"not a ListTasks body: {data[:300]!r}")
print(json.dumps({
    "vm_hwm_kib": hwm_kib,
    "after_imports_kib": after_imports_kib,
    "elapsed_ms": elapsed_ms,
    "result_bytes": result_bytes,
    "gzip": headers.get("Content-Encoding") == "gzip",
    "tasks": len(body["tasks"]),
    "count": body["count"],
    "next_offset": headers.get("X-Next-Offset"),
    "partial_reason": headers.get("X-Scan-Partial-Reason"),
}))
