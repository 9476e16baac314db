"""Interrupting ``qase-async upload`` loses nothing, and the same command again finishes it.

Real processes: ``qase-async fake-server`` on a loopback port and ``qase-async upload`` of a
few hundred results, slowed by a small rate budget, stopped by a signal mid-way.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qase_async import QaseClient

TOTAL = 300
TOKEN = "interrupt-test-token"
PROJECT = "DEMO"
DEADLINE = 15.0
"""Seconds any wait of these tests may last before the test fails."""


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "qase_async", *args]


def _report(path: Path, count: int) -> Path:
    cases = "".join(
        f'<testcase classname="tests.test_many" name="test_{i:04d}" time="0.01"/>'
        for i in range(count)
    )
    path.write_text(f'<testsuite name="many" tests="{count}">{cases}</testsuite>', encoding="utf-8")
    return path


@pytest.fixture
def server() -> Iterator[str]:
    """``qase-async fake-server`` on a free loopback port, with project DEMO."""
    process = subprocess.Popen(
        _cli("fake-server", "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        # The server prints its origin once it listens; a server that never does is killed.
        watchdog = threading.Timer(DEADLINE, process.kill)
        watchdog.start()
        try:
            line = process.stdout.readline()
        finally:
            watchdog.cancel()
        found = re.search(r"(http://[\w.:\[\]]+)/v1", line)
        assert found, f"no origin in {line!r}"
        origin = found.group(1)
        with httpx.Client(base_url=origin, headers={"Token": TOKEN}, timeout=5) as http:
            http.post("/v1/project", json={"title": "Demo", "code": PROJECT}).raise_for_status()
        yield origin
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()
        if process.stderr:
            process.stderr.close()


def _stored(origin: str) -> int:
    """Results stored so far in the project (asked with another token's budget)."""
    with httpx.Client(base_url=origin, headers={"Token": "observer"}, timeout=5) as http:
        answer = http.get(f"/v1/result/{PROJECT}", params={"limit": 1}).json()
    return int(answer["result"]["total"])


def _wait_until_some_are_stored(origin: str, process: subprocess.Popen[str]) -> None:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if process.poll() is not None:
            pytest.fail(f"the upload ended before it could be interrupted: {process.returncode}")
        if _stored(origin) > 0:
            return
        time.sleep(0.05)
    pytest.fail("the upload stored nothing in time")


async def _read_back(origin: str) -> tuple[list[int], Counter[int]]:
    """Every run of the project, and how often each case has a result."""
    async with QaseClient(TOKEN, base_url=origin) as qase:
        runs = [run.id async for run in qase.runs.iter(PROJECT)]
        copies = Counter([r.case_id async for r in qase.results.iter(PROJECT) if r.case_id])
    return [r for r in runs if r is not None], copies


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_upload_loses_nothing_and_the_same_command_finishes_it(
    server: str, tmp_path: Path, sig: signal.Signals
) -> None:
    """Stopped mid-way, the upload names its run, keeps the rest in a 0600 spool and says
    how to resume; the ORIGINAL command run again goes on into the same run: one run,
    exactly one result per test case."""
    report = _report(tmp_path / "junit.xml", TOTAL)
    command = _cli(
        "upload", str(report), "-p", PROJECT, "--base-url", server, "--token", TOKEN,
        "--rate-limit", "15/1", "--batch-size", "5", "--spool-dir", str(tmp_path / "spool"),
    )  # fmt: skip
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_until_some_are_stored(server, first)
    first.send_signal(sig)
    out, err = first.communicate(timeout=DEADLINE)
    stored_before = _stored(server)

    assert first.returncode == (130 if sig == signal.SIGINT else 143), err
    assert f"interrupted by {sig.name}" in err
    assert "Traceback" not in err
    assert "run 1 of DEMO" in err
    spools = list((tmp_path / "spool").iterdir())
    assert len(spools) == 1
    assert spools[0].stat().st_mode & 0o777 == 0o600
    assert f"qase-async upload --resume {spools[0]}" in err
    assert f"--base-url {server}" in err
    assert 0 < stored_before < TOTAL
    assert TOKEN not in out + err + spools[0].read_text("utf-8")

    again = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    assert again.returncode == 0, again.stderr
    assert "resuming it from" in again.stderr
    # Results in flight at the signal were kept too: the service may have stored them, so
    # the spool holds at least what was missing; resending them stores no second copy.
    kept = re.search(r"(\d+) not yet confirmed kept in", err)
    assert kept, err
    assert TOTAL - stored_before <= int(kept.group(1)) <= TOTAL
    assert f"Sent {kept.group(1)} results to run 1 of DEMO" in again.stdout
    runs, copies = asyncio.run(_read_back(server))
    assert runs == [1]
    assert len(copies) == TOTAL
    assert set(copies.values()) == {1}
    assert list((tmp_path / "spool").iterdir()) == []


def test_a_killed_upload_is_finished_by_the_same_command(server: str, tmp_path: Path) -> None:
    """Even SIGKILL (no chance to write a spool) loses nothing: the run was recorded when
    it was created, so the same command again sends every result into it, once."""
    report = _report(tmp_path / "junit.xml", TOTAL)
    command = _cli(
        "upload", str(report), "-p", PROJECT, "--base-url", server, "--token", TOKEN,
        "--rate-limit", "15/1", "--batch-size", "5", "--spool-dir", str(tmp_path),
    )  # fmt: skip
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_until_some_are_stored(server, first)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=DEADLINE)

    again = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    assert again.returncode == 0, again.stderr
    assert "did not finish; sending them again into that run" in again.stderr
    runs, copies = asyncio.run(_read_back(server))
    assert runs == [1]
    assert len(copies) == TOTAL
    assert set(copies.values()) == {1}
