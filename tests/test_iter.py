"""``iter()`` of every paged resource, against the fake: more than a page of entities is
yielded once each, in order, with no request past the end; past the offset ceiling the
iterator raises :class:`PaginationLimitError` after the last entity it could reach."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
import pytest

import qase_async._pagination as pagination_module
from qase_async import OPERATIONS, PaginationLimitError, QaseClient, RateLimit
from qase_async._pagination import PAGE_SIZE
from qase_async.models import (
    CustomFieldCreate,
    DefectCreate,
    EnvironmentCreate,
    MilestoneCreate,
    ParameterValues,
    PlanCreate,
    ProjectCreate,
    ResultCreate,
    ReviewCaseData,
    ReviewCreate,
    RunCreate,
    SharedParameterCreate,
    SharedStepCreate,
    SuiteCreate,
    TestCaseCreate,
)
from qase_async.testing import FakeQase

CODE = "DEMO"
COUNT = 2 * PAGE_SIZE + 3
"""Entities made per resource: two full pages and a short one."""

Seed = Callable[[QaseClient, FakeQase, int], Awaitable[list[Any]]]


@attrs.frozen
class Paged:
    """One paged resource: how to fill the fake with ``n`` entities and read them back.

    ``seed`` returns the keys of the entities it made, in the order the service lists them;
    ``key`` is the same key read from a yielded entity.
    """

    name: str  # the resource's dotted path on a client, e.g. "v2.custom_fields"
    operation: str  # the spec's operationId of its list operation
    seed: Seed
    key: Callable[[Any], Any]
    iterate: Callable[[QaseClient], AsyncIterator[Any]]


async def _one_by_one(n: int, create: Callable[[int], Awaitable[Any]]) -> list[Any]:
    return [await create(i) for i in range(n)]


async def _projects(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    # The project the other resources live in comes first.
    made = [CODE]
    made += await _one_by_one(
        n - 1, lambda i: qase.projects.create(ProjectCreate(title=f"p{i}", code=f"P{i}"))
    )
    return made


async def _suites(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    return await _one_by_one(n, lambda i: qase.suites.create(CODE, SuiteCreate(title=f"s{i}")))


async def _cases(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    return await qase.cases.create_bulk(CODE, [TestCaseCreate(title=f"c{i}") for i in range(n)])


async def _milestones(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    return await _one_by_one(
        n, lambda i: qase.milestones.create(CODE, MilestoneCreate(title=f"m{i}"))
    )


async def _plans(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    (case,) = await qase.cases.create_bulk(CODE, [TestCaseCreate(title="planned")])
    return await _one_by_one(
        n, lambda i: qase.plans.create(CODE, PlanCreate(title=f"p{i}", cases=[case]))
    )


async def _environments(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    return await _one_by_one(
        n,
        lambda i: qase.environments.create(CODE, EnvironmentCreate(title=f"e{i}", slug=f"e{i}")),
    )


async def _runs(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    return await _one_by_one(n, lambda i: qase.runs.create(CODE, RunCreate(title=f"r{i}")))


async def _results(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    run = await qase.runs.create(CODE, RunCreate(title="run"))
    (case,) = await qase.cases.create_bulk(CODE, [TestCaseCreate(title="tested")])
    return await _one_by_one(
        n,
        lambda i: qase.results.create(
            CODE, run, ResultCreate(case_id=case, status="passed", comment=f"r{i}")
        ),
    )


async def _defects(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    return await _one_by_one(
        n,
        lambda i: qase.defects.create(
            CODE, DefectCreate(title=f"d{i}", actual_result="broken", severity=1)
        ),
    )


async def _shared_steps(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    return await _one_by_one(
        n, lambda i: qase.shared_steps.create(CODE, SharedStepCreate(title=f"st{i}", action="a"))
    )


async def _attachments(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    hashes: list[Any] = []
    per_request = 20  # the service takes at most 20 files per request
    for start in range(0, n, per_request):
        files = [(f"f{i}.txt", b"x") for i in range(start, min(n, start + per_request))]
        hashes += [a.hash for a in await qase.attachments.upload(CODE, *files)]
    return hashes


async def _custom_fields(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    return await _one_by_one(
        n,
        lambda i: qase.custom_fields.create(
            CustomFieldCreate(title=f"f{i}", entity=0, type=1, is_filterable=True)
        ),
    )


async def _users(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    # Users join the workspace outside the API: through the fake's own helper.
    made = list(fake.state.users)  # the owner, whom the token belongs to
    made += [fake.state.add_user(f"u{i}", f"u{i}@example.com") for i in range(n - len(made))]
    return made


async def _authors(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    made = list(fake.state.authors)  # the owner's and an app's
    for i in range(n - len(made)):
        author = fake.state.author_of(fake.state.add_user(f"u{i}", f"u{i}@example.com"))
        assert author is not None
        made.append(author["id"])
    return made


async def _reviews(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    return await _one_by_one(
        n,
        lambda i: qase.reviews.create(
            CODE, ReviewCreate(proposed_case=ReviewCaseData(title=f"rv{i}"))
        ),
    )


async def _shared_parameters(qase: QaseClient, fake: FakeQase, n: int) -> list[Any]:
    return await _one_by_one(
        n,
        lambda i: qase.shared_parameters.create(
            SharedParameterCreate(
                title=f"sp{i}",
                type="single",
                is_enabled_for_all_projects=True,
                parameters=[ParameterValues(title="browser", values=["chrome"])],
            )
        ),
    )


def _id(entity: Any) -> Any:
    return entity.id


PAGED = [
    Paged("projects", "get-projects", _projects, lambda p: p.code, lambda q: q.projects.iter()),
    Paged("suites", "get-suites", _suites, _id, lambda q: q.suites.iter(CODE)),
    Paged("cases", "get-cases", _cases, _id, lambda q: q.cases.iter(CODE)),
    Paged("milestones", "get-milestones", _milestones, _id, lambda q: q.milestones.iter(CODE)),
    Paged("plans", "get-plans", _plans, _id, lambda q: q.plans.iter(CODE)),
    Paged(
        "environments",
        "get-environments",
        _environments,
        _id,
        lambda q: q.environments.iter(CODE),
    ),
    Paged("runs", "get-runs", _runs, _id, lambda q: q.runs.iter(CODE)),
    Paged("results", "get-results", _results, lambda r: r.hash, lambda q: q.results.iter(CODE)),
    Paged("defects", "get-defects", _defects, _id, lambda q: q.defects.iter(CODE)),
    Paged(
        "shared_steps",
        "get-shared-steps",
        _shared_steps,
        lambda s: s.hash,
        lambda q: q.shared_steps.iter(CODE),
    ),
    Paged(
        "attachments",
        "get-attachments",
        _attachments,
        lambda a: a.hash,
        lambda q: q.attachments.iter(),
    ),
    Paged(
        "custom_fields",
        "get-custom-fields",
        _custom_fields,
        _id,
        lambda q: q.custom_fields.iter(),
    ),
    Paged(
        "v2.custom_fields",
        "get-custom-fields-v2",
        _custom_fields,
        _id,
        lambda q: q.v2.custom_fields.iter(),
    ),
    Paged("authors", "get-authors", _authors, _id, lambda q: q.authors.iter()),
    Paged("users", "get-users", _users, _id, lambda q: q.users.iter()),
    Paged("reviews", "get-reviews", _reviews, _id, lambda q: q.reviews.iter(CODE)),
    Paged(
        "shared_parameters",
        "get-shared-parameters",
        _shared_parameters,
        _id,
        lambda q: q.shared_parameters.iter(),
    ),
    Paged(
        "search",
        "search",
        _cases,  # a search for cases finds every case
        lambda e: e.test_case_id,
        lambda q: q.search.iter(query='entity = "case"'),
    ),
]


NOT_PAGED = frozenset({"configurations.list", "system_fields.list"})
"""List operations the service does not page (no ``limit``/``offset``), so with no ``iter``."""


def test_every_paged_resource_is_in_the_table() -> None:
    """Each list operation that has an ``iter`` beside it has a row here (none forgotten)."""
    listed = {
        dotted.removesuffix(".list")
        for dotted in OPERATIONS.values()
        if dotted.endswith(".list") and dotted not in NOT_PAGED
    }
    assert {row.name for row in PAGED} == listed
    operations = {key.removeprefix("v2:") for key, d in OPERATIONS.items() if d.endswith(".list")}
    assert {row.operation for row in PAGED} <= operations


@pytest.fixture
def fake() -> FakeQase:
    """A fake with no rate limit (seeding is hundreds of requests)."""
    return FakeQase(rate_limit=None)


@pytest.mark.parametrize("row", PAGED, ids=[row.name for row in PAGED])
async def test_iter_yields_every_entity_once_in_order_then_stops(
    row: Paged, fake: FakeQase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over two pages and a short third, each entity comes once, in the service's order,
    with one request per page and none past the end; with fewer reachable than match,
    what can be reached is yielded, then PaginationLimitError."""
    async with QaseClient(
        "t", transport=fake.transport(), rate_limit=RateLimit(10**6, per=60.0)
    ) as qase:
        await qase.projects.create(ProjectCreate(title="Demo", code=CODE))
        made = await row.seed(qase, fake, COUNT)
        assert len(made) == COUNT
        before = fake.stats.per_operation[row.operation]
        got = [row.key(entity) async for entity in row.iterate(qase)]
        pages = fake.stats.per_operation[row.operation] - before

        assert got == made
        assert pages == math.ceil(COUNT / PAGE_SIZE)

        # The service takes no offset above 100,000 (a thousand pages: too many for a
        # test); with the ceiling lowered to one page, two of the three are reachable.
        monkeypatch.setattr(pagination_module, "MAX_OFFSET", PAGE_SIZE)
        reached: list[Any] = []
        with pytest.raises(PaginationLimitError, match="narrow the query"):
            async for entity in row.iterate(qase):
                reached.append(row.key(entity))
        assert reached == made[: 2 * PAGE_SIZE]
