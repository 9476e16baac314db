"""The Redis limiter against a real Redis server: one window, one cool-down, one limit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import redis.asyncio as aioredis

from qase_async import QaseClient, RateLimit, RateLimitedError, RetryPolicy, SlidingWindowLimiter
from qase_async.exceptions import ConfigurationError
from qase_async.redis import FALLBACK_ENV, REDIS_URL_ENV, RedisLimiter, token_key

from ..window_server import WindowServer, serve

Factory = Callable[..., RedisLimiter]


@pytest.fixture
async def limiters(redis_url: str) -> AsyncIterator[Factory]:
    """Makes limiters on the test server (a fresh token per test); closes them after."""
    made: list[RedisLimiter] = []
    token = f"token-{uuid.uuid4().hex}"

    def make(**kwargs: object) -> RedisLimiter:
        kwargs.setdefault("token", token)
        limiter = RedisLimiter(redis_url, **kwargs)  # type: ignore[arg-type]
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.aclose()


async def test_limiters_in_different_processes_share_one_window(limiters: Factory) -> None:
    """A second limiter (another process) waits for the first one's slots to free."""
    first = limiters(rate_limit=RateLimit(3, per=1.0))
    second = limiters(rate_limit=RateLimit(3, per=1.0))
    for _ in range(3):
        first.release(await first.acquire())
    permit = await second.acquire()
    second.release(permit)
    assert permit.waited >= 0.9
    assert first.backend == second.backend == "redis"


async def test_slots_are_free_a_window_after_the_release(limiters: Factory) -> None:
    """A slot held by a slow request frees one window after its release, not its send."""
    first = limiters(rate_limit=RateLimit(1, per=0.5))
    second = limiters(rate_limit=RateLimit(1, per=0.5))
    held = await first.acquire()
    await asyncio.sleep(0.6)  # longer than the window: a send-time window would free it
    first.release(held)
    permit = await second.acquire()
    second.release(permit)
    assert permit.waited >= 0.45


async def test_a_request_never_sent_gives_its_slot_back_at_once(limiters: Factory) -> None:
    """``sent=False`` (a connection error) frees the slot immediately."""
    limiter = limiters(rate_limit=RateLimit(1, per=30.0))
    limiter.release(await limiter.acquire(), sent=False)
    permit = await asyncio.wait_for(limiter.acquire(), 5)
    limiter.release(permit, sent=False)


async def test_a_crashed_process_slot_comes_back_after_its_lease(limiters: Factory) -> None:
    """A slot whose release never comes is reclaimed when its lease ends, not before."""
    crashed = limiters(rate_limit=RateLimit(1, per=0.5), lease=1.0)
    await crashed.acquire()  # never released
    other = limiters(rate_limit=RateLimit(1, per=0.5), lease=1.0)
    permit = await asyncio.wait_for(other.acquire(), 10)
    other.release(permit)
    assert permit.waited >= 0.9


async def test_tokens_have_separate_budgets_and_keys_hide_the_token(
    limiters: Factory, redis_url: str
) -> None:
    """Another token has its own budget; Redis holds a hash of the token, never the token."""
    token = f"secret-{uuid.uuid4().hex}"
    mine = limiters(token=token, rate_limit=RateLimit(1, per=30.0))
    mine.release(await mine.acquire())
    other = limiters(token=f"other-{uuid.uuid4().hex}", rate_limit=RateLimit(1, per=30.0))
    other.release(await asyncio.wait_for(other.acquire(), 5))
    await asyncio.sleep(0.05)  # let the releases reach Redis
    async with aioredis.Redis.from_url(redis_url, decode_responses=True) as client:
        keys = [key async for key in client.scan_iter(match=f"*{token_key(token)}*")]
        every = [key async for key in client.scan_iter(match="*")]
    assert keys
    assert not any(token in key for key in every)
    assert token not in repr(mine)


