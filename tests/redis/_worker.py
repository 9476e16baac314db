"""One worker process of the multi-process test: ``count`` requests through a QaseClient.

The limiter is whatever the environment selects (``QASE_RATE_LIMIT_REDIS_URL``): no code
in the worker names Redis. Prints one JSON line: the limiter's type, the end time (wall
clock), the retries and the requests done.

Usage: ``python -m tests.redis._worker BASE_URL COUNT LIMIT PER CONCURRENCY START_AT
[LANE [RESERVE]]`` (the token comes from ``QASE_API_TOKEN``; the lane defaults to
``normal``, the reserve share to the default).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from qase_async import Priority, QaseClient, RateLimit, RetryEvent

ROOT = Path(__file__).resolve().parents[2]


async def spawn(env: dict[str, str], *args: object, within: float) -> dict[str, object]:
    """Run this worker in a process of its own with ``args`` (see the usage above); its
    JSON report. The process is killed if it has not ended within ``within`` seconds."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.redis._worker", *map(str, args),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), within)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()[-2000:]
    report: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return report


async def main(
    base_url: str,
    count: int,
    limit: int,
    per: float,
    concurrency: int,
    start_at: float,
    lane: Priority = "normal",
    reserve: float | None = None,
) -> dict[str, object]:
    """Wait for the common start, send, and report."""
    retries: list[RetryEvent] = []
    async with QaseClient(
        base_url=base_url,
        rate_limit=RateLimit(limit, per=per)
        if reserve is None
        else RateLimit(limit, per=per, reserve=reserve),
        on_retry=retries.append,
    ) as client:
        qase = client.with_options(priority=lane)
        await asyncio.sleep(max(0.0, start_at - time.time()))
        gate = asyncio.Semaphore(concurrency)
        done = 0
        max_wait = 0.0

        async def one() -> None:
            nonlocal done, max_wait
            async with gate:
                began = time.monotonic()
                await qase.projects.get("DEMO")
                max_wait = max(max_wait, time.monotonic() - began)
                done += 1

        await asyncio.gather(*(one() for _ in range(count)))
        end = time.time()
        kind = type(qase.limiter).__name__
    return {
        "limiter": kind,
        "end": end,
        "retries": len(retries),
        "done": done,
        "max_wait": max_wait,
    }


if __name__ == "__main__":
    url, n, lim, window, conc, start = sys.argv[1:7]
    lane: Priority = sys.argv[7] if len(sys.argv) > 7 else "normal"  # type: ignore[assignment]
    share = float(sys.argv[8]) if len(sys.argv) > 8 else None
    report = asyncio.run(
        main(url, int(n), int(lim), float(window), int(conc), float(start), lane, share)
    )
    print(json.dumps(report), flush=True)
