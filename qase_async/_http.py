"""The one request path: limiter -> send -> errors -> envelope -> converter."""

from __future__ import annotations

import asyncio
import importlib
import ipaddress
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

import attrs
import httpx

from . import exceptions as exc
from ._errors import error_for, parse_retry_after
from ._ratelimit import Limiter, Permit

T = TypeVar("T")


def _json_parser() -> Callable[[bytes], Any]:
    """orjson's parser with the ``speedups`` extra (3-5x faster on big pages), else json's."""
    try:
        module = importlib.import_module("orjson")
    except ImportError:
        return json.loads
    loads: Callable[[bytes], Any] = module.loads
    return loads


json_loads: Final = _json_parser()

logger: Final = logging.getLogger("qase_async")

DEFAULT_BASE_URL: Final = "https://api.qase.io"
"""The service's origin; enterprise workspaces have their own (``base_url=``)."""
DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=10.0)
RETRYABLE_STATUSES: Final = frozenset({502, 503, 504})
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS: Final = 5


def _nonnegative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How failed requests are retried.

    429 is always retried (the service did not process it), after the cool-down its
    ``Retry-After`` asks for. 502/503/504, dropped connections and timeouts are retried
    for GET and DELETE and for POSTs made safe by an idempotency key (v2 results with
    ids); connection failures before anything was sent are retried for every method.

    Attributes:
        attempts: Tries in all, the first included (1 turns retries off).
        max_wait: The longest single wait accepted; a ``Retry-After`` above it raises.
        backoff: The first backoff in seconds; it doubles with each try.
        backoff_max: The cap of one backoff.
    """

    attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    max_wait: float = attrs.field(default=120.0, validator=_nonnegative)
    backoff: float = attrs.field(default=0.5, validator=_nonnegative)
    backoff_max: float = attrs.field(default=30.0, validator=_nonnegative)

    def delay(self, attempt: int, rng: random.Random) -> float:
        """A capped, jittered exponential delay before try ``attempt + 1``."""
        ceiling = min(self.backoff_max, self.backoff * 2.0 ** (attempt - 1))
        return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


@attrs.frozen(kw_only=True)
class RetryEvent:
    """One wait before a retry, as given to the ``on_retry`` callback.

    Attributes:
        reason: What failed: ``"429"``, ``"503"``, ``"ReadError"``, ...
        wait: Seconds the client waits before the next try.
        attempt: The try that failed (1 is the first).
        method: HTTP method.
        url: Request URL (never holds the token).
    """

    reason: str
    wait: float
    attempt: int
    method: str
    url: str


class ClientStats:
    """Counters of a client since it was made (``QaseClient.stats``).

    Attributes:
        requests: Requests sent, each try and redirect counted.
        retries: Waits before a retry (429s included).
        rate_limited: 429 answers received.
    """

    __slots__ = ("_pending", "_since", "_waited", "rate_limited", "requests", "retries")

    def __init__(self) -> None:
        self.requests = 0
        self.retries = 0
        self.rate_limited = 0
        self._pending = 0
        self._since = 0.0
        self._waited = 0.0

    def __repr__(self) -> str:
        return (
            f"ClientStats(requests={self.requests}, retries={self.retries}, "
            f"rate_limited={self.rate_limited}, rate_limit_wait={self.rate_limit_wait:.3f})"
        )

    @property
    def rate_limit_wait(self) -> float:
        """Seconds during which at least one request waited on the limiter (wall time)."""
        running = time.monotonic() - self._since if self._pending else 0.0
        return self._waited + running

    async def acquire(self, limiter: Limiter) -> Permit:
        """``limiter.acquire()``, counted."""
        if self._pending == 0:
            self._since = time.monotonic()
        self._pending += 1
        try:
            permit = await limiter.acquire()
        finally:
            self._pending -= 1
            if self._pending == 0:
                self._waited += time.monotonic() - self._since
        self.requests += 1
        return permit


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine."""
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class TokenAuth(httpx.Auth):
    """Adds the ``Token`` header to requests for the configured origin, and only those."""

    def __init__(self, token: str, origin: tuple[str, str, int | None]) -> None:
        self._token = token
        self._origin = origin

    def __repr__(self) -> str:
        return "TokenAuth(token=***)"

    def auth_flow(self, request: httpx.Request) -> Any:
        url = request.url
        if (url.scheme, url.host, url.port) == self._origin:
            request.headers["Token"] = self._token
        else:
            request.headers.pop("Token", None)
        yield request


