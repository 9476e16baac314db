"""The uploader against the in-process fake: batching, isolation, attachments, faults."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import attrs
import pytest

from qase_async import (
    ConfigurationError,
    QaseClient,
    RateLimit,
    UnprocessableEntityError,
    Uploader,
    UploadError,
    UploadItem,
    UploadReport,
    upload_run,
)
from qase_async._upload import _Pending, _split
from qase_async.models import ResultCreateV2, ResultExecution
from qase_async.testing import FakeQase, Faults

from .conftest import FAST_RETRY, PROJECT, TOKEN, poisoned, result, stored_ids

RESULTS_PATH = f"POST /v2/{PROJECT}/run/1/results"
ATTACH_PATH = f"POST /v1/attachment/{PROJECT}"


async def test_streams_in_bulk_requests_of_200(fake: FakeQase, client: QaseClient, run_id: int):
    """450 results go in ceil(450 / 200) = 3 requests, each stored once."""
    results = [result(i) for i in range(450)]
    report = await Uploader(client, PROJECT, run_id).upload(iter(results))
    assert (report.sent, report.failed, report.requests) == (450, (), 3)
    assert fake.stats.per_path[RESULTS_PATH] == 3
    assert len(stored_ids(fake, run_id)) == 450
    assert fake.stats.results_stored == 450
    assert report.ok
    assert report.spool_path is None


async def test_reads_async_iterables_and_keeps_ids(fake: FakeQase, client: QaseClient, run_id: int):
    """An async generator works; ids the caller set are the ids stored."""

    async def source() -> AsyncIterator[ResultCreateV2]:
        for i in range(30):
            yield result(i, id=f"caller-{i}")

    report = await Uploader(client, PROJECT, run_id, batch_size=7).upload(source())
    assert report.sent == 30
    assert report.requests == 5
    assert stored_ids(fake, run_id) == {f"caller-{i}" for i in range(30)}


async def test_reading_stays_a_few_batches_ahead(fake: FakeQase, client: QaseClient, run_id: int):
    """Memory is bounded by batches in flight, not by the input: reading waits for sending."""
    batch, concurrency = 10, 2
    ahead: list[int] = []

    def source() -> Iterator[ResultCreateV2]:
        for i in range(500):
            ahead.append(i - fake.stats.results_stored)
            yield result(i)

    uploader = Uploader(client, PROJECT, run_id, batch_size=batch, concurrency=concurrency)
    report = await uploader.upload(source())
    assert report.sent == 500
    assert max(ahead) <= (concurrency + 1) * batch + 1


async def test_413_halves_the_batch_and_sends_everything(make_client: Callable[..., QaseClient]):
    """A service that takes 50 per request: batches shrink by halves, nothing is lost."""
    fake = FakeQase(tokens={TOKEN}, max_bulk=50)
    async with QaseClient(token=TOKEN, transport=fake.transport()) as client:
        run_id = await _project_and_run(client)
        uploader = Uploader(client, PROJECT, run_id)
        report = await uploader.upload(result(i) for i in range(450))
    assert report.sent == 450
    assert not report.failed
    assert uploader.batch_size == 50
    assert fake.stats.results_stored == 450
    assert fake.stats.statuses[413] >= 2


async def _project_and_run(client: QaseClient) -> int:
    from qase_async.models import ProjectCreate, RunCreate

    await client.projects.create(ProjectCreate(title="Demo", code=PROJECT))
    return await client.runs.create(PROJECT, RunCreate(title="CI"))


async def test_poisoned_result_is_isolated(fake: FakeQase, client: QaseClient, run_id: int):
    """One invalid result: the other 449 arrive, the bad one is reported with the reason."""
    results = [poisoned(i) if i == 137 else result(i, id=f"r{i}") for i in range(450)]
    bad_id = "bad-137"
    results[137] = attrs.evolve(results[137], id=bad_id)
    report = await Uploader(client, PROJECT, run_id).upload(results)
    assert report.sent == 449
    assert [f.id for f in report.failed] == [bad_id]
    failure = report.failed[0]
    assert failure.title == "test_137"
    assert failure.status_code == 422
    assert "exploded" in failure.reason or "status" in failure.reason
    assert stored_ids(fake, run_id) == {f"r{i}" for i in range(450) if i != 137}
    # The service named the bad result, so isolating it took two more requests, not a bisection.
    assert report.requests == 3 + 2
    assert not report.ok


async def test_several_poisoned_results_without_hints_are_bisected(
    fake: FakeQase, client: QaseClient, run_id: int
):
    """Three bad results in one batch are all found; every good one is stored once."""
    bad = {3, 64, 65}
    results = [poisoned(i) if i in bad else result(i) for i in range(120)]
    report = await Uploader(client, PROJECT, run_id).upload(results)
    assert report.sent == 117
    assert sorted(f.title for f in report.failed) == sorted(f"test_{i}" for i in bad)
    assert fake.stats.results_stored == 117


def test_split_halves_without_hints_and_isolates_named_results():
    """The bisection step: halves when the error names nothing, suspects alone otherwise."""
    chunk = [_Pending(result(i, id=str(i))) for i in range(6)]
    plain = UnprocessableEntityError("Data is invalid.", status_code=422)
    parts = _split(chunk, plain)
    assert [[p.result.id for p in part] for part in reversed(parts)] == [
        ["0", "1", "2"],
        ["3", "4", "5"],
    ]
    named = UnprocessableEntityError(
        "Data is invalid.", status_code=422, field_errors={"results.4.execution.status": ["bad"]}
    )
    parts = _split(chunk, named)
    assert [[p.result.id for p in part] for part in reversed(parts)] == [
        ["4"],
        ["0", "1", "2", "3", "5"],
    ]


async def test_error_context_budget_splits_batches(fake: FakeQase, client: QaseClient, run_id: int):
    """Batches are cut before their error_context passes the service's 4,194,304 characters."""
    big = "x" * 1_500_000
    results = [
        ResultCreateV2(
            title=f"t{i}",
            testops_id=1,
            execution=ResultExecution(status="failed", error_context=big),
        )
        for i in range(5)
    ]
    report = await Uploader(client, PROJECT, run_id).upload(results)
    assert report.sent == 5
    assert report.requests == 3  # 2 + 2 + 1: a third would pass the budget
    assert fake.stats.statuses[413] == 0


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    """Three small files to attach."""
    paths = []
    for name, data in [("a.png", b"\x89PNG fake"), ("b.log", b"log line\n"), ("c.txt", b"c")]:
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    return paths


