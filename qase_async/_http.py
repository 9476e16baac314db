"""The one request path: limiter -> send -> errors -> envelope -> converter."""

from __future__ import annotations

import asyncio
import copy
import importlib
import ipaddress
import json
import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar
from urllib.parse import urlsplit

import attrs
import httpx

from . import exceptions as exc
from ._errors import DEFAULT_RETRY_AFTER, error_for, one_line, parse_retry_after
from ._ratelimit import LANES, Limiter, Permit, Priority
from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from ._otel import Observer

T = TypeVar("T")
_KEEP: Final[Any] = object()


def _json_parser() -> Callable[[bytes], Any]:
    """orjson's parser (a dependency on CPython; about 2x faster on big pages), else json's."""
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
DEFAULT_MAX_RESPONSE_SIZE: Final = 64 * 1024 * 1024
"""The largest answer the client reads (64 MiB); a larger one raises ResponseTooLargeError."""
RETRYABLE_STATUSES: Final = frozenset({502, 503, 504})
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS: Final = 5
MAX_ATTEMPTS: Final = 100
"""More tries than this is a mistake, not a policy."""
_MAX_EXPONENT: Final = 30
"""``2 ** 30`` times any sane first backoff is beyond any cap: the doubling stops there."""


def _attempts(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ATTEMPTS:
        raise ConfigurationError(
            f"{attribute.name} must be an int from 1 to {MAX_ATTEMPTS}, got {value!r}"
        )


def _seconds(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise ConfigurationError(
            f"{attribute.name} must be a finite, non-negative number of seconds, got {value!r}"
        )


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How failed requests are retried.

    429 is always retried (the service did not process it), after the cool-down its
    ``Retry-After`` asks for. 502/503/504, dropped connections and timeouts are retried
    for GET and DELETE and for POSTs made safe by an idempotency key (v2 results with
    ids); connection failures before anything was sent are retried for every method.

    Attributes:
        attempts: Tries in all, the first included (1 turns retries off; at most 100).
        max_wait: The longest single wait accepted; a ``Retry-After`` above it raises
            :class:`~qase_async.RateLimitedError` for every call until it has passed, and
            no cool-down lasts longer.
        backoff: The first backoff in seconds; it doubles with each try.
        backoff_max: The cap of one backoff.

    Raises:
        ConfigurationError: A value is not finite, negative, or of the wrong type.
    """

    attempts: int = attrs.field(default=5, validator=_attempts)
    max_wait: float = attrs.field(default=120.0, validator=_seconds)
    backoff: float = attrs.field(default=0.5, validator=_seconds)
    backoff_max: float = attrs.field(default=30.0, validator=_seconds)

    def backoff_for(self, attempt: int, jitter: float) -> float:
        """The wait after try ``attempt`` failed; ``jitter`` in [0, 1] picks in its upper half."""
        ceiling = min(
            self.backoff_max, self.backoff * 2.0 ** min(max(attempt - 1, 0), _MAX_EXPONENT)
        )
        return ceiling / 2 + jitter * ceiling / 2

    def delay(self, attempt: int, rng: random.Random) -> float:
        """A capped, jittered exponential delay before try ``attempt + 1``."""
        return self.backoff_for(attempt, rng.random())


@attrs.frozen(kw_only=True)
class Outcome:
    """What one try gave, as the retry decision sees it.

    Attributes:
        status: The answer's status; ``None`` when no answer came (a transport failure).
        sent: ``False`` only when the request certainly never reached the service.
        retry_after: The seconds the answer's ``Retry-After`` asked for, if it had one.
    """

    status: int | None = None
    sent: bool = True
    retry_after: float | None = None


@attrs.frozen(kw_only=True)
class Decision:
    """What to do after a try: ``return`` the answer, ``raise`` its error, or ``retry``.

    Attributes:
        action: ``"return"``, ``"raise"`` or ``"retry"``.
        wait: Seconds before the next try.
        cooldown: Seconds to close the client's cool-down gate for (429), 0 for none.
        refuse: Callers arriving during that cool-down raise instead of waiting.
    """

    action: Literal["return", "raise", "retry"]
    wait: float = 0.0
    cooldown: float = 0.0
    refuse: bool = False


def decide(
    method: str,
    *,
    idempotent: bool,
    attempt: int,
    outcome: Outcome,
    policy: RetryPolicy,
    lost: bool = False,
    jitter: float = 1.0,
    remaining: float = math.inf,
) -> Decision:
    """The retry decision after try ``attempt`` of a call: a pure function.

    Args:
        method: The HTTP method.
        idempotent: Whether sending the request twice is harmless.
        attempt: The try that just ended (1 is the first).
        outcome: What it gave.
        policy: The retry policy.
        lost: An earlier try of this call may have been done by the service, its
            answer lost: a DELETE's 404 then means done.
        jitter: A number in [0, 1] that spreads backoffs.
        remaining: Seconds left before the call's deadline.
    """
    status = outcome.status
    if status is not None and status < 300:
        return Decision(action="return")
    if status == 404 and method == "DELETE" and lost:
        return Decision(action="return")
    if status == 429:
        # The service did not process it. Its lock-out holds for everyone: close the gate.
        wait = DEFAULT_RETRY_AFTER if outcome.retry_after is None else outcome.retry_after
        if not wait <= policy.max_wait:  # NaN and inf included
            return Decision(action="raise", cooldown=policy.max_wait, refuse=True)
        if attempt >= policy.attempts or wait > remaining:
            return Decision(action="raise", cooldown=wait)
        return Decision(action="retry", wait=wait, cooldown=wait)
    if status is None:
        retryable = idempotent or not outcome.sent
    else:
        retryable = idempotent and status in RETRYABLE_STATUSES
    if not retryable or attempt >= policy.attempts:
        return Decision(action="raise")
    wait = policy.backoff_for(attempt, jitter)
    if outcome.retry_after is not None and outcome.retry_after > wait:
        wait = outcome.retry_after
    if wait > policy.max_wait or wait > remaining:
        return Decision(action="raise")
    return Decision(action="retry", wait=wait)


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


class LaneStats:
    """Counters of one lane (``QaseClient.stats.lanes["bulk"]``).

    Attributes:
        requests: Requests sent in the lane, each try and redirect counted.
        rate_limit_wait: Seconds its requests waited for a permit, added up.
    """

    __slots__ = ("rate_limit_wait", "requests")

    def __init__(self) -> None:
        self.requests = 0
        self.rate_limit_wait = 0.0

    def __repr__(self) -> str:
        return f"LaneStats(requests={self.requests}, rate_limit_wait={self.rate_limit_wait:.3f})"


class _Span:
    """Wall time during which at least one caller waited (overlapping waits count once)."""

    __slots__ = ("_pending", "_since", "total")

    def __init__(self) -> None:
        self._pending = 0
        self._since = 0.0
        self.total = 0.0

    def enter(self, now: float) -> None:
        if self._pending == 0:
            self._since = now
        self._pending += 1

    def leave(self, now: float) -> tuple[float, float] | None:
        """Leave; the interval that ended when nobody waits any more."""
        self._pending -= 1
        if self._pending:
            return None
        self.total += now - self._since
        return (self._since, now)

    def running(self, now: float) -> tuple[float, float] | None:
        return (self._since, now) if self._pending else None


class ClientStats:
    """Counters of a client since it was made (``QaseClient.stats``), views included.

    Waits are wall time: overlapping waits of concurrent calls count once.

    Attributes:
        requests: HTTP requests sent, each try and each redirect counted.
        retries: Waits before a retry (429s included).
        rate_limited: 429 answers received.
        lanes: The requests and permit waits of each lane (``"interactive"``,
            ``"normal"``, ``"bulk"``).
    """

    __slots__ = (
        "_backoff",
        "_gates",
        "_limiter",
        "_since_gates",
        "lanes",
        "rate_limited",
        "requests",
        "retries",
    )

    def __init__(self) -> None:
        self.lanes: dict[Priority, LaneStats] = {lane: LaneStats() for lane in LANES}
        self.requests = 0
        self.retries = 0
        self.rate_limited = 0
        self._limiter = _Span()
        self._backoff = _Span()
        self._gates: list[tuple[float, float]] = []  # the cool-downs we closed, merged
        self._since_gates = 0.0  # cool-down part of the limiter's finished waits

    def __repr__(self) -> str:
        return (
            f"ClientStats(requests={self.requests}, retries={self.retries}, "
            f"rate_limited={self.rate_limited}, rate_limit_wait={self.rate_limit_wait:.3f}, "
            f"cooldown_wait={self.cooldown_wait:.3f}, backoff_wait={self.backoff_wait:.3f})"
        )

    @property
    def rate_limit_wait(self) -> float:
        """Seconds during which a request waited on the limiter, 429 cool-downs included."""
        now = time.monotonic()
        running = self._limiter.running(now)
        return self._limiter.total + (running[1] - running[0] if running else 0.0)

    @property
    def cooldown_wait(self) -> float:
        """The part of ``rate_limit_wait`` spent in a 429 cool-down this client closed."""
        running = self._limiter.running(time.monotonic())
        return self._since_gates + (self._overlap(*running) if running else 0.0)

    @property
    def backoff_wait(self) -> float:
        """Seconds during which a call slept before a retry (429 cool-downs not included)."""
        now = time.monotonic()
        running = self._backoff.running(now)
        return self._backoff.total + (running[1] - running[0] if running else 0.0)

    @property
    def waited(self) -> float:
        """All of it: ``rate_limit_wait + backoff_wait``."""
        return self.rate_limit_wait + self.backoff_wait

    def _overlap(self, start: float, end: float) -> float:
        return sum(max(0.0, min(end, b) - max(start, a)) for a, b in self._gates)

    def gate(self, seconds: float) -> None:
        """Note a cool-down closed now for ``seconds``."""
        now = time.monotonic()
        if self._gates and now <= self._gates[-1][1]:
            start, end = self._gates[-1]
            self._gates[-1] = (start, max(end, now + seconds))
        else:
            self._gates.append((now, now + seconds))

    async def acquire(self, limiter: Limiter, *, priority: Priority, max_wait: float) -> Permit:
        """``limiter.acquire(priority=..., max_wait=...)``, counted (in its lane too)."""
        self._limiter.enter(time.monotonic())
        try:
            permit = await limiter.acquire(priority=priority, max_wait=max_wait)
        finally:
            ended = self._limiter.leave(time.monotonic())
            if ended is not None:
                self._since_gates += self._overlap(*ended)
                self._gates = [g for g in self._gates if g[1] > ended[1]]
        self.requests += 1
        lane = self.lanes[priority]
        lane.requests += 1
        lane.rate_limit_wait += permit.waited
        return permit

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``, counted as backoff."""
        self._backoff.enter(time.monotonic())
        try:
            await asyncio.sleep(seconds)
        finally:
            self._backoff.leave(time.monotonic())


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
        if origin_of(request.url) == self._origin:
            request.headers["Token"] = self._token
        else:
            request.headers.pop("Token", None)
        yield request

    def redact(self, text: str) -> str:
        """``text`` with the token masked."""
        return text.replace(self._token, "***")

    def redact_bytes(self, data: bytes) -> bytes:
        """``data`` with the token masked."""
        return data.replace(self._token.encode(), b"***")

    def leaks(self, error: BaseException) -> bool:
        """Whether the token shows anywhere in an exception's chain."""
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen and len(seen) < 32:
            seen.add(id(current))
            texts = [repr(current), str(current), repr(current.args)]
            texts += [repr(value) for value in getattr(current, "__dict__", {}).values()]
            if any(self._token in text for text in texts):
                return True
            current = current.__cause__ or current.__context__
        return False


def origin_of(url: str | httpx.URL) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of a URL, the default port spelled out."""
    parsed = httpx.URL(url)
    default = {"https": 443, "http": 80}.get(parsed.scheme)
    return (parsed.scheme, parsed.host, parsed.port or default)


def unwrap(body: Any, *, status: int, method: str, url: str) -> Any:
    """The ``result`` of a ``{status, result}`` envelope; other bodies as they are.

    Raises:
        APIError: The envelope says ``"status": false`` on a success status.
    """
    if isinstance(body, dict) and body.get("status") is False:
        message = body.get("errorMessage") or body.get("message") or "the service said no"
        raise exc.APIError(
            f"a {status} answer that says status false: {one_line(str(message)[:500])}",
            status_code=status,
            method=method,
            url=url,
        )
    if isinstance(body, dict) and "result" in body and "status" in body:
        return body["result"]
    return body


@attrs.frozen
class Answer:
    """An HTTP answer, read whole (within the size cap)."""

    status: int
    headers: httpx.Headers
    content: bytes
    phrase: str

    def outcome(self) -> Outcome:
        value = self.headers.get("retry-after")
        retry_after = None if value is None else parse_retry_after(value)
        return Outcome(status=self.status, retry_after=retry_after)

    def result(self, method: str, url: str) -> Any:
        if self.status >= 300:
            return None  # a DELETE whose first answer was lost: done
        body = _parse_json(self, method, url)
        return unwrap(body, status=self.status, method=method, url=url)

    def error(self, method: str, url: str, auth: TokenAuth) -> exc.QaseError:
        # A hostile server could quote the token back: mask it before it becomes a message.
        content = auth.redact_bytes(self.content)
        return error_for(
            self.status, self.headers, content, method=method, url=url, reason=self.phrase
        )

    def reason(self) -> str:
        return str(self.status)


@attrs.frozen
class _Failure:
    """A try that got no answer."""

    failure: exc.TransportError
    sent: bool

    def outcome(self) -> Outcome:
        return Outcome(sent=self.sent)

    def result(self, method: str, url: str) -> None:  # pragma: no cover - never decided
        raise AssertionError("a try without an answer has no result")

    def error(self, method: str, url: str, auth: TokenAuth) -> exc.QaseError:
        return self.failure

    def reason(self) -> str:
        return type(self.failure.__cause__ or self.failure).__name__


def per_try_timeout(timeout: httpx.Timeout | None) -> float | None:
    """The deadline of one try (connect, headers and body together): the largest phase."""
    if timeout is None:
        return None
    phases = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t]
    return max(phases) if phases else None


class Transport:
    """Sends every request of a client: paced, retried, decoded.

    :meth:`with_options` makes a view: other timeouts, retries, deadline or priority over
    the same HTTP client, limiter and stats.
    """

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
        deadline: float | None = None,
        priority: Priority = "normal",
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        rng: random.Random | None = None,
    ) -> None:
        self.http = http
        self.limiter = limiter
        self._auth = auth
        self._base = base_url
        self._retry = retry
        self._on_retry = on_retry
        self._timeout = timeout
        self._deadline = deadline
        self.priority: Priority = priority
        self._max_size = max_response_size
        self._rng = rng or random.Random()
        self.stats = ClientStats()
        self.observer: Observer | None = None  # spans and metrics (the otel extra)
        self._closed = False
        self._parent: Transport | None = None

    @property
    def closed(self) -> bool:
        """Closed itself, or a view of a closed transport."""
        return self._closed or (self._parent is not None and self._parent.closed)

    @closed.setter
    def closed(self, value: bool) -> None:
        self._closed = value

    def with_options(
        self,
        *,
        timeout: httpx.Timeout | object | None = _KEEP,
        retry: RetryPolicy | None = None,
        deadline: float | object | None = _KEEP,
        priority: Priority | None = None,
    ) -> Transport:
        """A view with other per-call options, sharing the HTTP client, limiter and stats."""
        view = copy.copy(self)
        view._parent = self
        view._closed = False
        if timeout is not _KEEP:
            view._timeout = timeout  # type: ignore[assignment]
        if retry is not None:
            view._retry = retry
        if deadline is not _KEEP:
            view._deadline = deadline  # type: ignore[assignment]
        if priority is not None:
            view.priority = priority
        return view

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
        if self.observer is not None:
            return await self.observer.observe(
                lambda: self._call(method, path, version, params, json_body, files, idempotent),
                method,
                path,
                version,
                self.priority,
            )
        return await self._call(method, path, version, params, json_body, files, idempotent)

    async def _call(
        self,
        method: str,
        path: str,
        version: int,
        params: Mapping[str, Any] | None,
        json_body: Any,
        files: Any,
        idempotent: bool | None,
    ) -> Any:
        """One call, all its tries, within its deadline; the token kept out of its error."""
        url = f"{self._base}/v{version}{path}"
        try:
            if self._deadline is None:
                return await self._request(method, url, params, json_body, files, idempotent)
            timer = asyncio.timeout(self._deadline)
            try:
                async with timer:
                    return await self._request(method, url, params, json_body, files, idempotent)
            except TimeoutError:
                if not timer.expired():
                    raise
            raise exc.RequestTimeoutError(
                f"no answer within the call's deadline of {self._deadline:g}s",
                method=method,
                url=url,
            )
        except exc.QaseError as error:
            if self._auth.leaks(error):
                # Keep the token out of tracebacks: drop the chain that holds it.
                error.__cause__ = error.__context__ = None
                error.__suppress_context__ = True
            raise

    async def _request(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        files: Any,
        idempotent: bool | None,
    ) -> Any:
        safe = method in _SAFE_METHODS if idempotent is None else idempotent
        query = _clean_params(params) if params else None
        loop = asyncio.get_running_loop()
        ends = math.inf if self._deadline is None else loop.time() + self._deadline
        lost = False
        attempt = 0
        while True:
            attempt += 1
            answer = await self._send(method, url, query, json_body, files, ends)
            outcome = answer.outcome()
            decision = decide(
                method,
                idempotent=safe,
                attempt=attempt,
                outcome=outcome,
                policy=self._retry,
                lost=lost,
                jitter=self._rng.random(),
                remaining=ends - loop.time(),
            )
            if outcome.status == 429:
                # Every request of this client waits out the lock-out, even when this one
                # gives up, so nobody else knocks on a locked door meanwhile.
                self.stats.rate_limited += 1
                self.limiter.pause(decision.cooldown, refuse=decision.refuse)
                self.stats.gate(decision.cooldown)
            if decision.action == "return":
                return answer.result(method, url)
            if decision.action == "raise":
                raise answer.error(method, url, self._auth)
            lost = lost or (isinstance(answer, _Failure) and answer.sent)
            await self._wait(
                answer.reason(), decision.wait, attempt, method, url, gated=outcome.status == 429
            )

    async def _wait(
        self, reason: str, wait: float, attempt: int, method: str, url: str, *, gated: bool
    ) -> None:
        self.stats.retries += 1
        log = logger.warning if gated else logger.info
        log("%s %s: %s on try %d, retrying in %.2fs", method, url, reason, attempt, wait)
        if self._on_retry is not None:
            self._on_retry(
                RetryEvent(reason=reason, wait=wait, attempt=attempt, method=method, url=url)
            )
        if not gated:
            await self.stats.sleep(wait)
        # A gated retry waits in the limiter's acquire, with everyone else.

    async def _send(
        self, method: str, url: str, params: Any, json_body: Any, files: Any, ends: float
    ) -> Answer | _Failure:
        """One try, following redirects ourselves so the token and body stay home."""
        for _ in range(MAX_REDIRECTS + 1):
            try:
                request = self.http.build_request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    files=files,
                    timeout=self._timeout or httpx.USE_CLIENT_DEFAULT,
                )
            except Exception as error:  # arguments httpx cannot encode: final, nothing sent
                detail = self._auth.redact(one_line(str(error))[:300])
                raise exc.InvalidArgumentError(
                    f"cannot build {method} {url}: {type(error).__name__}: {detail}"
                ) from error
            if self.closed:
                raise exc.ClientClosedError(f"the client is closed ({method} {url} not sent)")
            max_wait = min(self._retry.max_wait, ends - asyncio.get_running_loop().time())
            permit = await self.stats.acquire(
                self.limiter, priority=self.priority, max_wait=max_wait
            )
            if self.closed:
                self.limiter.release(permit, sent=False)
                raise exc.ClientClosedError(f"the client is closed ({method} {url} not sent)")
            headers: httpx.Headers | None = None
            sent = True
            status: int | None = None
            limit = per_try_timeout(self._timeout or self.http.timeout)
            timer = asyncio.timeout(limit)
            try:
                async with timer:
                    answer = await self._exchange(request, method, url)
                status = answer.status
                # A 429's counters describe the lock-out, which the cool-down gate handles.
                headers = answer.headers if answer.status != 429 else None
            except exc.QaseError:
                raise
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
                sent = False
                return _Failure(_transport_error(error, method, url, self._auth), sent=False)
            except Exception as error:  # httpx, httpcore, h11 or a custom transport's own
                if isinstance(error, TimeoutError) and timer.expired():
                    failure = exc.RequestTimeoutError(
                        f"no complete answer within the timeout of {limit:g}s",
                        method=method,
                        url=url,
                    )
                    return _Failure(failure, sent=True)
                return _Failure(_transport_error(error, method, url, self._auth), sent=True)
            finally:
                self.limiter.release(permit, headers=headers, sent=sent)
                if self.observer is not None:
                    self.observer.on_try(permit, status, method)
            if answer.status not in _REDIRECTS or not answer.headers.get("location"):
                return answer
            url, method, params, json_body, files = self._redirect(
                answer, request.url, method, json_body, files
            )
        raise exc.RedirectError(
            f"more than {MAX_REDIRECTS} redirects ({method} {url})", target=httpx.URL(url).host
        )

    async def _exchange(self, request: httpx.Request, method: str, url: str) -> Answer:
        """Send and read the answer, refusing to read more than the size cap."""
        response = await self.http.send(
            request, auth=self._auth, follow_redirects=False, stream=True
        )
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self._max_size:
                raise self._too_large(method, url)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_size:
                    raise self._too_large(method, url)
                chunks.append(chunk)
        finally:
            await response.aclose()
        return Answer(
            response.status_code, response.headers, b"".join(chunks), response.reason_phrase
        )

    def _too_large(self, method: str, url: str) -> exc.ResponseTooLargeError:
        return exc.ResponseTooLargeError(
            f"the answer to {method} {url} is larger than max_response_size "
            f"({self._max_size} bytes); not read",
            limit=self._max_size,
        )

    def _redirect(
        self, answer: Answer, current: httpx.URL, method: str, json_body: Any, files: Any
    ) -> tuple[str, str, None, Any, Any]:
        """Where a redirect leads, or :class:`RedirectError` when it may not be followed."""
        target = current.join(answer.headers["location"])
        if origin_of(target) != origin_of(current):
            why = (
                "from https down to http"
                if current.scheme == "https" and target.scheme == "http"
                else "to another origin"
            )
            raise exc.RedirectError(
                f"refusing a {answer.status} redirect {why}: {target.scheme}://{target.host} "
                f"({method} {current.copy_with(query=None)})",
                target=target.host,
            )
        if answer.status == 303 or (answer.status in (301, 302) and method != "GET"):
            return str(target), "GET", None, None, None
        if answer.status in (307, 308) and (json_body is not None or files is not None):
            raise exc.RedirectError(
                f"refusing a {answer.status} redirect that would send the request body again "
                f"to {target.host} ({method} {current.copy_with(query=None)})",
                target=target.host,
            )
        return str(target), method, None, json_body, files


def _transport_error(
    error: Exception, method: str, url: str, auth: TokenAuth
) -> exc.TransportError:
    """One line naming what failed; the token, should the cause quote it, masked."""
    name = type(error).__name__
    detail = auth.redact(one_line(str(error) or name)[:300])
    cls = (
        exc.RequestTimeoutError if isinstance(error, httpx.TimeoutException) else exc.TransportError
    )
    failure = cls(f"{name}: {detail}", method=method, url=url)
    failure.__cause__ = error
    return failure


def _parse_json(answer: Answer, method: str, url: str) -> Any:
    content = answer.content
    try:
        return json_loads(content)
    except RecursionError:
        raise exc.DecodeError(
            f"the {answer.status} answer to {method} {url} is nested too deeply",
            path="body",
            model="JSON",
        ) from None
    except ValueError as error:
        if not content.strip():
            return None
        raise exc.DecodeError(
            f"the {answer.status} answer to {method} {url} is not JSON",
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


def check_base_url(base_url: object, *, allow_insecure_http: bool) -> str:
    """Normalise the base URL and refuse plain HTTP to anything but loopback.

    Raises:
        ConfigurationError: Not an http(s) URL, or one the client must not send the token to.
            The message does not repeat the value (it could hold credentials).
    """
    if not isinstance(base_url, str):
        raise exc.ConfigurationError(f"base_url must be a str, not {type(base_url).__name__}")
    text = base_url.strip()
    if not text.isprintable() or any(c.isspace() for c in text):
        raise exc.ConfigurationError("base_url must not contain spaces or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
        hostname = parts.hostname
        httpx.URL(text)
    except (ValueError, httpx.InvalidURL) as error:
        raise exc.ConfigurationError(f"base_url is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise exc.ConfigurationError("base_url must be an http(s) URL such as https://api.qase.io")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise exc.ConfigurationError("base_url must not carry credentials, a query or a fragment")
    if port == 0:
        raise exc.ConfigurationError("base_url has port 0")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(hostname):
        raise exc.ConfigurationError(
            "refusing to send the API token over plain http:// to a remote host; "
            "use https:// or pass allow_insecure_http=True"
        )
    path = parts.path.rstrip("/")
    for suffix in ("/v1", "/v2"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return f"{parts.scheme}://{parts.netloc}{path}"


def check_token(token: object) -> str:
    """The token, stripped; printable ASCII without whitespace inside.

    Raises:
        ConfigurationError: Never repeating the token.
    """
    if not isinstance(token, str):
        raise exc.ConfigurationError(f"the API token must be a str, not {type(token).__name__}")
    token = token.strip()
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        raise exc.ConfigurationError(
            "the API token holds a space, a control or a non-ASCII character; "
            "check how it was copied"
        )
    return token
