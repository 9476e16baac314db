"""Priority lanes: a person's request during a bulk job, in one process and through Redis.

A strict sliding-window server (another process, loopback) admits N requests per W
seconds and locks the client out for W on the first request over. A bulk job of 10·N
requests starts with a burst (all at once); an interactive request is made every W/8
during it, starting W/16 after the burst. We print the interactive requests' time to
answer (permit wait + the server's 5 ms; p50, p99, max) with lanes (``bulk`` and
``interactive``) and, in the same run, without (both ``normal``: first come, first
served), the 429s the server sent, and the bulk job's total over the physical limit
((ceil(sent / N) - 1) W: the time the budget needs for every request sent); and a bulk job
alone in the bulk lane (the reserve is what it gives up). Then the same with the bulk job
and the interactive caller in two processes sharing the budget through Redis (a ``redis-server``
started here on a free loopback port). Last, the CPU per request that the lanes cost.

Goals: interactive p99 <= 0.25 s and <= 2 % of W with lanes; 0 x 429; bulk total
<= 1.15 x the physical limit; CPU with lanes <= 1.05 x without.

Run: ``python benchmarks/bench_lanes.py [--quick] [--save FILE.json]`` (``--save`` keeps
every wait, for ``benchmarks/plot_lanes.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
from _common import RateLimitConfig, ServerConfig, cpu, serve, summary, table
from _payloads import PROJECT, encode
from bench_redis import redis_server

from qase_async import Priority, QaseClient, RateLimit

P99_GOAL = 0.25
SHARE_GOAL = 0.02
BULK_GOAL = 1.15
CPU_GOAL = 1.05
LATENCY = 0.005
JOB = 10
"""The bulk job is JOB x N requests."""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = (len(ordered) - 1) * q
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


async def _timed(call: Any, start: float, out: list[tuple[float, float]]) -> None:
    began = time.monotonic()
    await call()
    out.append((began - start, time.monotonic() - began))


async def bulk_job(qase: QaseClient, count: int, start: float) -> tuple[float, list[Any]]:
    """``count`` GETs at once in the client's lane; (seconds to the last answer, waits)."""
    waits: list[tuple[float, float]] = []
    await asyncio.gather(
        *(_timed(lambda: qase.projects.get("DEMO"), start, waits) for _ in range(count))
    )
    return time.monotonic() - start, waits


async def interactive_caller(qase: QaseClient, count: int, per: float, start: float) -> list[Any]:
    """A request every W/8 from W/16 on, each on its own (a slow one delays no other)."""
    waits: list[tuple[float, float]] = []
    tasks = []
    for k in range(count):
        await asyncio.sleep(max(0.0, start + per / 16 + k * per / 8 - time.monotonic()))
        tasks.append(asyncio.ensure_future(_timed(lambda: qase.projects.get("DEMO"), start, waits)))
    await asyncio.gather(*tasks)
    return waits


async def one_process(
    base: str, n: int, per: float, lanes: bool, interactive: bool = True
) -> dict[str, Any]:
    """The bulk job and (unless not ``interactive``) the interactive caller on one client."""
    http = httpx.AsyncClient(timeout=120.0, limits=httpx.Limits(max_connections=None))
    async with QaseClient(
        token="t", base_url=base, rate_limit=RateLimit(n, per=per), http_client=http
    ) as qase:
        await http.get(f"{base}/__reset")
        job = qase.with_options(priority="bulk" if lanes else "normal")
        bot = qase.with_options(priority="interactive" if lanes else "normal")
        start = time.monotonic()
        (total, bulk), interactive = await asyncio.gather(
            bulk_job(job, JOB * n, start),
            interactive_caller(bot, 8 * (JOB - 1) if interactive else 0, per, start),
        )
        stats = (await http.get(f"{base}/__stats")).json()
    await http.aclose()
    return {"total": total, "bulk": bulk, "interactive": interactive, "rejected": stats["rejected"]}


