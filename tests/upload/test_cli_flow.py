"""``qase-async upload``'s flow: options that exclude each other, resume targets, output."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qase_async import UploadProgress
from qase_async._cli import main
from qase_async.testing import FakeQase

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "junit-report.xml"
SECRET = "s3cr3t-token-value"


@pytest.fixture
def served() -> Iterator[tuple[FakeQase, str]]:
    """A fake on a loopback socket that knows the token ``SECRET`` and project DEMO."""
    fake = FakeQase(tokens={SECRET})
    with fake.serve_in_thread() as origin:
        with httpx.Client(base_url=origin, headers={"Token": SECRET}) as http:
            http.post("/v1/project", json={"title": "Demo", "code": "DEMO"}).raise_for_status()
        yield fake, origin


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_fake_with_base_url_is_an_error(capsys: pytest.CaptureFixture[str]):
    """--fake and --base-url name two different services: refused, nothing sent."""
    status = main(["upload", str(EXAMPLE), "-p", "DEMO", "--fake", "--base-url", "https://x.io"])
    _, err = capsys.readouterr()
    assert status == 2
    assert "--base-url" in _one_line(err)


def test_a_report_without_test_cases_creates_no_run(
    served: tuple[FakeQase, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """A report with zero test cases exits non-zero with a clear line and creates no run."""
    fake, origin = served
    empty = tmp_path / "empty.xml"
    empty.write_text('<testsuite name="none" tests="0"></testsuite>', encoding="utf-8")
    argv = ["upload", str(empty), "-p", "DEMO", "--base-url", origin, "--token", SECRET]
    status = main([*argv, "--spool-dir", str(tmp_path)])
    _, err = capsys.readouterr()
    assert status == 2
    assert "no test cases" in _one_line(err)
    assert "no run created" in err
    assert not fake.state.runs.get("DEMO")


def test_plain_http_is_refused_with_the_cli_flag_named(capsys: pytest.CaptureFixture[str]):
    """The refusal of http:// tells a command-line user about --allow-insecure-http."""
    argv = ["upload", str(EXAMPLE), "-p", "DEMO", "--base-url", "http://qase.example.com"]
    status = main([*argv, "--token", SECRET])
    _, err = capsys.readouterr()
    assert status == 2
    line = _one_line(err)
    assert "--allow-insecure-http" in line
    assert "allow_insecure_http=True" not in line


