"""Lanes through Redis: order and reserve across processes, no starvation, no 429."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from qase_async import Permit, RateLimit
from qase_async.redis import REDIS_URL_ENV, RedisLimiter

from ..window_server import WindowServer, serve
from ._worker import spawn

Factory = Callable[..., RedisLimiter]


@pytest.fixture
async def limiters(redis_url: str) -> AsyncIterator[Factory]:
    """Limiters of one token (each stands for a process); closed after the test."""
    made: list[RedisLimiter] = []
    token = f"token-{uuid.uuid4().hex}"

    def make(**kwargs: object) -> RedisLimiter:
        limiter = RedisLimiter(redis_url, token=token, **kwargs)  # type: ignore[arg-type]
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.aclose()


async def test_bulk_in_one_process_leaves_the_reserve_to_another(limiters: Factory) -> None:
    """A bulk job queued far beyond the budget in one process holds N - R slots; another
    process's interactive and normal requests are granted at once from the reserve."""
    budget = RateLimit(10, per=30.0, reserve=0.2)
    job, bot = limiters(rate_limit=budget), limiters(rate_limit=budget)
    bulk = [asyncio.ensure_future(job.acquire(priority="bulk")) for _ in range(20)]
    await asyncio.sleep(0.5)
    assert sum(t.done() for t in bulk) == 8
    interactive = await asyncio.wait_for(bot.acquire(priority="interactive"), 5)
    normal = await asyncio.wait_for(bot.acquire(priority="normal"), 5)
    assert interactive.waited < 2.0
    assert normal.waited < 2.0
    assert bot.in_use == 10
    other_bulk = asyncio.ensure_future(bot.acquire(priority="bulk"))
    await asyncio.sleep(0.3)
    assert not other_bulk.done(), "the reserve is shared: no process's bulk may take it"
    for task in [*bulk, other_bulk]:
        task.cancel()
    await asyncio.gather(*bulk, other_bulk, return_exceptions=True)


async def test_higher_lanes_of_other_processes_go_before_an_earlier_bulk(
    limiters: Factory,
) -> None:
    """With two slots free after a shared cool-down, a bulk request queued first in one
    process waits while a normal and an interactive request of two other processes go;
    the next free slot is bulk's."""
    budget = RateLimit(10, per=30.0, reserve=0.2)
    job, service, bot = (limiters(rate_limit=budget) for _ in range(3))
    held_bulk = [await job.acquire(priority="bulk") for _ in range(4)]
    held = [await service.acquire() for _ in range(4)]
    job.pause(0.5)
    await asyncio.sleep(0.1)  # the cool-down reaches Redis
    waiting_bulk = asyncio.ensure_future(job.acquire(priority="bulk"))
    await asyncio.sleep(0.05)
    normal = asyncio.ensure_future(service.acquire(priority="normal"))
    interactive = asyncio.ensure_future(bot.acquire(priority="interactive"))
    await asyncio.wait_for(asyncio.gather(normal, interactive), 10)
    await asyncio.sleep(0.3)
    assert not waiting_bulk.done()
    service.release(held[0], sent=False)
    permit: Permit = await asyncio.wait_for(waiting_bulk, 10)
    assert permit.priority == "bulk"
    for p in held_bulk:
        job.release(p, sent=False)


async def test_a_stream_of_interactive_requests_does_not_starve_another_process_bulk(
    limiters: Factory,
) -> None:
    """One process keeps 20 interactive requests queued; another asks for one bulk slot.
    Bulk keeps its floor of each window, so it is served long before the stream ends
    (strict priority would serve it last)."""
    budget = RateLimit(4, per=0.3, reserve=0.25)
    bot, job = limiters(rate_limit=budget), limiters(rate_limit=budget)
    order: list[str] = []

    async def ask(limiter: RedisLimiter, name: str, lane: str) -> None:
        permit = await limiter.acquire(priority=lane)  # type: ignore[arg-type]
        order.append(name)
        limiter.release(permit)  # sent: the slot is busy for a window

    stream = [asyncio.ensure_future(ask(bot, f"i{k}", "interactive")) for k in range(20)]
    await asyncio.sleep(0.05)
    await asyncio.wait_for(asyncio.gather(ask(job, "bulk", "bulk"), *stream), 60)
    assert order.index("bulk") <= 8, order


async def test_a_request_that_stops_waiting_leaves_the_queue(limiters: Factory) -> None:
    """A bulk request cancelled while it waits takes its ticket out of the shared queue at
    once: another process's bulk request behind it gets the next free slot without waiting
    for the ticket to expire (its grace here is 11 s)."""
    budget = RateLimit(2, per=30.0, reserve=0.5)
    first = limiters(rate_limit=budget, timeout=5.0)
    second = limiters(rate_limit=budget, timeout=5.0)
    held = [await first.acquire(), await first.acquire()]
    gone = asyncio.ensure_future(first.acquire(priority="bulk"))
    await asyncio.sleep(0.3)
    later = asyncio.ensure_future(second.acquire(priority="bulk"))
    await asyncio.sleep(0.3)
    gone.cancel()
    await asyncio.gather(gone, return_exceptions=True)
    first.release(held[0], sent=False)
    permit = await asyncio.wait_for(later, 6.0)
    assert permit.priority == "bulk"
    second.release(permit, sent=False)
    first.release(held[1], sent=False)


async def _worker(
    base_url: str, env: dict[str, str], count: int, lane: str, start_at: float
) -> dict[str, object]:
    concurrency = 64 if lane == "bulk" else 1
    return await spawn(env, base_url, count, 20, 1.0, concurrency, start_at, lane, 0.3, within=90)


async def test_bulk_and_interactive_processes_draw_no_429(redis_url: str) -> None:
    """A bulk process bursting 3N requests and an interactive process sending six requests
    one at a time share a strict 20-per-1-s window (reserve 6) through Redis: no 429, no
    retry, every request done, and the interactive requests never queue behind the bulk
    job."""
    env = dict(os.environ)
    env.update({REDIS_URL_ENV: redis_url, "QASE_API_TOKEN": f"t-{uuid.uuid4().hex}"})
    app = WindowServer(20, 1.0, latency=0.005)
    with serve(app) as base_url:
        start_at = time.time() + 3.0
        bulk, bot = await asyncio.gather(
            _worker(base_url, env, 60, "bulk", start_at),
            _worker(base_url, env, 6, "interactive", start_at + 0.3),
        )
    assert app.rejected == 0
    assert [bulk["retries"], bot["retries"]] == [0, 0]
    assert app.ok == 66
    assert bulk["done"] == 60
    assert bot["done"] == 6
    # Without lanes each would wait for the burst's slots (a window or more).
    assert float(bot["max_wait"]) < 1.0  # type: ignore[arg-type]
    assert float(bulk["max_wait"]) >= 1.0  # type: ignore[arg-type]
