"""Four processes, one token: a budget shared through Redis against four local limiters.

Four worker processes send ``count`` requests each to a loopback server that enforces a
strict sliding window (``limit`` per ``per`` seconds, lock-out of one window on the first
request over, as the service does at 600 per minute). Once every worker shares one budget
through :class:`qase_async.redis.RedisLimiter`; once every worker has its own local
limiter that believes it has the whole budget. Printed: total time over the physical
limit (the time the budget itself needs) and the 429 count (goal: 0 and <= 1.10).

Needs Redis: ``--redis-url``, else ``QASE_TEST_REDIS_URL``, else a ``redis-server``
started here on a free loopback port (the benchmark says so and stops if there is none).

Run: ``python benchmarks/bench_redis.py [--quick] [--redis-url redis://...]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from _common import RateLimitConfig, ServerConfig, serve, summary, table
from _payloads import PROJECT, encode

from qase_async import QaseClient, RateLimit, RetryEvent, RetryPolicy

WORKERS = 4
CONCURRENCY = 8
GOAL = 1.10


@contextlib.contextmanager
def redis_server(url: str | None) -> Iterator[str | None]:
    """The given Redis, or a ``redis-server`` started on a free port (``None`` if neither)."""
    url = url or os.environ.get("QASE_TEST_REDIS_URL")
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir, "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while True:
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn,
                ):
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.kill()
            proc.wait(10)


async def worker(
    mode: str, base: str, redis_url: str, count: int, limit: int, per: float, start_at: float
) -> dict[str, Any]:
    """One process: warm up (imports, connections), wait for the common start, send."""
    import redis.asyncio as aioredis

    from qase_async.redis import RedisLimiter

    token = os.environ["BENCH_TOKEN"]
    retries: list[RetryEvent] = []
    http = httpx.AsyncClient(timeout=30.0)
    rclient = aioredis.Redis.from_url(redis_url, decode_responses=True)
    rate_limit = RateLimit(limit, per=per)
    limiter = (
        RedisLimiter(client=rclient, token=token, rate_limit=rate_limit)
        if mode == "redis"
        else None
    )
    try:
        async with QaseClient(
            token,
            base_url=base,
            rate_limit=rate_limit,
            limiter=limiter,
            http_client=http,
            retry=RetryPolicy(attempts=100),
            on_retry=retries.append,
        ) as qase:
            # Not counted by the server's window: opens connections, runs lazy imports.
            await asyncio.gather(*(http.get(f"{base}/__stats") for _ in range(CONCURRENCY)))
            await rclient.ping()
            await asyncio.sleep(max(0.0, start_at - time.time()))
            gate = asyncio.Semaphore(CONCURRENCY)

            async def one() -> None:
                async with gate:
                    await qase.projects.get("DEMO")

            await asyncio.gather(*(one() for _ in range(count)))
            end = time.time()
    finally:
        if limiter is not None:
            await limiter.aclose()  # pending releases reach Redis before its client closes
        await http.aclose()
        await rclient.aclose()
    return {"end": end, "retries": sum(1 for r in retries if r.reason == "429")}


def run_job(
    mode: str, base: str, redis_url: str, count: int, limit: int, per: float
) -> tuple[float, int]:
    """Start the four workers together; the total time and the 429s they saw."""
    env = dict(os.environ, BENCH_TOKEN=f"bench-{uuid.uuid4().hex}")
    env.pop("QASE_RATE_LIMIT_REDIS_URL", None)
    start_at = time.time() + 3.0  # time to start the interpreters and warm up
    args = [mode, base, redis_url, str(count), str(limit), str(per), str(start_at)]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,  # the retry warnings of the local run
            text=True,
        )
        for _ in range(WORKERS)
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"a {mode} worker failed:\n{err[-2000:]}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    elapsed = max(r["end"] for r in reports) - start_at
    return elapsed, sum(r["retries"] for r in reports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller budget and job")
    parser.add_argument("--redis-url", help="a Redis server to use (default: start one)")
    parser.add_argument("--worker", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, base, url, count, limit, per, start_at = args.worker
        report = asyncio.run(
            worker(mode, base, url, int(count), int(limit), float(per), float(start_at))
        )
        print(json.dumps(report), flush=True)
        return

    limit, per, count = (40, 2.0, 30) if args.quick else (60, 3.0, 60)
    total = WORKERS * count
    physical = (math.ceil(total / limit) - 1) * per
    config = ServerConfig(
        routes={"/v1/project/DEMO": encode(PROJECT)},
        rate_limit=RateLimitConfig(requests=limit, per=per, lockout=per),
        latency=0.005,
    )
    with redis_server(args.redis_url) as redis_url:
        if redis_url is None:
            print("bench_redis: skipped, no Redis (install redis-server or pass --redis-url)")
            return
        with serve(config) as port:
            base = f"http://127.0.0.1:{port}"
            rows = []
            ratios: dict[str, tuple[float, int]] = {}
            for mode, label in (("redis", "one budget in Redis"), ("local", "4 local limiters")):
                httpx.get(f"{base}/__reset")
                elapsed, retried = run_job(mode, base, redis_url, count, limit, per)
                stats = httpx.get(f"{base}/__stats").json()
                ratios[mode] = (elapsed / physical, stats["rejected"])
                rows.append(
                    [
                        label,
                        f"{elapsed:.2f}",
                        f"{physical:.1f}",
                        f"{elapsed / physical:.3f}",
                        stats["rejected"],
                        retried,
                        stats["max_in_window"],
                    ]
                )
    print(
        table(
            f"{WORKERS} processes x {count} requests, one token, strict window "
            f"{limit} per {per:g} s (lock-out {per:g} s)",
            ["limiter", "total s", "physical s", "ratio", "429s", "429 retries", "max/window"],
            rows,
        )
    )
    ratio, rejected = ratios["redis"]
    summary(
        "redis",
        "4 processes through Redis: total / physical limit",
        round(ratio, 3),
        f"<= {GOAL} and 0 x 429",
        ratio <= GOAL and rejected == 0,
    )


if __name__ == "__main__":
    main()
