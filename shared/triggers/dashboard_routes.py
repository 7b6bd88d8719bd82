"""The dashboard's routes of the HTTP function: ``GET /dashboard``, ``GET /dashboard/tasks/{id}``
and ``GET /dashboard/tasks.csv``. Each checks its signed link first (401 before any task is
read), then its filters with the same rules and 400s as ``/v3/tasks``, the link's signed filters in
force (``Grant.apply``; a task page opens only a task matching them); the page's summary is the
timer's own streaming summary (``shared.summary.summarise``), the task page and the CSV read
through ``shared.read.tasks``. Each route answers its errors itself: the pages as an HTML page
(``page_error``), the CSV in SMS's JSON shape (``csv_error``), both with the pages' headers."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from shared import i18n
from shared.dashboard.links import DASHBOARD_SCOPE, TASKS_PREFIX, TOKEN_PARAM, Grant, require_secret, task_path, verify
from shared.dashboard.render import PageContext, render_dashboard, render_error, render_task, security_headers
from shared.errors import ApiError, bad_request, not_found
from shared.logger import logger, redact_text
from shared.read.query import TaskQuery, parse_boolean, parse_query
from shared.read.tasks import read_tasks, scan_headers
from shared.scope import Invocation
from shared.settings import Settings
from shared.summary.builder import MAX_ITEMS_LIMIT
from shared.triggers.apigw import ApiGatewayEvent, error_response, response
from shared.triggers.routing import Handler, Route
from shared.vocabulary import FILTER_KEYS

PAGE_PARAMS = ("lang", "refresh", "full", TOKEN_PARAM)  # the page's own, never sent to SMS
FULL_ITEMS = MAX_ITEMS_LIMIT  # ``?full=1`` (where "… and N more" leads): lists as long as a summary keeps
CSV_PATH = f"{DASHBOARD_SCOPE}/tasks.csv"


def request_path(request: ApiGatewayEvent) -> str:
    return unquote(request.path).rstrip("/") or "/"


def _token(request: ApiGatewayEvent) -> str | None:
    value = request.query.get(TOKEN_PARAM)
    return value if isinstance(value, str) else None


def _task_id(request: ApiGatewayEvent) -> str:
    """The id in a task page's path, as ``task_path`` encoded it (a trailing ``/`` is the id's)."""
    return unquote(request.path)[len(TASKS_PREFIX):]


def canonical_path(request: ApiGatewayEvent) -> str:
    """The request's path as the links spell it (a task page's id encoded by ``task_path``), so a
    token scoped to one page matches however the request encoded it."""
    path = request_path(request)
    if path.startswith(TASKS_PREFIX):
        return task_path(_task_id(request)) or path
    return path


def _grant(request: ApiGatewayEvent, settings: Settings) -> Grant:
    return verify(_token(request), canonical_path(request), require_secret(settings),
                  max_ttl_s=settings.dashboard.max_link_ttl_s)


def language(request: ApiGatewayEvent) -> str:
    chosen = request.query.get("lang")
    if isinstance(chosen, str) and chosen:
        return i18n.parse_language(chosen)
    if chosen is not None:
        raise bad_request("lang", f"must be one of {', '.join(i18n.LANGUAGES)}")
    return i18n.negotiate(request.header("accept-language"))


def dashboard_filters(request: ApiGatewayEvent, grant: Grant) -> TaskQuery:
    """The dashboard's filters, checked by the same rules as ``/v3/tasks``, with the link's signed
    ones in force. An empty form field means "not set" (a form always sends every field)."""
    given: dict[str, Any] = {}
    for name, value in request.query.items():
        if name in PAGE_PARAMS:
            continue
        # Every filter of /v3/tasks: a chat message's link carries whichever its summary had; the
        # form sets state, name and enterprise project, and keeps the others as they came.
        if name not in FILTER_KEYS:
            raise bad_request(name, f"unknown parameter; allowed: {', '.join((*FILTER_KEYS, *PAGE_PARAMS))}")
        if value != "":
            given[name] = value
    return parse_query(grant.apply(given))


def _flag(request: ApiGatewayEvent, name: str) -> bool:
    value = request.query.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_request(name, "give it once")
    return value is not None and parse_boolean(name, value)


def _context(request: ApiGatewayEvent, settings: Settings, grant: Grant) -> PageContext:
    """The page's context from its own parameters, read before any task is (a bad ``?lang=`` or
    ``?refresh=`` is a 400 at no SMS cost); the route adds filters and time."""
    return PageContext(
        lang=language(request), token=grant.token, path=canonical_path(request),
        refresh=_flag(request, "refresh"), full=_flag(request, "full"),
        refresh_seconds=settings.dashboard.refresh_s, expires=grant.expires,
        dashboard_allowed=grant.covers(DASHBOARD_SCOPE),
    )


def _longer_lists(settings: Settings) -> Settings:
    """A copy of ``settings`` whose summary keeps ``FULL_ITEMS`` per list (``Settings.summary`` is
    a cached property: the copy's is filled in here)."""
    longer = replace(settings)
    longer.__dict__["summary"] = replace(settings.summary, max_items=FULL_ITEMS)
    return longer


def dashboard(request: ApiGatewayEvent, settings: Settings, invocation: Invocation, grant: Grant) -> dict[str, Any]:
    from shared.summary.summarise import summarise

    ctx = _context(request, settings, grant)
    query = dashboard_filters(request, grant)
    if ctx.full:  # the lists "… and N more" links to: longer, the rest of the summary the same
        settings = _longer_lists(settings)
    summary, result = summarise(query, settings, invocation, now=datetime.now(timezone.utc))
    ctx = replace(ctx, filters=query.filters, generated_at=summary["generated_at"])
    return response(200, render_dashboard(summary, ctx), {**security_headers(), **scan_headers(result, settings)})


def task_page(request: ApiGatewayEvent, settings: Settings, invocation: Invocation, grant: Grant) -> dict[str, Any]:
    task_id = _task_id(request)
    # No filters of its own, but the same 400 for a stray parameter, and the link's signed ones
    # go to SMS with the id: a filtered link opens only the tasks it summarises.
    signed = dashboard_filters(request, grant).filters
    if not task_id:
        raise ApiError(404, "SMSFN.0404", "No task id in the path")
    ctx = _context(request, settings, grant)
    result = read_tasks(parse_query({**signed, "id": task_id, "limit": "10"}), settings, invocation)
    task = next((t for t in result.task_list() if isinstance(t, dict) and t.get("id") == task_id
                 and within(t, grant.filters)), None)
    if task is None:
        raise ApiError(404, "SMSFN.0404", f"No task with id '{task_id}'", error_param=["id"])
    ctx = replace(ctx, generated_at=datetime.now(timezone.utc).isoformat())
    return response(200, render_task(task, ctx), {**security_headers(), **result.headers})


def tasks_csv(request: ApiGatewayEvent, settings: Settings, invocation: Invocation) -> dict[str, Any]:
    from shared.dashboard.csv_export import CSV_TYPE, export_csv

    grant = _grant(request, settings)
    language(request)  # a bad ?lang= is a 400 here too
    out = export_csv(dashboard_filters(request, grant), settings, invocation, request.accepts_gzip(),
                     security_headers(CSV_TYPE))
    if isinstance(out.body, dict):  # the signed link's note, as JSON
        return response(out.status, out.body, {k: v for k, v in out.headers.items() if k != "Content-Type"})
    return {"statusCode": out.status, "headers": out.headers, "body": out.body, "isBase64Encoded": out.base64}


ALL_PROJECTS = "all_granted_eps"  # Huawei Cloud's "every project I may see": filters nothing


def within(task: dict[str, Any], filters: dict[str, str]) -> bool:
    """Whether ``task`` matches a link's signed filters, checked here too rather than trusting
    SMS to have applied them (``name``: a case-insensitive substring, the loosest reading of the
    doc's "name" filter, so no matching task is refused)."""
    source = task.get("source_server")
    found = {"state": task.get("state"), "id": task.get("id"),
             "enterprise_project_id": task.get("enterprise_project_id"),
             "source_server_id": source.get("id") if isinstance(source, dict) else None}
    for key, value in filters.items():
        if key == "name":
            if value.casefold() not in str(task.get("name") or "").casefold():
                return False
        elif key == "enterprise_project_id" and value == ALL_PROJECTS:
            continue
        elif found.get(key) != value:
            return False
    return True


def page_error(request: ApiGatewayEvent, error: ApiError, grant: Grant | None = None) -> dict[str, Any]:
    """A dashboard page's error: an HTML page with the pages' headers and no task data. With the
    request's ``grant`` (its token was valid) the page links back to the dashboard with that
    token; without it the page says how to get a working link."""
    try:
        lang = language(request)
    except ApiError:
        lang = i18n.DEFAULT_LANGUAGE
    ctx = PageContext(lang=lang, token=grant.token if grant else "", path=request_path(request),
                      dashboard_allowed=bool(grant and grant.covers(DASHBOARD_SCOPE)))
    message = redact_text(error.error_msg)  # as logs are: no secret an upstream echoed
    return response(error.status, render_error(error.status, error.error_code, message, ctx),
                    {**error.headers, **security_headers()})


def _page(serve: Callable[[ApiGatewayEvent, Settings, Invocation, Grant], dict[str, Any]]) -> Handler:
    """A page route: its link checked first (a bad one is answered by the dispatcher, without a way
    back), then any error after that answered here, with the link back to the dashboard."""
    def run(request: ApiGatewayEvent, settings: Settings, invocation: Invocation) -> dict[str, Any]:
        grant = _grant(request, settings)
        try:
            return serve(request, settings, invocation, grant)
        except ApiError as error:
            level = logger.warning if error.status < 500 else logger.error
            level("request failed", status=error.status, error_code=error.error_code, error_msg=error.error_msg)
            return page_error(request, error, grant)
    return run


def _no_page(request: ApiGatewayEvent, settings: Settings, invocation: Invocation, grant: Grant) -> dict[str, Any]:
    raise not_found(request_path(request))


def csv_error(request: ApiGatewayEvent, error: ApiError) -> dict[str, Any]:
    """The CSV's error: SMS's JSON shape (what a script fetching it reads), with the pages' headers."""
    return error_response(error, {k: v for k, v in security_headers().items() if k != "Content-Type"})


DASHBOARD = Route(_page(dashboard), page_error)
TASK_PAGE = Route(_page(task_page), page_error)
CSV = Route(tasks_csv, csv_error)
NO_PAGE = Route(_page(_no_page), page_error)  # under /dashboard, but nothing there: a 404 page


def route_for(request: ApiGatewayEvent) -> Route | None:
    """The dashboard's route for a request, or None when its path is not the dashboard's."""
    path = request_path(request)
    if path == DASHBOARD_SCOPE:
        return DASHBOARD
    if path == CSV_PATH:
        return CSV
    if path.startswith(TASKS_PREFIX):
        return TASK_PAGE
    return NO_PAGE if path.startswith(DASHBOARD_SCOPE + "/") else None
