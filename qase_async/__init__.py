"""qase_async: an asyncio client for the Qase TestOps API.

Start with :class:`QaseClient`; models live in :mod:`qase_async.models` and exceptions in
:mod:`qase_async.exceptions`.
"""

from ._client import QaseClient
from ._converter import make_converter
from ._http import DEFAULT_BASE_URL, LaneStats, RetryEvent, RetryPolicy
from ._operations import OPERATIONS
from ._pagination import MAX_OFFSET, PAGE_SIZE, Page
from ._ratelimit import LANES, Limiter, Permit, Priority, RateLimit, SlidingWindowLimiter
from ._resources.attachments import (
    MAX_ATTACHMENT_SIZE,
    MAX_ATTACHMENTS_PER_REQUEST,
    MAX_ATTACHMENTS_SIZE_PER_REQUEST,
    AttachmentSource,
)
from ._resources.results import MAX_RESULTS_PER_BULK
from ._resources.reviews import MAX_REVIEWS_PER_BULK
from ._upload import (
    DamagedLine,
    FailedAttachment,
    FailedResult,
    Uploader,
    UploadError,
    UploadItem,
    UploadProgress,
    UploadReport,
    upload_run,
)
from ._version import __version__
from .exceptions import (
    APIError,
    AttachmentReadError,
    AttachmentTooLargeError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ClientError,
    ConfigurationError,
    DecodeError,
    GoneError,
    InsufficientStorageError,
    InternalServerError,
    InvalidArgumentError,
    MethodNotAllowedError,
    NotFoundError,
    PaginationLimitError,
    PayloadTooLargeError,
    PermissionDeniedError,
    QaseError,
    RateLimitedError,
    RedirectError,
    RequestTimeoutError,
    ResponseTooLargeError,
    ServerError,
    ServiceUnavailableError,
    TransportError,
    UnprocessableEntityError,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_ATTACHMENTS_PER_REQUEST",
    "MAX_ATTACHMENTS_SIZE_PER_REQUEST",
    "MAX_ATTACHMENT_SIZE",
    "MAX_OFFSET",
    "MAX_RESULTS_PER_BULK",
    "MAX_REVIEWS_PER_BULK",
    "OPERATIONS",
    "PAGE_SIZE",
    "APIError",
    "AttachmentReadError",
    "AttachmentSource",
    "AttachmentTooLargeError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ClientError",
    "ConfigurationError",
    "DamagedLine",
    "DecodeError",
    "FailedAttachment",
    "FailedResult",
    "GoneError",
    "InsufficientStorageError",
    "InternalServerError",
    "InvalidArgumentError",
    "LANES",
    "LaneStats",
    "Limiter",
    "MethodNotAllowedError",
    "NotFoundError",
    "Page",
    "PaginationLimitError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "Permit",
    "Priority",
    "QaseClient",
    "QaseError",
    "RateLimit",
    "RateLimitedError",
    "RedirectError",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "SlidingWindowLimiter",
    "TransportError",
    "UnprocessableEntityError",
    "UploadError",
    "UploadItem",
    "UploadProgress",
    "UploadReport",
    "Uploader",
    "__version__",
    "make_converter",
    "upload_run",
]
