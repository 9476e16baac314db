"""What is counted as sent is what the service stores, for every report read."""

from __future__ import annotations

import shutil
from pathlib import Path

from qase_async import QaseClient, Uploader
from qase_async.models import ProjectCreate, RunCreate
from qase_async.reports import Reading
from qase_async.testing import FakeQase

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "junit-report.xml"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"


async def _upload(paths: list[Path]) -> tuple[int, int, Reading]:
    """Sent and stored counts of one upload of ``paths`` to a fresh fake run."""
    fake = FakeQase()
    async with QaseClient(token="t", transport=fake.transport()) as client:
        await client.projects.create(ProjectCreate(title="Demo", code="DEMO"))
        run_id = await client.runs.create("DEMO", RunCreate(title="CI"))
        reading = Reading(paths)
        report = await Uploader(client, "DEMO", run_id).upload(reading.items(f"DEMO:{run_id}"))
        stored = len(fake.state.idempotency[("DEMO", run_id)])
    return report.sent, stored, reading


async def test_two_byte_identical_reports_send_and_store_the_same_number(tmp_path: Path):
    """The same 50-test report named twice: 50 sent, 50 stored, one warning."""
    copy = tmp_path / "again.xml"
    shutil.copy(EXAMPLE, copy)
    sent, stored, reading = await _upload([EXAMPLE, copy])
    assert sent == stored == 50
    assert sum(reading.log.statuses.values()) == 50
    assert [w.report for w in reading.log.warnings] == [str(copy)]


async def test_every_fixture_is_stored_once_per_result():
    """All real reports at once: every result read is sent and stored exactly once."""
    paths = [
        FIXTURES / "junit",
        FIXTURES / "allure-pytest",
        FIXTURES / "allure-jest",
        FIXTURES / "qase-pytest",
    ]
    sent, stored, reading = await _upload(paths)
    assert sent == stored == sum(reading.log.statuses.values())
