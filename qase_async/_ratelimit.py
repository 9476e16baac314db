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

Lanes. Every request names a lane, ``interactive``, ``normal`` (default) or ``bulk``.
Lanes only choose *who* gets a slot that is free; they never create one, so no lane can
cause a 429. The policy (:func:`next_lane`, the same in Redis) has three rules:

* order: the highest lane with a waiter gets the next free slot; first come, first
  served within a lane;
* the reserve: bulk never holds more than ``N - R`` slots of the window (``R`` is
  :attr:`RateLimit.reserve` of ``N``), so ``R`` slots are always there for the lanes
  above bulk: a person's request finds one at once however hard a bulk job pushes, and
  when the lanes above use more than ``R``, each slot that frees goes to them first;
* the floor: while bulk waits, the lanes above it hold at most ``N - max(R, 1)`` slots
  together, so bulk gets at least ``max(R, 1)`` slots of every window however many
  higher requests come: no stream of interactive requests stops bulk. (Between
  ``interactive`` and ``normal`` the order is strict: people's requests come first.)

A bulk job alone therefore runs at ``N - R`` per window (95 % by default), and a lane
above bulk waits only when the lanes above bulk send more than ``R`` in one window.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import heapq
import math
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal, Protocol, runtime_checkable

import attrs
import httpx
from aiolimiter import AsyncLimiter

from .exceptions import ClientClosedError, RateLimitedError

__all__ = ["LANES", "Limiter", "Permit", "Priority", "RateLimit", "SlidingWindowLimiter"]

Priority = Literal["interactive", "normal", "bulk"]
"""The lane of a request: higher lanes are granted before lower ones."""
LANES: Final[tuple[Priority, ...]] = ("interactive", "normal", "bulk")
"""The lanes, highest first."""
_RANK: Final[dict[str, int]] = {lane: rank for rank, lane in enumerate(LANES)}
_BULK: Final = 2

DEFAULT_REQUESTS: Final = 600
DEFAULT_PER: Final = 60.0
DEFAULT_RESERVE: Final = 0.05
"""Share of the window's budget bulk may never take (30 of the service's 600)."""
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
        reserve: The share of the window's budget that ``bulk`` requests may never take
            (default 0.05: 30 of 600), so that ``interactive`` and ``normal`` requests find
            a slot at once while a bulk job saturates the budget. ``0`` turns it off;
            at most 0.5. See :func:`reserve_slots`.
    """

    requests: int = attrs.field(default=DEFAULT_REQUESTS, validator=_positive_int)
    per: float = attrs.field(default=DEFAULT_PER, validator=_positive_float, kw_only=True)
    burst: int | None = attrs.field(default=None, kw_only=True)
    follow_server: bool = attrs.field(default=True, kw_only=True)
    reserve: float = attrs.field(default=DEFAULT_RESERVE, kw_only=True)

    @reserve.validator
    def _check_reserve(self, attribute: attrs.Attribute[float], value: float) -> None:
        if not (isinstance(value, int | float) and not isinstance(value, bool)):
            raise ValueError(f"reserve must be a share between 0 and 0.5, got {value!r}")
        if not 0 <= value <= 0.5:
            raise ValueError(f"reserve must be a share between 0 and 0.5, got {value!r}")

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
        priority: The lane it was granted in.
    """

    sent_at: float
    waited: float
    priority: Priority = "normal"


def reserve_slots(limit: int, reserve: float) -> int:
    """The slots of a window of ``limit`` that bulk may never hold: ``ceil(limit * reserve)``.

    At least one when ``reserve`` is above 0, and never the whole window (bulk keeps one).
    """
    if reserve <= 0 or limit < 2:
        return 0
    return min(limit - 1, math.ceil(limit * reserve - 1e-9))


def next_lane(
    waiting: Sequence[bool], held: Sequence[int], *, limit: int, reserve: int
) -> int | None:
    """Which lane gets the next free slot: the policy of every limiter, as a pure function.

    The highest lane with a waiter goes first, except that bulk never holds more than
    ``limit - reserve`` slots (the reserve), and while bulk waits the lanes above it never
    hold more than ``limit - max(reserve, 1)`` together (bulk's floor: it never starves).

    Args:
        waiting: For each lane of :data:`LANES`, whether a request waits in it.
        held: For each lane, the slots of the window it holds (in flight or cooling down).
        limit: Slots in the window.
        reserve: Slots bulk may never hold (:func:`reserve_slots`).

    Returns:
        The lane's index in :data:`LANES`, or ``None`` when no waiting lane may take it.
    """
    bulk_waits = waiting[_BULK]
    for rank, wait in enumerate(waiting):
        if not wait:
            continue
        if rank == _BULK:
            return rank if held[_BULK] < limit - reserve else None
        if not bulk_waits or sum(held[:_BULK]) < limit - max(reserve, 1):
            return rank
    return None


@runtime_checkable
class Limiter(Protocol):
    """What the client needs from a rate limiter; plug another one in with ``limiter=``.

    ``acquire`` is awaited before every request. ``release`` is called exactly once per
    permit, when the response (or the failure) is in: with the response headers, and
    ``sent=False`` only when the request certainly never reached the server. ``pause``
    is the cool-down gate: no permit is granted until ``seconds`` (finite) have passed;
    with ``refuse=True`` every ``acquire`` during the cool-down raises
    :class:`~qase_async.RateLimitedError` at once, and ``acquire`` raises it whenever the
    gate would hold the caller longer than ``max_wait``. Nothing waits unboundedly.
    ``priority`` names the request's lane (see :data:`LANES`).
    """

    async def acquire(
        self, *, priority: Priority = "normal", max_wait: float = math.inf
    ) -> Permit: ...

    def release(
        self, permit: Permit, *, headers: Mapping[str, str] | None = None, sent: bool = True
    ) -> None: ...

    def pause(self, seconds: float, *, refuse: bool = False) -> None: ...

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


def gate_error(remaining: float, *, refused: bool) -> RateLimitedError:
    """The error of an ``acquire`` that the cool-down gate turns away."""
    why = "the service asked for longer than max_wait" if refused else "longer than max_wait"
    return RateLimitedError(
        f"rate-limit cool-down for another {remaining:.1f}s ({why}); not sent",
        retry_after=remaining,
    )


def check_pause(seconds: float) -> float:
    """A cool-down length as ``pause`` takes it: finite, and never negative."""
    if not math.isfinite(seconds):
        raise ValueError("a cool-down must be a finite number of seconds")
    return max(0.0, seconds)


_Waiter = tuple[asyncio.Future[Permit], float, float]


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
        self._refuse_until = 0.0  # during a refused cool-down every acquire raises
        # Our recent send and response times (each sorted, as both only grow) and how many
        # older ones were dropped: enough to tell our own traffic from someone else's.
        self._sends: list[float] = []
        self._sends_dropped = 0
        self._done: list[float] = []
        self._done_dropped = 0
        self._foreign: list[float] = []  # expiry of each slot reserved for others' traffic
        # Callers waiting for a slot, one queue per lane, each first come first served;
        # each gets its permit through its future, so every slot that comes due is
        # granted in one go. An entry is (future, start, latest): the caller's start and
        # the latest time its max_wait lets the cool-down gate hold it.
        self._waiters: tuple[deque[_Waiter], ...] = (deque(), deque(), deque())
        # Slots each lane holds in the window: in flight, and the times at which its
        # released slots come free (a min-heap per lane, pruned as they pass).
        self._lane_flying = [0, 0, 0]
        self._lane_cooling: tuple[list[float], ...] = ([], [], [])
        self._reserve = reserve_slots(self._limit, rate_limit.reserve)
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

    @property
    def in_use(self) -> int:
        """Slots of the window that are in flight or cooling down (not free now)."""
        now = self._clock()
        return self._limit - sum(1 for t in self._free if t <= now)

    def lane_held(self, priority: Priority) -> int:
        """Slots of the window the lane holds: in flight, or released less than ``per`` ago."""
        return self._held(_RANK[priority], self._clock())

    async def acquire(self, *, priority: Priority = "normal", max_wait: float = math.inf) -> Permit:
        """Wait for a slot (and the cool-down, and the pacer if any) and take it.

        Args:
            priority: The request's lane; higher lanes are granted first, and bulk never
                takes the reserve (see the module's docstring).
            max_wait: The longest the cool-down gate may hold the call.

        Raises:
            RateLimitedError: The cool-down gate would hold the call longer than
                ``max_wait``, or it was closed with ``refuse=True``.
        """
        rank = _RANK[priority]
        start = self._clock()
        self._check_gate(start, max_wait)
        if self._pacer is not None:
            await self._pacer.acquire()
        now = self._clock()
        self._check_gate(now, max_wait)
        if (
            not any(self._waiters)
            and self._due(now)
            and (rank != _BULK or self._held(_BULK, now) < self._limit - self._reserve)
        ):
            return self._take(now, start, rank)
        waiter: asyncio.Future[Permit] = asyncio.get_running_loop().create_future()
        queue = self._waiters[rank]
        entry = (waiter, start, now + max_wait)
        queue.append(entry)
        self._dispatch()
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # Granted, but the caller is gone before sending: the slot is free at once.
                self.release(waiter.result(), sent=False)
            else:
                with contextlib.suppress(ValueError):
                    queue.remove(entry)
            raise

    def _check_gate(self, now: float, max_wait: float) -> None:
        remaining = self._cooldown_until - now
        if remaining > 0 and (now < self._refuse_until or remaining > max_wait):
            raise gate_error(remaining, refused=now < self._refuse_until)

    def _due(self, now: float) -> bool:
        return now >= self._cooldown_until and bool(self._free) and self._free[0] <= now

    def _held(self, rank: int, now: float) -> int:
        cooling = self._lane_cooling[rank]
        while cooling and cooling[0] <= now:
            heapq.heappop(cooling)
        return self._lane_flying[rank] + len(cooling)

    def _take(self, now: float, start: float, rank: int) -> Permit:
        heapq.heappop(self._free)
        self._in_flight += 1
        self._lane_flying[rank] += 1
        self._record(self._sends, now)
        return Permit(sent_at=now, waited=now - start, priority=LANES[rank])

    def _dispatch(self) -> None:
        """Grant every slot that is due to the waiters in lane order; wake up when the next is."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        now = self._clock()
        queues = self._waiters
        while True:
            for queue in queues:
                while queue and queue[0][0].done():  # cancelled while waiting
                    queue.popleft()
            if not any(queues):
                return
            loop = next(q for q in queues if q)[0][0].get_loop()
            if not self._due(now):
                if now < self._cooldown_until:
                    wake = self._cooldown_until
                elif self._free:
                    wake = self._free[0]
                else:
                    return  # every slot is in flight: a release dispatches again
                self._timer = loop.call_later(wake - now, self._dispatch)
                return
            rank = next_lane(
                [bool(q) for q in queues],
                [self._held(r, now) for r in range(len(LANES))],
                limit=self._limit,
                reserve=self._reserve,
            )
            if rank is None:
                # The waiting lanes hold their share: wake when one of their slots frees.
                wakes = [c[0] for c in self._lane_cooling if c]
                if wakes:
                    self._timer = loop.call_later(min(wakes) - now, self._dispatch)
                return  # or a release dispatches again
            waiter, start, _ = queues[rank].popleft()
            waiter.set_result(self._take(now, start, rank))

    def release(
        self, permit: Permit, *, headers: Mapping[str, str] | None = None, sent: bool = True
    ) -> None:
        """Return a slot; it is reusable ``per`` seconds after now (at once if never sent)."""
        now = self._clock()
        self._in_flight -= 1
        rank = _RANK[permit.priority]
        self._lane_flying[rank] -= 1
        if sent:
            heapq.heappush(self._lane_cooling[rank], now + self._per + SAFETY_MARGIN)
            self._held(rank, now)  # drops what has cooled down: the heap stays a window
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
        if any(self._waiters):
            self._dispatch()

    def pause(self, seconds: float, *, refuse: bool = False) -> None:
        """Grant no permit for ``seconds`` (extends, never shortens, a running pause).

        With ``refuse``, callers waiting now and every ``acquire`` until the pause ends
        raise :class:`RateLimitedError` instead; so do waiters it would hold longer than
        their ``max_wait``.
        """
        now = self._clock()
        until = now + check_pause(seconds)
        if refuse:
            self._refuse_until = max(self._refuse_until, until)
        if until > self._cooldown_until:
            self._cooldown_until = until
        refused = now < self._refuse_until
        for queue in self._waiters:
            kept: deque[_Waiter] = deque()
            for entry in queue:
                waiter, _, latest = entry
                if waiter.done():
                    continue
                if refused or latest < self._cooldown_until:
                    waiter.set_exception(gate_error(self._cooldown_until - now, refused=refused))
                else:
                    kept.append(entry)
            queue.clear()
            queue.extend(kept)
        if any(self._waiters):
            self._dispatch()

    async def aclose(self) -> None:
        """Stop the wake-up timer; callers still waiting get :class:`ClientClosedError`."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for queue in self._waiters:
            while queue:
                waiter, _, _ = queue.popleft()
                if not waiter.done():
                    waiter.set_exception(
                        ClientClosedError("closed while waiting for the rate limit")
                    )

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
        self._reserve = reserve_slots(new_limit, self.rate_limit.reserve)
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
