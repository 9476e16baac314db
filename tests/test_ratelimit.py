"""The sliding-window limiter: slots, release timing, adoption of server limits, pauses."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from qase_async import (
    ClientClosedError,
    Limiter,
    RateLimit,
    RateLimitedError,
    SlidingWindowLimiter,
)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"requests": 0},
        {"requests": -1},
        {"requests": 1.5},
        {"requests": True},
        {"requests": 10, "per": 0},
        {"requests": 10, "per": float("inf")},
        {"requests": 10, "burst": 0},
        {"requests": 10, "burst": 11},
    ],
)
def test_rate_limit_refuses_unsafe_parameters(kwargs: dict[str, object]) -> None:
    """A budget that cannot be honoured is refused when it is written, not at run time."""
    with pytest.raises(ValueError, match=r"must|cannot"):
        RateLimit(**kwargs)  # type: ignore[arg-type]


def test_defaults_are_the_services() -> None:
    """The default budget is the service's documented 600 requests per minute."""
    assert RateLimit() == RateLimit(600, per=60.0)
    assert SlidingWindowLimiter().limit == 600


def test_limiter_satisfies_the_protocol() -> None:
    """The default limiter is a ``Limiter``, so others can be swapped in."""
    assert isinstance(SlidingWindowLimiter(), Limiter)


async def test_n_permits_at_once_then_wait_a_window_after_the_release() -> None:
    """N requests go at once; the next waits until ``per`` after the first one's response."""
    limiter = SlidingWindowLimiter(RateLimit(3, per=0.3))
    permits = [await limiter.acquire() for _ in range(3)]
    assert all(p.waited < 0.05 for p in permits)
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.1)
    assert not waiter.done(), "a 4th request must not go while 3 are in the window"
    released_at = time.monotonic()
    limiter.release(permits[0])
    permit = await asyncio.wait_for(waiter, 2)
    assert time.monotonic() - released_at >= 0.3 - 0.01
    assert permit.waited >= 0.3
    for p in [*permits[1:], permit]:
        limiter.release(p)


async def test_a_slot_counts_from_the_response_not_the_send() -> None:
    """A slow response keeps its slot busy: the window restarts when the answer is in.

    The server saw the request no later than the response, so only a window measured from
    the response is safe whatever the latency.
    """
    limiter = SlidingWindowLimiter(RateLimit(1, per=0.2))
    permit = await limiter.acquire()
    await asyncio.sleep(0.3)  # a slow request: longer than the window
    limiter.release(permit)
    start = time.monotonic()
    second = await asyncio.wait_for(limiter.acquire(), 2)
    assert time.monotonic() - start >= 0.2 - 0.01
    limiter.release(second)


async def test_a_request_that_never_left_returns_its_slot_at_once() -> None:
    """A connection failure did not reach the server, so it costs no budget."""
    limiter = SlidingWindowLimiter(RateLimit(1, per=10))
    permit = await limiter.acquire()
    limiter.release(permit, sent=False)
    again = await asyncio.wait_for(limiter.acquire(), 1)
    limiter.release(again, sent=False)


async def test_cancelled_waiter_holds_nothing() -> None:
    """A call cancelled while waiting gives back its place; the next caller gets the slot."""
    limiter = SlidingWindowLimiter(RateLimit(1, per=0.05))
    held = await limiter.acquire()
    cancelled = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.01)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    limiter.release(held)
    permit = await asyncio.wait_for(limiter.acquire(), 1)
    limiter.release(permit)
    assert limiter._in_flight == 0
    assert len(limiter._free) == limiter.limit


async def test_pause_blocks_every_new_permit() -> None:
    """The cool-down gate: after ``pause`` nothing is granted until it has passed."""
    limiter = SlidingWindowLimiter(RateLimit(100, per=1))
    limiter.pause(0.25)
    start = time.monotonic()
    permits = await asyncio.wait_for(asyncio.gather(*(limiter.acquire() for _ in range(5))), 2)
    assert time.monotonic() - start >= 0.25 - 0.01
    for p in permits:
        limiter.release(p)


async def test_pause_never_shortens_a_running_pause() -> None:
    """A shorter ``Retry-After`` seen later does not cut a longer cool-down short."""
    limiter = SlidingWindowLimiter(RateLimit(10, per=1))
    limiter.pause(0.3)
    limiter.pause(0.05)
    start = time.monotonic()
    permit = await asyncio.wait_for(limiter.acquire(), 2)
    assert time.monotonic() - start >= 0.3 - 0.01
    limiter.release(permit)


async def test_adopts_a_larger_server_limit() -> None:
    """A workspace allowed 1,500 a minute gets 1,500, not the default 600."""
    limiter = SlidingWindowLimiter(RateLimit(2, per=10))
    first = await limiter.acquire()
    limiter.release(first, headers={"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4"})
    assert limiter.limit == 5
    permits = [await asyncio.wait_for(limiter.acquire(), 1) for _ in range(4)]
    assert len(permits) == 4  # 5 in the window: the released one plus 4 new
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.05)
    assert not waiter.done()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter


async def test_adopts_a_smaller_server_limit_keeping_the_latest_slots() -> None:
    """A smaller server limit retires slots, keeping the ones busy the longest."""
    limiter = SlidingWindowLimiter(RateLimit(5, per=10))
    p = await limiter.acquire()
    limiter.release(p, headers={"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0"})
    assert limiter.limit == 1
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.05)
    assert not waiter.done(), "the one slot left is the one used 10 s ago"
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter


