"""Run one handler once: ``python -m local.invoke FUNCTION EVENT_FILE``.

Only the handler's return value, as JSON, goes to stdout; logs go to stderr, so the output can
be piped into ``jq``. Without cloud credentials the embedded emulator answers."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from local.backend import ensure_backend
from local.dashboard_link import local_dashboard_env
from local.functions import invoke
from project import template
from shared.logger import redact_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("function", help="a function folder name declared in template.yaml")
    parser.add_argument("event", help="path to a JSON event file (see events/)")
    args = parser.parse_args(argv)
    fn = template.function(Path(args.function).name)
    event_path = Path(args.event)
    try:
        event = json.loads(event_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read event {event_path}: {exc}", file=sys.stderr)
        return 2
    emulator = ensure_backend()
    local_dashboard_env()  # the development link secret, as make run and make dashboard-link use
    try:
        result = invoke(fn, event)
    except Exception as exc:  # FunctionGraph would record a failed invocation
        print(redact_text(f"{fn.name} raised {type(exc).__name__}: {exc}"), file=sys.stderr)
        return 1
    finally:
        if emulator is not None:
            emulator.stop()
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
