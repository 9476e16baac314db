"""CPU per request of ``client.projects.get`` against a raw ``httpx.AsyncClient`` GET.

Both send sequentially over one keep-alive connection to the same loopback server, which
runs in another process so only the client's CPU is measured. Rounds are interleaved and
the median per-request CPU of each subject is compared (goal: ours / raw <= 1.10).

Run: ``python benchmarks/bench_overhead.py [--quick] [--profile]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
from collections.abc import Awaitable, Callable

import httpx
from _common import ServerConfig, cpu, median, serve, summary, table
from _payloads import PROJECT, encode

from qase_async import QaseClient, RateLimit

GOAL = 1.10


async def _measure(run_one: Callable[[], Awaitable[object]], count: int) -> float:
    start = cpu()
    for _ in range(count):
        await run_one()
    return (cpu() - start) / count


async def bench(port: int, count: int, rounds: int, profile: bool) -> dict[str, float]:
    base = f"http://127.0.0.1:{port}"
    raw = httpx.AsyncClient(base_url=base, headers={"Token": "t"})
    client = QaseClient(token="t", base_url=base, rate_limit=RateLimit(10**6, per=60.0))
    try:

        async def raw_get() -> object:
            response = await raw.get("/v1/project/DEMO")
            response.raise_for_status()
            return response.json()

        async def ours_get() -> object:
            return await client.projects.get("DEMO")

        async def ours_request() -> object:
            # The request path alone (limiter, send, envelope), without model decoding.
            return await client._transport.request("GET", "/project/DEMO")

        subjects = {
            "raw httpx GET + .json()": raw_get,
            "ours: projects.get()": ours_get,
            "ours: Transport.request() only": ours_request,
        }
        for run_one in subjects.values():  # warm up connections and code paths
            await _measure(run_one, max(50, count // 10))
        per: dict[str, list[float]] = {name: [] for name in subjects}
        names = list(subjects)
        for i in range(rounds):
            for name in names if i % 2 == 0 else names[::-1]:
                per[name].append(await _measure(subjects[name], count))
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            await _measure(ours_get, count)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            print(f"\ncProfile of {count} x projects.get (sorted by own time):")
            print(out.getvalue())
        return {name: median(values) for name, values in per.items()}
    finally:
        await client.aclose()
        await raw.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (fewer requests)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of ours")
    args = parser.parse_args()
    count, rounds = (300, 3) if args.quick else (1500, 5)
    config = ServerConfig(routes={"/v1/project/DEMO": encode(PROJECT)})
    with serve(config) as port:
        medians = asyncio.run(bench(port, count, rounds, args.profile))
    baseline = medians["raw httpx GET + .json()"]
    rows = [
        (name, f"{value * 1e6:.0f}", f"{value / baseline:.2f}") for name, value in medians.items()
    ]
    print(
        table(
            f"Client CPU per request, median of {rounds} interleaved rounds x {count} "
            "sequential GETs (server in another process)",
            ("subject", "CPU µs/req", "vs raw"),
            rows,
        )
    )
    ratio = medians["ours: projects.get()"] / baseline
    print(f"\nratio ours/raw = {ratio:.2f} (goal <= {GOAL:.2f})")
    summary("overhead", "projects.get CPU / raw httpx", ratio, f"<= {GOAL:.2f}", ratio <= GOAL)


if __name__ == "__main__":
    main()
