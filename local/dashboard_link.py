"""``make dashboard-link``: one signed dashboard URL for the local gateway, alone on stdout.

Local runs sign with ``DASHBOARD_LINK_SECRET`` when set, else with a fixed development secret
that only the local tools use (the deployed functions have no default: without a secret the
dashboard answers a configuration error)."""
from __future__ import annotations

import argparse
import os
import sys

from local import ports

LOCAL_LINK_SECRET = "local-only-dashboard-link-secret"  # never deployed: template.yaml has no default


def local_dashboard_env(base_url: str | None = None) -> None:
    """The dashboard settings of a local run, unless the caller's environment sets them."""
    os.environ.setdefault("DASHBOARD_LINK_SECRET", LOCAL_LINK_SECRET)
    if base_url:
        os.environ.setdefault("DASHBOARD_URL", base_url)


def local_link(base_url: str, path: str = "/dashboard", ttl_s: int | None = None) -> str:
    from shared.dashboard.links import DASHBOARD_SCOPE, signed_link
    from shared.settings import Settings

    local_dashboard_env()
    settings = Settings.from_env()
    scope = path if not path.startswith(DASHBOARD_SCOPE + "/") else DASHBOARD_SCOPE
    return signed_link(settings, path, base_url=base_url, ttl_s=ttl_s, scope=scope)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    parser.add_argument("--path", default="/dashboard", help="a path under /dashboard (default /dashboard)")
    parser.add_argument("--port", type=int, default=None, help="the gateway's port (default: $PORT, local/ports.py)")
    args = parser.parse_args(argv)
    if not (args.path == "/dashboard" or args.path.startswith("/dashboard/")):
        parser.error("--path must be /dashboard or under it")
    if args.ttl is not None and args.ttl < 1:
        parser.error("--ttl must be a positive number of seconds")
    try:
        port = args.port if args.port is not None else ports.configured(ports.GATEWAY)[0]
    except ports.PortError as exc:
        parser.error(str(exc))
    print(local_link(f"http://127.0.0.1:{port}", args.path, args.ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
