"""Turning an HTTP answer into an exception: pure functions, no I/O."""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Mapping
from typing import Any, Final

from . import exceptions as exc

DEFAULT_RETRY_AFTER: Final = 60.0
"""The service locks a token out for 60 s; assume that when ``Retry-After`` is absent."""

_STATUS_ERRORS: Final[Mapping[int, type[exc.APIError]]] = {
    400: exc.BadRequestError,
    401: exc.AuthenticationError,
    403: exc.PermissionDeniedError,
    404: exc.NotFoundError,
    405: exc.MethodNotAllowedError,
    410: exc.GoneError,
    413: exc.PayloadTooLargeError,
    422: exc.UnprocessableEntityError,
    429: exc.RateLimitedError,
    500: exc.InternalServerError,
    503: exc.ServiceUnavailableError,
    507: exc.InsufficientStorageError,
}

_MAX_MESSAGE: Final = 500


def parse_retry_after(value: str | None, *, now: float | None = None) -> float:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP-date).

    Absent or unparsable values (NaN included) give the service's 60 s lock-out; negative
    ones 0; ``inf`` stays ``inf`` (the caller's ``max_wait`` turns it down).
    """
    if value is None:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return DEFAULT_RETRY_AFTER if math.isnan(seconds) else max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return DEFAULT_RETRY_AFTER
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _error_details(body: bytes) -> tuple[str | None, dict[str, list[str]]]:
    """The message and field errors from any of the error bodies the service sends."""
    try:
        data: Any = json.loads(body) if body else None
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None, {}
    if not isinstance(data, dict):
        return None, {}
    message = data.get("errorMessage") or data.get("message") or data.get("error")
    fields: dict[str, list[str]] = {}
    error_fields = data.get("errorFields")
    if isinstance(error_fields, list):
        for item in error_fields:
            if isinstance(item, dict) and "field" in item:
                fields.setdefault(_line(item["field"]), []).append(_line(item.get("error", "")))
    errors = data.get("errors")
    if isinstance(errors, dict):
        for field, problems in errors.items():
            items = problems if isinstance(problems, list) else [problems]
            fields.setdefault(_line(field), []).extend(_line(p) for p in items)
    return (_line(message) if message else None), fields


def one_line(text: str) -> str:
    """``text`` on one line (runs of whitespace, newlines included, become one space)."""
    return " ".join(text.split())


def _line(value: object) -> str:
    return one_line(str(value)[: _MAX_MESSAGE * 2])[:_MAX_MESSAGE]


def error_for(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str = "",
    url: str = "",
    reason: str = "",
) -> exc.APIError:
    """The exception for an error answer; the table first, then the 4xx/5xx fallbacks."""
    message, fields = _error_details(body)
    message = message or reason or f"HTTP {status}"
    if status == 429:
        return exc.RateLimitedError(
            message,
            retry_after=parse_retry_after(headers.get("retry-after")),
            method=method,
            url=url,
            field_errors=fields,
        )
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = exc.ServerError if status >= 500 else exc.ClientError
    return cls(message, status_code=status, method=method, url=url, field_errors=fields)
