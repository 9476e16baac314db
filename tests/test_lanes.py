"""Priority lanes in the in-process limiter: order, reserve, no starvation, no 429."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from qase_async import LANES, Permit, Priority, QaseClient, RateLimit, SlidingWindowLimiter
from qase_async._ratelimit import next_lane, reserve_slots
from qase_async.exceptions import ClientClosedError, ConfigurationError, RateLimitedError

from .window_server import WindowServer, serve

_GRANTED: dict[int, list[int]] = {}


async def _queue(
    limiter: SlidingWindowLimiter, lanes: list[Priority]
) -> list[asyncio.Task[Permit]]:
    """Start one acquire per lane, in this order, each queued before the next starts."""
    tasks: list[asyncio.Task[Permit]] = []
    granted = _GRANTED.setdefault(id(limiter), [])
    for index, lane in enumerate(lanes):
        task = asyncio.ensure_future(limiter.acquire(priority=lane))
        task.add_done_callback(lambda _, index=index: granted.append(index))  # type: ignore[misc]
        tasks.append(task)
        await asyncio.sleep(0)
    return tasks


def _order(limiter: SlidingWindowLimiter, names: list[str]) -> list[str]:
    """The names of the queued acquires in the order their permits were granted."""
    return [names[index] for index in _GRANTED.pop(id(limiter))]


@pytest.mark.parametrize("reserve", [-0.1, 0.51, float("nan"), True, "0.1"])
def test_reserve_must_be_a_share(reserve: object) -> None:
    """A reserve that is not a share of at most half the budget is refused at once."""
    with pytest.raises(ValueError, match="reserve"):
        RateLimit(10, reserve=reserve)  # type: ignore[arg-type]


def test_reserve_slots_round_up_and_leave_bulk_one() -> None:
    """The reserve is ``ceil(limit * share)``, at least one, never the whole window."""
    assert reserve_slots(600, 0.05) == 30
    assert reserve_slots(160, 0.05) == 8
    assert reserve_slots(10, 0.01) == 1
    assert reserve_slots(2, 0.5) == 1
    assert reserve_slots(1, 0.5) == 0
    assert reserve_slots(600, 0) == 0


def test_policy_is_lane_order_with_a_reserve_and_floors() -> None:
    """The pure policy: the highest waiting lane first; bulk never past ``limit - reserve``;
    the lanes above a waiting lane never past its floor."""
    everyone = [True, True, True]
    assert next_lane(everyone, [0, 0, 0], limit=10, reserve=2) == 0
    assert next_lane([False, False, True], [0, 2, 8], limit=10, reserve=2) is None
    assert next_lane([False, False, True], [0, 2, 7], limit=10, reserve=2) == 2
    # Bulk waits: the lanes above it stop at 10 - 2 and bulk gets the slot.
    assert next_lane([True, False, True], [8, 0, 0], limit=10, reserve=2) == 2
    assert next_lane([True, False, True], [7, 0, 0], limit=10, reserve=2) == 0
    # Interactive before normal, strictly; both stop at bulk's floor while it waits.
    assert next_lane(everyone, [6, 1, 0], limit=10, reserve=2) == 0
    assert next_lane(everyone, [6, 2, 0], limit=10, reserve=2) == 2
    assert next_lane([True, True, False], [9, 0, 0], limit=10, reserve=2) == 0
    # No reserve: bulk may fill the window, and still keeps a floor of one.
    assert next_lane([True, False, True], [9, 0, 0], limit=10, reserve=0) == 2
    assert next_lane([False, False, False], [0, 0, 0], limit=10, reserve=2) is None


async def test_higher_lanes_first_and_first_come_first_served_within_a_lane() -> None:
    """Waiters queued as bulk, bulk, normal, interactive, normal, interactive are granted
    interactive, interactive, normal, normal, bulk, bulk when the gate opens."""
    limiter = SlidingWindowLimiter(RateLimit(10, per=5.0, reserve=0.5))
    limiter.pause(0.05)
    names = ["b1", "b2", "n1", "i1", "n2", "i2"]
    lanes: list[Priority] = ["bulk", "bulk", "normal", "interactive", "normal", "interactive"]
    tasks = await _queue(limiter, lanes)
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert _order(limiter, names) == ["i1", "i2", "n1", "n2", "b1", "b2"]
    assert [t.result().priority for t in tasks] == lanes
    await limiter.aclose()


async def test_a_waiting_bulk_request_keeps_its_floor() -> None:
    """While bulk waits, the lanes above it hold at most ``N - max(R, 1)`` slots: with
    N = 4 and R = 1, three interactive requests go, then the bulk one queued before them,
    and the fourth interactive request waits for the next free slot."""
    limiter = SlidingWindowLimiter(RateLimit(4, per=30.0, reserve=0.25))
    limiter.pause(0.05)
    names = ["b1", "i1", "i2", "i3", "i4"]
    tasks = await _queue(
        limiter, ["bulk", "interactive", "interactive", "interactive", "interactive"]
    )
    await asyncio.wait_for(asyncio.gather(*tasks[:4]), 5)
    assert not tasks[4].done()
    assert _order(limiter, names) == ["i1", "i2", "i3", "b1"]
    limiter.release(tasks[1].result(), sent=False)
    assert (await asyncio.wait_for(tasks[4], 5)).priority == "interactive"
    await limiter.aclose()


async def test_bulk_never_takes_the_reserve_and_others_find_it_at_once() -> None:
    """With bulk queued far beyond the budget, bulk holds N - R slots and an interactive
    and a normal request made afterwards are granted without waiting for a slot."""
    limiter = SlidingWindowLimiter(RateLimit(10, per=30.0, reserve=0.2))
    bulk = [asyncio.ensure_future(limiter.acquire(priority="bulk")) for _ in range(25)]
    await asyncio.sleep(0.05)
    assert sum(t.done() for t in bulk) == 8
    assert limiter.lane_held("bulk") == 8
    interactive = await asyncio.wait_for(limiter.acquire(priority="interactive"), 5)
    normal = await asyncio.wait_for(limiter.acquire(priority="normal"), 5)
    assert (interactive.priority, normal.priority) == ("interactive", "normal")
    assert interactive.waited < 1.0
    assert normal.waited < 1.0
    assert limiter.in_use == 10
    late = asyncio.ensure_future(limiter.acquire(priority="interactive"))
    await asyncio.sleep(0.05)
    assert not late.done(), "the whole window is in use: nobody may go"
    await limiter.aclose()
    for task in [*bulk, late]:
        if not task.done():
            with pytest.raises(Exception, match="closed"):
                await task


async def test_a_bulk_job_alone_uses_all_but_the_reserve() -> None:
    """A bulk request that never left gives its slot back at once, so bulk keeps N - R
    in flight and no more, whatever its queue."""
    limiter = SlidingWindowLimiter(RateLimit(20, per=30.0, reserve=0.1))
    granted = 0
    for _ in range(40):
        permit = await asyncio.wait_for(limiter.acquire(priority="bulk"), 5)
        granted += 1
        limiter.release(permit, sent=False)
    assert granted == 40
    assert limiter.lane_held("bulk") == 0
    held = [await limiter.acquire(priority="bulk") for _ in range(18)]
    blocked = asyncio.ensure_future(limiter.acquire(priority="bulk"))
    await asyncio.sleep(0.05)
    assert not blocked.done()
    limiter.release(held[0], sent=False)
    assert (await asyncio.wait_for(blocked, 5)).priority == "bulk"
    await limiter.aclose()


async def test_a_stream_of_interactive_requests_cannot_starve_bulk() -> None:
    """The floor: a bulk request queued behind 8 interactive ones, with 20 more queued
    after it, gets one of the 4 slots of the very first window; strict priority would
    serve it last, after all 28."""
    limit, per = 4, 0.1
    limiter = SlidingWindowLimiter(RateLimit(limit, per=per, reserve=0.25))
    names = [f"i{k}" for k in range(8)] + ["bulk"] + [f"late{k}" for k in range(20)]
    lanes: list[Priority] = ["interactive"] * 8 + ["bulk"] + ["interactive"] * 20
    limiter.pause(0.02)
    tasks = await _queue(limiter, lanes)

    async def send_and_release(task: asyncio.Task[Permit]) -> None:
        limiter.release(await task)  # sent: the slot is busy for a window

    await asyncio.wait_for(asyncio.gather(*(send_and_release(t) for t in tasks)), 30)
    order = _order(limiter, names)
    assert order.index("bulk") == 3, order
    await limiter.aclose()


async def test_cancelled_waiters_of_every_lane_hold_nothing() -> None:
    """A waiter cancelled in any lane leaves its queue; the next in line gets the slot."""
    limiter = SlidingWindowLimiter(RateLimit(2, per=30.0, reserve=0.5))
    first = await limiter.acquire(priority="normal")
    second = await limiter.acquire(priority="interactive")
    tasks = await _queue(limiter, ["interactive", "bulk", "normal"])
    tasks[0].cancel()
    await asyncio.sleep(0)
    limiter.release(first, sent=False)
    # Bulk waits and the lanes above hold 2 - max(R, 1) = 1: the slot is bulk's floor.
    permit = await asyncio.wait_for(tasks[1], 5)
    assert permit.priority == "bulk"
    assert not tasks[2].done()
    limiter.release(second, sent=False)
    assert (await asyncio.wait_for(tasks[2], 5)).priority == "normal"
    assert limiter.in_use == 2
    await limiter.aclose()


async def test_with_options_sends_in_its_lane_and_shares_stats() -> None:
    """``client.with_options(priority=...)`` shares the limiter and the stats; the stats
    count each lane's requests; a lane that does not exist is refused."""
    server = WindowServer(20, 1.0)
    with serve(server) as base:
        async with QaseClient(token="t", base_url=base, rate_limit=RateLimit(20, per=1.0)) as qase:
            bot = qase.with_options(priority="interactive")
            job = qase.with_options(priority="bulk")
            assert bot.limiter is qase.limiter
            assert bot.stats is qase.stats
            await bot.projects.get("DEMO")
            await job.projects.get("DEMO")
            await job.projects.get("DEMO")
            await qase.projects.get("DEMO")
            lanes = qase.stats.lanes
            assert [lanes[lane].requests for lane in LANES] == [1, 1, 2]
            assert qase.stats.requests == 4
            with pytest.raises(ConfigurationError):
                qase.with_options(priority="urgent")  # type: ignore[arg-type]
            await bot.aclose()  # a view closes nothing
            await qase.projects.get("DEMO")
        with pytest.raises(ClientClosedError):
            await job.projects.get("DEMO")  # but closing the client closes its views


