"""Redis down from the start, stopped mid-run and restarted: no 429, no lost request."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

import pytest

from qase_async import QaseClient, RateLimit
from qase_async.redis import RedisLimiter, RedisUnavailableError

from ..window_server import WindowServer, serve
from .conftest import RedisProcess, free_port


async def test_redis_down_from_the_start_raises_when_told_to() -> None:
    """``on_redis_error="raise"``: the request fails with a clear error, no password in it."""
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    limiter = RedisLimiter(url, token="t", on_redis_error="raise", timeout=0.5)
    try:
        async with QaseClient("t", base_url="http://127.0.0.1:9", limiter=limiter) as qase:
            with pytest.raises(RedisUnavailableError, match=r"127\.0\.0\.1") as caught:
                await qase.projects.get("DEMO")
    finally:
        await limiter.aclose()  # the client does not close a limiter it was given
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(limiter)


async def test_redis_down_from_the_start_falls_back_after_one_window(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """By default the limiter warns, waits one window (the others' use is unknown), then
    sends at its share of the budget."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    limiter = RedisLimiter(
        url, token="t", rate_limit=RateLimit(4, per=1.0), fallback_share=0.5, timeout=0.5
    )
    try:
        with caplog.at_level(logging.WARNING, logger="qase_async.redis"):
            first = await limiter.acquire()
        assert limiter.backend == "fallback"
        assert first.waited >= 0.95
        assert "falling back to a local limit of 2 per 1s" in caplog.text
        limiter.release(first)
        limiter.release(await limiter.acquire())
        with pytest.raises(TimeoutError):  # the share is 2 of 4
            await asyncio.wait_for(limiter.acquire(), 0.5)
    finally:
        await limiter.aclose()


async def test_redis_stopped_and_restarted_mid_run(
    private_redis: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    """Two clients sharing a strict window lose Redis, fall back, get it back, share
    again: every request succeeds and none draws a 429."""
    app = WindowServer(20, 1.0, latency=0.005)
    token = f"t-{uuid.uuid4().hex}"
    per_client = 50
    with serve(app) as base_url:
        limiters = [
            RedisLimiter(
                private_redis.url,
                token=token,
                rate_limit=RateLimit(20, per=1.0),
                probe_interval=0.2,
                timeout=0.5,
            )
            for _ in range(2)
        ]
        clients = [QaseClient(token, base_url=base_url, limiter=lim) for lim in limiters]
        done = 0

        async def job(qase: QaseClient) -> None:
            nonlocal done
            gate = asyncio.Semaphore(4)

            async def one() -> None:
                nonlocal done
                async with gate:
                    project = await qase.projects.get("DEMO")
                    assert project.code == "DEMO"
                    done += 1

            await asyncio.gather(*(one() for _ in range(per_client)))

        async def chaos() -> None:
            await asyncio.sleep(0.8)
            private_redis.stop()
            await asyncio.sleep(2.0)
            private_redis.start()

        try:
            with caplog.at_level(logging.INFO, logger="qase_async.redis"):
                await asyncio.gather(chaos(), *(job(qase) for qase in clients))
                # Keep sending until both share Redis again (bounded).
                deadline = time.monotonic() + 10
                for qase, limiter in zip(clients, limiters, strict=True):
                    while limiter.backend != "redis" and time.monotonic() < deadline:
                        await qase.projects.get("DEMO")
        finally:
            for qase in clients:
                await qase.aclose()
            for limiter in limiters:
                await limiter.aclose()
    assert done == 2 * per_client
    assert app.rejected == 0
    assert all(limiter.fallbacks == 1 for limiter in limiters)
    assert all(limiter.backend == "redis" for limiter in limiters)
    assert "is unavailable" in caplog.text
    assert "is back" in caplog.text


async def test_the_bulk_reserve_survives_a_redis_restart(private_redis: RedisProcess) -> None:
    """Bulk permits granted while Redis was down are written back with their lane: after
    the restart another process's bulk request still finds bulk's share taken and waits,
    while its interactive request gets the reserve at once."""
    token = f"t-{uuid.uuid4().hex}"
    budget = RateLimit(10, per=1.0, reserve=0.2)
    options = {"token": token, "rate_limit": budget, "probe_interval": 0.2, "timeout": 0.5}
    first = RedisLimiter(private_redis.url, fallback_share=1.0, **options)  # type: ignore[arg-type]
    second = RedisLimiter(private_redis.url, **options)  # type: ignore[arg-type]
    late_bulk: asyncio.Future[object] | None = None
    try:
        first.release(await first.acquire(), sent=False)
        private_redis.stop()
        held = [await asyncio.wait_for(first.acquire(priority="bulk"), 10) for _ in range(8)]
        assert first.backend == "fallback"
        private_redis.start()
        await asyncio.sleep(0.3)
        probe = await asyncio.wait_for(first.acquire(priority="interactive"), 10)
        assert first.backend == "recovering"
        late_bulk = asyncio.ensure_future(second.acquire(priority="bulk"))
        await asyncio.sleep(1.0)  # past the common resume time: one slot of 10 is free
        assert not late_bulk.done(), "bulk already holds its share in Redis"
        interactive = await asyncio.wait_for(second.acquire(priority="interactive"), 10)
        for permit in [*held, probe]:
            first.release(permit, sent=False)
        second.release(interactive, sent=False)
    finally:
        if late_bulk is not None:
            late_bulk.cancel()
            await asyncio.gather(late_bulk, return_exceptions=True)
        await first.aclose()
        await second.aclose()
