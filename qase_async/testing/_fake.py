"""The sans-I/O core of the fake Qase server: :class:`FakeQase`."""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs

import attrs

from ._api import HANDLERS, ApiError, Ctx, Limits
from ._config import (
    MB,
    Decision,
    DroppedConnection,
    FakeStats,
    Faults,
    RequestRecord,
    ResultRules,
    ScriptedFault,
    SlidingWindowLimiter,
    ceil_seconds,
)
from ._spec import Match, route, validate
from ._state import FakeState

if TYPE_CHECKING:
    import httpx

    from ._asgi import ASGIApp
    from ._tls import FakeTLS

__all__ = ["FakeQase", "FakeRequest", "FakeResponse"]


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@attrs.frozen
class FakeRequest:
    """A request as the fake sees it.

    Attributes:
        method: HTTP method.
        path: Full URL path, with the ``/v1`` or ``/v2`` prefix (the host is ignored).
        query: Raw query string, without ``?``.
        headers: Request headers (names are matched case-insensitively).
        body: Raw body.
        scheme: ``"http"`` or ``"https"`` as the request arrived; empty when unknown (the
            scheme of ``base_url`` is used then).
    """

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_lower_headers)
    body: bytes = b""
    scheme: str = ""


@attrs.frozen
class FakeResponse:
    """The fake's answer.

    Attributes:
        status: HTTP status.
        headers: Response headers.
        body: Raw body (JSON).
    """

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


