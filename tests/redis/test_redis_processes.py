"""Four worker processes, one token, one budget through Redis: zero 429s."""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import time
import uuid
from pathlib import Path

from qase_async.redis import REDIS_URL_ENV

from ..window_server import WindowServer, serve

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
PER_WORKER = 30
LIMIT = 40
PER = 2.0


async def _run_worker(base_url: str, env: dict[str, str], start_at: float) -> dict[str, object]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.redis._worker",
        base_url,
        str(PER_WORKER),
        str(LIMIT),
        str(PER),
        "8",
        str(start_at),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()[-2000:]
    report: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return report


async def test_four_processes_share_one_budget_without_a_429(redis_url: str) -> None:
    """4 processes x 30 requests against a strict 40-per-2-s window, configured only by
    ``QASE_RATE_LIMIT_REDIS_URL``: no 429, no retry, every request done."""
    app = WindowServer(LIMIT, PER, latency=0.005)
    env = dict(os.environ)
    env.update({REDIS_URL_ENV: redis_url, "QASE_API_TOKEN": f"t-{uuid.uuid4().hex}"})
    with serve(app) as base_url:
        start_at = time.time() + 3.0  # time to start the interpreters
        reports = await asyncio.gather(
            *(_run_worker(base_url, env, start_at) for _ in range(WORKERS))
        )
    total = WORKERS * PER_WORKER
    physical = (math.ceil(total / LIMIT) - 1) * PER
    elapsed = max(float(r["end"]) for r in reports) - start_at  # type: ignore[arg-type]
    print(f"\n{total} requests in {elapsed:.2f}s; physical limit {physical:.1f}s; "
          f"ratio {elapsed / physical:.3f}; 429s {app.rejected}")  # fmt: skip
    assert all(r["limiter"] == "RedisLimiter" for r in reports)
    assert app.rejected == 0
    assert [r["retries"] for r in reports] == [0] * WORKERS
    assert sum(int(r["done"]) for r in reports) == app.ok == total  # type: ignore[call-overload]