async def test_no_lane_draws_a_429_from_a_strict_window() -> None:
    """A bulk burst of 3N, a normal caller and an interactive caller on one client against
    a strict sliding window: every request succeeds, none is refused, and the interactive
    requests are granted ahead of the queued bulk job."""
    n, per = 20, 0.5
    server = WindowServer(n, per, latency=0.002)
    with serve(server) as base:
        async with QaseClient(
            token="t", base_url=base, rate_limit=RateLimit(n, per=per, reserve=0.2)
        ) as qase:
            job, bot = qase.with_options(priority="bulk"), qase.with_options(priority="interactive")
            bulk = [asyncio.ensure_future(job.projects.get("DEMO")) for _ in range(3 * n)]
            await asyncio.sleep(0.05)
            for _ in range(4):
                await asyncio.wait_for(bot.projects.get("DEMO"), 30)
                await qase.projects.get("DEMO")
                await asyncio.sleep(per / 8)
            assert not all(t.done() for t in bulk), "interactive went before the bulk queue"
            await asyncio.wait_for(asyncio.gather(*bulk), 60)
            lanes = qase.stats.lanes
    assert server.rejected == 0
    assert server.ok == 3 * n + 8
    assert lanes["bulk"].requests == 3 * n
    assert lanes["interactive"].requests == 4
    assert lanes["interactive"].rate_limit_wait < lanes["bulk"].rate_limit_wait / (3 * n) * 4