async def test_each_file_is_uploaded_once_even_when_batches_are_retried(
    fake: FakeQase, client: QaseClient, run_id: int, files: list[Path]
):
    """300 results name 3 files: one attachment request, retries of results reuse the hashes."""
    fake.inject(503, times=2, path_prefix=f"/v2/{PROJECT}/run/")
    items = [
        UploadItem(result=result(i, id=f"r{i}"), attachments=[files[i % 3]]) for i in range(300)
    ]
    report = await Uploader(client, PROJECT, run_id).upload(items)
    assert report.sent == 300
    assert report.attachments_uploaded == 3
    assert fake.stats.per_path[ATTACH_PATH] == 1
    assert len(fake.state.attachments) == 3
    stored = list(fake.state.results[PROJECT].values())
    assert len(stored) == 300
    names = {files[i % 3].name for i in range(300)}
    assert {a["filename"] for r in stored for a in r["attachments"]} == names
    assert all(len(r["attachments"]) == 1 for r in stored)


async def test_files_go_in_requests_of_at_most_20(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path
):
    """45 distinct files need 3 attachment requests."""
    items = []
    for i in range(45):
        path = tmp_path / f"shot-{i}.png"
        path.write_bytes(f"image {i}".encode())
        items.append(UploadItem(result=result(i), attachments=[path]))
    report = await Uploader(client, PROJECT, run_id).upload(items)
    assert report.attachments_uploaded == 45
    assert fake.stats.per_path[ATTACH_PATH] == 3


async def test_oversized_and_missing_files_are_reported_and_results_still_sent(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path, files: list[Path]
):
    """A 33 MB file and a missing one are refused with reasons; the results are sent."""
    huge = tmp_path / "core.dump"
    with huge.open("wb") as handle:
        handle.truncate(33 * 1024 * 1024)  # sparse: costs no disk
    items = [
        UploadItem(result=result(0, id="r0"), attachments=[huge, files[0]]),
        UploadItem(result=result(1, id="r1"), attachments=[tmp_path / "gone.log"]),
    ]
    report = await Uploader(client, PROJECT, run_id).upload(items)
    assert report.sent == 2
    reasons = {(f.result_id, Path(f.path).name): f.reason for f in report.failed_attachments}
    assert set(reasons) == {("r0", "core.dump"), ("r1", "gone.log")}
    assert "32 MB" in reasons["r0", "core.dump"]
    assert "cannot read" in reasons["r1", "gone.log"]
    assert report.attachments_uploaded == 1
    assert not report.ok


