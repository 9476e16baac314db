"""Exceptions raised by qase_async.

Every exception the client raises derives from :class:`QaseError`; httpx and
cattrs exceptions never escape raw (they are kept as ``__cause__``)::

    QaseError
    ├── ConfigurationError            bad client arguments (no token, plain http://, ...)
    ├── InvalidArgumentError          a call's argument would change the request's meaning
    ├── ClientClosedError             a call on (or waiting in) a client that was closed
    ├── AttachmentTooLargeError       a file over the service's 32 MB limit (nothing sent)
    ├── TransportError                the request did not get an HTTP answer
    │   └── RequestTimeoutError       ... in time (also a builtins.TimeoutError)
    ├── RedirectError                 a redirect the client refuses to follow
    ├── ResponseTooLargeError         an answer over the client's max_response_size
    ├── DecodeError                   a body did not match the expected model (names the field path)
    ├── PaginationLimitError          offset paging hit the service's 100,000 ceiling
    ├── RedisUnavailableError         Redis is unreachable and the limiter was told to raise
    ├── ReportError                   a test report cannot be read (missing, malformed, ...)
    │   └── JUnitError                ... a JUnit XML one
    ├── UploadError                   a fatal error stopped an upload (names the spool file)
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
a whole response body. Every exception pickles (with its attributes, without its
``__cause__``), so it can cross a process boundary.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._upload import UploadReport

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
    "InvalidArgumentError",
    "JUnitError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PaginationLimitError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "QaseError",
    "RateLimitedError",
    "RedirectError",
    "RedisUnavailableError",
    "ReportError",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "ServerError",
    "ServiceUnavailableError",
    "TransportError",
    "UnprocessableEntityError",
    "UploadError",
]


def _restore(cls: type[QaseError], args: tuple[Any, ...], state: dict[str, Any]) -> QaseError:
    """Rebuild a pickled exception without calling its ``__init__``."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class QaseError(Exception):
    """Base class of every exception qase_async raises."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructor arguments defeat the default (cls(*args)) pickling.
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class ConfigurationError(QaseError, ValueError):
    """The client was given arguments it cannot work with."""


class AttachmentTooLargeError(QaseError, ValueError):
    """A file is over the service's 32 MB limit; nothing was sent."""


class InvalidArgumentError(QaseError, ValueError):
    """An argument of a call is out of range or would change the request's meaning.

    Raised before anything is sent: an empty, ``.`` or ``..`` path segment, an id that is
    not an ``int`` (a float or a bool), a page size or offset outside the service's range.
    """


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


class RequestTimeoutError(TransportError, builtins.TimeoutError):
    """A try or the whole call ran out of time (``timeout`` or ``deadline``)."""


class RedirectError(QaseError):
    """The service redirected to a place the client will not follow.

    Another origin (the token and the body stay home), ``https`` down to ``http``, or a
    307/308 that would re-send a request body.

    Attributes:
        target: The host the redirect pointed to.
    """

    def __init__(self, message: str, *, target: str) -> None:
        super().__init__(message)
        self.target = target


class ResponseTooLargeError(QaseError):
    """An answer was larger than the client's ``max_response_size``; it was not read.

    Attributes:
        limit: The cap in bytes.
    """

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


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


class RedisUnavailableError(QaseError):
    """Redis could not be reached and the limiter was told to raise (``on_redis_error``)."""


class UploadError(QaseError):
    """A fatal error stopped an upload; every unsent result is in the spool file.

    Attributes:
        report: What was done before the stop (``report.spool_path`` is the spool file).
        spool_path: The spool file; pass it to :meth:`Uploader.resume` (or
            ``qase-async upload --resume``) once the cause is fixed.
    """

    def __init__(self, message: str, *, report: UploadReport) -> None:
        super().__init__(message)
        self.report = report
        self.spool_path = report.spool_path
