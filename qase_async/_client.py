"""``QaseClient``: owns the HTTP client and the limiter, and holds the namespaces."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from types import TracebackType
from typing import Final, Self

import httpx

from ._http import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    ClientStats,
    RetryEvent,
    RetryPolicy,
    TokenAuth,
    Transport,
    check_base_url,
    origin_of,
)
from ._ratelimit import Limiter, RateLimit, SlidingWindowLimiter
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

TOKEN_ENV: Final = "QASE_API_TOKEN"
_UNSET: Final = object()
USER_AGENT: Final = f"qase-async/{__version__}"


class QaseClient:
    """An asyncio client for the Qase TestOps API.

    Use it as an async context manager (or call :meth:`aclose`)::

        async with QaseClient() as qase:          # token from QASE_API_TOKEN
            project = await qase.projects.get("DEMO")
            async for case in qase.cases.iter("DEMO"):
                ...

    Args:
        token: The API token; defaults to the ``QASE_API_TOKEN`` environment variable.
        base_url: The service's origin, without ``/v1``; enterprise workspaces have their own
            host. Plain ``http://`` is refused unless the host is loopback or
            ``allow_insecure_http`` is set.
        rate_limit: The request budget (default: 600 per 60 s, adopting the service's
            ``X-RateLimit-Limit``). Ignored when ``limiter`` is given.
        limiter: Any :class:`~qase_async.Limiter`, e.g. one shared between processes; the
            client does not close a limiter it was given.
            Without it, ``QASE_RATE_LIMIT_REDIS_URL`` selects a
            :class:`~qase_async.redis.RedisLimiter` (the ``redis`` extra).
        timeout: Seconds (or an ``httpx.Timeout``) for each request; ``None`` leaves an
            injected ``http_client``'s own timeout in force. Default 30 s, 10 s to connect.
        retry: The :class:`~qase_async.RetryPolicy`.
        on_retry: Called with a :class:`~qase_async.RetryEvent` before every wait.
        http_client: An ``httpx.AsyncClient`` to send with; the client does not close it.
        transport: An ``httpx`` transport for the client's own ``httpx.AsyncClient``
            (e.g. the in-process fake of :mod:`qase_async.testing`).
        allow_insecure_http: Allow ``http://`` to a non-loopback host.
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
        _rng: random.Random | None = None,
    ) -> None:
        token = token if token is not None else os.environ.get(TOKEN_ENV)
        if not token or not token.strip():
            raise ConfigurationError(
                f"no API token: pass token=... or set the {TOKEN_ENV} environment variable"
            )
        if http_client is not None and transport is not None:
            raise ConfigurationError("pass http_client or transport, not both")
        self.base_url = check_base_url(base_url, allow_insecure_http=allow_insecure_http)
        if timeout is _UNSET:
            request_timeout: httpx.Timeout | None = DEFAULT_TIMEOUT
        elif timeout is None:
            request_timeout = None
        elif isinstance(timeout, httpx.Timeout):
            request_timeout = timeout
        elif isinstance(timeout, int | float):
            request_timeout = httpx.Timeout(float(timeout))
        else:
            raise ConfigurationError("timeout must be seconds, an httpx.Timeout or None")
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport,
            timeout=request_timeout or DEFAULT_TIMEOUT,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )
        self._owns_limiter = limiter is None
        if limiter is None:
            # QASE_RATE_LIMIT_REDIS_URL shares the budget between processes; redis-py is
            # imported only when it is set.
            from .redis import RedisLimiter

            limiter = RedisLimiter.from_env(token=token.strip(), rate_limit=rate_limit)
        self.limiter: Limiter = limiter or SlidingWindowLimiter(rate_limit)
        self._closed = False
        self._transport = Transport(
            http=self._http,
            limiter=self.limiter,
            auth=TokenAuth(token.strip(), origin_of(self.base_url)),
            base_url=self.base_url,
            retry=retry or RetryPolicy(),
            on_retry=on_retry,
            timeout=request_timeout,
            rng=_rng,
        )
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
        return f"QaseClient(base_url={self.base_url!r})"

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
        if self._closed:
            return
        self._closed = True
        self._transport.closed = True
        try:
            if self._owns_limiter:
                await self.limiter.aclose()
        finally:
            if self._owns_http:
                await self._http.aclose()
