"""Rate-limit conformance against a strict sliding-window server on loopback.

The server allows ``N`` requests in ANY window of ``W`` seconds and answers 429 (plus a
lock-out) to the first request over, as the service does. Scaled down: 60 per 2 s.
These tests assert correctness (zero 429s, nothing faster than physics allows); speed
relative to the physical limit is printed by ``benchmarks/``, not asserted here.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from qase_async import QaseClient, RateLimit

from .window_server import WindowServer, serve

N, W = 60, 2.0

pytestmark = pytest.mark.slow


async def _burst(base_url: str, calls: int, workers: int | None, **client_kw: object) -> float:
    async with QaseClient(
        "t", base_url=base_url, rate_limit=RateLimit(N, per=W), **client_kw
    ) as qase:  # type: ignore[arg-type]
        start = time.monotonic()
        if workers is None:
            await asyncio.gather(*(qase.projects.get("DEMO") for _ in range(calls)))
        else:
            todo = iter(range(calls))

            async def worker() -> None:
                for _ in todo:
                    await qase.projects.get("DEMO")

            await asyncio.gather(*(worker() for _ in range(workers)))
        return time.monotonic() - start


@pytest.mark.parametrize("workers", [None, 7])
@pytest.mark.parametrize("headers", [True, False])
async def test_burst_of_three_windows_draws_no_429(workers: int | None, headers: bool) -> None:
    """3 x N calls, all at once or from a few workers: zero 429s, all answered."""
    app = WindowServer(N, W, headers=headers)
    with serve(app) as base_url:
        elapsed = await asyncio.wait_for(_burst(base_url, 3 * N, workers), 30)
    assert app.rejected == 0
    assert app.ok == 3 * N
    # Physics: 3N requests need at least two full windows after the first one.
    assert elapsed >= 2 * W
    arrivals = sorted(app.arrivals)
    for i in range(N, len(arrivals)):
        assert arrivals[i] - arrivals[i - N] > W, "N+1 arrivals inside one window"


async def test_latency_does_not_cause_overrun() -> None:
    """A slow server (answers late) still never sees N+1 in a window."""
    app = WindowServer(N, W, latency=0.15)
    with serve(app) as base_url:
        await asyncio.wait_for(_burst(base_url, 2 * N, None), 30)
    assert app.rejected == 0
    assert app.ok == 2 * N


async def test_someone_elses_spending_is_not_overrun() -> None:
    """Another client already spent most of the window: we wait instead of drawing 429s."""
    app = WindowServer(N, W)
    app.spend(N - 10)
    with serve(app) as base_url:
        await asyncio.wait_for(_burst(base_url, 30, 2), 30)
    assert app.rejected == 0
    assert app.ok == 30


async def test_server_limit_is_adopted() -> None:
    """A server that allows more than configured is used at its own limit."""
    app = WindowServer(2 * N, W)
    with serve(app) as base_url:
        async with QaseClient("t", base_url=base_url, rate_limit=RateLimit(N, per=W)) as qase:
            await qase.projects.get("DEMO")
            assert qase.limiter.limit == 2 * N  # type: ignore[attr-defined]
            await asyncio.gather(*(qase.projects.get("DEMO") for _ in range(2 * N - 1)))
            # With the configured N, half of these would have waited a whole window.
            assert qase.stats.rate_limit_wait < W / 2, "the adopted budget fits in one window"
    assert app.rejected == 0


async def test_requests_queued_for_a_connection_waste_no_window() -> None:
    """A small connection pool makes our own requests arrive late and bunched.

    The server's X-RateLimit-Remaining then counts requests we sent long before; none of
    that may be taken for someone else's spending (which would idle slots for a window).
    """
    app = WindowServer(N, W, latency=0.01)
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    with serve(app) as base_url:
        async with (
            httpx.AsyncClient(limits=limits, timeout=30) as http,
            QaseClient(
                "t", base_url=base_url, rate_limit=RateLimit(N, per=W), http_client=http
            ) as qase,
        ):
            await asyncio.wait_for(
                asyncio.gather(*(qase.projects.get("DEMO") for _ in range(3 * N))), 30
            )
            assert qase.limiter._foreign == []  # type: ignore[attr-defined]
    assert app.rejected == 0
