"""The HTTP function's routes: ``GET /v3/tasks`` (SMS's own answer, so the official SDK works
against it unchanged) and ``GET /v3/tasks/summary``.

Every response is JSON and carries ``X-Request-Id``; nothing unexpected leaks a stack trace."""
from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

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


def _route(request: ApiGatewayEvent) -> Route:
    path = request.path.rstrip("/") or "/"
    route = ROUTES.get(path)
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


def _answer(event: Any, invocation: Invocation) -> dict[str, Any]:
    try:
        request = ApiGatewayEvent.parse(event)
        logger.info("request", method=request.http_method, path=request.path, query=request.query)
        route = _route(request)
        return route(request, invocation.settings, invocation)
    except ApiError as exc:
        level = logger.warning if exc.status < 500 else logger.error
        level("request failed", status=exc.status, error_code=exc.error_code, error_msg=exc.error_msg)
        # RFC 9110: a 405 lists what is allowed in ``Allow`` too, not only in the body.
        return error_response(exc, {"Allow": ", ".join(ALLOWED_METHODS)} if exc.status == 405 else None)
    except Exception as exc:  # the last line of defence: log it all, answer with no internals
        logger.error("unexpected error", error_type=type(exc).__name__,
                     trace=redact_text("".join(traceback.format_exception(exc))))
        return error_response(fn_error("SMSFN.0500", "internal error; quote the request id to the operator",
                                       extra={"request_id": invocation.request_id}))
