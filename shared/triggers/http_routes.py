"""The HTTP function's routes: ``GET /v3/tasks`` (SMS's own answer, so the official SDK works
against it unchanged), ``GET /v3/tasks/summary``, and the operator views behind signed links
(``GET /dashboard``, ``/dashboard/tasks/{id}``, ``/dashboard/tasks.csv``: shared/dashboard/).

Every API response is JSON, dashboard pages are HTML (their errors too); every response carries
``X-Request-Id``; nothing unexpected leaks a stack trace."""
from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from shared.errors import ApiError, fn_error, method_not_allowed, not_found
from shared.logger import logger, redact_text
from shared.read.query import parse_query
from shared.read.tasks import read_tasks
from shared.scope import Invocation, invocation_scope
from shared.settings import Settings
from shared.triggers.apigw import ApiGatewayEvent, error_response, response

Route = Callable[[ApiGatewayEvent, Settings, Invocation], dict[str, Any]]
ALLOWED_METHODS = ["GET"]


def list_tasks(request: ApiGatewayEvent, settings: Settings, invocation: Invocation) -> dict[str, Any]:
    query = parse_query(request.query)
    result = read_tasks(query, settings, invocation)
    return response(200, result.body(), result.headers)


def tasks_summary(request: ApiGatewayEvent, settings: Settings, invocation: Invocation) -> dict[str, Any]:
    from shared.summary.summarise import summary_for_http  # only this route pays for it

    summary, headers = summary_for_http(parse_query(request.query), settings, invocation)
    return response(200, summary, headers)


ROUTES: dict[str, Route] = {"/v3/tasks": list_tasks, "/v3/tasks/summary": tasks_summary}


def _dashboard_route(path: str) -> Route | None:
    from shared.triggers.dashboard_routes import is_dashboard, route_for  # only dashboard requests pay for it

    return route_for(path) if is_dashboard(path) else None


def _route(request: ApiGatewayEvent) -> Route:
    path = request.path.rstrip("/") or "/"
    route = ROUTES.get(path) or _dashboard_route(unquote(path))
    if route is None:
        raise not_found(path)
    if request.http_method not in ALLOWED_METHODS:
        raise method_not_allowed(request.http_method, ALLOWED_METHODS)
    return route


def handle(event: Any, context: Any) -> dict[str, Any]:
    """Whole request: event → route → response, every failure mapped to a JSON error."""
    with invocation_scope(context, "list_tasks_http", log_failure=False) as invocation:
        out = _answer(event, invocation)
        out["headers"]["X-Request-Id"] = invocation.request_id
        logger.info("response", status=out["statusCode"])
        return out


def _error_out(request: ApiGatewayEvent | None, error: ApiError) -> dict[str, Any]:
    """JSON in SMS's shape; a dashboard page gets it as an HTML page with the page's headers."""
    # RFC 9110: a 405 lists what is allowed in ``Allow`` too, not only in the body.
    allow = {"Allow": ", ".join(ALLOWED_METHODS)} if error.status == 405 else {}
    if request is not None and request.path.startswith("/dashboard"):
        from shared.dashboard.render import security_headers
        from shared.triggers.dashboard_routes import error_page

        page = error_page(request, error)
        if page is not None:
            page["headers"].update(allow)
            return page
        return error_response(error, {**allow, **{k: v for k, v in security_headers().items()
                                                  if k != "Content-Type"}})
    return error_response(error, allow or None)


def _answer(event: Any, invocation: Invocation) -> dict[str, Any]:
    request: ApiGatewayEvent | None = None
    try:
        request = ApiGatewayEvent.parse(event)
        logger.info("request", method=request.http_method, path=request.path, query=request.query)
        route = _route(request)
        return route(request, invocation.settings, invocation)
    except ApiError as exc:
        level = logger.warning if exc.status < 500 else logger.error
        level("request failed", status=exc.status, error_code=exc.error_code, error_msg=exc.error_msg)
        return _error_out(request, exc)
    except Exception as exc:  # the last line of defence: log it all, answer with no internals
        logger.error("unexpected error", error_type=type(exc).__name__,
                     trace=redact_text("".join(traceback.format_exception(exc))))
        return _error_out(request, fn_error("SMSFN.0500", "internal error; quote the request id to the operator",
                                       extra={"request_id": invocation.request_id}))
