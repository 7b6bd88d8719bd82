"""Which SMS the local tools talk to: the real one when cloud credentials are set, otherwise an
embedded emulator started on loopback, with the settings pointed at it."""
from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import urlsplit

# Loopback-only credentials shared by the embedded emulator and the functions it serves.
LOCAL_AK = "LOCALEMULATORAK00000"
LOCAL_SK = "local-emulator-secret-not-for-cloud"


def shown_endpoint(url: str) -> str:
    """``SMS_ENDPOINT`` as printed: scheme, host, port and path; user info, query and fragment
    (where a proxy's credentials would sit) masked, then the log's own masking."""
    from shared.logger import MASK, redact_text

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return MASK
    userinfo = f"{MASK}@" if "@" in parts.netloc else ""
    tail = (f"?{MASK}" if parts.query else "") + (f"#{MASK}" if parts.fragment else "")
    return redact_text(f"{parts.scheme}://{userinfo}{host}{port}{parts.path}{tail}")


def has_cloud_credentials() -> bool:
    return bool(os.environ.get("HUAWEICLOUD_SDK_AK") and os.environ.get("HUAWEICLOUD_SDK_SK"))


def start_embedded_emulator(port: int = 0) -> Any:
    from local.sms_emulator import Emulator

    emulator = Emulator(
        dataset=os.environ.get("SMS_EMULATOR_DATASET", "fleet"),
        tasks=int(os.environ.get("SMS_EMULATOR_TASKS", "250")),
        ak=LOCAL_AK,
        sk=LOCAL_SK,
        port=port,
    ).start()
    os.environ["SMS_ENDPOINT"] = emulator.url
    os.environ["HUAWEICLOUD_SDK_AK"] = LOCAL_AK
    os.environ["HUAWEICLOUD_SDK_SK"] = LOCAL_SK
    return emulator


def ensure_backend(port: int = 0) -> Any | None:
    """Start the emulator unless real credentials are configured; returns it (or None)."""
    # Local runs only: webhook sinks on this machine are plain http on loopback.
    os.environ.setdefault("WEBHOOK_ALLOW_LOOPBACK", "1")
    if has_cloud_credentials():
        endpoint = os.environ.get("SMS_ENDPOINT")
        where = shown_endpoint(endpoint) if endpoint else f"region {os.environ.get('SMS_REGION', '?')}"
        print(f"using the real SMS ({where}) with HUAWEICLOUD_SDK_AK/SK", file=sys.stderr)
        return None
    emulator = start_embedded_emulator(port)
    print(f"no cloud credentials: using the embedded SMS emulator at {emulator.url}", file=sys.stderr)
    return emulator
