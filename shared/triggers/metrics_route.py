"""``GET /metrics``: the migration summary as Prometheus text format, for the tools operators
already watch. Protected like the dashboard, by a signed link token with scope ``/metrics``
(``make dashboard-link LINK_PATH=/metrics``): API Gateway's IAM signing is not something a
Prometheus scraper speaks, while a bearer token is (``authorization: {credentials: <token>}``
in a scrape config). The token is read from ``Authorization: Bearer`` first (it stays out of
Prometheus's target list and URLs), then from ``?token=``. The same filters as ``/v3/tasks``
narrow what is counted; errors are SMS's JSON shape."""
from __future__ import annotations

from typing import Any

from shared.dashboard.links import TOKEN_PARAM, require_secret, verify
from shared.errors import ApiError
from shared.scope import Invocation
from shared.settings import Settings
from shared.triggers.apigw import ApiGatewayEvent, response
from shared.triggers.dashboard_routes import dashboard_filters
from shared.triggers.routing import Route

METRICS_PATH = "/metrics"
BEARER = "bearer "


def bearer_token(request: ApiGatewayEvent) -> str | None:
    """The token of ``Authorization: Bearer <token>``, else of ``?token=``."""
    header = request.header("authorization") or ""
    if header[: len(BEARER)].lower() == BEARER:
        return header[len(BEARER):].strip() or None
    value = request.query.get(TOKEN_PARAM)
    return value if isinstance(value, str) else None


def metrics(request: ApiGatewayEvent, settings: Settings, invocation: Invocation) -> dict[str, Any]:
    from datetime import datetime, timezone

    from shared.metrics.exposition import CONTENT_TYPE, render
    from shared.summary.summarise import summarise

    grant = verify(bearer_token(request), METRICS_PATH, require_secret(settings),
                   max_ttl_s=settings.dashboard.max_link_ttl_s)
    query = dashboard_filters(request, grant)  # a token's signed filters hold here too
    summary, result = summarise(query, settings, invocation, now=datetime.now(timezone.utc))
    scan = {"elapsed_s": result.elapsed_ms / 1000, "pages": result.pages, "retries": result.retries}
    headers = {"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"}
    return response(200, render(summary, scan), headers)


def _with_www_authenticate(request: ApiGatewayEvent, error: ApiError) -> dict[str, Any]:
    from shared.triggers.routing import json_error

    out = json_error(request, error)
    if error.status == 401:  # RFC 6750: say how to authenticate
        out["headers"]["WWW-Authenticate"] = 'Bearer realm="sms-metrics"'
    return out


METRICS = Route(metrics, _with_www_authenticate)
