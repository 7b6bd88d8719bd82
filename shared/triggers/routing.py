"""What the HTTP function's routes are made of: a route pairs its handler with how its errors
are answered, so each route (the JSON API, the dashboard's pages, its CSV) owns its error shape
and the dispatcher (``http_routes``) knows no route's paths or formats."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.errors import ApiError
from shared.scope import Invocation
from shared.settings import Settings
from shared.triggers.apigw import ApiGatewayEvent, error_response

Handler = Callable[[ApiGatewayEvent, Settings, Invocation], dict[str, Any]]
ErrorRenderer = Callable[[ApiGatewayEvent, ApiError], dict[str, Any]]


def json_error(request: ApiGatewayEvent, error: ApiError) -> dict[str, Any]:
    """SMS's own error shape: the API's, and what any request no route took gets."""
    return error_response(error)


@dataclass(frozen=True)
class Route:
    """``serve`` None: the path is inside a route group that has nothing there, so the group
    still answers its 404 in its own shape."""

    serve: Handler | None
    render_error: ErrorRenderer = json_error


# A group of routes: the route for a request's path, or None when the path is not the group's.
RouteGroup = Callable[[ApiGatewayEvent], Route | None]
NO_ROUTE = Route(None)
