"""The SDK's own client against the fake: the pytest fixtures, in-process and over a socket."""

from __future__ import annotations

import time

import httpx
import pytest

from qase_async import QaseClient, RateLimit, RetryPolicy
from qase_async.models import (
    ProjectCreate,
    ResultCreate,
    ResultCreateV2,
    ResultExecution,
    RunCreate,
    SuiteCreate,
    TestCaseCreate,
)
from qase_async.testing import FakeQase

from ._helpers import CheckedTransport

FAST_RETRY = RetryPolicy(attempts=5, backoff=0.01, backoff_max=0.05, max_wait=5.0)


async def _workflow(client: QaseClient, fake: FakeQase) -> None:
    code = await client.projects.create(ProjectCreate(title="SDK", code="SDK"))
    assert code == "SDK"
    suite_id = await client.suites.create(code, SuiteCreate(title="Checkout"))
    case_ids = [
        await client.cases.create(code, TestCaseCreate(title=f"pay {i}", suite_id=suite_id))
        for i in range(3)
    ]
    run_id = await client.runs.create(code, RunCreate(title="CI", cases=case_ids))
    await client.results.create_bulk(
        code, run_id, [ResultCreate(case_id=case_ids[0], status="passed")]
    )
    ids = await client.v2.results.create_bulk(
        code,
        run_id,
        [
            ResultCreateV2(
                title=f"pay {i}",
                testops_id=cid,
                execution=ResultExecution(status="failed" if i else "passed"),
            )
            for i, cid in enumerate(case_ids[1:], start=1)
        ],
    )
    assert len(ids) == 2
    assert all(ids)
    await client.runs.complete(code, run_id)
    run = await client.runs.get(code, run_id, include_cases=True)
    assert run.status == 1
    assert run.cases == case_ids
    assert run.stats is not None
    assert (run.stats.passed, run.stats.failed) == (1, 2)
    page = await client.results.list(code, run=[run_id])
    assert sorted(r.case_id or 0 for r in page.entities) == case_ids
    assert len(fake.state.results["SDK"]) == 3


async def test_fixtures_give_a_client_on_a_fresh_fake(
    qase_client: QaseClient, qase_fake: FakeQase
) -> None:
    """``qase_client`` talks to ``qase_fake`` in-process through the whole workflow."""
    assert qase_fake.stats.requests == 0
    await _workflow(qase_client, qase_fake)
    assert qase_fake.stats.results_stored == 3
    assert qase_fake.stats.rate_limited == 0


async def test_client_over_a_real_socket() -> None:
    """The same workflow over HTTP on loopback."""
    pytest.importorskip("uvicorn", reason="serving the fake needs qase-async[testing]")
    fake = FakeQase(tokens={"sock-token"})
    checked = CheckedTransport(httpx.AsyncHTTPTransport())
    async with (
        fake.serve() as origin,
        QaseClient(token="sock-token", base_url=origin, transport=checked) as client,
    ):
        await _workflow(client, fake)
    assert fake.stats.unauthorized == 0
    assert checked.checked == fake.stats.requests


async def test_retries_lose_nothing_and_duplicate_nothing(qase_fake: FakeQase) -> None:
    """5xx answers and lost responses on v2 bulk results are retried without duplicates."""
    async with QaseClient(token="t", transport=qase_fake.transport(), retry=FAST_RETRY) as client:
        await client.projects.create(ProjectCreate(title="R", code="RT"))
        run_id = await client.runs.create("RT", RunCreate(title="run"))
        qase_fake.inject(503, times=2, path_prefix="/v2/")
        qase_fake.drop_next(1, after_processing=True, path_prefix="/v2/")
        batch = [
            ResultCreateV2(title=f"t{i}", execution=ResultExecution(status="passed"))
            for i in range(50)
        ]
        await client.v2.results.create_bulk("RT", run_id, batch)
    assert qase_fake.stats.faults == 2
    assert qase_fake.stats.dropped == 1
    assert qase_fake.stats.results_stored == 50
    assert qase_fake.stats.duplicates_refused == 50
    assert len(qase_fake.state.results["RT"]) == 50


async def test_client_stays_under_a_scaled_rate_limit() -> None:
    """A client with the same budget as the fake (40 per 1 s) never gets a 429."""
    fake = FakeQase(rate_limit=(40, 1.0), lockout=5.0)
    started = time.monotonic()
    async with QaseClient(
        token="t", transport=fake.transport(), rate_limit=RateLimit(40, per=1.0)
    ) as client:
        await client.projects.create(ProjectCreate(title="L", code="LIM"))
        for _ in range(99):
            await client.projects.get("LIM")
            assert time.monotonic() - started < 10
    assert fake.stats.requests == 100
    assert fake.stats.rate_limited == 0