async def test_faults_deliver_every_good_result_exactly_once(files: list[Path]):
    """5% 503s, dropped connections (before and after processing), a 429 storm and a
    poisoned result: every good result arrives exactly once, the poisoned one is reported."""
    # A 2 s window keeps the wait after the storm short (the limiter keeps clear of the
    # budget the storm's answers report as spent until the window has passed).
    fake = FakeQase(tokens={TOKEN}, rate_limit=(600, 2.0), lockout=2.0)
    client = QaseClient(
        token=TOKEN,
        transport=fake.transport(),
        rate_limit=RateLimit(600, per=2.0),
        retry=FAST_RETRY,
    )
    async with client:
        run_id = await _project_and_run(client)
        report = await _faulty_upload(fake, client, run_id, files)
    total, bad = 2000, 777
    good = {f"r{i}" for i in range(total) if i != bad}
    assert [f.id for f in report.failed] == [f"r{bad}"]
    assert report.sent == total - 1
    assert stored_ids(fake, run_id) == good
    assert fake.stats.results_stored == len(good)  # no duplicate was stored
    assert fake.stats.duplicates_refused >= 1  # the lost answer's batch was resent
    assert fake.stats.faults > 0
    assert fake.stats.rate_limited > 0
    assert fake.stats.dropped == 2
    assert len(fake.state.attachments) == 3
    assert report.attachments_uploaded == 3
    assert report.spool_path is None


async def _faulty_upload(
    fake: FakeQase, client: QaseClient, run_id: int, files: list[Path]
) -> UploadReport:
    """Upload 2000 results (one poisoned) while every kind of fault is on."""
    fake.faults = Faults(rate=0.05, statuses=(503,), seed=11)
    fake.drop_next(1, path_prefix="/v2/")
    fake.drop_next(1, after_processing=True, path_prefix="/v2/")
    total, bad = 2000, 777

    def source() -> Iterator[UploadItem]:
        for i in range(total):
            if i == 1000:
                fake.storm_429(duration=1.0)
            item = poisoned(i) if i == bad else result(i)
            yield UploadItem(result=attrs.evolve(item, id=f"r{i}"), attachments=[files[i % 3]])

    return await Uploader(client, PROJECT, run_id, batch_size=50).upload(source())


def _exists(path: str) -> bool:
    return os.path.exists(path)


def _spool_lines(path: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in Path(path).read_text("utf-8").splitlines()]


async def test_401_mid_job_spools_everything_unsent_and_resume_sends_it_once(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path
):
    """The token is revoked mid-job: the error names a spool file holding every unsent
    result (in flight, pending and unread); resuming delivers all exactly once."""
    total = 1000

    def source() -> Iterator[ResultCreateV2]:
        for i in range(total):
            if fake.stats.results_stored >= 300:
                fake.tokens = frozenset({"someone-else"})
            yield result(i, id=f"r{i}")

    uploader = Uploader(client, PROJECT, run_id, batch_size=50, spool_dir=tmp_path)
    with pytest.raises(UploadError) as caught:
        await uploader.upload(source())
    error = caught.value
    partial = error.report
    assert error.spool_path is not None
    assert error.spool_path in str(error)
    assert "401" in str(error)
    assert partial.sent > 0
    assert partial.sent + partial.spooled == total
    lines = _spool_lines(error.spool_path)
    assert lines[0]["project"] == PROJECT
    assert lines[0]["run_id"] == run_id
    assert len(lines) == 1 + partial.spooled
    assert len(stored_ids(fake, run_id)) == partial.sent

    fake.tokens = frozenset({TOKEN})
    report = await Uploader(client, PROJECT, run_id, spool_dir=tmp_path).resume(error.spool_path)
    assert report.sent == partial.spooled
    assert report.ok
    assert stored_ids(fake, run_id) == {f"r{i}" for i in range(total)}
    assert fake.stats.results_stored == total
    assert not _exists(error.spool_path)


async def test_spent_retries_stop_the_job_and_resume_completes_it(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path
):
    """A service that keeps answering 503: retries run out, nothing is dropped."""
    fake.inject(503, times=1000, path_prefix="/v2/")
    uploader = Uploader(client, PROJECT, run_id, spool_dir=tmp_path)
    with pytest.raises(UploadError) as caught:
        await uploader.upload(result(i, id=f"r{i}") for i in range(300))
    assert caught.value.report.spooled == 300
    assert caught.value.report.sent == 0
    fake.reset_faults()
    report = await uploader.resume(caught.value.spool_path or "")
    assert report.sent == 300
    assert stored_ids(fake, run_id) == {f"r{i}" for i in range(300)}


