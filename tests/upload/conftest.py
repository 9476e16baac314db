"""Fixtures of the uploader tests: a fake workspace with project DEMO and one run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from qase_async import QaseClient, RetryPolicy
from qase_async.models import (
    ProjectCreate,
    ResultCreateV2,
    ResultExecution,
    ResultStep,
    ResultStepData,
    ResultStepExecution,
    RunCreate,
)
from qase_async.testing import FakeQase

PROJECT = "DEMO"
TOKEN = "good-token"
FAST_RETRY = RetryPolicy(attempts=6, backoff=0.01, backoff_max=0.05)


def result(i: int, **fields: Any) -> ResultCreateV2:
    """A small valid result; ``testops_id`` keeps the fake from creating a case per title."""
    fields.setdefault("testops_id", 1 + i % 50)
    return ResultCreateV2(
        title=f"test_{i}", execution=ResultExecution(status="passed", duration=i), **fields
    )


def poisoned(i: int) -> ResultCreateV2:
    """A result the service refuses with 422 (a step status that does not exist)."""
    bad_step = ResultStep(
        data=ResultStepData(action="open the page"),
        execution=ResultStepExecution(status="exploded"),  # type: ignore[arg-type]
    )
    return result(i, steps=[bad_step])


def stored_ids(fake: FakeQase, run_id: int) -> set[str]:
    """The idempotency ids the fake stored results for in the run."""
    return set(fake.state.idempotency[(PROJECT, run_id)])


@pytest.fixture
def fake() -> FakeQase:
    """A fake workspace that accepts only ``TOKEN``."""
    return FakeQase(tokens={TOKEN})


@pytest.fixture
def make_client(fake: FakeQase) -> Callable[..., QaseClient]:
    """Build clients on the fake (callers close them)."""

    def build(**options: Any) -> QaseClient:
        options.setdefault("token", TOKEN)
        options.setdefault("retry", FAST_RETRY)
        return QaseClient(transport=fake.transport(), **options)

    return build


@pytest.fixture
async def client(make_client: Callable[..., QaseClient]) -> AsyncIterator[QaseClient]:
    """A client with fast retries."""
    async with make_client() as qase:
        yield qase


@pytest.fixture
async def run_id(client: QaseClient) -> int:
    """Project DEMO and an empty run in it."""
    await client.projects.create(ProjectCreate(title="Demo", code=PROJECT))
    return await client.runs.create(PROJECT, RunCreate(title="CI"))
