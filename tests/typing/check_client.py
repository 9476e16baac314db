"""Only type-checked (mypy --strict), never run: the public API reads as intended."""

from __future__ import annotations

import contextlib
from typing import assert_type

from qase_async import Page, QaseClient, RateLimit, RequestTimeoutError, RetryPolicy
from qase_async.models import Project, TestCase


async def typed_usage() -> None:
    async with QaseClient(
        "t", rate_limit=RateLimit(600, per=60.0), retry=RetryPolicy(attempts=3)
    ) as qase:
        project: Project = await qase.projects.get("DEMO")
        page: Page[TestCase] = await qase.cases.list("DEMO", limit=100)
        async for case in qase.cases.iter("DEMO"):
            title: str | None = case.title
        del project, page, title


async def per_call_options(qase: QaseClient) -> None:
    bulk: QaseClient = qase.with_options(priority="bulk", retry=RetryPolicy(attempts=10))
    hasty = qase.with_options(timeout=5.0, deadline=15.0)
    try:
        await hasty.projects.get("DEMO")
    except RequestTimeoutError as error:
        timed_out: TimeoutError = error  # also the builtin
        del timed_out
    waited: float = bulk.stats.cooldown_wait + bulk.stats.backoff_wait
    del waited


async def paging_that_stops_early(qase: QaseClient) -> None:
    # iter() is an async generator: aclosing() ends its pending page fetches at once.
    async with contextlib.aclosing(qase.cases.iter("DEMO")) as cases:
        async for case in cases:
            assert_type(case, TestCase)
            break