async def test_full_storage_spools_attachment_paths_for_resume(tmp_path: Path, files: list[Path]):
    """507 on attachments is fatal; the spool keeps the paths, the resume uploads them."""
    fake = FakeQase(tokens={TOKEN}, storage_quota=4)
    async with QaseClient(token=TOKEN, transport=fake.transport()) as client:
        run_id = await _project_and_run(client)
        items = [UploadItem(result=result(i, id=f"r{i}"), attachments=[files[0]]) for i in range(5)]
        uploader = Uploader(client, PROJECT, run_id, spool_dir=tmp_path)
        with pytest.raises(UploadError, match="507") as caught:
            await uploader.upload(items)
        spool = caught.value.spool_path or ""
        assert [line.get("attachments") for line in _spool_lines(spool)[1:]] == [
            [str(files[0])]
        ] * 5
        fake.limits = attrs.evolve(fake.limits, storage_quota=None)
        report = await uploader.resume(spool)
    assert report.sent == 5
    assert report.attachments_uploaded == 1
    stored = list(fake.state.results[PROJECT].values())
    assert [a["filename"] for r in stored for a in r["attachments"]] == [files[0].name] * 5


async def test_a_failing_input_stops_the_job_with_what_was_read_spooled(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path
):
    """The caller's iterator raising is fatal too: results read so far are sent or spooled."""

    def source() -> Iterator[ResultCreateV2]:
        for i in range(250):
            yield result(i)
        raise OSError("report truncated")

    uploader = Uploader(client, PROJECT, run_id, spool_dir=tmp_path)
    with pytest.raises(UploadError, match="report truncated") as caught:
        await uploader.upload(source())
    assert caught.value.report.sent + caught.value.report.spooled == 250


async def test_resume_refuses_a_spool_of_another_run(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path
):
    """A spool file only resumes into the project and run it was written for."""
    spool = tmp_path / "s.jsonl"
    spool.write_text(json.dumps({"qase_async_spool": 1, "project": PROJECT, "run_id": 99}) + "\n")
    with pytest.raises(ConfigurationError, match="run 99"):
        await Uploader(client, PROJECT, run_id).resume(spool)


async def test_the_rate_budget_is_kept_and_its_waits_are_reported(tmp_path: Path):
    """A 5-per-0.5 s service: 15 requests draw no 429 and the report shows the waiting."""
    fake = FakeQase(tokens={TOKEN}, rate_limit=(5, 0.5), lockout=5.0)
    limit = RateLimit(5, per=0.5)
    async with QaseClient(token=TOKEN, transport=fake.transport(), rate_limit=limit) as client:
        run_id = await _project_and_run(client)
        uploader = Uploader(client, PROJECT, run_id, batch_size=10)
        report = await uploader.upload(result(i) for i in range(150))
    assert report.sent == 150
    assert report.requests == 15
    assert fake.stats.rate_limited == 0
    assert report.rate_limit_wait > 0


async def test_upload_run_creates_and_completes_a_run_when_all_was_sent(
    fake: FakeQase, client: QaseClient, run_id: int
):
    """The lifecycle helper creates the run, uploads, and completes it."""
    report = await upload_run(client, PROJECT, [result(i) for i in range(10)], complete=True)
    assert report.run_id != run_id
    assert report.run_completed
    assert fake.state.runs[PROJECT][report.run_id]["status"] == 1


async def test_upload_run_leaves_the_run_open_when_something_was_refused(
    fake: FakeQase, client: QaseClient, run_id: int, caplog: pytest.LogCaptureFixture
):
    """A refused result keeps the run open, and a warning says so."""
    results = [result(0), poisoned(1)]
    report = await upload_run(client, PROJECT, results, run_id=run_id, complete=True)
    assert not report.run_completed
    assert len(report.failed) == 1
    assert fake.state.runs[PROJECT][run_id]["status"] == 0
    assert f"run {run_id} left open" in caplog.text


async def test_bad_arguments_are_refused(client: QaseClient):
    """batch_size above the service's 200 and zero concurrency are configuration errors."""
    with pytest.raises(ConfigurationError):
        Uploader(client, PROJECT, 1, batch_size=201)
    with pytest.raises(ConfigurationError):
        Uploader(client, PROJECT, 1, concurrency=0)


async def test_report_as_json_counts_results(fake: FakeQase, client: QaseClient, run_id: int):
    """``to_dict`` gives counts under ``sent``/``failed`` and the details apart."""
    report = await Uploader(client, PROJECT, run_id).upload([result(0), poisoned(1)])
    data = report.to_dict()
    assert (data["run_id"], data["sent"], data["failed"]) == (run_id, 1, 1)
    assert data["failures"][0]["title"] == "test_1"
    assert json.loads(json.dumps(data)) == data
