"""Every Python example in ``examples/`` runs against the fake and prints what it promises.

Each runs as a user would run it (``python examples/<name>.py --fake``), in a subprocess
with no token in its environment, so an example that rots fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(name: str, *args: str, stdin: str = "") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QASE_")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--fake", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    return done.stdout


def test_every_example_is_tested() -> None:
    """A new example in examples/ cannot be added without a test here."""
    scripts = {path.name for path in EXAMPLES.glob("*.py") if not path.name.startswith("_")}
    assert scripts == {"bot.py", "bulk_upload.py", "read_and_report.py", "service.py"}


def test_bulk_upload_sends_every_result_and_completes_the_run() -> None:
    """1,000 results arrive in bulk requests and the run is completed."""
    out = _run("bulk_upload.py", "--results", "1000")
    assert "1000 results sent in" in out
    assert "0 refused, run completed: True." in out


def test_read_and_report_prints_pass_rates_and_worst_cases() -> None:
    """One line per run with its pass rate, then the cases that failed most."""
    lines = _run("read_and_report.py").splitlines()
    assert lines[1].split() == ["1", "4", "1", "80%", "Nightly", "#1"]
    assert lines[2].split() == ["2", "5", "0", "100%", "Nightly", "#2"]
    assert lines[3].split() == ["3", "3", "2", "60%", "Nightly", "#3"]
    assert lines[4] == "failed 2 x: DEMO-4 Search"


def test_read_and_report_stops_after_the_runs_asked_for() -> None:
    """``--runs 1`` reports on one run only."""
    lines = _run("read_and_report.py", "--runs", "1").splitlines()
    assert len([line for line in lines if "Nightly" in line]) == 1


def test_bot_answers_every_command_errors_included() -> None:
    """Each command gets its reply; a 404 and an unknown command are replies, not crashes."""
    out = _run("bot.py", stdin="runs\nrun 1\ndefect Crash on Safari\nrun 99\nhello\n")
    for reply in (
        "> runs\n1 runs; latest: #1 Smoke (active)",
        "> run 1\nrun #1 'Smoke': 1 passed, 1 failed",
        "> defect Crash on Safari\nfiled defect #1: Crash on Safari",
        "> run 99\nnot found: run 99",
        "> hello\ncommands: runs | run ID | defect TITLE",
    ):
        assert reply in out


def test_service_forwards_results_into_one_run_and_closes_cleanly() -> None:
    """The service opens one run at start, files posted results in it, and stops cleanly."""
    out = _run("service.py", "--demo")
    assert "POST /results Log in -> 201 {'run_id': 1, 'title': 'Log in'}" in out
    assert "GET /run -> 200 {'run_id': 1, 'passed': 1, 'failed': 1}" in out
    assert out.rstrip().endswith("stopped: run completed, client closed")
