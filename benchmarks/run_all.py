"""Run every benchmark in sequence and print a summary table of their ratios.

Each benchmark runs in its own interpreter (``python benchmarks/bench_*.py``), prints its
own tables, and ends with ``SUMMARY {...}`` lines that are collected here. Ratios are
measured against a baseline in the same run; nothing here fails on a figure.

Run: ``python benchmarks/run_all.py [--quick]`` (the ``bench`` nox session runs this).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT = 600.0
"""Seconds one benchmark may take before it is stopped."""


def run(script: str, quick: bool) -> tuple[list[dict[str, object]], int, float]:
    """Run one benchmark, echoing its output; its summary lines, exit code and seconds."""
    command = [sys.executable, str(HERE / script)] + (["--quick"] if quick else [])
    print(f"\n=== {script}{' --quick' if quick else ''}", flush=True)
    start = time.monotonic()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT, cwd=HERE.parent, check=False
        )
        out, err, code = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as error:
        out = error.stdout if isinstance(error.stdout, str) else ""
        err, code = f"stopped after {TIMEOUT:g} s", -1
    elapsed = time.monotonic() - start
    lines = []
    for line in out.splitlines():
        if line.startswith("SUMMARY "):
            lines.append(json.loads(line[len("SUMMARY ") :]))
        else:
            print(line)
    if err.strip():
        print(err.rstrip(), file=sys.stderr)
    return lines, code, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (under a minute)")
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str, str]] = []
    failed = []
    # Every bench_*.py here, so a new benchmark joins the run by existing.
    for script in sorted(p.name for p in HERE.glob("bench_*.py")):
        lines, code, elapsed = run(script, args.quick)
        print(f"({script}: {elapsed:.0f} s)")
        if code != 0:
            failed.append(script)
        for line in lines:
            value = line["value"]
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            rows.append(
                (
                    str(line["bench"]),
                    str(line["figure"]),
                    shown,
                    str(line["goal"]),
                    "ok" if line["ok"] else "MISSED",
                )
            )
    headers = ("bench", "figure (same-run ratio)", "value", "goal", "")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    print("\nSummary" + (" (quick: small scale, noisier)" if args.quick else ""))
    for n, row in enumerate([headers, *rows]):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    if failed:
        print(f"\nbenchmarks that did not finish cleanly: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