async def worker(
    role: str, base: str, redis_url: str, n: int, per: float, lanes: bool, start_at: float
) -> dict[str, Any]:
    """One process of the two-process run: the bulk job or the interactive caller."""
    from qase_async.redis import RedisLimiter

    rate_limit = RateLimit(n, per=per)
    limiter = RedisLimiter(redis_url, token=os.environ["BENCH_TOKEN"], rate_limit=rate_limit)
    http = httpx.AsyncClient(timeout=120.0, limits=httpx.Limits(max_connections=None))
    try:
        async with QaseClient(token="t", base_url=base, limiter=limiter, http_client=http) as qase:
            await http.get(f"{base}/__stats")  # connections and imports, not counted
            lane: Priority = ("bulk" if role == "bulk" else "interactive") if lanes else "normal"
            view = qase.with_options(priority=lane)
            await asyncio.sleep(max(0.0, start_at - time.time()))
            start = time.monotonic()
            if role == "bulk":
                total, waits = await bulk_job(view, JOB * n, start)
                return {"total": total, "waits": waits}
            return {"waits": await interactive_caller(view, 8 * (JOB - 1), per, start)}
    finally:
        await limiter.aclose()
        await http.aclose()


def two_processes(base: str, redis_url: str, n: int, per: float, lanes: bool) -> dict[str, Any]:
    """The bulk job and the interactive caller in two processes sharing Redis."""
    env = dict(os.environ, BENCH_TOKEN=f"bench-{uuid.uuid4().hex}")
    env.pop("QASE_RATE_LIMIT_REDIS_URL", None)
    httpx.get(f"{base}/__reset")
    start_at = time.time() + 3.0
    procs = {
        role: subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker",
                role,
                base,
                redis_url,
                str(n),
                str(per),
                str(int(lanes)),
                str(start_at),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role in ("bulk", "interactive")
    }
    reports = {}
    for role, proc in procs.items():
        out, err = proc.communicate(timeout=20 * per + 120)
        if proc.returncode != 0:
            raise RuntimeError(f"the {role} worker failed:\n{err[-2000:]}")
        reports[role] = json.loads(out.strip().splitlines()[-1])
    stats = httpx.get(f"{base}/__stats").json()
    return {
        "total": reports["bulk"]["total"],
        "bulk": reports["bulk"]["waits"],
        "interactive": reports["interactive"]["waits"],
        "rejected": stats["rejected"],
    }


