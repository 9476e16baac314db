"""One worker process of the multi-process test: ``count`` requests through a QaseClient.

The limiter is whatever the environment selects (``QASE_RATE_LIMIT_REDIS_URL``): no code
in the worker names Redis. Prints one JSON line: the limiter's type, the end time (wall
clock), the retries and the requests done.

Usage: ``python -m tests.redis._worker BASE_URL COUNT LIMIT PER CONCURRENCY START_AT``
(the token comes from ``QASE_API_TOKEN``).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from qase_async import QaseClient, RateLimit, RetryEvent


async def main(
    base_url: str, count: int, limit: int, per: float, concurrency: int, start_at: float
) -> dict[str, object]:
    """Wait for the common start, send, and report."""
    retries: list[RetryEvent] = []
    async with QaseClient(
        base_url=base_url, rate_limit=RateLimit(limit, per=per), on_retry=retries.append
    ) as qase:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        gate = asyncio.Semaphore(concurrency)
        done = 0

        async def one() -> None:
            nonlocal done
            async with gate:
                await qase.projects.get("DEMO")
                done += 1

        await asyncio.gather(*(one() for _ in range(count)))
        end = time.time()
        kind = type(qase.limiter).__name__
    return {"limiter": kind, "end": end, "retries": len(retries), "done": done}


if __name__ == "__main__":
    url, n, lim, window, conc, start = sys.argv[1:7]
    report = asyncio.run(main(url, int(n), int(lim), float(window), int(conc), float(start)))
    print(json.dumps(report), flush=True)
