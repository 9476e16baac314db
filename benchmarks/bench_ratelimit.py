"""A burst of 3N requests against a strict sliding-window server: time and 429s.

The server (another process, loopback) admits at most N requests in ANY sliding window of
W seconds, measured at arrival; the first request over gets 429 + ``Retry-After`` and locks
the client out for W seconds, during which every request gets 429. 3N requests can
therefore not finish before 2W (the physical limit). We print elapsed / 2W and the number
of 429s the server sent, for our client at several concurrencies, with and without the
``X-RateLimit-*`` headers, and for two naive aiolimiter baselines around raw httpx in the
same run (goal for ours: 0 x 429 and <= 1.05 x the physical limit).

Run: ``python benchmarks/bench_ratelimit.py [--quick] [--requests N] [--per W]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import httpx
from _common import RateLimitConfig, ServerConfig, serve, summary, table
from _payloads import PROJECT, encode
from aiolimiter import AsyncLimiter

from qase_async import QaseClient, RateLimit
from qase_async.exceptions import QaseError

GOAL = 1.05
LATENCY = 0.005
"""Seconds the server holds each answer, so requests are really in flight together."""


async def _burst(
    call: Callable[[], Awaitable[None]], total: int, workers: int | None, deadline: float
) -> tuple[float, float, int]:
    """Run ``total`` calls (all at once, or by ``workers`` tasks); (elapsed, CPU, failures)."""
    failures = 0

    async def one() -> None:
        nonlocal failures
        try:
            await call()
        except (QaseError, httpx.HTTPError):
            failures += 1

    start, start_cpu = time.monotonic(), time.process_time()
    async with asyncio.timeout(deadline):
        if workers is None:
            await asyncio.gather(*(one() for _ in range(total)))
        else:
            left = iter(range(total))

            async def worker() -> None:
                for _ in left:
                    await one()

            await asyncio.gather(*(worker() for _ in range(workers)))
    return time.monotonic() - start, time.process_time() - start_cpu, failures


async def _server(base: str, path: str) -> dict[str, int]:
    async with httpx.AsyncClient(base_url=base) as admin:
        return json.loads((await admin.get(path)).content)  # type: ignore[no-any-return]


async def scenario(
    base: str, subject: str, n: int, per: float, workers: int | None, deadline: float
) -> dict[str, float | int]:
    """Reset the server, run one burst of 3N, read the server's counters."""
    await _server(base, "/__reset")
    total = 3 * n
    if subject == "ours":
        client = QaseClient(token="t", base_url=base, rate_limit=RateLimit(n, per=per))
        try:

            async def call() -> None:
                await client.projects.get("DEMO")

            elapsed, cpu, failures = await _burst(call, total, workers, deadline)
        finally:
            await client.aclose()
    else:
        limiter = AsyncLimiter(n, per) if subject == "bucket" else AsyncLimiter(1, per / n)
        raw = httpx.AsyncClient(
            base_url=base, headers={"Token": "t"}, limits=httpx.Limits(max_connections=None)
        )
        try:

            async def call() -> None:
                async with limiter:
                    response = await raw.get("/v1/project/DEMO")
                response.raise_for_status()

            elapsed, cpu, failures = await _burst(call, total, workers, deadline)
        finally:
            await raw.aclose()
    stats = await _server(base, "/__stats")
    return {"elapsed": elapsed, "cpu": cpu, "failures": failures, **stats}


SUBJECTS = {
    "ours": "ours: QaseClient(rate_limit=RateLimit(N, per=W))",
    "bucket": "naive: AsyncLimiter(N, W) + httpx",
    "drip": "naive: AsyncLimiter(1, W/N) + httpx",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (N=20, W=1 s)")
    parser.add_argument("--requests", type=int, help="N, requests per window")
    parser.add_argument("--per", type=float, help="W, the window in seconds")
    args = parser.parse_args()
    n = args.requests or (20 if args.quick else 100)
    # The service's window is 60 s. The client's own CPU for pushing out a wave of N requests
    # is a fixed cost per wave, so the shorter the window, the larger its share: 10 s keeps the
    # run short while weighing it 6x more than the real window would.
    per = args.per or (1.0 if args.quick else 10.0)
    physical = 2 * per
    deadline = 10 * per + 30  # no scenario may run away

    plan: list[tuple[str, bool, int | None]] = [
        ("ours", True, None),
        ("ours", True, 16),
        ("ours", False, None),
        ("ours", False, 16),
        ("bucket", True, None),
        ("drip", True, None),
    ]
    rows = []
    worst_ratio = 0.0
    ours_429 = 0
    for headers in (True, False):
        config = ServerConfig(
            routes={"/v1/project/DEMO": encode(PROJECT)},
            rate_limit=RateLimitConfig(requests=n, per=per, lockout=per, headers=headers),
            latency=LATENCY,
        )
        with serve(config) as port:
            base = f"http://127.0.0.1:{port}"
            for subject, with_headers, workers in plan:
                if with_headers != headers:
                    continue
                result = asyncio.run(scenario(base, subject, n, per, workers, deadline))
                ratio = float(result["elapsed"]) / physical
                if subject == "ours":
                    worst_ratio = max(worst_ratio, ratio)
                    ours_429 += int(result["rejected"])
                rows.append(
                    (
                        SUBJECTS[subject],
                        "all at once" if workers is None else f"{workers} workers",
                        "yes" if headers else "no",
                        f"{float(result['elapsed']):.2f}",
                        f"{ratio:.3f}",
                        f"{float(result['cpu']):.2f}",
                        result["rejected"],
                        result["failures"],
                        result["max_in_window"],
                    )
                )
    print(
        table(
            f"Burst of 3N = {3 * n} GETs, server allows N = {n} per any {per:g} s window "
            f"(physical limit 2W = {physical:g} s, {LATENCY * 1e3:g} ms server latency)",
            (
                "client",
                "concurrency",
                "X-RateLimit-*",
                "elapsed s",
                "x 2W",
                "client CPU s",
                "429s sent",
                "failed calls",
                "max in window",
            ),
            rows,
        )
    )
    print(
        f"\nours: worst elapsed = {worst_ratio:.3f} x physical limit (goal <= {GOAL}), "
        f"429s = {ours_429} (goal 0)"
    )
    summary(
        "ratelimit",
        "burst 3N elapsed / 2W (worst)",
        worst_ratio,
        f"<= {GOAL}",
        worst_ratio <= GOAL and ours_429 == 0,
    )
    summary("ratelimit", "429s drawn by ours", ours_429, "0", ours_429 == 0)


if __name__ == "__main__":
    main()
