"""Is the generated decoder worth keeping? It against cattrs' own code, same hooks, one run.

The client decodes with structure functions ``qase_async._converter`` generates for each
model (``_fast_structure_fn``: a scalar's class checked inline, plain frozen models built by
setting their slots). cattrs generates structure functions too; a second decoder is worth
its code only if it decodes each of the three big pages (100 cases, 100 results, 100 runs)
at least 1.3x faster than cattrs' code with the same hooks (the optional, list, map and
date-time hooks of the same converter). Both decode the same parsed page into ``Page[...]``
in interleaved rounds; the figure is the TOTAL CPU over every round (not a median or a
best: the collections the garbage collector runs while decoding are part of the cost, and
each batch keeps its decoded pages alive until it is timed, as a caller holding them
would). JSON parsing is timed too (same parser for both), to show its share.

Run: ``python benchmarks/bench_decode.py [--quick]``.
"""

from __future__ import annotations

import argparse
import gc
from collections.abc import Callable
from typing import Any

import _payloads
from _common import cpu, page_result, summary, table

from qase_async._converter import _make_converter, default_converter
from qase_async._http import json_loads
from qase_async._pagination import Page
from qase_async.models import Result, Run, TestCase

KEEP_AT = 1.3
"""Speed-up over cattrs, on every payload, that would justify a second decoder."""
PARSER = getattr(json_loads, "__module__", "json").split(".")[0]

PAGES: dict[str, tuple[Callable[[], dict[str, Any]], type[Any]]] = {
    "cases": (_payloads.cases_page, TestCase),
    "results": (_payloads.results_page, Result),
    "runs": (_payloads.runs_page, Run),
}


def _batch(fn: Callable[[], object], reps: int) -> float:
    """CPU seconds for ``reps`` calls, their results held until the clock stops."""
    gc.collect()  # untimed: start from a clean heap so no one pays for another's garbage
    held = []
    start = cpu()
    for _ in range(reps):
        held.append(fn())
    spent = cpu() - start
    del held
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 40, quick 8)")
    args = parser.parse_args()
    reps = 5
    rounds = args.rounds or (8 if args.quick else 40)
    generated = default_converter()  # what the client decodes with
    cattrs_conv = _make_converter(strict=False, detailed=False, generated=False)
    subjects: dict[str, dict[str, Callable[[], object]]] = {}
    for kind, (make, model) in PAGES.items():
        raw = _payloads.encode(make())
        data = page_result(raw)
        cl = Page[model]  # type: ignore[valid-type]
        # Both must decode to the same models, or the comparison means nothing.
        if generated.structure(data, cl) != cattrs_conv.structure(data, cl):
            raise SystemExit(f"the two decoders disagree on the page of {kind}")
        subjects[kind] = {
            "generated": lambda data=data, cl=cl: generated.structure(data, cl),
            "cattrs": lambda data=data, cl=cl: cattrs_conv.structure(data, cl),
            "parse": lambda raw=raw: json_loads(raw),
        }
    totals = {kind: dict.fromkeys(s, 0.0) for kind, s in subjects.items()}
    for i in range(rounds):
        for kind, subject in subjects.items():
            names = list(subject)
            for name in names if i % 2 == 0 else names[::-1]:
                totals[kind][name] += _batch(subject[name], reps)
    n = rounds * reps
    rows = []
    ratios: dict[str, float] = {}
    for kind, total in totals.items():
        ratio = total["cattrs"] / total["generated"]
        ratios[kind] = ratio
        with_parse = (total["cattrs"] + total["parse"]) / (total["generated"] + total["parse"])
        rows.append(
            (
                f"100 {kind}",
                f"{total['parse'] / n * 1e3:.2f}",
                f"{total['generated'] / n * 1e3:.2f}",
                f"{total['cattrs'] / n * 1e3:.2f}",
                f"{ratio:.2f}",
                f"{with_parse:.2f}",
            )
        )
    print(
        table(
            f"Decode one page (parsed JSON -> Page[model]), CPU ms per page, total of "
            f"{rounds} interleaved rounds x {reps} / {n}",
            (
                "payload",
                f"{PARSER} parse",
                "generated",
                "cattrs (same hooks)",
                "speed-up",
                "speed-up incl. parse",
            ),
            rows,
        )
    )
    keep = all(r >= KEEP_AT for r in ratios.values())
    print(
        f"\ngenerated decoder: {'keep' if keep else 'not worth keeping'} "
        f"(needs >= {KEEP_AT}x on every payload)\n"
    )
    for kind, ratio in ratios.items():
        # The package keeps the generated decoder: "ok" while that stays the right call.
        summary(
            "decode",
            f"generated decoder speed-up over cattrs, 100 {kind}",
            ratio,
            f">= {KEEP_AT} (kept)",
            ratio >= KEEP_AT,
        )


if __name__ == "__main__":
    main()