async def test_lane_records_stay_a_window_long_on_the_fast_path() -> None:
    """Requests that never wait (plenty of budget) leave no growing record behind."""
    ticks = itertools.count()
    limiter = SlidingWindowLimiter(
        RateLimit(10_000, per=0.01),
        clock=lambda: next(ticks) / 1000,  # 1 ms per reading
    )
    for _ in range(5000):
        limiter.release(await limiter.acquire(priority="normal"))
    assert len(limiter._lane_cooling[1]) < 50


async def test_a_refusing_pause_fails_the_waiters_of_every_lane() -> None:
    """A refused cool-down turns away the callers queued in each lane, not only normal's."""
    limiter = SlidingWindowLimiter(RateLimit(5, per=1.0))
    limiter.pause(0.5)
    tasks = await _queue(limiter, list(LANES))
    _GRANTED.pop(id(limiter))
    assert not any(task.done() for task in tasks)
    limiter.pause(30.0, refuse=True)
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 1)
    assert [type(result) for result in results] == [RateLimitedError] * len(LANES)


async def test_a_longer_pause_fails_only_the_bulk_waiter_it_would_hold_too_long() -> None:
    """A bulk caller that accepted 1 s is refused when the gate moves to 30 s; an
    interactive caller that accepted 60 s keeps its place."""
    limiter = SlidingWindowLimiter(RateLimit(5, per=1.0))
    limiter.pause(0.5)
    patient = asyncio.ensure_future(limiter.acquire(priority="interactive", max_wait=60.0))
    hasty = asyncio.ensure_future(limiter.acquire(priority="bulk", max_wait=1.0))
    await asyncio.sleep(0.01)
    limiter.pause(30.0)
    with pytest.raises(RateLimitedError):
        await asyncio.wait_for(hasty, 1)
    assert not patient.done()
    await limiter.aclose()
    with pytest.raises(ClientClosedError):
        await patient