async def test_a_429_in_one_process_pauses_the_others(limiters: Factory) -> None:
    """``pause`` (called on a 429) is shared: another limiter waits out the cool-down."""
    first = limiters(rate_limit=RateLimit(100, per=1.0))
    second = limiters(rate_limit=RateLimit(100, per=1.0))
    first.pause(1.0)
    await asyncio.sleep(0.1)  # the cool-down reaches Redis in the background
    permit = await second.acquire()
    second.release(permit)
    assert permit.waited >= 0.75


async def test_an_adopted_limit_is_shared(limiters: Factory) -> None:
    """``X-RateLimit-Limit`` seen by one process lowers the limit of all of them."""
    first = limiters(rate_limit=RateLimit(10, per=30.0))
    second = limiters(rate_limit=RateLimit(10, per=30.0))
    first.release(await first.acquire(), headers=httpx.Headers({"X-RateLimit-Limit": "3"}))
    await asyncio.sleep(0.1)
    for _ in range(2):
        second.release(await asyncio.wait_for(second.acquire(), 5))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(second.acquire(), 0.5)


async def test_budget_spent_elsewhere_is_kept_free(redis_url: str) -> None:
    """Requests the service counted but nobody registered (X-RateLimit-Remaining) are
    reserved, so the clients never draw a 429."""
    app = WindowServer(10, 1.0)
    token = f"t-{uuid.uuid4().hex}"
    with serve(app) as base_url:
        app.spend(6)
        limiter = RedisLimiter(redis_url, token=token, rate_limit=RateLimit(10, per=1.0))
        try:
            async with QaseClient(token, base_url=base_url, limiter=limiter) as qase:
                for _ in range(8):
                    await qase.projects.get("DEMO")
        finally:
            await limiter.aclose()  # the client does not close a limiter it was given
    assert app.rejected == 0
    assert app.ok == 8


async def test_two_clients_through_redis_never_draw_a_429(redis_url: str) -> None:
    """Two clients (as two processes would) share a strict window without a 429."""
    app = WindowServer(10, 0.5, latency=0.005)
    token = f"t-{uuid.uuid4().hex}"
    with serve(app) as base_url:
        limiters = [
            RedisLimiter(redis_url, token=token, rate_limit=RateLimit(10, per=0.5))
            for _ in range(2)
        ]
        clients = [QaseClient(token, base_url=base_url, limiter=lim) for lim in limiters]
        try:

            async def job(qase: QaseClient) -> None:
                gate = asyncio.Semaphore(5)

                async def one() -> None:
                    async with gate:
                        await qase.projects.get("DEMO")

                await asyncio.gather(*(one() for _ in range(25)))

            await asyncio.gather(*(job(qase) for qase in clients))
        finally:
            for qase in clients:
                await qase.aclose()
            for limiter in limiters:
                await limiter.aclose()
    assert app.rejected == 0
    assert app.ok == 50


