"""One upload path: the uploader uses the client's public surface; the CLI uses upload_run;
stopping an upload (interrupt or cancellation) keeps every unconfirmed result."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path
from typing import Any

import pytest

import qase_async._cli_upload as cli_upload
from qase_async import (
    Permit,
    Priority,
    QaseClient,
    SlidingWindowLimiter,
    Uploader,
    UploadError,
    UploadItem,
    upload_run,
)
from qase_async._cli import main
from qase_async.models import ProjectCreate
from qase_async.testing import FakeQase, Faults

from .conftest import PROJECT, TOKEN, result, stored_ids

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "junit-report.xml"


def _spooled_ids(path: Path) -> set[str]:
    lines = path.read_text("utf-8").splitlines()[1:]
    return {json.loads(line)["result"]["id"] for line in lines}


def _files(directory: Path) -> list[Path]:
    return list(directory.iterdir())


class PublicOnly:
    """A client seen only through its public names: any private attribute raises."""

    def __init__(self, client: QaseClient) -> None:
        self._wrapped = client

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(f"the uploader reached for a private attribute: {name}")
        return getattr(self._wrapped, name)

    def with_options(self, **options: Any) -> PublicOnly:
        """A view is seen through its public names too."""
        return PublicOnly(self._wrapped.with_options(**options))


class LaneRecorder(SlidingWindowLimiter):
    """A limiter that notes the lane of every request."""

    def __init__(self) -> None:
        super().__init__()
        self.lanes: list[str] = []

    async def acquire(self, *, priority: Priority = "normal", max_wait: float = math.inf) -> Permit:
        """Note the lane, then wait as usual."""
        self.lanes.append(priority)
        return await super().acquire(priority=priority, max_wait=max_wait)


async def test_the_uploader_uses_public_methods_only(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path
):
    """Results, attachments and the run's completion go through the public resource
    methods: a client that hides its privates uploads everything just the same."""
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"\x89PNG")
    items = [UploadItem(result=result(i, id=f"r{i}"), attachments=[shot]) for i in range(30)]
    public: Any = PublicOnly(client)
    report = await upload_run(public, PROJECT, items, run_id=run_id, complete=True)
    assert report.sent == 30
    assert report.attachments_uploaded == 1
    assert report.run_completed
    assert stored_ids(fake, run_id) == {f"r{i}" for i in range(30)}


async def test_interrupt_spools_everything_not_confirmed_and_resume_sends_it_once(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path
):
    """``interrupt()`` mid-upload: requests in flight are abandoned, and the spool holds
    exactly the results the service has not confirmed; resuming stores each once."""
    uploader = Uploader(client, PROJECT, run_id, batch_size=10, spool_dir=tmp_path)
    total = 500

    def source() -> Any:
        for i in range(total):
            if i == 250:
                uploader.interrupt("test")
            yield result(i, id=f"r{i}")

    with pytest.raises(UploadError) as caught:
        await uploader.upload(source())
    partial = caught.value.report
    assert partial.interrupted
    assert partial.sent + partial.spooled == total
    stored = stored_ids(fake, run_id)
    spooled = _spooled_ids(Path(partial.spool_path or ""))
    assert len(spooled) == partial.spooled
    assert spooled | stored == {f"r{i}" for i in range(total)}
    report = await Uploader(client, PROJECT, run_id).resume(partial.spool_path or "")
    assert report.ok
    assert stored_ids(fake, run_id) == {f"r{i}" for i in range(total)}
    assert fake.stats.results_stored == total


async def test_a_cancelled_upload_writes_its_spool_first(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path
):
    """Cancelling the task running an upload still leaves a spool of everything unsent
    (the cancellation goes on afterwards)."""
    fake.faults = Faults(latency=0.05)
    uploader = Uploader(client, PROJECT, run_id, batch_size=10, spool_dir=tmp_path)
    task = asyncio.create_task(uploader.upload(result(i, id=f"r{i}") for i in range(300)))
    for _ in range(1000):  # bounded: 10 s at most
        if fake.stats.results_stored:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    spools = _files(tmp_path)
    assert len(spools) == 1
    spooled = _spooled_ids(spools[0])
    assert 0 < len(spooled) < 300
    assert spooled | stored_ids(fake, run_id) == {f"r{i}" for i in range(300)}


def test_the_cli_uploads_through_upload_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    """The command line creates, fills and completes its run with ``upload_run``."""
    calls: list[dict[str, Any]] = []
    real = cli_upload.upload_run

    async def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return await real(*args, **kwargs)

    monkeypatch.setattr(cli_upload, "upload_run", spy)
    status = main(["upload", str(EXAMPLE), "-p", "DEMO", "--fake", "--complete"])
    out, _ = capsys.readouterr()
    assert status == 0
    assert len(calls) == 1
    assert calls[0]["complete"] is True
    assert "Run 1 completed." in out


async def test_a_run_created_while_cancelled_is_still_recorded(
    fake: FakeQase, client: QaseClient, run_id: int
):
    """Cancelling upload_run while the run is being created: the creation finishes, the
    caller hears of the new run through on_run, then the cancellation goes on."""
    fake.faults = Faults(latency=0.2)
    recorded: list[int] = []
    task = asyncio.create_task(
        upload_run(client, PROJECT, [result(0)], on_run=recorded.append, title="cut")
    )
    await asyncio.sleep(0.05)  # the creation is in flight (each request takes 0.2 s)
    task.cancel()
    task.cancel()  # a second cancel (a second Ctrl+C) changes nothing
    with pytest.raises(asyncio.CancelledError):
        await task
    created = [r for r, run in fake.state.runs[PROJECT].items() if run["title"] == "cut"]
    assert recorded == created
    assert len(created) == 1
    assert fake.stats.results_stored == 0


async def test_uploads_go_in_the_bulk_lane(fake: FakeQase, tmp_path: Path):
    """Every request of an upload (the run, the files, the results, the completion) is
    sent in the bulk lane, so interactive calls sharing the budget go first."""
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"\x89PNG")
    limiter = LaneRecorder()
    async with QaseClient(TOKEN, transport=fake.transport(), limiter=limiter) as client:
        await client.projects.create(ProjectCreate(title="Demo", code=PROJECT))
        before = len(limiter.lanes)
        items = [UploadItem(result=result(i), attachments=[shot]) for i in range(30)]
        report = await upload_run(client, PROJECT, items, complete=True, batch_size=10)
    assert report.run_completed
    lanes = limiter.lanes[before:]
    assert len(lanes) == 1 + 1 + 3 + 1  # run, files, three batches, completion
    assert set(lanes) == {"bulk"}
