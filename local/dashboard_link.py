"""``make dashboard-link``: one signed dashboard URL for the local gateway, alone on stdout; or,
with ``--new-secret``, a fresh ``DASHBOARD_LINK_SECRET`` (nothing else) for a deployment.

A link opens exactly what it names: ``/dashboard`` (the dashboard, its CSV and its task pages),
``/dashboard/tasks.csv`` (the CSV only) or ``/dashboard/tasks/<id>`` (that task's page only), each
limited to the filters given (``--filter enterprise_project_id=ep-2``), which are signed into it.

Local runs sign with ``DASHBOARD_LINK_SECRET`` when set, else with a fixed development secret
that only the local tools use (the deployed functions have no default: without a secret the
dashboard answers a configuration error)."""
from __future__ import annotations

import argparse
import os
import secrets
import sys

from local import ports

# Never deployed (template.yaml has no default); random-looking, so it passes the secret's rule.
LOCAL_LINK_SECRET = "local-only-Hq4vZ8mT2xK7pN3wR9cL6yB1dF5gJ0sE"
TASK_PREFIX = "/dashboard/tasks/"


def local_dashboard_env(base_url: str | None = None) -> None:
    """The dashboard settings of a local run, unless the caller's environment sets them."""
    os.environ.setdefault("DASHBOARD_LINK_SECRET", LOCAL_LINK_SECRET)
    if base_url:
        os.environ.setdefault("DASHBOARD_URL", base_url)


def new_secret() -> str:
    """43 URL-safe characters from the OS's CSPRNG (256 bits): passes ``check_link_secret``."""
    return secrets.token_urlsafe(32)


def local_link(base_url: str, path: str = "/dashboard", ttl_s: int | None = None,
               filters: dict[str, str] | None = None) -> str:
    """A link opening ``path`` only (a task page's ``path`` holds the raw id, encoded here)."""
    from shared.dashboard.links import signed_link, task_path
    from shared.settings import Settings

    local_dashboard_env()
    settings = Settings.from_env()
    if path.startswith(TASK_PREFIX):
        encoded = task_path(path[len(TASK_PREFIX):])
        if encoded is None:
            raise ValueError(f"{path!r} names no task page")
        path = encoded
    return signed_link(settings, path, filters, base_url=base_url, ttl_s=ttl_s)


def _filter(text: str) -> tuple[str, str]:
    from shared.vocabulary import FILTER_KEYS

    key, sep, value = text.partition("=")
    if not sep or key not in FILTER_KEYS or not value:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE with KEY one of {', '.join(FILTER_KEYS)}")
    return key, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    parser.add_argument("--path", default="/dashboard",
                        help="/dashboard (default), /dashboard/tasks.csv, /dashboard/tasks/<id> or /metrics")
    parser.add_argument("--filter", dest="filters", action="append", type=_filter, default=[],
                        metavar="KEY=VALUE", help="a filter signed into the link (repeatable)")
    parser.add_argument("--new-secret", action="store_true", help="print a fresh DASHBOARD_LINK_SECRET instead")
    parser.add_argument("--port", type=int, default=None, help="the gateway's port (default: $PORT, local/ports.py)")
    args = parser.parse_args(argv)
    if args.new_secret:
        print(new_secret())
        return 0
    if not (args.path in ("/dashboard", "/dashboard/tasks.csv", "/metrics") or args.path.startswith(TASK_PREFIX)):
        parser.error("--path must be /dashboard, /dashboard/tasks.csv, /dashboard/tasks/<id> or /metrics")
    if args.ttl is not None and args.ttl < 1:
        parser.error("--ttl must be a positive number of seconds")
    filters = dict(args.filters)
    if len(filters) != len(args.filters):
        parser.error("give each filter once")
    from shared.errors import ApiError

    try:
        port = args.port if args.port is not None else ports.configured(ports.GATEWAY)[0]
        print(local_link(f"http://127.0.0.1:{port}", args.path, args.ttl, filters))
    except ports.PortError as exc:
        parser.error(str(exc))
    except (ApiError, ValueError) as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
