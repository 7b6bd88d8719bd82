"""Errors that end up as HTTP responses in SMS's own error shape (``error_code`` / ``error_msg``).

Errors SMS itself answered pass through with SMS's own ``SMS.NNNN`` codes; errors raised by this
function set use the ``SMSFN.*`` codes of ``CODES`` (README's error table lists the same rows; a
test holds them equal). An error carries its parts as fields (``error_code``, ``param``,
``reason``) so a caller that re-scopes it (``query.limit`` inside an event request) builds a new
one from the parts instead of editing the text."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Every SMSFN code: its HTTP status and when it is used. The last four digits are the status,
# except for the 502 family, whose 05xx codes tell the kinds of bad upstream answer apart.
CODES: dict[str, tuple[int, str]] = {
    "SMSFN.0400": (400, "bad query parameter, malformed API Gateway event, timer event or event record"),
    "SMSFN.0401": (401, "a dashboard route without a valid signed link (missing, altered, expired, other scope)"),
    "SMSFN.0404": (404, "unknown path under `/v3/tasks`"),
    "SMSFN.0405": (405, "method other than GET (`allowed_methods` lists them)"),
    "SMSFN.0409": (409, "the task list changed during an `all=true` scan or a summary"),
    "SMSFN.0413": (413, "the CSV export cannot fit a FunctionGraph answer and `EXPORT_BUCKET` is not set"),
    "SMSFN.0500": (500, "a missing or invalid setting (named, never its value), or an unexpected error"),
    "SMSFN.0502": (502, "SMS unreachable, connection dropped, SMS answered 5xx; webhook delivery failed"),
    "SMSFN.0503": (503, "event records failed with retryable errors; raised so the event is delivered again"),
    "SMSFN.0504": (504, "SMS did not answer within the read timeout or the function's remaining time"),
    "SMSFN.0512": (502, "SMS answered with malformed JSON"),
    "SMSFN.0513": (502, "`SMS_VALIDATION=strict` and SMS's answer breaks the schema"),
    "SMSFN.0514": (502, "SMS's answer (decoded) is larger than `SMS_MAX_BODY_BYTES`; reading stopped there"),
    "SMSFN.0515": (502, "OBS refused or failed the upload of a CSV export (`EXPORT_BUCKET`)"),
}


class ApiError(Exception):
    """An error with an HTTP status and an SMS-style JSON body.

    ``reason`` is the message without its framing; ``param`` the parameter or field it names.
    ``error_msg`` is derived from them unless given whole."""

    def __init__(
        self,
        status: int,
        error_code: str,
        error_msg: str | None = None,
        *,
        param: str | None = None,
        reason: str | None = None,
        error_param: list[str] | None = None,
        details: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if error_msg is None:
            error_msg = f"Invalid parameter '{param}': {reason}" if param else (reason or error_code)
        super().__init__(error_msg)
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.param = param
        self.reason = reason if reason is not None else error_msg
        self.error_param = error_param if error_param is not None else ([param] if param else None)
        self.details = details
        self.extra = extra or {}
        self.headers: dict[str, str] = {}  # response headers the error asks for (Retry-After)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error_code": self.error_code, "error_msg": self.error_msg}
        if self.error_param:
            out["error_param"] = list(self.error_param)
        if self.details:
            out["details"] = list(self.details)
        out.update(self.extra)
        return out

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.error_code!r}, {self.error_msg!r})"


def fn_error(code: str, msg: str | None = None, **kwargs: Any) -> ApiError:
    """An error of this function set; its status comes from ``CODES`` (an unknown code is a bug)."""
    status, _ = CODES[code]
    return ApiError(status, code, msg, **kwargs)


def bad_request(param: str, reason: str) -> ApiError:
    """400 for a bad parameter or field; names it and what is allowed."""
    return fn_error("SMSFN.0400", param=param, reason=reason)


def rescoped(exc: ApiError, prefix: str) -> ApiError:
    """``exc`` with its parameter named where it sits in a larger request (``query.limit``)."""
    if not exc.param:
        return bad_request(prefix, exc.reason)
    return ApiError(exc.status, exc.error_code, param=f"{prefix}.{exc.param}", reason=exc.reason)


def not_found(path: str) -> ApiError:
    return fn_error("SMSFN.0404", f"No route for path '{path}'")


def method_not_allowed(method: str, allowed: list[str]) -> ApiError:
    return fn_error(
        "SMSFN.0405",
        f"Method '{method}' is not allowed; use {', '.join(allowed)}",
        extra={"allowed_methods": allowed},
    )


class ConfigError(ApiError):
    """A missing or invalid setting: fixed by a person, never by retrying."""


def config_error(msg: str) -> ConfigError:
    """A missing or invalid setting: a clear error on the first call that needs it, never a crash
    at import. The message names the variable, never its value."""
    status, _ = CODES["SMSFN.0500"]
    return ConfigError(status, "SMSFN.0500", f"Configuration error: {msg}", reason=msg)


# 4xx answers that may pass by themselves: a timeout, a list that changed mid-scan, a rate limit.
RETRYABLE_4XX = (408, 409, 429)


def is_retryable(exc: BaseException) -> bool:
    """The one rule of the timer and event functions: only a failure that may pass by itself
    (SMS or a webhook failing or slow, the time running out, a rate limit) is retryable. Input
    errors (4xx: a bad event, a bad record, SMS refusing our credentials), configuration errors
    and crashes (the same input would crash again) are not."""
    if not isinstance(exc, ApiError) or isinstance(exc, ConfigError):
        return False
    return exc.status >= 500 or exc.status in RETRYABLE_4XX


# How an error object written by SMS (a task's ``error_json``) names its parts: SMS's own
# ``error_code``/``error_msg``, and the spellings other services put there.
ERROR_CODE_KEYS = ("error_code", "code")
ERROR_MESSAGE_KEYS = ("error_msg", "message", "msg")


def _first(error: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    value = None
    for key in keys:  # ``a or b or c``: the first truthy value, else the last one read
        value = error.get(key)
        if value:
            break
    return value


def error_fields(error: Mapping[str, Any]) -> tuple[Any, Any]:
    """(code, message) of an error object, each read under its part's keys in order."""
    return _first(error, ERROR_CODE_KEYS), _first(error, ERROR_MESSAGE_KEYS)
