"""Client-side rate limiting that never draws a 429 and wastes no budget.

The service allows ``N`` requests in any sliding window of ``W`` seconds and locks the
token out for a minute on the first request over. A token bucket that starts full
(``aiolimiter.AsyncLimiter(N, W)``) lets ``2N`` through in the first window; a bucket of
one wastes a third of the budget. Instead, :class:`SlidingWindowLimiter` keeps ``N``
slots. A request takes a free slot; when its response arrives at time ``t`` the slot
becomes free again at ``t + W``. The server saw the request no later than ``t`` and sees
the next user of the slot no earlier than that user's send time, so the two are more than
``W`` apart at the server whatever the network latency: at most ``N`` in any window, and a
burst of ``3N`` ends after about ``2W``, the physical limit.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import heapq
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol, runtime_checkable

import attrs
import httpx
from aiolimiter import AsyncLimiter

from .exceptions import ClientClosedError

__all__ = ["Limiter", "Permit", "RateLimit", "SlidingWindowLimiter"]

DEFAULT_REQUESTS: Final = 600
DEFAULT_PER: Final = 60.0
SAFETY_MARGIN: Final = 0.005
"""Seconds added to every slot's window to absorb clock resolution."""
MAX_ADOPTED_LIMIT: Final = 100_000
"""A larger ``X-RateLimit-Limit`` is not believed (it would only cost memory)."""


