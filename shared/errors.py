"""Errors that end up as HTTP responses in SMS's own error shape (``error_code`` / ``error_msg``)."""
from __future__ import annotations

from typing import Any

# The statuses of errors in the input itself: redelivering the same event fails the same way, so the
# event handlers report them and never raise them (a raise makes FunctionGraph retry).
POISON_STATUSES = (400, 413, 422)


class ApiError(Exception):
    """An error with an HTTP status and an SMS-style JSON body.

    Errors SMS itself answered pass through with SMS's own ``SMS.NNNN`` codes; errors raised by
    this function set use ``SMSFN.NNNN``, where NNNN is the HTTP status (``SMSFN.0400`` bad query,
    ``SMSFN.0502`` upstream failure, ``SMSFN.0504`` upstream timeout ...)."""

    def __init__(
        self,
        status: int,
        error_code: str,
        error_msg: str,
        *,
        error_param: list[str] | None = None,
        details: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(error_msg)
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.error_param = error_param
        self.details = details
        self.extra = extra or {}

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


def bad_request(param: str, msg: str) -> ApiError:
    """400 for a bad query parameter; names the parameter and what is allowed."""
    return ApiError(400, "SMSFN.0400", f"Invalid parameter '{param}': {msg}", error_param=[param])


def not_found(path: str) -> ApiError:
    return ApiError(404, "SMSFN.0404", f"No route for path '{path}'")


def method_not_allowed(method: str, allowed: list[str]) -> ApiError:
    return ApiError(
        405,
        "SMSFN.0405",
        f"Method '{method}' is not allowed; use {', '.join(allowed)}",
        extra={"allowed_methods": allowed},
    )


def config_error(msg: str) -> ApiError:
    """A missing or invalid setting: a clear error on the first call, never a crash at import."""
    return ApiError(500, "SMSFN.0500", f"Configuration error: {msg}")
