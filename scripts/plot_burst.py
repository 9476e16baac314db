"""Draw ``docs/img/burst.png``: a 3N burst through two limiters, measured at a strict server.

The server (``tests/window_server.py``, loopback, in a thread) admits at most N requests in
ANY sliding window of W seconds, counted at arrival, and answers the first one over with
429 and a W-second lock-out -- the service's rule, with its 60 s window scaled down. Two
clients each send a burst of 3N GETs as fast as their limiter lets them:

* ``QaseClient(rate_limit=RateLimit(N, per=W))``, the default sliding-window limiter;
* raw httpx behind ``aiolimiter.AsyncLimiter(N, W)``, a token bucket that starts full.

The figure shows what the server saw: requests arriving per second (429s in red) and the
number of requests in the trailing W seconds against the limit N. Every figure in it is
measured in the run that drew it; nothing is simulated.

Usage (needs the ``dev`` and ``docs`` extras; about 25 s)::

    python scripts/plot_burst.py [--requests N] [--per W] [--out docs/img/burst.png]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import sys
import threading
import time
from pathlib import Path

import httpx
from aiolimiter import AsyncLimiter

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from qase_async import QaseClient, QaseError, RateLimit  # noqa: E402
from tests.window_server import WindowServer, serve  # noqa: E402

LATENCY = 0.005
"""Seconds the server holds each answer, so requests are really in flight together."""


class RecordingServer(WindowServer):
    """The strict window server, also noting when each request arrived and its fate."""

    def __init__(self, limit: int, per: float) -> None:
        super().__init__(limit, per, latency=LATENCY)
        self.fates: list[tuple[float, bool]] = []
        self._fate_lock = threading.Lock()

    def _admit(self) -> tuple[bool, int]:
        admitted, remaining = super()._admit()
        with self._fate_lock:
            self.fates.append((time.monotonic(), admitted))
        return admitted, remaining


async def _burst_ours(origin: str, n: int, per: float) -> None:
    async with QaseClient(token="t", base_url=origin, rate_limit=RateLimit(n, per=per)) as qase:

        async def one() -> None:
            # A refusal is counted by the server; ours sends no request that draws a 429.
            with contextlib.suppress(QaseError):
                await qase.projects.get("DEMO")

        await asyncio.gather(*(one() for _ in range(3 * n)))


async def _burst_bucket(origin: str, n: int, per: float) -> None:
    limiter = AsyncLimiter(n, per)
    limits = httpx.Limits(max_connections=None)
    async with httpx.AsyncClient(base_url=origin, headers={"Token": "t"}, limits=limits) as raw:

        async def one() -> None:
            async with limiter:
                await raw.get("/v1/project/DEMO")

        await asyncio.gather(*(one() for _ in range(3 * n)))


def measure(kind: str, n: int, per: float) -> tuple[list[tuple[float, bool]], float]:
    """(arrival time since the burst began, admitted) per request, and the burst's duration."""
    server = RecordingServer(n, per)
    burst = _burst_ours if kind == "ours" else _burst_bucket
    with serve(server) as origin:
        start = time.monotonic()
        asyncio.run(asyncio.wait_for(burst(origin, n, per), timeout=20 * per + 30))
        elapsed = time.monotonic() - start
    return [(at - start, ok) for at, ok in server.fates], elapsed


def _in_window(times: list[float], per: float, grid: list[float]) -> list[int]:
    """Requests that arrived in (t - per, t], for each t of ``grid``."""
    return [bisect.bisect_right(times, t) - bisect.bisect_right(times, t - per) for t in grid]


def draw(
    runs: dict[str, tuple[list[tuple[float, bool]], float]], n: int, per: float, out: Path
) -> None:
    """Two panels: arrivals per second; requests in the trailing window against the limit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    labels = {
        "ours": "QaseClient: sliding-window limiter (default)",
        "bucket": f"token bucket: aiolimiter.AsyncLimiter({n}, {per:g})",
    }
    colours = {"ours": "#1f77b4", "bucket": "#ff7f0e"}
    end = max(max((at for at, _ in fates), default=0.0) for fates, _ in runs.values())
    horizon = max(2.5 * per, end + 0.2 * per)
    width = per / 20
    edges = [i * width for i in range(int(horizon / width) + 2)]

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7.2), sharex=True)
    handles = []
    for offset, (kind, (fates, elapsed)) in enumerate(runs.items()):
        ok = [at for at, admitted in fates if admitted]
        refused = [at for at, admitted in fates if not admitted]
        bins = [edge + (offset - 0.5) * width / 2 for edge in edges]
        top.hist(
            [ok, refused],
            bins=bins,
            weights=[[1 / width] * len(ok), [1 / width] * len(refused)],
            stacked=True,
            rwidth=0.45,
            color=[colours[kind], "#d62728"],
        )
        handles.append(Patch(color=colours[kind], label=f"{labels[kind]}: {len(ok)} accepted"))
        if refused:
            handles.append(Patch(color="#d62728", label=f"answered 429: {len(refused)}"))
        grid = [i * width / 4 for i in range(int(horizon / (width / 4)) + 1)]
        times = sorted(at for at, _ in fates)
        bottom.plot(
            grid,
            _in_window(times, per, grid),
            color=colours[kind],
            lw=2,
            label=f"{labels[kind]}: done in {elapsed:.2f} s, {len(refused)} x 429",
        )
    average = top.axhline(n / per, color="black", ls=":", lw=1)
    average.set_label(f"N/W = {n / per:g} a second, the limit's average rate")
    handles.append(average)
    top.set_yscale("log")
    top.set_ylabel("requests arriving per second\n(log scale)")
    top.set_title(
        f"A burst of 3N = {3 * n} requests; the server allows N = {n} in any {per:g} s window"
    )
    top.legend(handles=handles, loc="upper right", fontsize=8)

    bottom.axhline(n, color="black", lw=1.5, ls="--", label=f"the service's limit: N = {n}")
    bottom.axvline(2 * per, color="grey", lw=1, ls=":")
    bottom.annotate(
        "2W: the earliest 3N can finish",
        (2 * per, 0),
        xytext=(4, 4),
        textcoords="offset points",
        fontsize=8,
        color="grey",
    )
    bottom.set_ylabel(f"requests sent in the last {per:g} s\n(the service allows N)")
    bottom.set_xlabel(
        f"seconds since the burst began (window W = {per:g} s; the service's is 60 s)"
    )
    bottom.set_ylim(0, max(n * 1.6, bottom.get_ylim()[1]))
    bottom.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="N (default 100)")
    parser.add_argument("--per", type=float, default=4.0, help="W in seconds (default 4)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img" / "burst.png")
    args = parser.parse_args()
    runs = {kind: measure(kind, args.requests, args.per) for kind in ("ours", "bucket")}
    for kind, (fates, elapsed) in runs.items():
        refused = sum(1 for _, admitted in fates if not admitted)
        print(f"{kind}: {len(fates)} requests in {elapsed:.2f} s, {refused} x 429")
    draw(runs, args.requests, args.per, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
