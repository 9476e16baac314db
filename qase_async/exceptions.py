"""Exceptions raised by qase_async.

Every exception the client raises derives from :class:`QaseError`; httpx and
cattrs exceptions never escape raw (they are kept as ``__cause__``)::

    QaseError
    ├── ConfigurationError            bad client arguments (no token, plain http://, ...)
    ├── ClientClosedError             a call on (or waiting in) a client that was closed
    ├── AttachmentTooLargeError       a file over the service's 32 MB limit (nothing sent)
    ├── TransportError                the request did not get an HTTP answer
    │   └── TimeoutError              ... because a timeout expired
    ├── DecodeError                   a body did not match the expected model (names the field path)
    ├── PaginationLimitError          offset paging hit the service's 100,000 ceiling
    ├── ReportError                   a test report cannot be read (missing, malformed, ...)
    │   └── JUnitError                ... a JUnit XML one
    └── APIError                      the service answered with an error status
        ├── ClientError               4xx not listed below
        │   ├── BadRequestError           400
        │   ├── AuthenticationError       401 (wrong API token)
        │   ├── PermissionDeniedError     403 (the token's role lacks a right)
        │   ├── NotFoundError             404
        │   ├── MethodNotAllowedError     405
        │   ├── GoneError                 410
        │   ├── PayloadTooLargeError      413
        │   ├── UnprocessableEntityError  422 (``field_errors``)
        │   └── RateLimitedError          429 (``retry_after``)
        └── ServerError               5xx not listed below
            ├── InternalServerError       500
            ├── ServiceUnavailableError   503 (maintenance)
            └── InsufficientStorageError  507 (workspace storage full)

Messages carry the service's ``errorMessage``; they never carry the API token or
a whole response body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "APIError",
    "AttachmentTooLargeError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ClientError",
    "ConfigurationError",
    "DecodeError",
    "GoneError",
    "InsufficientStorageError",
    "InternalServerError",
    "JUnitError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PaginationLimitError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "QaseError",
    "RateLimitedError",
    "ReportError",
    "ServerError",
    "ServiceUnavailableError",
    "TimeoutError",
    "TransportError",
    "UnprocessableEntityError",
]


class QaseError(Exception):
    """Base class of every exception qase_async raises."""


class ConfigurationError(QaseError, ValueError):
    """The client was given arguments it cannot work with."""


class AttachmentTooLargeError(QaseError, ValueError):
    """A file is over the service's 32 MB limit; nothing was sent."""


class ReportError(QaseError, ValueError):
    """A test report cannot be read as a whole (missing, unreadable, malformed, unknown
    format). The message is one line that names the file."""


class JUnitError(ReportError):
    """A JUnit XML report cannot be read (missing, unreadable, malformed, not JUnit)."""


class ClientClosedError(QaseError):
    """The client was closed before (or while) the call could be sent."""


class TransportError(QaseError):
    """The request got no HTTP answer (connection refused, reset, protocol error)."""

    def __init__(self, message: str, *, method: str, url: str) -> None:
        super().__init__(f"{message} ({method} {url})")
        self.method = method
        self.url = url


class TimeoutError(TransportError):  # mirrors httpx.TimeoutException
    """A connect, read, write or pool timeout expired."""


class DecodeError(QaseError):
    """A response body did not decode into the expected model.

    Attributes:
        path: Where decoding failed, e.g. ``"result.entities[3].created"``.
        model: The name of the type being decoded.
    """

    def __init__(self, message: str, *, path: str, model: str) -> None:
        super().__init__(f"cannot decode {model} at {path}: {message}")
        self.path = path
        self.model = model


class PaginationLimitError(QaseError):
    """Offset paging cannot go past the service's offset ceiling; narrow the query with filters."""


class APIError(QaseError):
    """The service answered with an error status.

    Attributes:
        status_code: The HTTP status.
        message: The service's ``errorMessage`` (or ``message``), or the reason phrase.
        field_errors: Field name to list of messages, when the service gave any.
        method: The HTTP method of the request.
        url: The request URL (it never contains the token).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        method: str = "",
        url: str = "",
        field_errors: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.method = method
        self.url = url
        self.field_errors: dict[str, list[str]] = {
            k: list(v) for k, v in (field_errors or {}).items()
        }
        where = f" ({method} {url})" if method else ""
        text = f"{status_code}: {message}{where}"
        if self.field_errors:
            fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.field_errors.items())
            text = f"{text} [{fields}]"
        super().__init__(text)


class ClientError(APIError):
    """A 4xx answer."""


class ServerError(APIError):
    """A 5xx answer."""


class BadRequestError(ClientError):
    """400: the request was malformed."""


class AuthenticationError(ClientError):
    """401: the API token is wrong or missing."""


class PermissionDeniedError(ClientError):
    """403: the token's role lacks the right for this operation."""


class NotFoundError(ClientError):
    """404: the entity does not exist."""


class MethodNotAllowedError(ClientError):
    """405: the method is not allowed on this path."""


class GoneError(ClientError):
    """410: the entity is gone."""


class PayloadTooLargeError(ClientError):
    """413: the request was too large (e.g. more than 200 results in one bulk request)."""


class UnprocessableEntityError(ClientError):
    """422: validation failed; see ``field_errors``."""


class RateLimitedError(ClientError):
    """429: the token is over its rate limit and locked out.

    Attributes:
        retry_after: Seconds the service asked to wait.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        status_code: int = 429,
        method: str = "",
        url: str = "",
        field_errors: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(
            message, status_code=status_code, method=method, url=url, field_errors=field_errors
        )
        self.retry_after = retry_after


class InternalServerError(ServerError):
    """500: the service failed."""


class ServiceUnavailableError(ServerError):
    """503: the service is in maintenance or overloaded."""


class InsufficientStorageError(ServerError):
    """507: the workspace's attachment storage is full."""
