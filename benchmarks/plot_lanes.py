"""Draw the waits per lane of a ``bench_lanes.py --save`` run (docs/img/lanes-waits.png).

Each dot is one request of the one-process run: when it was answered (seconds since the
bulk job's burst) and how long it took. Needs the ``docs`` extra (matplotlib).

Run: ``python benchmarks/bench_lanes.py --save lanes.json`` then
``python benchmarks/plot_lanes.py lanes.json docs/img/lanes-waits.png``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the JSON file bench_lanes.py --save wrote")
    parser.add_argument("out", help="the PNG to write")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(args.data, encoding="utf-8") as src:
        data: dict[str, Any] = json.load(src)
    n, per = data["n"], data["per"]
    lanes, plain = data["one process, lanes"], data["one process, no lanes"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    series = [
        (left, lanes["bulk"], "bulk (lane bulk)", "#9aa5b1", 4),
        (left, lanes["interactive"], "interactive (lane interactive)", "#d9480f", 14),
        (right, plain["bulk"], "bulk job (normal)", "#9aa5b1", 4),
        (right, plain["interactive"], "interactive caller (normal)", "#1c7ed6", 14),
    ]
    for axis, points, label, colour, size in series:
        axis.scatter(
            [t + w for t, w in points],
            [max(w, 1e-3) for _, w in points],
            s=size,
            c=colour,
            label=label,
        )
    for axis, title in ((left, "with lanes"), (right, "without lanes (first come, first served)")):
        axis.set_title(title)
        axis.set_yscale("log")
        axis.set_xlabel("answered at (s after the burst)")
        axis.grid(True, which="both", alpha=0.25)
        axis.legend(loc="lower right", fontsize=8)
    left.set_ylabel("time to answer (s, log scale)")
    fig.suptitle(
        f"A bulk job of {10 * n} requests and an interactive request every W/8, "
        f"one token at {n} per {per:g} s (measured)",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)


if __name__ == "__main__":
    main()
