"""One ``GET /dashboard/tasks.csv`` through the HTTP function's real handler, in a fresh interpreter
laid out as FunctionGraph lays out a function, against the emulator named in its settings (running
in another process). Same stdin spec as ``dashboard_rss.py`` (its ``event`` is the CSV's, with the
caller's ``Accept-Encoding``). Prints one JSON object: peak RSS (``VmHWM``) right after the handler
returned, and again once the answer is serialised as the runtime serialises it (``json.dumps``: the
body and its serialised copy are both alive then, the instance's real peak for an inline answer),
RSS after imports, the time, the answer's size as FunctionGraph measures it
(``len(json.dumps(answer))``), the CSV's size and whether it came as gzip. Exits 1 when the answer
is not the whole export (not 200, or rows that do not add up to the fleet), so an error is never
measured."""
import base64
import csv
import gzip
import io
import json
import sys
import time

from function_child import load  # a sibling: this script's folder is on sys.path

spec, handler, after_imports_kib = load()
from bench.children.proc_status import status_kib  # noqa: E402  (stdlib only; importable once loaded)
from local.context import LocalContext  # noqa: E402  (stdlib only)

context = LocalContext(spec["function"], spec["timeout_s"], spec["memory_mb"], spec["user_data"])
start = time.perf_counter()
out = handler(spec["event"], context)
elapsed_ms = (time.perf_counter() - start) * 1000.0
hwm_kib = status_kib("VmHWM")  # read before the checks below allocate anything

serialised = json.dumps(out)  # what the runtime does with the answer
serialised_hwm_kib = status_kib("VmHWM")
answer_bytes = len(serialised)
del serialised
if out.get("statusCode") != 200:
    sys.exit(f"not the export: status {out.get('statusCode')}: {str(out.get('body'))[:300]}")
text = gzip.decompress(base64.b64decode(out["body"])).decode() if out.get("isBase64Encoded") else out["body"]
rows = sum(1 for _ in csv.reader(io.StringIO(text))) - 1
if rows != spec["tasks"]:
    sys.exit(f"the export has {rows} rows, not {spec['tasks']}")
print(json.dumps({
    "vm_hwm_kib": hwm_kib, "serialised_vm_hwm_kib": serialised_hwm_kib, "after_imports_kib": after_imports_kib,
    "elapsed_ms": elapsed_ms, "answer_bytes": answer_bytes, "csv_bytes": len(text.encode()),
    "gzip": bool(out.get("isBase64Encoded")),
}))