def origin_of(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` as httpx reports them for a URL."""
    parsed = httpx.URL(url)
    return (parsed.scheme, parsed.host, parsed.port)


def unwrap(body: Any) -> Any:
    """The ``result`` of a ``{status, result}`` envelope; other bodies as they are."""
    if isinstance(body, dict) and "result" in body and "status" in body:
        return body["result"]
    return body


class Transport:
    """Sends every request of a client: paced, retried, decoded."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        limiter: Limiter,
        auth: TokenAuth,
        base_url: str,
        retry: RetryPolicy,
        on_retry: Callable[[RetryEvent], object] | None,
        timeout: httpx.Timeout | None,
        rng: random.Random | None = None,
    ) -> None:
        self.http = http
        self.limiter = limiter
        self._auth = auth
        self._base = base_url
        self._retry = retry
        self._on_retry = on_retry
        self._timeout = timeout
        self._rng = rng or random.Random()
        self.stats = ClientStats()
        self.closed = False

    async def request(
        self,
        method: str,
        path: str,
        *,
        version: int = 1,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        files: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send a request and return the envelope's ``result`` (parsed JSON)."""
        url = f"{self._base}/v{version}{path}"
        safe = method in _SAFE_METHODS if idempotent is None else idempotent
        query = _clean_params(params) if params else None
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._send(method, url, query, json_body, files)
            except exc.TransportError as error:
                cause = error.__cause__
                never_sent = isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)
                if (safe or never_sent) and attempt < self._retry.attempts:
                    reason = type(cause).__name__ if cause else type(error).__name__
                    await self._wait(
                        reason, self._retry.delay(attempt, self._rng), attempt, method, url
                    )
                    continue
                raise
            status = response.status_code
            if status < 300:
                return unwrap(_parse_json(response, method, url))
            api_error = error_for(
                status,
                response.headers,
                response.content,
                method=method,
                url=url,
                reason=response.reason_phrase,
            )
            if isinstance(api_error, exc.RateLimitedError):
                # The gate: every request of this client waits out the lock-out, even when
                # this one gives up, so nobody else knocks on a locked door meanwhile.
                self.stats.rate_limited += 1
                wait = api_error.retry_after
                self.limiter.pause(wait)
                if attempt >= self._retry.attempts or wait > self._retry.max_wait:
                    raise api_error
                await self._wait("429", wait, attempt, method, url, gated=True)
                continue
            if attempt >= self._retry.attempts:
                raise api_error
            if status in RETRYABLE_STATUSES and safe:
                wait = self._retry.delay(attempt, self._rng)
                if "retry-after" in response.headers:
                    wait = max(wait, parse_retry_after(response.headers["retry-after"]))
                if wait > self._retry.max_wait:
                    raise api_error
                await self._wait(str(status), wait, attempt, method, url)
                continue
            raise api_error

    async def _wait(
        self, reason: str, wait: float, attempt: int, method: str, url: str, *, gated: bool = False
    ) -> None:
        self.stats.retries += 1
        log = logger.warning if gated else logger.info
        log("%s %s: %s on try %d, retrying in %.2fs", method, url, reason, attempt, wait)
        if self._on_retry is not None:
            self._on_retry(
                RetryEvent(reason=reason, wait=wait, attempt=attempt, method=method, url=url)
            )
        if not gated:
            await asyncio.sleep(wait)
        # A gated retry waits in the limiter's acquire, with everyone else.

    async def _send(
        self, method: str, url: str, params: Any, json_body: Any, files: Any
    ) -> httpx.Response:
        """One try, following redirects ourselves so the token never leaves its origin."""
        for _ in range(MAX_REDIRECTS + 1):
            request = self.http.build_request(
                method,
                url,
                params=params,
                json=json_body,
                files=files,
                timeout=self._timeout if self._timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
            if self.closed:
                raise exc.ClientClosedError(f"the client is closed ({method} {url} not sent)")
            permit = await self.stats.acquire(self.limiter)
            if self.closed:
                self.limiter.release(permit, sent=False)
                raise exc.ClientClosedError(f"the client is closed ({method} {url} not sent)")
            headers: httpx.Headers | None = None
            sent = True
            try:
                response = await self.http.send(request, auth=self._auth, follow_redirects=False)
                # A 429's counters describe the lock-out, which the cool-down gate handles.
                headers = response.headers if response.status_code != 429 else None
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                sent = False
                raise _transport_error(error, method, url) from error
            except (httpx.HTTPError, httpx.StreamError, httpx.InvalidURL) as error:
                raise _transport_error(error, method, url) from error
            finally:
                self.limiter.release(permit, headers=headers, sent=sent)
            if response.status_code not in _REDIRECTS:
                return response
            location = response.headers.get("location")
            if not location:
                return response
            url = str(response.url.join(location))
            params = None
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method != "GET"
            ):
                method, json_body, files = "GET", None, None
        raise exc.TransportError("too many redirects", method=method, url=url)


def _transport_error(error: Exception, method: str, url: str) -> exc.TransportError:
    name = type(error).__name__
    detail = str(error) or name
    if isinstance(error, httpx.TimeoutException):
        return exc.TimeoutError(f"{name}: {detail}", method=method, url=url)
    return exc.TransportError(f"{name}: {detail}", method=method, url=url)


def _parse_json(response: httpx.Response, method: str, url: str) -> Any:
    content = response.content
    try:
        return json_loads(content)
    except ValueError as error:
        if not content.strip():
            return None
        raise exc.DecodeError(
            f"the {response.status_code} answer to {method} {url} is not JSON",
            path="body",
            model="JSON",
        ) from error


def _clean_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Drop unset filters; lists are sent as repeated keys, booleans as the service spells them."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        out[key] = value
    return out


def check_base_url(base_url: str, *, allow_insecure_http: bool) -> str:
    """Normalise the base URL and refuse plain HTTP to anything but loopback."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise exc.ConfigurationError(f"base_url must be an http(s) URL, got {base_url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise exc.ConfigurationError("base_url must not carry credentials, a query or a fragment")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise exc.ConfigurationError(
            "refusing to send the API token over plain http:// to a remote host; "
            "use https:// or pass allow_insecure_http=True"
        )
    path = parts.path.rstrip("/")
    for suffix in ("/v1", "/v2"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return f"{parts.scheme}://{parts.netloc}{path}"