def _spool(path: Path, base_url: str | None, count: int = 3) -> Path:
    header: dict[str, object] = {"qase_async_spool": 1, "project": "DEMO", "run_id": 1}
    if base_url is not None:
        header["base_url"] = base_url
    lines = [header] + [
        {"result": {"id": f"s{i}", "title": f"t{i}", "execution": {"status": "passed"}}}
        for i in range(count)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _run(origin: str) -> None:
    with httpx.Client(base_url=origin, headers={"Token": SECRET}) as http:
        http.post("/v1/run/DEMO", json={"title": "CI"}).raise_for_status()


def test_resume_goes_to_the_service_the_spool_names(
    served: tuple[FakeQase, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """Without --base-url, --resume sends to the base URL recorded in the spool file."""
    fake, origin = served
    _run(origin)
    spool = _spool(tmp_path / "s.jsonl", origin)
    status = main(["upload", "--resume", str(spool), "--token", SECRET, "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert json.loads(out)["sent"] == 3
    assert set(fake.state.idempotency[("DEMO", 1)]) == {"s0", "s1", "s2"}


def test_resume_refuses_another_base_url_unless_forced(
    served: tuple[FakeQase, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """A spool written for one service is not sent to another given with --base-url,
    unless --force-base-url says so."""
    fake, origin = served
    _run(origin)
    spool = _spool(tmp_path / "s.jsonl", "https://qase.example.com")
    argv = ["upload", "--resume", str(spool), "--base-url", origin, "--token", SECRET]
    status = main(argv)
    _, err = capsys.readouterr()
    assert status == 2
    line = _one_line(err)
    assert "https://qase.example.com" in line
    assert "--force-base-url" in line
    assert fake.stats.results_stored == 0

    status = main([*argv, "--force-base-url"])
    capsys.readouterr()
    assert status == 0
    assert fake.stats.results_stored == 3


@pytest.mark.parametrize(
    "first_line",
    [
        "this is not json",
        '{"qase_async_spool": 1, "project": "DEMO"}',
        '{"qase_async_spool": 1, "project": "DEMO", "run_id": "seven"}',
    ],
)
def test_a_bad_spool_header_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], first_line: str
):
    """Errors in a spool header give one line naming the file, exit 2, no traceback."""
    spool = tmp_path / "s.jsonl"
    spool.write_text(first_line + "\n", encoding="utf-8")
    status = main(["upload", "--resume", str(spool), "--token", SECRET])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert str(spool) in _one_line(err)


def _upload_process(origin: str, tmp_path: Path, *more: str) -> subprocess.CompletedProcess[str]:
    argv = ["upload", str(EXAMPLE), "-p", "DEMO", "--base-url", origin, "--token", SECRET]
    return subprocess.run(
        [sys.executable, "-m", "qase_async", *argv, "--spool-dir", str(tmp_path), *more],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_retry_warnings_reach_stderr_once(served: tuple[FakeQase, str], tmp_path: Path):
    """Two 429 cool-downs give two warning lines, each once; a stop's reason is said once."""
    fake, origin = served
    fake.inject(429, times=2, path_prefix="/v2/", retry_after=0.2)
    done = _upload_process(origin, tmp_path)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "429 on try" in line]
    assert len(warnings) == 2
    assert len(set(warnings)) == 2

    fake.inject(401, times=1, path_prefix="/v2/")
    done = _upload_process(origin, tmp_path)
    assert done.returncode == 1
    assert done.stderr.count("401") == 1, done.stderr


def test_the_token_is_never_written_and_json_keeps_its_fields(
    served: tuple[FakeQase, str], tmp_path: Path
):
    """A stopped upload: stdout (--json), stderr and the spool file hold no token, and the
    JSON report keeps every field it had, with the spool and damaged lines added."""
    fake, origin = served
    fake.inject(401, times=1, path_prefix="/v2/")
    done = _upload_process(origin, tmp_path, "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    old_fields = {
        "project", "fake", "run_id", "sent", "failed", "spooled", "spool_path", "requests",
        "rate_limit_wait", "attachments_uploaded", "duration", "run_completed", "ok",
        "failures", "failed_attachments", "read",
    }  # fmt: skip
    assert old_fields <= set(report)
    assert {"damaged", "damaged_path", "interrupted"} <= set(report)
    assert report["spooled"] == 50
    spool = Path(report["spool_path"])
    assert spool.parent == tmp_path
    everything = done.stdout + done.stderr + spool.read_text("utf-8")
    assert SECRET not in everything
    assert "--resume" in done.stderr


def test_a_damaged_spool_line_is_named_by_the_command(
    served: tuple[FakeQase, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """--resume of a spool with a damaged line: the others are sent, the line is named by
    number and kept in a file of its own, and the exit status says not all was sent."""
    fake, origin = served
    _run(origin)
    spool = _spool(tmp_path / "s.jsonl", origin, count=5)
    lines = spool.read_text("utf-8").splitlines()
    lines[3] = lines[3][:20]
    spool.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status = main(["upload", "--resume", str(spool), "--token", SECRET])
    out, _ = capsys.readouterr()
    assert status == 1
    assert "Sent 4 results" in out
    assert "damaged spool line 4" in out
    kept = next(tmp_path.glob("s.damaged-*.jsonl"))
    assert str(kept) in out
    assert kept.read_text("utf-8").splitlines()[1] == lines[3]
    assert fake.stats.results_stored == 4


def test_a_recorded_run_that_is_gone_is_one_line(
    served: tuple[FakeQase, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """A re-run whose recorded run was deleted meanwhile says so and how to start anew."""
    fake, origin = served
    _run(origin)
    argv = ["upload", str(EXAMPLE), "-p", "DEMO", "--base-url", origin, "--token", SECRET]
    argv += ["--spool-dir", str(tmp_path)]
    fake.inject(401, times=1, path_prefix="/v2/")
    assert main(argv) == 1
    capsys.readouterr()
    with httpx.Client(base_url=origin, headers={"Token": SECRET}) as http:
        http.delete("/v1/run/DEMO/2").raise_for_status()
    assert main(argv) == 2
    _, err = capsys.readouterr()
    assert "run 2 not found" in _one_line(err)
    assert "remove it to start anew" in err


def test_a_spool_dir_that_cannot_be_written_is_refused_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """A --spool-dir that cannot be written is one line before anything is sent."""
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    argv = ["upload", str(EXAMPLE), "-p", "DEMO", "--fake", "--spool-dir", str(blocker / "d")]
    status = main(argv)
    _, err = capsys.readouterr()
    assert status == 2
    assert "--spool-dir" in _one_line(err)


def test_a_spool_of_a_fake_upload_never_points_at_the_real_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """A --fake upload records the fake's own name as its service, and --resume of such a
    spool without --fake is refused: it never goes to api.qase.io."""
    from qase_async._cli import build_parser
    from qase_async._cli_upload import FAKE_BASE_URL, _client

    spool = _spool(tmp_path / "s.jsonl", FAKE_BASE_URL)
    status = main(["upload", "--resume", str(spool), "--token", SECRET])
    _, err = capsys.readouterr()
    assert status == 2
    assert "built-in fake" in _one_line(err)

    args = build_parser().parse_args(["upload", str(EXAMPLE), "-p", "DEMO", "--fake"])

    async def base_url_of_the_fake_client() -> str:
        async with await _client(args, FAKE_BASE_URL) as client:
            return client.base_url

    assert asyncio.run(base_url_of_the_fake_client()) == FAKE_BASE_URL


def test_the_spool_place_depends_on_contents_not_names(tmp_path: Path):
    """The same reports under other names find the same spool file; other contents, a
    different project, base URL or run do not; a directory of reports has a place too."""
    from qase_async._cli import build_parser
    from qase_async._cli_upload import _state_path

    first, renamed, other = tmp_path / "a.xml", tmp_path / "b.xml", tmp_path / "c.xml"
    first.write_bytes(EXAMPLE.read_bytes())
    renamed.write_bytes(EXAMPLE.read_bytes())
    other.write_text("<testsuite><testcase name='x'/></testsuite>", encoding="utf-8")
    folder = tmp_path / "allure-results"
    folder.mkdir()
    (folder / "1-result.json").write_text("{}", encoding="utf-8")

    def place(*argv: str, base_url: str = "https://api.qase.io", code: str = "DEMO") -> Path:
        args = build_parser().parse_args(["upload", *argv, "-p", code])
        return _state_path(args, base_url, code)

    assert place(str(first)) == place(str(renamed))
    assert place(str(first)) != place(str(other))
    assert place(str(first)) != place(str(first), code="OTHER")
    assert place(str(first)) != place(str(first), base_url="https://qase.example.com")
    assert place(str(first)) != place(str(first), "--run-id", "7")
    assert place(str(folder)).name.startswith("qase-upload-DEMO-")


def _signal_after_the_first_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *signals: signal.Signals
) -> Path:
    """A 120-case report, and the progress display raising ``signals`` once, as soon as a
    first batch is confirmed (``monkeypatch.undo()`` takes it back)."""
    from qase_async._cli_upload import _Progress

    report = tmp_path / "many.xml"
    cases = "".join(f'<testcase classname="t" name="test_{i}"/>' for i in range(120))
    report.write_text(f'<testsuite name="many">{cases}</testsuite>', encoding="utf-8")
    fired: list[bool] = []
    show = _Progress.__call__

    def raise_once(self: _Progress, progress: UploadProgress) -> None:
        if progress.sent and not fired:
            fired.append(True)
            for sig in signals:
                signal.raise_signal(sig)
        show(self, progress)

    monkeypatch.setattr(_Progress, "__call__", raise_once)
    return report


def test_sigterm_in_process_then_the_same_command_completes_the_run(
    served: tuple[FakeQase, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):
    """SIGTERM after the first confirmed batch: exit 143, the run and the resume command
    named; the same command again resumes into that run, completes it, and every test case
    is stored exactly once."""
    fake, origin = served
    report = _signal_after_the_first_batch(tmp_path, monkeypatch, signal.SIGTERM)
    argv = ["upload", str(report), "-p", "DEMO", "--base-url", origin, "--token", SECRET]
    argv += ["--batch-size", "5", "--rate-limit", "100/1", "--spool-dir", str(tmp_path / "s")]
    argv += ["--complete"]
    assert main(argv) == 143
    out, err = capsys.readouterr()
    assert "interrupted by SIGTERM" in err
    assert "to run 1 of DEMO" in err
    assert "qase-async upload --resume" in err
    assert "Run 1 left open" in out
    stored_first = fake.stats.results_stored
    assert 0 < stored_first < 120

    monkeypatch.undo()
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "resuming it from" in err
    assert "Run 1 completed." in out
    assert len(fake.state.idempotency[("DEMO", 1)]) == 120
    assert fake.stats.results_stored == 120
    assert list(fake.state.runs["DEMO"]) == [1]
    assert fake.state.runs["DEMO"][1]["status"] == 1
    assert list((tmp_path / "s").iterdir()) == []


def test_a_second_signal_stops_at_once_and_the_same_command_still_finishes(
    served: tuple[FakeQase, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):
    """Two SIGINTs: the command stops at once, leaving a whole spool file that names the
    run; the same command again stores every test case exactly once in that run."""
    fake, origin = served
    report = _signal_after_the_first_batch(tmp_path, monkeypatch, signal.SIGINT, signal.SIGINT)
    spools = tmp_path / "s"
    argv = ["upload", str(report), "-p", "DEMO", "--base-url", origin, "--token", SECRET]
    argv += ["--batch-size", "5", "--rate-limit", "100/1", "--spool-dir", str(spools)]
    assert main(argv) == 130
    _, err = capsys.readouterr()
    assert "stopped at once by a second signal" in err
    (record,) = list(spools.iterdir())
    assert json.loads(record.read_text("utf-8").splitlines()[0])["run_id"] == 1

    monkeypatch.undo()
    assert main(argv) == 0
    _, err = capsys.readouterr()
    assert "an earlier upload of these reports into run 1" in err
    assert list(fake.state.runs["DEMO"]) == [1]
    assert len(fake.state.idempotency[("DEMO", 1)]) == 120
    assert fake.stats.results_stored == 120
