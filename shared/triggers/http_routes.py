"""The HTTP function's routes: ``GET /v3/tasks`` (SMS's own answer, so the official SDK works
against it unchanged), ``GET /v3/tasks/summary``, and the operator views behind signed links
(``shared.triggers.dashboard_routes``).

Each route answers its own errors (``shared.triggers.routing.Route``): the API in SMS's JSON
shape, the dashboard in its own; a request no route took, or one that could not be read, gets
JSON. Every response carries ``X-Request-Id``; nothing unexpected leaks a stack trace."""
from __future__ import annotations

import traceback
from typing import Any

from shared.errors import ApiError, fn_error, method_not_allowed, not_found
from shared.logger import logger, redact_text
from shared.read.all_answer import answer_all
from shared.read.query import parse_query, single_value
from shared.read.tasks import read_tasks
from shared.result_limits import check_http
from shared.scope import Invocation, invocation_scope
from shared.settings import Settings
from shared.triggers.apigw import ApiGatewayEvent, error_response, response, text_response
from shared.triggers.routing import NO_ROUTE, Route, RouteGroup

ALLOWED_METHODS = ["GET"]
# RFC 9110: a 405 lists what is allowed in ``Allow`` too, not only in the body.
ALLOW = ", ".join(ALLOWED_METHODS)


def list_tasks(request: ApiGatewayEvent, settings: Settings, invocation: Invocation) -> dict[str, Any]:
    query = parse_query(request.query)
    if query.all_pages:  # as much of the fleet as one answer carries, gzip when the caller takes it
        answer = answer_all(query, settings, invocation, gzip=request.accepts_gzip())
        return text_response(200, answer.body, answer.headers, base64_body=answer.gzip)
    result = read_tasks(query, settings, invocation)
    return response(200, result.body(), result.headers)


def tasks_summary(request: ApiGatewayEvent, settings: Settings, invocation: Invocation) -> dict[str, Any]:
    from shared.summary.summarise import GROUP_PARAM, selected_waves, summary_for_http  # only this route pays

    params = dict(request.query or {})
    raw_group = params.pop(GROUP_PARAM, None)
    query = parse_query(params)  # the ListTasks filters first: their errors as for /v3/tasks
    groups = None if raw_group is None else selected_waves(settings, single_value(GROUP_PARAM, raw_group), GROUP_PARAM)
    summary, headers = summary_for_http(query, settings, invocation, groups)
    return response(200, summary, headers)


ROUTES: dict[str, Route] = {"/v3/tasks": Route(list_tasks), "/v3/tasks/summary": Route(tasks_summary)}


def _api(request: ApiGatewayEvent) -> Route | None:
    return ROUTES.get(_path(request))


def _dashboard(request: ApiGatewayEvent) -> Route | None:
    from shared.triggers.dashboard_routes import route_for  # only requests outside the API pay for the pages

    return route_for(request)


def _metrics(request: ApiGatewayEvent) -> Route | None:
    if _path(request) != "/metrics":
        return None
    from shared.triggers.metrics_route import METRICS  # only scrapes pay for the exposition

    return METRICS


GROUPS: tuple[RouteGroup, ...] = (_api, _metrics, _dashboard)


def _path(request: ApiGatewayEvent) -> str:
    return request.path.rstrip("/") or "/"


def _route(request: ApiGatewayEvent) -> Route:
    return next((route for route in (group(request) for group in GROUPS) if route is not None), NO_ROUTE)


def handle(event: Any, context: Any) -> dict[str, Any]:
    """Whole request: event → route → response, every failure mapped to the route's error."""
    with invocation_scope(context, "list_tasks_http", log_failure=False) as invocation:
        out = _answer(event, invocation)
        out["headers"]["X-Request-Id"] = invocation.request_id
        try:  # measured as FunctionGraph measures it: an SMS-shaped error, never its 4004/4007
            out = check_http(out)
        except ApiError as exc:
            logger.error("response refused", status=exc.status, error_code=exc.error_code, error_msg=exc.error_msg)
            out = error_response(exc, {"X-Request-Id": invocation.request_id})
        logger.info("response", status=out["statusCode"])
        return out


def _error_out(request: ApiGatewayEvent | None, route: Route, error: ApiError) -> dict[str, Any]:
    """The route's own error answer; JSON for a request that could not be read."""
    out = error_response(error)
    if request is not None:
        try:
            out = route.render_error(request, error)
        except Exception as exc:  # a broken error page must not turn into a crash: JSON instead
            _log_unexpected(exc)
    if error.status == 405:
        out["headers"]["Allow"] = ALLOW
    return out


def _log_unexpected(exc: Exception) -> None:
    logger.error("unexpected error", error_type=type(exc).__name__,
                 trace=redact_text("".join(traceback.format_exception(exc))))


def _answer(event: Any, invocation: Invocation) -> dict[str, Any]:
    request: ApiGatewayEvent | None = None
    route = NO_ROUTE
    try:
        request = ApiGatewayEvent.parse(event)
        logger.info("request", method=request.http_method, path=request.path, query=request.query)
        route = _route(request)
        if route.serve is None:
            raise not_found(_path(request))
        if request.http_method not in ALLOWED_METHODS:
            raise method_not_allowed(request.http_method, ALLOWED_METHODS)
        return route.serve(request, invocation.settings, invocation)
    except ApiError as exc:
        level = logger.warning if exc.status < 500 else logger.error
        level("request failed", status=exc.status, error_code=exc.error_code, error_msg=exc.error_msg)
        return _error_out(request, route, exc)
    except Exception as exc:  # the last line of defence: log it all, answer with no internals
        _log_unexpected(exc)
        return _error_out(request, route, fn_error("SMSFN.0500", "internal error; quote the request id to the "
                                                   "operator", extra={"request_id": invocation.request_id}))
