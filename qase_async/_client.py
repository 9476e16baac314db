"""``QaseClient``: owns the HTTP client and the limiter, and holds the namespaces."""

from __future__ import annotations

import http.cookiejar
import math
import os
import random
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

import httpx

from ._http import (
    _KEEP,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
    ClientStats,
    RetryEvent,
    RetryPolicy,
    TokenAuth,
    Transport,
    check_base_url,
    check_token,
    origin_of,
)
from ._ratelimit import LANES, Limiter, Priority, RateLimit, SlidingWindowLimiter
from ._resources.attachments import Attachments
from ._resources.authors import Authors
from ._resources.cases import Cases
from ._resources.configurations import Configurations
from ._resources.custom_fields import CustomFields, CustomFieldsV2
from ._resources.defects import Defects
from ._resources.environments import Environments
from ._resources.milestones import Milestones
from ._resources.plans import Plans
from ._resources.projects import Projects
from ._resources.results import V2, Results, ResultsV2
from ._resources.reviews import Reviews
from ._resources.runs import Runs
from ._resources.search import Search
from ._resources.shared_parameters import SharedParameters
from ._resources.shared_steps import SharedSteps
from ._resources.suites import Suites
from ._resources.system_fields import SystemFields
from ._resources.users import Users
from ._version import __version__
from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from ._otel import Observer

TOKEN_ENV: Final = "QASE_API_TOKEN"
_UNSET: Final = object()
USER_AGENT: Final = f"qase-async/{__version__}"


def _timeout(value: object) -> httpx.Timeout | None:
    """``timeout=`` as an ``httpx.Timeout`` (``None`` stays ``None``)."""
    if value is None or isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 < value < math.inf:
            raise ConfigurationError("timeout must be a positive, finite number of seconds")
        return httpx.Timeout(float(value))
    raise ConfigurationError("timeout must be seconds, an httpx.Timeout or None")


