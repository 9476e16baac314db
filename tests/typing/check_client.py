"""Only type-checked (mypy --strict), never run: the public API reads as intended."""

from __future__ import annotations

from qase_async import Page, QaseClient, RateLimit, RetryPolicy
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
