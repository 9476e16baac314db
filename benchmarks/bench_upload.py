"""Bulk upload against the fake Qase API with a scaled-down rate limit.

The fake runs as ``qase-async fake-server`` in another process (so its stored results
neither cost the client CPU nor show in the client's memory) with the same budget as the
client, ``L`` requests per ``W`` seconds. For ``n`` results the uploader should make the
minimum number of requests, ``ceil(n / 200)`` plus ``ceil(files / 20)`` for attachments,
and the budget cannot send them faster than the physical limit ``floor((requests - 1) / L)
* W`` (the last request can go no sooner). Printed per size: requests / minimum,
wall / physical limit, peak traced memory of the client; then the peak memory of the
largest size over the smallest (about 1.0 when memory does not grow with the input).

Run: ``python benchmarks/bench_upload.py [--quick] [--sizes 5000,20000] [--rate 10/2]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qase_async import QaseClient, RateLimit, UnprocessableEntityError, Uploader, UploadItem
from qase_async.models import ProjectCreate, ResultCreateV2, ResultExecution, RunCreate

PROJECT = "BENCH"
FILES = 3


@contextmanager
def fake_server(limit: int, per: float) -> Iterator[str]:
    """``qase-async fake-server`` on a free loopback port; yields its origin."""
    command = [
        sys.executable,
        "-m",
        "qase_async",
        "fake-server",
        "--port",
        "0",
        "--rate-limit",
        f"{limit}/{per}",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "http://" not in line:
            raise RuntimeError(f"the fake server did not start: {line!r}")
        origin = line.split(" on ", 1)[1].split("/v1", 1)[0]
        yield origin
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def results(n: int, files: list[str]) -> Iterator[UploadItem]:
    """``n`` results made on the fly; every 97th carries one of the files."""
    for i in range(n):
        status = "failed" if i % 50 == 0 else "passed"
        result = ResultCreateV2(
            title=f"test_{i}",
            # Linking to a case keeps the fake from looking one up by title per result.
            testops_id=1 + i % 500,
            execution=ResultExecution(status=status, duration=i % 900),
            message="assert 1 == 2" if status == "failed" else None,
        )
        attach = [files[i % len(files)]] if i % 97 == 0 else []
        yield UploadItem(result=result, attachments=attach)


async def one(origin: str, n: int, limit: int, per: float, files: list[str]) -> dict[str, float]:
    """Upload ``n`` results to a fresh run; returns the figures."""
    rate = RateLimit(limit, per=per, follow_server=False)
    retries: list[str] = []
    client = QaseClient(
        token="bench",
        base_url=origin,
        rate_limit=rate,
        on_retry=lambda event: retries.append(f"{event.reason} {event.method} {event.url}"),
    )
    async with client:
        # The project exists after the first size.
        with contextlib.suppress(UnprocessableEntityError):
            await client.projects.create(ProjectCreate(title="Bench", code=PROJECT))
        run_id = await client.runs.create(PROJECT, RunCreate(title=f"bench {n}"))
        # Start on a clear window, so the physical limit below is the whole story.
        await asyncio.sleep(per + 0.05)
        tracemalloc.start()
        started = time.perf_counter()
        report = await Uploader(client, PROJECT, run_id).upload(results(n, files))
        wall = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        stored = (await client.results.list(PROJECT, run=[run_id], limit=1)).filtered
    if retries:
        print(f"{n}: {len(retries)} retries: {retries[:5]}", file=sys.stderr)
    minimum = math.ceil(n / 200) + math.ceil(FILES / 20)
    physical = (minimum - 1) // limit * per
    return {
        "results": n,
        "sent": report.sent,
        "stored": float(stored or 0),
        "requests": report.requests,
        "minimum": minimum,
        "wall": wall,
        "physical": physical,
        "waited": report.rate_limit_wait,
        "peak": peak / 2**20,
        "retries": float(len(retries)),
    }


async def bench(sizes: list[int], limit: int, per: float) -> list[dict[str, float]]:
    """Every size against one fake server."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for i in range(FILES):
            path = Path(folder) / f"screenshot-{i}.png"
            path.write_bytes(os.urandom(50_000))
            files.append(str(path))
        with fake_server(limit, per) as origin:
            # A first small job pays the one-time costs (imports, converter hooks).
            await one(origin, 400, limit, per, files)
            for n in sizes:
                rows.append(await one(origin, n, limit, per, files))
    return rows


def main() -> None:
    """Parse arguments, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,20000", help="comma-separated result counts")
    parser.add_argument("--rate", default="10/2", help="budget L/W of client and fake")
    parser.add_argument("--quick", action="store_true", help="sizes 2000,8000 at 5/1")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.rate = "2000,8000", "5/1"
    limit_text, per_text = args.rate.split("/")
    limit, per = int(limit_text), float(per_text)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = asyncio.run(bench(sizes, limit, per))
    print(f"bulk upload, budget {limit} requests / {per:g} s (client and fake server)")
    header = (
        f"{'results':>8} {'sent':>6} {'stored':>6} {'requests':>8} {'minimum':>7} "
        f"{'req/min':>7} {'wall s':>7} {'limit s':>7} {'wall/limit':>10} {'waited s':>8} "
        f"{'peak MiB':>8}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['results']:>8.0f} {r['sent']:>6.0f} {r['stored']:>6.0f} {r['requests']:>8.0f} "
            f"{r['minimum']:>7.0f} {r['requests'] / r['minimum']:>7.2f} {r['wall']:>7.2f} "
            f"{r['physical']:>7.2f} {r['wall'] / max(r['physical'], 1e-9):>10.3f} "
            f"{r['waited']:>8.2f} "
            f"{r['peak']:>8.2f}"
        )
    if len(rows) > 1:
        ratio = rows[-1]["peak"] / rows[0]["peak"]
        print(
            f"peak memory {rows[-1]['results']:.0f} / {rows[0]['results']:.0f} results: "
            f"{ratio:.2f}x for {rows[-1]['results'] / rows[0]['results']:.0f}x the results"
        )


if __name__ == "__main__":
    main()