class FakeQase:
    """An in-memory, stateful fake of the Qase TestOps API (v1 and v2).

    One instance is one workspace. Every request goes through :meth:`handle`; the
    in-process transport (:meth:`transport`) and the real HTTP server (:meth:`serve`,
    :meth:`serve_in_thread`, ``qase-async fake-server``) are thin layers over it.

    The order of checks for each request is: ``Token`` header (401), rate limit (429,
    with lock-out), scripted faults, random faults, routing (404/405), body validation
    (400/422), then the operation itself.

    Args:
        tokens: Accepted API tokens; ``None`` accepts any non-empty token.
        rate_limit: ``(requests, window seconds)`` per token, or ``None`` for no limit.
        lockout: Seconds a token is locked out after going over the limit.
        max_bulk: Results per bulk request (v1 and v2); more gives 413.
        max_file: Bytes per attachment file; more gives 413.
        max_request: Bytes per attachment request; more gives 413.
        max_files: Files per attachment request; more gives 413.
        storage_quota: Bytes of attachments the workspace may store (507 past it), or
            ``None`` for no quota.
        max_error_context: Characters of v2 ``execution.error_context`` per batch.
        faults: Random faults (seeded).
        clock: Monotonic clock for the rate limiter, injectable for tests.
        wall_clock: Unix-time clock for ``X-RateLimit-Reset`` and entity timestamps.
        sleep: Coroutine used for added latency, injectable for tests.
        base_url: Origin used in URLs the fake makes up (attachments, public runs) when
            a request names no host; otherwise they use the scheme and host it arrived on.
        results_in_closed_runs: Accept results into a completed run (the service's
            project setting "Allow to add results for cases in closed runs"); by default
            they get 400, as from the service with that setting off.
        unknown_case_ids: What a v2 result naming a case id that does not exist gets:
            ``"keep"`` (the default: stored under that id, as the service's 202 takes it
            unchecked), ``"reject"`` (422 for the whole request) or ``"auto_create"``
            (the id is ignored; the case is matched or created as for a result without one).
        on_request: Called with each answered request and its status, after the fake
            has carried it out (``qase-async fake-server --record`` writes them down).
    """

    def __init__(
        self,
        *,
        tokens: set[str] | frozenset[str] | list[str] | tuple[str, ...] | None = None,
        rate_limit: tuple[int, float] | None = (600, 60.0),
        lockout: float = 60.0,
        max_bulk: int = 200,
        max_file: int = 32 * MB,
        max_request: int = 128 * MB,
        max_files: int = 20,
        storage_quota: int | None = None,
        max_error_context: int = 4_194_304,
        faults: Faults | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Any] = asyncio.sleep,
        base_url: str = "http://127.0.0.1",
        results_in_closed_runs: bool = False,
        unknown_case_ids: Literal["keep", "reject", "auto_create"] = "keep",
        on_request: Callable[[FakeRequest, int], None] | None = None,
    ) -> None:
        self.tokens: frozenset[str] | None = None if tokens is None else frozenset(tokens)
        self.rate_limit = rate_limit
        self.lockout = lockout
        self.limits = Limits(
            max_bulk=max_bulk,
            max_file=max_file,
            max_request=max_request,
            max_files=max_files,
            storage_quota=storage_quota,
            max_error_context=max_error_context,
        )
        self.faults = faults or Faults()
        self.clock = clock
        self.wall_clock = wall_clock
        self._sleep = sleep
        self.base_url = base_url.rstrip("/")
        self.tls: FakeTLS | None = None
        self.on_request = on_request
        self.rules = ResultRules(
            results_in_closed_runs=results_in_closed_runs, unknown_case_ids=unknown_case_ids
        )
        self.state = FakeState()
        self.stats = FakeStats()
        self.scripted: list[ScriptedFault] = []
        self._rng = random.Random(self.faults.seed)
        self._storm_until = -math.inf
        self._storm_token: str | None = None
        self._limiter: SlidingWindowLimiter | None = None
        if rate_limit is not None:
            self._limiter = SlidingWindowLimiter(
                limit=rate_limit[0], window=rate_limit[1], lockout=lockout, clock=clock
            )

    # -- scripted faults -----------------------------------------------------------------

    def inject(
        self,
        status: int = 503,
        *,
        times: int = 1,
        path_prefix: str | None = None,
        method: str | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> ScriptedFault:
        """Answer the next ``times`` matching requests with ``status``, without doing them.

        Args:
            status: The status to answer (e.g. 500, 502, 503, or 413).
            times: How many matching requests to hit.
            path_prefix: Only requests whose full path starts with this (e.g.
                ``"/v1/result/"``).
            method: Only requests with this method.
            retry_after: Send ``Retry-After`` with this many seconds.
            body: JSON body to answer with instead of the default error body.

        Returns:
            The fault; its ``times`` counts down as it hits.
        """
        fault = ScriptedFault(
            "status", times, status, path_prefix, method, retry_after=retry_after, body=body
        )
        self.scripted.append(fault)
        return fault

    def drop_next(
        self,
        n: int = 1,
        *,
        after_processing: bool = False,
        path_prefix: str | None = None,
        method: str | None = None,
    ) -> ScriptedFault:
        """Drop the connection of the next ``n`` matching requests.

        Args:
            n: How many requests.
            after_processing: Carry the request out first, then drop (the client loses
                the response but the server kept the data).
            path_prefix: Only requests whose full path starts with this.
            method: Only requests with this method.

        Returns:
            The fault.
        """
        kind = "lost" if after_processing else "drop"
        fault = ScriptedFault(kind, n, path_prefix=path_prefix, method=method)
        self.scripted.append(fault)
        return fault

    def storm_429(
        self,
        times: int | None = None,
        *,
        duration: float | None = None,
        retry_after: float = 1.0,
        token: str | None = None,
    ) -> ScriptedFault | None:
        """Answer 429s regardless of the real rate.

        With ``times``, the next ``times`` requests get 429 with ``Retry-After:
        retry_after``. With ``duration``, ``token`` (or every token seen so far and any
        new one, when ``token`` is ``None``) is locked out for ``duration`` seconds of
        the fake's clock, as after a real overrun.

        Returns:
            The scripted fault for ``times``, else ``None``.
        """
        if duration is not None:
            until = self.clock() + duration
            self._storm_until = until
            self._storm_token = token
        if times is not None:
            fault = ScriptedFault("429", times, 429, retry_after=retry_after)
            self.scripted.append(fault)
            return fault
        return None

    def reset_faults(self) -> None:
        """Forget scripted faults and storms (random faults stay configured)."""
        self.scripted.clear()
        self._storm_until = -math.inf

    # -- adapters ------------------------------------------------------------------------

    def transport(self) -> httpx.AsyncBaseTransport:
        """An ``httpx`` transport that serves requests from this fake, with no socket."""
        from ._transport import FakeTransport

        return FakeTransport(self)

    def asgi_app(self) -> ASGIApp:
        """A raw ASGI application serving this fake."""
        from ._asgi import ASGIApp

        return ASGIApp(self)

    @asynccontextmanager
    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls: FakeTLS | bool | None = None,
        tls_hosts: Iterable[str] = (),
    ) -> AsyncIterator[str]:
        """Serve over HTTP or HTTPS on the running event loop (needs ``qase-async[testing]``).

        Args:
            host: Address to listen on.
            port: Port, 0 for any free one.
            tls: Serve HTTPS with these files (:class:`FakeTLS`), or with a throwaway CA
                and certificate made for the occasion (``True``). While serving,
                :attr:`tls` holds the files; ``fake.tls.ca_bundle`` is the CA to trust.
            tls_hosts: Extra names the throwaway certificate is valid for, beside
                ``127.0.0.1`` and ``localhost``.

        Yields:
            The origin, e.g. ``http://127.0.0.1:51234`` (``https://`` with ``tls``); the
            API is at ``/v1`` and ``/v2`` below it.
        """
        from ._asgi import serve

        async with serve(self, host, port, tls, tls_hosts) as url:
            yield url

    @contextmanager
    def serve_in_thread(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls: FakeTLS | bool | None = None,
        tls_hosts: Iterable[str] = (),
    ) -> Iterator[str]:
        """Serve from a background thread, for synchronous clients; as :meth:`serve`.

        Yields:
            The origin, e.g. ``http://127.0.0.1:51234``.
        """
        from ._asgi import serve_in_thread

        with serve_in_thread(self, host, port, tls, tls_hosts) as url:
            yield url

    # -- the core ------------------------------------------------------------------------

    async def handle_raw(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> tuple[int, dict[str, str], bytes]:
        """:meth:`handle` with plain arguments and a plain tuple result."""
        resp = await self.handle(FakeRequest(method, path, query, headers or {}, body))
        return resp.status, resp.headers, resp.body

    async def handle(self, request: FakeRequest) -> FakeResponse:
        """Answer one request.

        Raises:
            DroppedConnection: When a fault drops the connection; the caller must close
                it without an answer.
        """
        stats = self.stats
        stats.requests += 1
        stats.per_path[f"{request.method.upper()} {request.path}"] += 1
        if self.faults.latency > 0:
            await self._sleep(self.faults.latency)
        token = request.headers.get("token") or None
        op_id: str | None = None
        try:
            status, headers, body, op_id = self._process(request, token)
        except DroppedConnection:
            stats.dropped += 1
            self._log(request, None, token, op_id)
            raise
        stats.statuses[status] += 1
        self._log(request, status, token, op_id)
        if self.on_request is not None:
            self.on_request(request, status)
        raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers.setdefault("content-type", "application/json")
        headers["content-length"] = str(len(raw))
        return FakeResponse(status, headers, raw)

    def _log(
        self, request: FakeRequest, status: int | None, token: str | None, op: str | None
    ) -> None:
        self.stats.log.append(
            RequestRecord(self.clock(), request.method.upper(), request.path, status, token, op)
        )

    def _rate_headers(self, decision: Decision) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(decision.limit),
            "x-ratelimit-remaining": str(decision.remaining),
            "x-ratelimit-reset": str(math.ceil(self.wall_clock() + decision.reset_in)),
        }

    def _too_many(
        self, headers: dict[str, str], retry_after: float
    ) -> tuple[int, dict[str, str], Any, None]:
        self.stats.rate_limited += 1
        headers["retry-after"] = str(ceil_seconds(retry_after))
        return 429, headers, {"status": False, "errorMessage": "Too Many Attempts."}, None

    def _take_scripted(self, method: str, path: str) -> ScriptedFault | None:
        for fault in self.scripted:
            if fault.matches(method, path):
                fault.times -= 1
                if fault.times <= 0:
                    self.scripted.remove(fault)
                return fault
        return None

    def _process(
        self, request: FakeRequest, token: str | None
    ) -> tuple[int, dict[str, str], Any, str | None]:
        method = request.method.upper()
        if token is None or (self.tokens is not None and token not in self.tokens):
            self.stats.unauthorized += 1
            return 401, {}, {"status": False, "errorMessage": "Unauthenticated."}, None

        headers: dict[str, str] = {}
        if self._limiter is not None:
            now = self.clock()
            storm_hits = self._storm_token is None or self._storm_token == token
            if now < self._storm_until and storm_hits:
                decision = Decision(
                    False,
                    self._limiter.limit,
                    0,
                    self._storm_until - now,
                    retry_after=self._storm_until - now,
                )
            else:
                decision = self._limiter.check(token)
            headers.update(self._rate_headers(decision))
            if not decision.allowed:
                if decision.new_lockout:
                    self.stats.lockouts += 1
                return self._too_many(headers, decision.retry_after or 1.0)
        elif self.clock() < self._storm_until and self._storm_token in (None, token):
            return self._too_many(headers, self._storm_until - self.clock())

        lost = False
        fault = self._take_scripted(method, request.path)
        if fault is not None:
            if fault.kind == "429":
                return self._too_many(headers, fault.retry_after or 1.0)
            if fault.kind == "drop":
                raise DroppedConnection(processed=False)
            if fault.kind == "lost":
                lost = True
            else:
                self.stats.faults += 1
                if fault.retry_after is not None:
                    headers["retry-after"] = str(ceil_seconds(fault.retry_after))
                body = fault.body if fault.body is not None else _error_body(fault.status)
                return fault.status, headers, body, None

        faults = self.faults
        if faults.rate > 0 and self._rng.random() < faults.rate:
            self.stats.faults += 1
            status = self._rng.choice(faults.statuses)
            return status, headers, _error_body(status), None
        if faults.drop_rate > 0 and self._rng.random() < faults.drop_rate:
            raise DroppedConnection(processed=False)
        if faults.lost_response_rate > 0 and self._rng.random() < faults.lost_response_rate:
            lost = True

        status, body, op_id = self._dispatch(request, method)
        if lost:
            raise DroppedConnection(processed=True)
        return status, headers, body, op_id

    def _dispatch(self, request: FakeRequest, method: str) -> tuple[int, Any, str | None]:
        parts = request.path.split("/", 2)
        if len(parts) < 2 or parts[1] not in ("v1", "v2"):
            return 404, _error_body(404), None
        version, rest = parts[1], "/" + (parts[2] if len(parts) > 2 else "")
        found = route(version, method, rest)
        if isinstance(found, int):
            return found, _error_body(found), None
        match: Match = found
        op = match.operation
        self.stats.per_operation[op.operation_id] += 1
        body: Any = None
        if op.content_type == "application/json":
            if request.body.strip():
                try:
                    body = json.loads(request.body)
                except ValueError:
                    return (
                        400,
                        {"status": False, "errorMessage": "Invalid JSON body."},
                        op.operation_id,
                    )
            else:
                body = {}
            errors = validate(op.request_schema, body)
            if errors:
                return 422, ApiError(422, "Data is invalid.", errors).body(), op.operation_id
        ctx = Ctx(
            op=op,
            params=match.params,
            query=parse_qs(request.query, keep_blank_values=True),
            headers=request.headers,
            raw=request.body,
            body=body,
            state=self.state,
            limits=self.limits,
            now=self.wall_clock(),
            base_url=self._origin(request),
            on_result_stored=self._count_stored,
            on_duplicate=self._count_duplicate,
            rules=self.rules,
        )
        handler = HANDLERS[op.operation_id]  # every operation of the spec has one
        try:
            status, out = handler(ctx)
        except ApiError as exc:
            return exc.status, exc.body(), op.operation_id
        return status, out, op.operation_id

    def _origin(self, request: FakeRequest) -> str:
        # URLs the fake makes up point where the client reached it: same scheme and host.
        host = request.headers.get("host")
        if not host:
            return self.base_url
        scheme = request.scheme or self.base_url.partition("://")[0] or "http"
        return f"{scheme}://{host}"

    def _count_stored(self) -> None:
        self.stats.results_stored += 1

    def _count_duplicate(self) -> None:
        self.stats.duplicates_refused += 1


_MESSAGES = {
    400: "Bad request.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "Payload too large.",
    500: "Internal server error.",
    502: "Bad gateway.",
    503: "Service unavailable.",
    507: "Insufficient storage.",
}


def _error_body(status: int) -> dict[str, Any]:
    return {"status": False, "errorMessage": _MESSAGES.get(status, "Error.")}
