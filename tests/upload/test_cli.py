"""``qase-async upload``: the README's first command, JSON output, and one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qase_async import UploadProgress
from qase_async._cli import main
from qase_async._cli_upload import _Progress
from qase_async.testing import FakeQase

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "junit-report.xml"
ROOT = EXAMPLE.parents[1]


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text


def test_the_readme_command_uploads_the_example(capsys: pytest.CaptureFixture[str]):
    """``upload examples/junit-report.xml --project DEMO --fake`` sends all 50 results."""
    status = main(["upload", str(EXAMPLE), "--project", "DEMO", "--fake"])
    out, err = capsys.readouterr()
    assert status == 0
    assert "Sent 50 results to run 1 of DEMO" in out
    assert "0 refused, 3 files attached" in out
    _no_traceback(err)


def test_json_report_is_the_only_thing_on_stdout(capsys: pytest.CaptureFixture[str]):
    """--json prints one object with run_id, sent and failed; --complete completes the run."""
    status = main(["upload", str(EXAMPLE), "-p", "DEMO", "--fake", "--json", "--complete"])
    out, _ = capsys.readouterr()
    report = json.loads(out)
    assert status == 0
    assert (report["run_id"], report["sent"], report["failed"]) == (1, 50, 0)
    assert report["run_completed"] is True
    assert report["attachments_uploaded"] == 3


def test_python_dash_m_runs_the_same_command():
    """``python -m qase_async upload ... --fake`` works from a shell, as the README says."""
    done = subprocess.run(
        [sys.executable, "-m", "qase_async", "upload", str(EXAMPLE), "-p", "DEMO", "--fake"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Sent 50 results" in done.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read the report"),
        ("<testsuites><testcase", "malformed XML at line 1"),
    ],
)
def test_bad_files_give_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, expected: str
):
    """A missing file or malformed XML: one line on stderr, exit status 2, nothing sent."""
    report = tmp_path / "report.xml"
    if content is not None:
        report.write_text(content, encoding="utf-8")
    status = main(["upload", str(report), "--project", "DEMO", "--fake"])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert expected in err
    assert len(err.strip().splitlines()) == 1


def test_no_token_is_one_line(capsys: pytest.CaptureFixture[str]):
    """Without --token, QASE_API_TOKEN or --fake the command says what to do."""
    status = main(["upload", str(EXAMPLE), "--project", "DEMO"])
    _, err = capsys.readouterr()
    assert status == 2
    assert "QASE_API_TOKEN" in err
    assert len(err.strip().splitlines()) == 1


@pytest.fixture
def served() -> Iterator[tuple[FakeQase, str]]:
    """A fake on a real loopback socket that knows token ``good`` and project DEMO."""
    fake = FakeQase(tokens={"good"})
    with fake.serve_in_thread() as origin:
        with httpx.Client(base_url=origin, headers={"Token": "good"}) as http:
            http.post("/v1/project", json={"title": "Demo", "code": "DEMO"}).raise_for_status()
        yield fake, origin


def test_a_wrong_token_is_one_line(
    served: tuple[FakeQase, str], capsys: pytest.CaptureFixture[str]
):
    """401 from the service: one line that points at the token, exit status 1."""
    _, origin = served
    wrong = "s3cr3t-but-wrong"
    argv = ["upload", str(EXAMPLE), "-p", "DEMO", "--base-url", origin, "--token", wrong]
    status = main(argv)
    _, err = capsys.readouterr()
    assert status == 1
    assert "refused the API token (401)" in err
    assert len(err.strip().splitlines()) == 1
    assert wrong not in err


def test_an_unknown_project_is_one_line(
    served: tuple[FakeQase, str], capsys: pytest.CaptureFixture[str]
):
    """404 for the project: one line naming it, before anything is uploaded."""
    fake, origin = served
    argv = ["upload", str(EXAMPLE), "-p", "NOPE", "--base-url", origin, "--token", "good"]
    status = main(argv)
    _, err = capsys.readouterr()
    assert status == 2
    assert "project 'NOPE' not found (404)" in err
    assert fake.stats.results_stored == 0


def test_resume_from_the_command_line(
    served: tuple[FakeQase, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """A spool file is sent with --resume; its project and run come from the file."""
    fake, origin = served
    with httpx.Client(base_url=origin, headers={"Token": "good"}) as http:
        http.post("/v1/run/DEMO", json={"title": "CI"}).raise_for_status()
    spool = tmp_path / "qase-spool.jsonl"
    lines = [{"qase_async_spool": 1, "project": "DEMO", "run_id": 1}] + [
        {"result": {"id": f"s{i}", "title": f"t{i}", "execution": {"status": "passed"}}}
        for i in range(3)
    ]
    spool.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    argv = ["upload", "--resume", str(spool), "--base-url", origin, "--token", "good", "--json"]
    status = main(argv)
    out, _ = capsys.readouterr()
    assert status == 0
    assert json.loads(out)["sent"] == 3
    assert set(fake.state.idempotency[("DEMO", 1)]) == {"s0", "s1", "s2"}
    assert not spool.exists()


def test_a_file_that_cannot_be_attached_makes_the_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """The result goes without its missing screenshot, and the exit status says so."""
    report = tmp_path / "r.xml"
    report.write_text(
        "<testsuite name='ui'><testcase name='shot'>"
        "<system-out>[[ATTACHMENT|missing.png]]</system-out></testcase></testsuite>",
        encoding="utf-8",
    )
    status = main(["upload", str(report), "-p", "DEMO", "--fake"])
    out, _ = capsys.readouterr()
    assert status == 1
    assert "Sent 1 results" in out
    assert "not attached:" in out
    assert "missing.png" in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_one_rewritten_line_on_a_terminal():
    """On a terminal the bar rewrites one line with sent, requests and rate-limit waits."""
    screen = _Terminal()
    progress = _Progress(screen, 400, quiet=False)
    progress(UploadProgress(sent=200, failed=0, requests=2, rate_limit_wait=1.5,
                            attachments_uploaded=0))  # fmt: skip
    progress.close()
    text = screen.getvalue()
    assert text.startswith("\r[############            ] 200/400 sent")
    assert "2 requests" in text
    assert "1.5s waiting on the rate limit" in text
    assert text.endswith("\n")
    assert text.count("\n") == 1
