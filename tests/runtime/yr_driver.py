"""Runs inside .venv-yr (Python 3.12, ``openyuanrong-sdk`` pinned in constraints-yr.txt): one
function, as packaged, through openYuanrong's own FaaS executor.

What is openYuanrong's code here, unchanged: ``CodeManager.load_functions`` (finds and imports
``index.handler`` from the code directory), ``faas_init_handler`` (reads the function's metadata,
sets the ``RUNTIME_*`` variables, decrypts ``ENV_DELEGATE_DECRYPT`` into the environment and the
user data), ``faas_call_handler`` (builds the ``Context``, calls the handler, serialises the result
with ``json.dumps`` and applies the 6 MB limit: innerCode 4001/4004/4007). What this driver does in
place of the rest of the runtime (the C++ core, ``fnruntime``, which needs a cluster): it hands those
functions their arguments as the core would (16-byte metadata prefix + JSON) and puts the code
directory first on ``sys.path`` as the code root is on the platform.

argv: code_dir, request file (JSON: meta, environment, encrypted_user_data, events). Prints one JSON
line: per event, the executor's answer parsed, and the seconds the call took."""
from __future__ import annotations

import json
import os
import sys
import time

PREFIX = b"0" * 16  # yr.common.constants.META_PREFIX: the core's metadata header


class Arg:
    """What the core passes the executor: a buffer with ``to_pybytes``."""

    def __init__(self, payload: object) -> None:
        self._data = PREFIX + json.dumps(payload).encode()

    def to_pybytes(self) -> bytes:
        return self._data


def main() -> int:
    code_dir, request_file = sys.argv[1], sys.argv[2]
    with open(request_file, encoding="utf-8") as fh:
        request = json.load(fh)
    os.environ["ENV_DELEGATE_DOWNLOAD"] = code_dir
    os.environ["ENV_DELEGATE_DECRYPT"] = json.dumps({
        "environment": json.dumps(request["environment"]),
        "encrypted_user_data": json.dumps(request["encrypted_user_data"]),
    })
    sys.path.insert(0, code_dir)

    from yr.code_manager import CodeManager
    from yr.err_type import ErrorCode
    from yr.executor import faas_executor

    loaded = CodeManager().load_functions(["", request["meta"]["funcMetaData"]["handler"]])
    if loaded.error_code != ErrorCode.ERR_OK:
        print(json.dumps({"load_error": str(loaded.msg)}))
        return 0
    init = faas_executor.faas_init_handler([Arg(request["meta"])])
    out = {"init": json.loads(init[16:]), "calls": [], "python": "{}.{}".format(*sys.version_info[:2])}
    for index, event in enumerate(request["events"]):
        started = time.monotonic()
        answer = faas_executor.faas_call_handler([Arg("trace"), Arg({
            "header": {"X-Request-Id": f"yr-{index}"}, "body": event})])
        out["calls"].append({"answer": json.loads(answer[16:]), "seconds": time.monotonic() - started,
                             "answer_bytes": len(answer) - 16})
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
