"""Configuration, fault plans, counters and the rate limiter of the fake Qase server."""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable
from typing import Any, Literal

import attrs

__all__ = [
    "MB",
    "ResultRules",
    "DroppedConnection",
    "Faults",
    "FakeStats",
    "RequestRecord",
    "ScriptedFault",
    "SlidingWindowLimiter",
]

MB = 1024 * 1024
"""One mebibyte, for the fake's size limits (``max_file=32 * MB``)."""


class DroppedConnection(Exception):
    """Raised by :meth:`FakeQase.handle` when the connection must be dropped.

    The in-process transport turns it into :class:`httpx.RemoteProtocolError`; the ASGI
    app closes the connection without a complete response.

    Attributes:
        processed: Whether the request was carried out before the connection was lost
            (the response is lost, the side effects are not).
    """

    def __init__(self, processed: bool) -> None:
        super().__init__("connection dropped by the fake Qase server")
        self.processed = processed


@attrs.frozen
class Faults:
    """Random faults, drawn from a seeded generator so that runs are reproducible.

    Attributes:
        rate: Fraction of accepted requests answered with one of ``statuses`` instead of
            being carried out.
        statuses: The error statuses to draw from.
        latency: Seconds added to every request.
        drop_rate: Fraction of requests whose connection is dropped before they are
            carried out.
        lost_response_rate: Fraction of requests that are carried out but whose response
            is lost (the connection drops after processing), which is what makes retries
            duplicate data.
        seed: Seed of the generator.
    """

    rate: float = 0.0
    statuses: tuple[int, ...] = (500, 502, 503)
    latency: float = 0.0
    drop_rate: float = 0.0
    lost_response_rate: float = 0.0
    seed: int = 0


@attrs.define
class ScriptedFault:
    """A fault that hits the next ``times`` matching requests (see :meth:`FakeQase.inject`).

    Attributes:
        kind: ``"status"`` (answer ``status``), ``"drop"`` (drop before processing),
            ``"lost"`` (process, then drop) or ``"429"`` (answer 429 as the rate limiter
            would).
        times: How many more requests it hits.
        status: The status answered, for ``kind == "status"``.
        path_prefix: Only requests whose path (with ``/v1``/``/v2``) starts with this.
        method: Only requests with this method.
        retry_after: ``Retry-After`` seconds sent with the answer, if any.
        body: Body to answer with, default a Qase-style error body.
    """

    kind: str
    times: int
    status: int = 503
    path_prefix: str | None = None
    method: str | None = None
    retry_after: float | None = None
    body: Any = None

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request."""
        if self.times <= 0:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)


@attrs.frozen(kw_only=True)
class ResultRules:
    """The fake's choices where the spec leaves the service's behaviour open.

    Attributes:
        results_in_closed_runs: Accept results into a completed run. The service refuses
            them (400 ``Test run is not active``) unless the project setting "Allow to
            add results for cases in closed runs" is on; ``True`` is that setting.
        unknown_case_ids: What a v2 result naming a case id that does not exist gets:
            ``"keep"`` (stored under that id, as the service's 202 accepts it unchecked),
            ``"reject"`` (422 for the whole request, as v1 answers for ``case_id``) or
            ``"auto_create"`` (the id is ignored and the case is found or created as for
            a result without one).
    """

    results_in_closed_runs: bool = False
    unknown_case_ids: Literal["keep", "reject", "auto_create"] = "keep"


@attrs.frozen
class RequestRecord:
    """One request as the fake saw it (in :attr:`FakeStats.log`)."""

    at: float
    method: str
    path: str
    status: int | None
    token: str | None
    operation_id: str | None


@attrs.define
class FakeStats:
    """Counters a test can assert on.

    Attributes:
        requests: Every request received, whatever its fate.
        rate_limited: 429 answers sent (over the limit, during a lock-out, or scripted).
        lockouts: How many lock-outs the rate limiter started.
        unauthorized: 401 answers sent.
        faults: Injected 5xx (or other scripted status) answers sent.
        dropped: Connections dropped (before or after processing).
        results_stored: Test results stored (v1 and v2, single and bulk).
        duplicates_refused: v2 results not stored again because their ``id`` was seen.
        statuses: Count of answers per status code.
        per_path: Count of requests per ``"METHOD /v1/path"``.
        per_operation: Count of routed requests per operation id.
        log: The last requests, oldest first.
    """

    requests: int = 0
    rate_limited: int = 0
    lockouts: int = 0
    unauthorized: int = 0
    faults: int = 0
    dropped: int = 0
    results_stored: int = 0
    duplicates_refused: int = 0
    statuses: Counter[int] = attrs.field(factory=Counter)
    per_path: Counter[str] = attrs.field(factory=Counter)
    per_operation: Counter[str] = attrs.field(factory=Counter)
    log: deque[RequestRecord] = attrs.field(factory=lambda: deque(maxlen=10_000))


@attrs.frozen
class Decision:
    """The rate limiter's verdict on one request."""

    allowed: bool
    limit: int
    remaining: int
    reset_in: float
    retry_after: float | None = None
    new_lockout: bool = False


@attrs.define
class SlidingWindowLimiter:
    """A strict sliding-window limiter with a lock-out, per token.

    At most ``limit`` requests are accepted in any window of ``window`` seconds. The first
    request over the limit is refused and starts a lock-out of ``lockout`` seconds during
    which every request is refused (refusals do not count towards the window and do not
    extend the lock-out).
    """

    limit: int
    window: float
    lockout: float
    clock: Callable[[], float]
    _hits: dict[str, deque[float]] = attrs.field(factory=dict, init=False)
    _locked_until: dict[str, float] = attrs.field(factory=dict, init=False)

    def check(self, token: str) -> Decision:
        """Count a request for ``token`` and decide whether it is accepted."""
        now = self.clock()
        hits = self._hits.setdefault(token, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        locked = self._locked_until.get(token)
        if locked is not None and now < locked:
            return Decision(False, self.limit, 0, locked - now, retry_after=locked - now)
        if len(hits) >= self.limit:
            until = now + self.lockout
            self._locked_until[token] = until
            return Decision(
                False, self.limit, 0, self.lockout, retry_after=self.lockout, new_lockout=True
            )
        hits.append(now)
        reset_in = hits[0] + self.window - now
        return Decision(True, self.limit, self.limit - len(hits), reset_in)

    def lock(self, token: str, seconds: float) -> None:
        """Put ``token`` in lock-out for ``seconds`` from now."""
        self._locked_until[token] = self.clock() + seconds

    def peek(self, token: str) -> Decision:
        """The current state for ``token`` without counting a request."""
        now = self.clock()
        hits = [t for t in self._hits.get(token, ()) if t > now - self.window]
        locked = self._locked_until.get(token)
        if locked is not None and now < locked:
            return Decision(False, self.limit, 0, locked - now, retry_after=locked - now)
        reset_in = hits[0] + self.window - now if hits else 0.0
        return Decision(True, self.limit, self.limit - len(hits), reset_in)


def ceil_seconds(value: float) -> int:
    """Round a delay up to whole seconds, at least 1 (the ``Retry-After`` format)."""
    return max(1, math.ceil(value - 1e-9))