def _positive_int(_: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be a positive integer, got {value!r}")


def _positive_float(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValueError(f"{attribute.name} must be a positive number of seconds, got {value!r}")


@attrs.frozen
class RateLimit:
    """A request budget: at most ``requests`` in any sliding window of ``per`` seconds.

    Attributes:
        requests: Requests allowed per window (the service's default is 600).
        per: The window in seconds (60 for the service).
        burst: ``None`` (default) sends as fast as the window allows. A number turns on
            smooth token-bucket pacing (aiolimiter) on top of the window: at most ``burst``
            requests back to back, then ``requests / per`` a second. The window still
            guarantees the budget, so no pacing setting can cause a 429.
        follow_server: Adopt the service's ``X-RateLimit-Limit`` when responses carry it
            (a workspace allowed 1,500 a minute gets 1,500). Set ``False`` to pin a share of
            the budget, e.g. ``RateLimit(200, 60, follow_server=False)`` for one of three
            shards.
    """

    requests: int = attrs.field(default=DEFAULT_REQUESTS, validator=_positive_int)
    per: float = attrs.field(default=DEFAULT_PER, validator=_positive_float, kw_only=True)
    burst: int | None = attrs.field(default=None, kw_only=True)
    follow_server: bool = attrs.field(default=True, kw_only=True)

    @burst.validator
    def _check_burst(self, attribute: attrs.Attribute[int | None], value: int | None) -> None:
        if value is not None:
            _positive_int(self, attribute, value)
            if value > self.requests:
                raise ValueError("burst cannot exceed requests")


@attrs.define(slots=True, eq=False)
class Permit:
    """What :meth:`Limiter.acquire` hands out and :meth:`Limiter.release` takes back.

    Attributes:
        sent_at: Clock reading when the permit was granted.
        waited: Seconds spent waiting for it (rate limit and cool-down).
    """

    sent_at: float
    waited: float


@runtime_checkable
class Limiter(Protocol):
    """What the client needs from a rate limiter; plug another one in with ``limiter=``.

    ``acquire`` is awaited before every request. ``release`` is called exactly once per
    permit, when the response (or the failure) is in: with the response headers, and
    ``sent=False`` only when the request certainly never reached the server. ``pause``
    is the cool-down gate: no permit is granted until ``seconds`` have passed.
    """

    async def acquire(self) -> Permit: ...

    def release(
        self, permit: Permit, *, headers: Mapping[str, str] | None = None, sent: bool = True
    ) -> None: ...

    def pause(self, seconds: float) -> None: ...

    async def aclose(self) -> None: ...


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    """A non-negative integer header; ``name`` is lower case (httpx headers ignore case)."""
    value = headers.get(name)
    if value is None and not isinstance(headers, httpx.Headers):
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None


class SlidingWindowLimiter:
    """The default :class:`Limiter`: a sliding window of slots, per client instance."""

    def __init__(
        self, rate_limit: RateLimit | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        rate_limit = rate_limit or RateLimit()
        self.rate_limit = rate_limit
        self._clock = clock
        self._limit = rate_limit.requests
        self._per = float(rate_limit.per)
        # Times at which each idle slot may be used again (a min-heap); slots in flight
        # are not in it. Its size plus the in-flight count is the limit, less any debt.
        self._free: list[float] = [0.0] * self._limit
        self._in_flight = 0
        self._debt = 0  # slots to retire on release after the limit shrank
        self._cooldown_until = 0.0
        # Our recent send and response times (each sorted, as both only grow) and how many
        # older ones were dropped: enough to tell our own traffic from someone else's.
        self._sends: list[float] = []
        self._sends_dropped = 0
        self._done: list[float] = []
        self._done_dropped = 0
        self._foreign: list[float] = []  # expiry of each slot reserved for others' traffic
        # Callers waiting for a slot, first come first served; each gets its permit
        # through its future, so every slot that comes due is granted in one go.
        self._waiters: deque[tuple[asyncio.Future[Permit], float]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._pacer = (
            AsyncLimiter(rate_limit.burst, rate_limit.burst * rate_limit.per / rate_limit.requests)
            if rate_limit.burst is not None
            else None
        )

    def __repr__(self) -> str:
        return f"SlidingWindowLimiter(limit={self._limit}, per={self._per})"

    @property
    def limit(self) -> int:
        """The number of requests currently allowed per window (adopted from the server)."""
        return self._limit

    async def acquire(self) -> Permit:
        """Wait for a slot (and the cool-down, and the pacer if any) and take it."""
        start = self._clock()
        if self._pacer is not None:
            await self._pacer.acquire()
        now = self._clock()
        if not self._waiters and self._due(now):
            return self._take(now, start)
        waiter: asyncio.Future[Permit] = asyncio.get_running_loop().create_future()
        self._waiters.append((waiter, start))
        self._dispatch()
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # Granted, but the caller is gone before sending: the slot is free at once.
                self.release(waiter.result(), sent=False)
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove((waiter, start))
            raise

    def _due(self, now: float) -> bool:
        return now >= self._cooldown_until and bool(self._free) and self._free[0] <= now

    def _take(self, now: float, start: float) -> Permit:
        heapq.heappop(self._free)
        self._in_flight += 1
        self._record(self._sends, now)
        return Permit(sent_at=now, waited=now - start)

    def _dispatch(self) -> None:
        """Grant every slot that is due to the waiters in order; wake up when the next is."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        now = self._clock()
        waiters = self._waiters
        while waiters:
            waiter, start = waiters[0]
            if waiter.done():  # cancelled while waiting
                waiters.popleft()
                continue
            if not self._due(now):
                if now < self._cooldown_until:
                    wake = self._cooldown_until
                elif self._free:
                    wake = self._free[0]
                else:
                    return  # every slot is in flight: a release dispatches again
                self._timer = waiter.get_loop().call_later(wake - now, self._dispatch)
                return
            waiters.popleft()
            waiter.set_result(self._take(now, start))

    def release(
        self, permit: Permit, *, headers: Mapping[str, str] | None = None, sent: bool = True
    ) -> None:
        """Return a slot; it is reusable ``per`` seconds after now (at once if never sent)."""
        now = self._clock()
        self._in_flight -= 1
        if self._debt > 0:
            self._debt -= 1
        else:
            heapq.heappush(self._free, now + self._per + SAFETY_MARGIN if sent else now)
        if sent:
            self._record(self._done, now)
            if headers is not None:
                self._observe(headers, permit, now)
        else:
            # It never left: forget its send so it is not taken for one the server counted.
            index = bisect.bisect_left(self._sends, permit.sent_at)
            if index < len(self._sends) and self._sends[index] == permit.sent_at:
                del self._sends[index]
        if self._waiters:
            self._dispatch()

    def pause(self, seconds: float) -> None:
        """Grant no permit for ``seconds`` (extends, never shortens, a running pause)."""
        until = self._clock() + max(0.0, seconds)
        if until > self._cooldown_until:
            self._cooldown_until = until
            if self._waiters:
                self._dispatch()

    async def aclose(self) -> None:
        """Stop the wake-up timer; callers still waiting get :class:`ClientClosedError`."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiters:
            waiter, _ = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ClientClosedError("closed while waiting for the rate limit"))

    def _record(self, times: list[float], now: float) -> None:
        times.append(now)
        if len(times) > 4 * self._limit + 64 and times[0] < now - 4 * self._per:
            # Keep 4 windows: enough for any request that is not absurdly slow.
            drop = bisect.bisect_left(times, now - 4 * self._per)
            del times[:drop]
            if times is self._sends:
                self._sends_dropped += drop
            else:
                self._done_dropped += drop

    def _observe(self, headers: Mapping[str, str], permit: Permit, now: float) -> None:
        server_limit = _header_int(headers, "x-ratelimit-limit")
        if server_limit is None or server_limit < 1:
            return
        if self.rate_limit.follow_server and server_limit != self._limit:
            self._resize(min(server_limit, MAX_ADOPTED_LIMIT), now)
        remaining = _header_int(headers, "x-ratelimit-remaining")
        if remaining is not None:
            self._reserve_for_others(server_limit, remaining, permit, now)

    def _resize(self, new_limit: int, now: float) -> None:
        change = new_limit - self._limit
        self._limit = new_limit
        if change > 0:
            repaid = min(change, self._debt)
            self._debt -= repaid
            # Our traffic in the window is below the old limit, so new slots are free now.
            for _ in range(change - repaid):
                heapq.heappush(self._free, now)
        else:
            # Retire the slots that would free soonest: the rest keep their later times.
            retire = min(-change, len(self._free))
            self._free = heapq.nlargest(len(self._free) - retire, self._free)
            heapq.heapify(self._free)
            self._debt += -change - retire

    def _reserve_for_others(
        self, server_limit: int, remaining: int, permit: Permit, now: float
    ) -> None:
        """Keep slots idle for budget someone else spent, as the server reports it.

        The server counted ``used = server_limit - remaining`` requests when this one
        arrived (at some time ``t`` between its send ``s`` and now). Any request of ours it
        counted was sent before now and answered after ``t - per >= s - per``. So ours
        number at most those sent so far less those answered by ``s - per``; used beyond
        that is certainly someone else's, and only then do we act (our own traffic, however
        concurrent or queued, never reserves anything). The amount reserved assumes that
        none of ours sent after this one was counted, the safe side; others' requests leave
        the server's window by ``now + per`` at the latest.
        """
        horizon = permit.sent_at - self._per
        if self._done and horizon < self._done[0] and self._done_dropped:
            return  # this request took longer than our memory: no judgement possible
        answered = self._done_dropped + bisect.bisect_right(self._done, horizon)
        ours_at_most = self._sends_dropped + len(self._sends) - answered
        ours_until_this = (
            self._sends_dropped + bisect.bisect_right(self._sends, permit.sent_at) - answered
        )
        used = server_limit - remaining
        share_gap = server_limit - self._limit  # others may use what is not our share
        if used - ours_at_most <= share_gap:
            return
        others = used - ours_until_this - share_gap
        self._foreign = [t for t in self._foreign if t > now]
        needed = min(others - len(self._foreign), len(self._free))
        if needed <= 0:
            return
        until = now + self._per + SAFETY_MARGIN
        for _ in range(needed):
            heapq.heappop(self._free)
            self._foreign.append(until)
        for _ in range(needed):
            heapq.heappush(self._free, until)
