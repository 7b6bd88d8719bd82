"""Cold start of the project's HTTP function: a fresh interpreter imports
``functions/list_tasks_http/index.py`` and serves one ``GET /v3/tasks?limit=N`` event.

Prints ``<ms from the first line to the response> <status> <tasks>``. Path handling uses ``os``
only (already loaded by the interpreter), so nothing extra is imported before the handler."""
import time

T0 = time.perf_counter()

import os  # noqa: E402
import sys  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# FunctionGraph's layout: the function's folder (index.py) with ``shared`` beside it.
sys.path[:0] = [os.path.join(ROOT, "functions", "list_tasks_http"), ROOT]

import index  # noqa: E402


class Context:
    def getRequestID(self):
        return "bench-cold"

    def getRemainingTimeInMilliSeconds(self):
        return 30_000


EVENT = {"httpMethod": "GET", "path": "/v3/tasks", "queryStringParameters": {"limit": sys.argv[1]},
         "headers": {}, "body": "", "isBase64Encoded": False}
out = index.handler(EVENT, Context())
elapsed_ms = (time.perf_counter() - T0) * 1000.0

import json  # noqa: E402

print(f"{elapsed_ms:.3f} {out['statusCode']} {len(json.loads(out['body']).get('tasks', []))}")
