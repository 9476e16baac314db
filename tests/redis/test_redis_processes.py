"""Four worker processes, one token, one budget through Redis: zero 429s."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from qase_async.redis import REDIS_URL_ENV
from qase_async.testing import FakeQase

from ..window_server import WindowServer, serve
from ._worker import spawn

WORKERS = 4
PER_WORKER = 30
LIMIT = 40
PER = 2.0


async def _run_worker(base_url: str, env: dict[str, str], start_at: float) -> dict[str, object]:
    return await spawn(env, base_url, PER_WORKER, LIMIT, PER, 8, start_at, within=60)


@contextlib.contextmanager
def _server(kind: str) -> Iterator[tuple[str, Callable[[], tuple[int, int]]]]:
    """A strict sliding window on loopback: the bare one, or the fake Qase service.

    Yields its base URL and a function giving (answers 200, answers 429).
    """
    if kind == "window":
        app = WindowServer(LIMIT, PER, latency=0.005)
        with serve(app) as base_url:
            yield base_url, lambda: (app.ok, app.rejected)
        return
    fake = FakeQase(rate_limit=(LIMIT, PER), lockout=PER)
    fake.state.projects["DEMO"] = {"title": "Demo", "code": "DEMO"}
    with fake.serve_in_thread() as base_url:
        yield base_url, lambda: (fake.stats.statuses.get(200, 0), fake.stats.rate_limited)


@pytest.mark.parametrize("kind", ["window", "fake"])
async def test_four_processes_share_one_budget_without_a_429(redis_url: str, kind: str) -> None:
    """4 processes x 30 requests against a strict 40-per-2-s window (a bare one, and the
    fake service), configured only by ``QASE_RATE_LIMIT_REDIS_URL``: no 429, no retry,
    every request done."""
    env = dict(os.environ)
    env.update({REDIS_URL_ENV: redis_url, "QASE_API_TOKEN": f"t-{uuid.uuid4().hex}"})
    with _server(kind) as (base_url, counts):
        start_at = time.time() + 3.0  # time to start the interpreters
        reports = await asyncio.gather(
            *(_run_worker(base_url, env, start_at) for _ in range(WORKERS))
        )
        ok, rejected = counts()
    total = WORKERS * PER_WORKER
    physical = (math.ceil(total / LIMIT) - 1) * PER
    elapsed = max(float(r["end"]) for r in reports) - start_at  # type: ignore[arg-type]
    print(f"\n{kind}: {total} requests in {elapsed:.2f}s; physical limit {physical:.1f}s; "
          f"ratio {elapsed / physical:.3f}; 429s {rejected}")  # fmt: skip
    assert all(r["limiter"] == "RedisLimiter" for r in reports)
    assert rejected == 0
    assert [r["retries"] for r in reports] == [0] * WORKERS
    assert sum(int(r["done"]) for r in reports) == ok == total  # type: ignore[call-overload]