def _deadline(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf:
        return float(value)
    raise ConfigurationError("deadline must be a positive, finite number of seconds or None")


def _priority(value: object) -> Priority:
    if value not in LANES:
        raise ConfigurationError(f"priority must be one of {', '.join(LANES)}")
    return value


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """The API needs no cookies: a jar that keeps none cannot grow."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def _observer(limiter: Limiter) -> Observer | None:
    """Spans and metrics when ``opentelemetry-api`` is installed (the ``otel`` extra)."""
    try:
        from ._otel import make_observer
    except ImportError:
        return None
    return make_observer(limiter)


class QaseClient:
    """An asyncio client for the Qase TestOps API.

    Use it as an async context manager (or call :meth:`aclose`)::

        async with QaseClient() as qase:          # token from QASE_API_TOKEN
            project = await qase.projects.get("DEMO")
            async for case in qase.cases.iter("DEMO"):
                ...

    Args:
        token: The API token; defaults to the ``QASE_API_TOKEN`` environment variable
            (when ``trust_env``). Printable ASCII without spaces inside.
        base_url: The service's origin, without ``/v1``; enterprise workspaces have their own
            host. Plain ``http://`` is refused unless the host is loopback or
            ``allow_insecure_http`` is set.
        rate_limit: The request budget (default: 600 per 60 s, adopting the service's
            ``X-RateLimit-Limit``). Ignored when ``limiter`` is given.
        limiter: Any :class:`~qase_async.Limiter`, e.g. one shared between processes; the
            client does not close a limiter it was given.
            Without it, ``QASE_RATE_LIMIT_REDIS_URL`` selects a
            :class:`~qase_async.redis.RedisLimiter` (the ``redis`` extra) when ``trust_env``.
        timeout: Seconds (or an ``httpx.Timeout``) for each try: connect, headers and body
            together must be done within it (the largest phase of an ``httpx.Timeout``);
            ``None`` leaves an injected ``http_client``'s own timeout in force. Default 30 s,
            10 s to connect.
        deadline: Seconds for a whole call, its retries and rate-limit waits included;
            ``None`` (default) for none. Raises :class:`~qase_async.RequestTimeoutError`.
        retry: The :class:`~qase_async.RetryPolicy`.
        on_retry: Called with a :class:`~qase_async.RetryEvent` before every wait.
        http_client: An ``httpx.AsyncClient`` to send with; the client does not close it.
        transport: An ``httpx`` transport for the client's own ``httpx.AsyncClient``
            (e.g. the in-process fake of :mod:`qase_async.testing`).
        allow_insecure_http: Allow ``http://`` to a non-loopback host.
        max_response_size: The largest answer read, in bytes (default 64 MiB); a larger one
            raises :class:`~qase_async.ResponseTooLargeError` unread.
        trust_env: Read ``QASE_API_TOKEN``, ``QASE_RATE_LIMIT_REDIS_URL`` (and httpx's proxy
            variables) from the environment. ``False`` reads nothing from it.

    Raises:
        ConfigurationError: A bad argument (never echoing the token).
    """

    attachments: Attachments
    authors: Authors
    cases: Cases
    configurations: Configurations
    custom_fields: CustomFields
    defects: Defects
    environments: Environments
    milestones: Milestones
    plans: Plans
    projects: Projects
    results: Results
    reviews: Reviews
    runs: Runs
    search: Search
    shared_parameters: SharedParameters
    shared_steps: SharedSteps
    suites: Suites
    system_fields: SystemFields
    users: Users
    v2: V2

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        rate_limit: RateLimit | None = None,
        limiter: Limiter | None = None,
        timeout: float | httpx.Timeout | object | None = _UNSET,
        retry: RetryPolicy | None = None,
        on_retry: Callable[[RetryEvent], object] | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_insecure_http: bool = False,
        deadline: float | None = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        trust_env: bool = True,
        _rng: random.Random | None = None,
    ) -> None:
        if token is None and trust_env:
            token = os.environ.get(TOKEN_ENV)
        if token is None or (isinstance(token, str) and not token.strip()):
            raise ConfigurationError(
                f"no API token: pass token=... or set the {TOKEN_ENV} environment variable"
            )
        token = check_token(token)
        if http_client is not None and transport is not None:
            raise ConfigurationError("pass http_client or transport, not both")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError("retry must be a RetryPolicy")
        if (
            isinstance(max_response_size, bool)
            or not isinstance(max_response_size, int)
            or max_response_size < 1
        ):
            raise ConfigurationError("max_response_size must be a positive int (bytes)")
        self.base_url = check_base_url(base_url, allow_insecure_http=allow_insecure_http)
        request_timeout = DEFAULT_TIMEOUT if timeout is _UNSET else _timeout(timeout)
        call_deadline = _deadline(deadline)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport,
            timeout=request_timeout or DEFAULT_TIMEOUT,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
            trust_env=trust_env,
        )
        self._owns_limiter = limiter is None
        if limiter is None and trust_env:
            # QASE_RATE_LIMIT_REDIS_URL shares the budget between processes; redis-py is
            # imported only when it is set.
            from .redis import RedisLimiter

            limiter = RedisLimiter.from_env(token=token, rate_limit=rate_limit)
        self.limiter: Limiter = limiter or SlidingWindowLimiter(rate_limit)
        self._closed = False
        sender = Transport(
            http=self._http,
            limiter=self.limiter,
            auth=TokenAuth(token, origin_of(self.base_url)),
            base_url=self.base_url,
            retry=retry or RetryPolicy(),
            on_retry=on_retry,
            timeout=request_timeout,
            deadline=call_deadline,
            max_response_size=max_response_size,
            rng=_rng,
        )
        sender.observer = _observer(self.limiter)
        self._bind(sender)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | object | None = _KEEP,
        retry: RetryPolicy | None = None,
        deadline: float | object | None = _KEEP,
        priority: Priority | None = None,
    ) -> QaseClient:
        """A view of this client with other per-call options.

        The view shares the limiter, the connection pool and :attr:`stats`. Closing it
        only stops calls made through it; closing this client stops the view's calls too.

        Args:
            timeout: Seconds (or an ``httpx.Timeout``) for each try.
            retry: Another :class:`~qase_async.RetryPolicy`.
            deadline: Seconds for a whole call across its retries, or ``None`` for none.
            priority: The lane of the view's requests, ``"interactive"``, ``"normal"`` or
                ``"bulk"`` (see :data:`~qase_async.LANES`), given to the limiter.

        Raises:
            ConfigurationError: A bad value.
        """
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError("retry must be a RetryPolicy")
        view = object.__new__(QaseClient)
        view.base_url = self.base_url
        view.limiter = self.limiter
        view._http = self._http
        view._owns_http = view._owns_limiter = False
        view._closed = False
        view._bind(
            self._transport.with_options(
                timeout=timeout if timeout is _KEEP else _timeout(timeout),
                retry=retry,
                deadline=deadline if deadline is _KEEP else _deadline(deadline),
                priority=None if priority is None else _priority(priority),
            )
        )
        return view

    def _bind(self, transport: Transport) -> None:
        self._transport = transport
        self.attachments = Attachments(self._transport)
        self.authors = Authors(self._transport)
        self.cases = Cases(self._transport)
        self.configurations = Configurations(self._transport)
        self.custom_fields = CustomFields(self._transport)
        self.defects = Defects(self._transport)
        self.environments = Environments(self._transport)
        self.milestones = Milestones(self._transport)
        self.plans = Plans(self._transport)
        self.projects = Projects(self._transport)
        self.results = Results(self._transport)
        self.reviews = Reviews(self._transport)
        self.runs = Runs(self._transport)
        self.search = Search(self._transport)
        self.shared_parameters = SharedParameters(self._transport)
        self.shared_steps = SharedSteps(self._transport)
        self.suites = Suites(self._transport)
        self.system_fields = SystemFields(self._transport)
        self.users = Users(self._transport)
        self.v2 = V2(ResultsV2(self._transport), CustomFieldsV2(self._transport))

    def __repr__(self) -> str:
        # Safe on a client whose __init__ raised half-way.
        return f"QaseClient(base_url={getattr(self, 'base_url', None)!r})"

    @property
    def stats(self) -> ClientStats:
        """Requests sent, retries, 429s received and time spent waiting on the rate limit."""
        return self._transport.stats

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close what the client made itself (not an injected HTTP client or limiter).

        Calls made afterwards, or still waiting for the rate limit, raise
        :class:`~qase_async.ClientClosedError`. Safe to call more than once.
        """
        if getattr(self, "_closed", True):
            return
        self._closed = True
        self._transport.closed = True
        try:
            if self._owns_limiter:
                await self.limiter.aclose()
        finally:
            if self._owns_http:
                await self._http.aclose()