async def lane_cpu(base: str, requests: int, lanes: bool) -> float:
    """Client CPU per request through a binding budget, lanes mixed or all ``normal``."""
    rate_limit = RateLimit(requests // 4, per=0.5, reserve=0.05 if lanes else 0.0)
    async with QaseClient(token="t", base_url=base, rate_limit=rate_limit) as qase:
        order: list[Priority] = ["bulk", "interactive", "normal", "bulk"] if lanes else ["normal"]
        views = [qase.with_options(priority=lane) for lane in order]
        gate = asyncio.Semaphore(16)

        async def one(k: int) -> None:
            async with gate:
                await views[k % len(views)].projects.get("DEMO")

        await asyncio.gather(*(one(k) for k in range(64)))  # warm up
        start = cpu()
        await asyncio.gather(*(one(k) for k in range(requests)))
        return (cpu() - start) / requests


def _row(
    label: str, result: dict[str, Any], n: int, per: float
) -> tuple[list[Any], dict[str, float]]:
    waits = [w for _, w in result["interactive"]]
    sent = JOB * n + len(waits)
    physical = (math.ceil(sent / n) - 1) * per  # what the budget needs for all of it
    figures = {
        "p50": _percentile(waits, 0.5),
        "p99": _percentile(waits, 0.99),
        "max": max(waits) if waits else float("nan"),
        "ratio": result["total"] / physical,
        "rejected": result["rejected"],
    }
    row = [
        label,
        len(waits),
        f"{figures['p50']:.3f}",
        f"{figures['p99']:.3f}",
        f"{figures['max']:.3f}",
        f"{100 * figures['p99'] / per:.1f} %",
        f"{result['total']:.2f}",
        f"{physical:g}",
        f"{figures['ratio']:.3f}",
        result["rejected"],
    ]
    return row, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="W=2 s instead of 4 s")
    parser.add_argument("--save", help="write every wait to this JSON file")
    parser.add_argument("--worker", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        role, base, url, n, per, lanes, start_at = args.worker
        report = asyncio.run(
            worker(role, base, url, int(n), float(per), lanes == "1", float(start_at))
        )
        print(json.dumps(report), flush=True)
        return

    # 200 per window: the default reserve (5 %) is 10 slots for the interactive caller's
    # 8 requests per window (at the service's scale, 30 of 600 for a bot's 8 a minute).
    n, per = (200, 2.0) if args.quick else (200, 4.0)
    config = ServerConfig(
        routes={"/v1/project/DEMO": encode(PROJECT)},
        rate_limit=RateLimitConfig(requests=n, per=per, lockout=per),
        latency=LATENCY,
    )
    rows, figures, saved = [], {}, {"n": n, "per": per}
    with serve(config) as port:
        base = f"http://127.0.0.1:{port}"
        for lanes in (True, False):
            result = asyncio.run(one_process(base, n, per, lanes))
            key = f"one process, {'lanes' if lanes else 'no lanes'}"
            row, figures[key] = _row(key, result, n, per)
            rows.append(row)
            saved[key] = {k: result[k] for k in ("bulk", "interactive", "total")}
        result = asyncio.run(one_process(base, n, per, True, interactive=False))
        row, alone = _row("bulk job alone (bulk lane)", result, n, per)
        rows.append(row)
        with redis_server(None) as redis_url:
            if redis_url is None:
                print("bench_lanes: no Redis, two-process runs skipped")
            else:
                for lanes in (True, False):
                    result = two_processes(base, redis_url, n, per, lanes)
                    key = f"two processes via Redis, {'lanes' if lanes else 'no lanes'}"
                    row, figures[key] = _row(key, result, n, per)
                    rows.append(row)
                    saved[key] = {k: result[k] for k in ("bulk", "interactive", "total")}
    print(
        table(
            f"Bulk job of {JOB}·N = {JOB * n} GETs (burst) + an interactive GET every W/8; "
            f"strict window N = {n} per W = {per:g} s; physical = (ceil(sent / N) - 1) W",
            [
                "run",
                "interactive",
                "p50 s",
                "p99 s",
                "max s",
                "p99 / W",
                "bulk s",
                "physical s",
                "ratio",
                "429s",
            ],
            rows,
        )
    )
    # Total CPU over many interleaved rounds, not a median: the garbage collector's pauses
    # are real cost, and interleaving spreads the machine's noise over both sides.
    rounds, count = (4, 800) if args.quick else (10, 1600)
    cpu_with: list[float] = []
    cpu_without: list[float] = []
    with serve(ServerConfig(routes={"/v1/project/DEMO": encode(PROJECT)})) as port:
        for k in range(2 * rounds):
            lanes = k % 2 == 0
            spent = asyncio.run(lane_cpu(f"http://127.0.0.1:{port}", count, lanes))
            (cpu_with if lanes else cpu_without).append(spent)
    cpu_ratio = sum(cpu_with) / sum(cpu_without)
    print(
        f"\nclient CPU per request, budget {count // 4} per 0.5 s, {count} requests, "
        f"total of {rounds} interleaved rounds: with lanes {1e6 * sum(cpu_with) / rounds:.0f} µs, "
        f"without {1e6 * sum(cpu_without) / rounds:.0f} µs, ratio {cpu_ratio:.3f}"
    )
    if args.save:
        with open(args.save, "w", encoding="utf-8") as out:
            json.dump(saved, out)
    rejected = sum(int(f["rejected"]) for f in figures.values())
    for key, f in figures.items():
        if "no lanes" in key:
            continue
        where = "Redis" if "Redis" in key else "1 process"
        ok = f["p99"] <= P99_GOAL and f["p99"] <= SHARE_GOAL * 60
        summary(
            "lanes", f"{where}: interactive p99 s (lanes)", round(f["p99"], 3), f"<= {P99_GOAL}", ok
        )
        summary(
            "lanes",
            f"{where}: bulk total / physical",
            round(f["ratio"], 3),
            f"<= {BULK_GOAL}",
            f["ratio"] <= BULK_GOAL,
        )
        plain = figures.get(key.replace("lanes", "no lanes"))
        if plain is not None:
            summary(
                "lanes",
                f"{where}: interactive p99 s without lanes",
                round(plain["p99"], 3),
                "(baseline)",
                True,
            )
    summary(
        "lanes",
        "bulk job alone (reserve kept) / physical",
        round(alone["ratio"], 3),
        f"<= {BULK_GOAL}",
        alone["ratio"] <= BULK_GOAL,
    )
    rejected += int(alone["rejected"])
    summary("lanes", "429s in every run", rejected, "0", rejected == 0)
    summary(
        "lanes",
        "client CPU per request with / without lanes",
        round(cpu_ratio, 3),
        f"<= {CPU_GOAL}",
        cpu_ratio <= CPU_GOAL,
    )


if __name__ == "__main__":
    main()
