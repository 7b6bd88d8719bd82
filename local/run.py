"""``make run``: everything on one machine, no cloud account needed.

Starts the SMS emulator (unless HUAWEICLOUD_SDK_AK/SK are set: then the real SMS), the webhook sink
with its chat preview, the local API Gateway and the timer triggers of template.yaml, then prints
every URL it serves and what to try first. Ports: local/ports.py (a taken default port is replaced by
a free one; a taken port you set stops the run with one line naming it). Ctrl-C stops it all."""
from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import sys

from local import ports
from local.backend import ensure_backend
from local.dashboard_link import local_dashboard_env, local_link
from local.fleet import demo_waves
from local.gateway import TIMER_PREFIX, Gateway
from local.servers import wait_for_ctrl_c
from local.timers import TimerRunner
from local.webhook_sink import Sink

CHAT_FORMATS = ("slack", "feishu", "dingtalk", "wecom")
LANGS = ("en", "zh-CN")


def local_targets(sink: Sink) -> list[dict[str, str]] | None:
    """Unless webhooks are configured, the timer sends to the sink: signed generic JSON and every chat
    platform in both languages (the chat preview shows each as its platform would); None otherwise.
    The sink checks the signatures with the secrets made here."""
    if os.environ.get("WEBHOOK_URL") or os.environ.get("WEBHOOK_TARGETS"):
        return None
    sink.secrets.update(generic="whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
                        feishu=secrets.token_urlsafe(16), dingtalk="SEC" + secrets.token_hex(16))
    targets = [{"name": "generic", "format": "generic", "url": f"{sink.url}/generic",
                "secret": sink.secrets["generic"] or ""}]
    for fmt in CHAT_FORMATS:
        for lang in LANGS:
            target = {"name": f"{fmt}-{lang}", "format": fmt, "url": f"{sink.url}/{fmt}/{lang}", "lang": lang}
            if sink.secrets.get(fmt):
                target["secret"] = sink.secrets[fmt] or ""
            targets.append(target)
    os.environ.update(WEBHOOK_TARGETS=json.dumps(targets), WEBHOOK_ALLOW_LOOPBACK="1")
    return targets


def banner(emulator_url: str | None, gateway: Gateway, sink: Sink, timers: TimerRunner, notes: list[str],
           chat: bool) -> str:
    base = gateway.url
    timer = next(iter(timers.timers), "NAME")
    sms = f"{emulator_url} (embedded emulator)" if emulator_url else "the real SMS (cloud credentials set)"
    where = "every chat platform, both languages" if chat else "the configured WEBHOOK_* targets"
    lines = [
        "",
        "SMS tasks, running locally",
        *(f"  note: {note}" for note in notes),
        f"  SMS:           {sms}",
        f"  API gateway:   {base}   (OpenAPI: {base}/openapi.json)",
        f"  dashboard:     {local_link(base)}",
        f"  webhook sink:  {sink.url}   (the timer sends {where})",
        f"  chat preview:  {sink.url}/   (what the chat received, as each platform shows it)",
        f"  timers:        {', '.join(timers.timers) or 'none'} (fired now, then on their rate)",
        "",
        "Try first:",
        f"  curl -i '{base}/v3/tasks?limit=2'",
        f"  curl -s '{base}/v3/tasks/summary' | python3 -m json.tool",
        f"  curl -s -X POST '{base}{TIMER_PREFIX}{timer}'   # fire the timer now, then reload the chat preview",
        "  open the dashboard link above; open the chat preview and follow its links",
        "Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


def _demo_waves(emulator: object | None) -> None:
    """Against the emulator, waves of its generated fleet unless SUMMARY_GROUPS is set."""
    now_ms = getattr(emulator, "now_ms", None)
    if now_ms is not None and not os.environ.get("SUMMARY_GROUPS"):
        os.environ["SUMMARY_GROUPS"] = json.dumps(demo_waves(now_ms))


def main() -> int:
    notes: list[str] = []
    with contextlib.ExitStack() as stack:
        try:
            emulator = ensure_backend()
            if emulator is not None:
                stack.callback(emulator.stop)
            _demo_waves(emulator)
            sink = ports.bind(ports.SINK, lambda p: Sink(port=p, stream=sys.stdout, brief=True).start(), notes)
            stack.callback(sink.stop)
            gateway = ports.bind(ports.GATEWAY, lambda p: Gateway(port=p), notes)
        except (ports.PortError, ValueError) as exc:  # a taken port, a bad SMS_EMULATOR_* value
            print(f"make run: {exc}", file=sys.stderr)
            return 2
        chat = local_targets(sink) is not None
        timers = TimerRunner()
        gateway.timers = timers
        gateway.start()
        stack.callback(gateway.stop)
        local_dashboard_env(gateway.url)  # chat messages of the local timer link to this gateway
        print(banner(emulator.url if emulator else None, gateway, sink, timers, notes, chat), flush=True)
        timers.start()
        stack.callback(timers.stop)
        wait_for_ctrl_c()
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C while starting: no traceback either
        sys.exit(main())