async def test_the_environment_selects_the_redis_limiter(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``QASE_RATE_LIMIT_REDIS_URL`` makes every client share its budget; ``limiter=`` wins."""
    async with QaseClient("t") as qase:
        assert isinstance(qase.limiter, SlidingWindowLimiter)
    monkeypatch.setenv(REDIS_URL_ENV, redis_url)
    async with QaseClient("t", rate_limit=RateLimit(7, per=2.0)) as qase:
        assert isinstance(qase.limiter, RedisLimiter)
        assert qase.limiter.limit == 7
        assert qase.limiter.rate_limit.per == 2.0
    own = SlidingWindowLimiter()
    async with QaseClient("t", limiter=own) as qase:
        assert qase.limiter is own


async def test_the_failure_setting_comes_from_the_environment(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``QASE_RATE_LIMIT_REDIS_FALLBACK`` is ``auto``, ``raise`` or a share; else an error."""
    monkeypatch.setenv(REDIS_URL_ENV, redis_url)
    monkeypatch.setenv(FALLBACK_ENV, "0.5")
    limiter = RedisLimiter.from_env(token="t")
    assert limiter is not None
    assert (limiter._share, limiter._on_error) == (0.5, "fallback")
    await limiter.aclose()
    monkeypatch.setenv(FALLBACK_ENV, "raise")
    limiter = RedisLimiter.from_env(token="t")
    assert limiter is not None
    assert limiter._on_error == "raise"
    await limiter.aclose()
    monkeypatch.setenv(FALLBACK_ENV, "half")
    with pytest.raises(ConfigurationError, match=FALLBACK_ENV):
        RedisLimiter.from_env(token="t")
    monkeypatch.delenv(REDIS_URL_ENV)
    assert RedisLimiter.from_env(token="t") is None


def test_bad_arguments_are_refused() -> None:
    """No url and no client, a share above 1 or a lease shorter than the window: refused."""
    with pytest.raises(ConfigurationError):
        RedisLimiter(token="t")
    with pytest.raises(ConfigurationError):
        RedisLimiter("redis://127.0.0.1:1/0", token="t", fallback_share=1.5)
    with pytest.raises(ConfigurationError):
        RedisLimiter("redis://127.0.0.1:1/0", token="t", rate_limit=RateLimit(1, per=10), lease=5)
    with pytest.raises(ConfigurationError, match="token"):
        RedisLimiter("redis://127.0.0.1:1/0")


async def test_a_huge_retry_after_never_outlives_max_wait_in_redis(redis_url: str) -> None:
    """Retry-After: 1e12 raises, refuses this process's calls, and the shared key lasts max_wait."""
    token = f"token-{uuid.uuid4().hex}"
    seen = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        seen += 1
        return httpx.Response(429, headers={"Retry-After": "1e12"})

    limiter = RedisLimiter(redis_url, token=token, rate_limit=RateLimit(50, per=1.0))
    async with QaseClient(
        token,
        transport=httpx.MockTransport(handler),
        limiter=limiter,
        retry=RetryPolicy(max_wait=2.0),
    ) as qase:
        with pytest.raises(RateLimitedError):
            await asyncio.wait_for(qase.projects.get("DEMO"), 5)
        with pytest.raises(RateLimitedError):
            await asyncio.wait_for(qase.projects.get("DEMO"), 5)
    await limiter.aclose()  # the cool-down reaches Redis before this returns
    async with aioredis.from_url(redis_url) as redis:
        keys = [k async for k in redis.scan_iter(f"*{token_key(token)}*cooldown")]
        assert len(keys) == 1
        assert 0 < await redis.pttl(keys[0]) <= 3_000
    assert seen == 1
    fresh = RedisLimiter(redis_url, token=token, rate_limit=RateLimit(50, per=1.0))
    permit = await asyncio.wait_for(fresh.acquire(), 5)  # a new process is not locked out
    fresh.release(permit)
    await fresh.aclose()


async def test_a_refusing_pause_fails_a_caller_already_waiting_at_once(limiters: Factory) -> None:
    """A call waiting out a 5 s cool-down raises as soon as a refusing pause comes in."""
    limiter = limiters(rate_limit=RateLimit(10, per=1.0))
    limiter.pause(5.0)
    waiting = asyncio.ensure_future(limiter.acquire())
    queued = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    limiter.pause(5.0, refuse=True)
    results = await asyncio.wait_for(asyncio.gather(waiting, queued, return_exceptions=True), 2)
    assert [type(r) for r in results] == [RateLimitedError, RateLimitedError]
    with pytest.raises(RateLimitedError):
        await limiter.acquire(max_wait=60.0)


async def test_another_process_cool_down_beyond_max_wait_raises_here(
    limiters: Factory, redis_url: str
) -> None:
    """A 5 s cool-down another process closed fails a call with max_wait=1 at once."""
    token = f"token-{uuid.uuid4().hex}"
    other = RedisLimiter(redis_url, token=token, rate_limit=RateLimit(10, per=1.0))
    other.pause(5.0)
    await other.aclose()  # the cool-down reaches Redis before this returns
    here = limiters(token=token, rate_limit=RateLimit(10, per=1.0))
    with pytest.raises(RateLimitedError) as caught:
        await asyncio.wait_for(here.acquire(max_wait=1.0), 5)
    assert caught.value.retry_after is not None
    assert 1.0 < caught.value.retry_after <= 5.0