async def test_pinned_share_ignores_the_server_limit() -> None:
    """``follow_server=False`` keeps a shard at its share of the budget."""
    limiter = SlidingWindowLimiter(RateLimit(2, per=10, follow_server=False))
    p = await limiter.acquire()
    limiter.release(p, headers={"X-RateLimit-Limit": "1500", "X-RateLimit-Remaining": "1499"})
    assert limiter.limit == 2


async def test_shrink_below_in_flight_retires_slots_as_they_come_back() -> None:
    """Shrinking while requests are in flight retires their slots when they return."""
    limiter = SlidingWindowLimiter(RateLimit(3, per=0.05))
    permits = [await limiter.acquire() for _ in range(3)]
    limiter.release(permits[0], headers={"X-RateLimit-Limit": "1"})
    limiter.release(permits[1])
    limiter.release(permits[2])
    assert limiter.limit == 1
    assert len(limiter._free) + limiter._in_flight == 1


async def test_budget_spent_by_someone_else_is_not_overrun() -> None:
    """When ``X-RateLimit-Remaining`` shows others' spending, slots stay idle for it."""
    limiter = SlidingWindowLimiter(RateLimit(10, per=10))
    p = await limiter.acquire()
    # The server counted 7 (ours: 1), so 6 were someone else's.
    limiter.release(p, headers={"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "3"})
    got = []
    for _ in range(3):
        got.append(await asyncio.wait_for(limiter.acquire(), 1))
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.05)
    assert not waiter.done(), "1 ours + 3 more + 6 others fill the window of 10"
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter


async def test_own_traffic_is_not_mistaken_for_others() -> None:
    """Remaining that only reflects our own requests reserves nothing."""
    limiter = SlidingWindowLimiter(RateLimit(10, per=10))
    permits = [await limiter.acquire() for _ in range(4)]
    for i, p in enumerate(permits):
        limiter.release(p, headers={"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": str(9 - i)})
    assert limiter._foreign == []
    more = [await asyncio.wait_for(limiter.acquire(), 1) for _ in range(6)]
    assert len(more) == 6


async def test_burst_pacing_spreads_requests() -> None:
    """``burst`` turns on smooth pacing: a short burst, then requests/per per second."""
    limiter = SlidingWindowLimiter(RateLimit(20, per=1.0, burst=2))
    start = time.monotonic()
    for _ in range(6):
        limiter.release(await limiter.acquire(), sent=False)
    # 2 at once, then one each 1/20 s: at least 4 intervals of 0.05 s.
    assert time.monotonic() - start >= 0.15


async def test_memory_stays_flat_over_many_requests() -> None:
    """A client held for days keeps a fixed-size state, whatever it has sent."""
    limiter = SlidingWindowLimiter(RateLimit(50, per=0.001))
    lanes = ("interactive", "normal", "bulk")
    for i in range(5000):
        p = await limiter.acquire(priority=lanes[i % 3])
        limiter.release(
            p, headers={"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49"} if i % 2 else None
        )
    assert len(limiter._free) == 50
    assert all(len(cooling) <= 50 for cooling in limiter._lane_cooling)
    assert len(limiter._sends) <= 4 * 50 + 64
    assert len(limiter._foreign) <= 50


async def test_a_request_that_never_left_is_not_counted_as_ours() -> None:
    """A connection failure leaves no trace in what we believe the server counted."""
    limiter = SlidingWindowLimiter(RateLimit(5, per=10))
    permit = await limiter.acquire()
    limiter.release(permit, sent=False)
    assert limiter._sends == []


async def test_a_refused_pause_fails_waiting_and_new_callers_at_once() -> None:
    """pause(refuse=True): callers queued now and arriving later raise instead of waiting."""
    limiter = SlidingWindowLimiter(RateLimit(5, per=1.0))
    limiter.pause(0.5)
    queued = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.01)
    assert not queued.done()
    limiter.pause(30.0, refuse=True)
    with pytest.raises(RateLimitedError, match="max_wait"):
        await asyncio.wait_for(queued, 1)
    with pytest.raises(RateLimitedError) as info:
        await limiter.acquire()
    assert 29 < info.value.retry_after <= 30


async def test_acquire_never_waits_on_the_gate_longer_than_max_wait() -> None:
    """A cool-down longer than max_wait raises at once; a shorter one is waited out."""
    limiter = SlidingWindowLimiter(RateLimit(5, per=1.0))
    limiter.pause(0.2)
    with pytest.raises(RateLimitedError):
        await limiter.acquire(max_wait=0.1)
    permit = await asyncio.wait_for(limiter.acquire(max_wait=1.0, priority="bulk"), 2)
    assert permit.waited >= 0.15
    limiter.release(permit)


async def test_a_longer_pause_fails_waiters_it_would_hold_past_their_max_wait() -> None:
    """A waiter that accepted 1 s is refused when the gate is pushed out to 30 s."""
    limiter = SlidingWindowLimiter(RateLimit(5, per=1.0))
    limiter.pause(0.5)
    patient = asyncio.ensure_future(limiter.acquire(max_wait=60.0))
    hasty = asyncio.ensure_future(limiter.acquire(max_wait=1.0))
    await asyncio.sleep(0.01)
    limiter.pause(30.0)
    with pytest.raises(RateLimitedError):
        await asyncio.wait_for(hasty, 1)
    assert not patient.done()
    await limiter.aclose()
    with pytest.raises(ClientClosedError):
        await patient


@pytest.mark.parametrize("seconds", [math.inf, math.nan])
def test_pause_takes_finite_seconds_only(seconds: float) -> None:
    """A cool-down that never ends is a bug in the caller, not a state to enter."""
    with pytest.raises(ValueError, match="finite"):
        SlidingWindowLimiter().pause(seconds)
