"""``make run``: everything on one machine, no cloud account needed.

Starts the SMS emulator (unless HUAWEICLOUD_SDK_AK/SK are set: then the real SMS), a webhook sink
on 127.0.0.1:8091, the local API Gateway on 127.0.0.1:$PORT (8080) and the timer triggers of
template.yaml, then prints how to call them. Ctrl-C stops it all."""
from __future__ import annotations

import base64
import json
import os
import secrets
import sys

from local.backend import ensure_backend
from local.dashboard_link import local_dashboard_env, local_link
from local.fleet import demo_waves
from local.gateway import TIMER_PREFIX, Gateway
from local.servers import wait_for_ctrl_c
from local.timers import TimerRunner
from local.webhook_sink import Sink


def _local_webhook(sink: Sink) -> str | None:
    """Point the timer at the sink unless webhooks are configured; returns the secret made."""
    if os.environ.get("WEBHOOK_URL") or os.environ.get("WEBHOOK_TARGETS"):
        return None
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    os.environ.update(WEBHOOK_URL=f"{sink.url}/generic", WEBHOOK_FORMAT="generic", WEBHOOK_SECRET=secret,
                      WEBHOOK_ALLOW_LOOPBACK="1")
    return secret


def _demo_waves(emulator: object | None) -> None:
    """Against the emulator, waves of its generated fleet unless SUMMARY_GROUPS is set."""
    now_ms = getattr(emulator, "now_ms", None)
    if now_ms is not None and not os.environ.get("SUMMARY_GROUPS"):
        os.environ["SUMMARY_GROUPS"] = json.dumps(demo_waves(now_ms))


def main() -> int:
    port = int(os.environ.get("PORT", "8080"))
    sink_port = int(os.environ.get("WEBHOOK_SINK_PORT", "8091"))
    emulator = ensure_backend()
    _demo_waves(emulator)
    sink = Sink(port=sink_port, stream=sys.stdout)
    secret = _local_webhook(sink)
    sink.secrets["generic"] = secret
    sink.start()
    gateway = Gateway(port=port)
    timers = TimerRunner()
    gateway.timers = timers
    gateway.start()
    base = gateway.url
    local_dashboard_env(base)  # chat messages of the local timer link to this gateway
    names = ", ".join(timers.timers) or "none"
    print(f"""
SMS tasks, running locally
  SMS:          {emulator.url + " (embedded emulator)" if emulator else "the real SMS (cloud credentials set)"}
  API gateway:  {base}
  webhook sink: {sink.url} (prints every message it receives below)
  timers:       {names} (fired now, then on their rate)
  dashboard:    {local_link(base)}

Try:
  curl -s '{base}/v3/tasks?limit=2' | python3 -m json.tool
  curl -s '{base}/v3/tasks?state=RUNNING&limit=5'
  curl -s '{base}/v3/tasks?all=true' -D - -o /dev/null
  curl -s '{base}/v3/tasks/summary' | python3 -m json.tool
  curl -s '{base}/v3/tasks?limit=500'          # 400 naming the parameter
  curl -s -X POST '{base}{TIMER_PREFIX}{next(iter(timers.timers), "NAME")}'   # fire the timer now
  curl -s '{base}/openapi.json'
Ctrl-C to stop.
""", flush=True)
    timers.start()
    try:
        wait_for_ctrl_c()
    finally:
        timers.stop()
        gateway.stop()
        sink.stop()
        if emulator is not None:
            emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
