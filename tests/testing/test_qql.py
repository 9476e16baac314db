"""``GET /search``: the QQL subset the fake understands, over everything it holds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from qase_async import QaseClient
from qase_async.exceptions import BadRequestError
from qase_async.models import Requirement, SearchDefect, SearchPlan, SearchTestCase
from qase_async.models.results import Result
from qase_async.models.runs import Run
from qase_async.testing import FakeQase
from qase_async.testing._qql import QQLError, parse

from ._helpers import ok


async def _workspace(api: httpx.AsyncClient, fake: FakeQase) -> None:
    """Two projects: cases of several severities and tags, a defect, runs, results, a plan."""
    for code in ("SHOP", "BLOG"):
        await ok(api.post("/v1/project", json={"title": code.title(), "code": code}))
    cases = [
        ("Pay by card", 2, ["smoke", "payments"]),
        ("Pay by voucher", 4, ["payments"]),
        ("Log in", 1, ["smoke"]),
        ("Log out", 6, []),
    ]
    for title, severity, tags in cases:
        await ok(
            api.post("/v1/case/SHOP", json={"title": title, "severity": severity, "tags": tags})
        )
    await ok(api.post("/v1/case/BLOG", json={"title": "Write a post", "severity": 2}))
    await ok(
        api.post(
            "/v1/defect/SHOP",
            json={"title": "Card declined", "actual_result": "500", "severity": 2},
        )
    )
    await ok(
        api.post("/v1/defect/BLOG", json={"title": "Typo", "actual_result": "x", "severity": 6})
    )
    run = (await ok(api.post("/v1/run/SHOP", json={"title": "Nightly", "cases": [1, 2]})))["id"]
    await ok(api.post("/v1/run/SHOP", json={"title": "Release", "cases": [3]}))
    for case_id, status in ((1, "failed"), (2, "passed")):
        await ok(api.post(f"/v1/result/SHOP/{run}", json={"case_id": case_id, "status": status}))
    # Results first: a completed run refuses them, as on the service.
    await ok(api.post(f"/v1/run/SHOP/{run}/complete"))
    await ok(api.post("/v1/plan/SHOP", json={"title": "Payments plan", "cases": [1, 2]}))
    fake.state.add_requirement("SHOP", "Cards are charged once", status="draft", type="epic")
    fake.state.add_requirement("SHOP", "Receipts are emailed", status="valid")


async def _titles(api: httpx.AsyncClient, query: str) -> list[str]:
    result = await ok(api.get("/v1/search", params={"query": query, "limit": 100}))
    assert result["total"] == len(result["entities"])
    return [e.get("title") or e.get("hash") for e in result["entities"]]


QUERIES: list[tuple[str, list[str]]] = [
    (
        'entity = "case" and project = "SHOP"',
        ["Pay by card", "Pay by voucher", "Log in", "Log out"],
    ),
    ('entity = "case" and title = "log in"', ["Log in"]),
    (
        'entity = "case" and project = "SHOP" and title != "Log in"',
        ["Pay by card", "Pay by voucher", "Log out"],
    ),
    ('entity = "case" and title ~ "pay"', ["Pay by card", "Pay by voucher"]),
    ('entity = "case" and project = "SHOP" and title !~ "pay"', ["Log in", "Log out"]),
    ('entity = "case" and severity = "critical"', ["Pay by card", "Write a post"]),
    ('entity = "case" and severity in ["blocker", "trivial"]', ["Log in", "Log out"]),
    ('entity = "case" and project = "SHOP" and severity not in [2, 4]', ["Log in", "Log out"]),
    ('entity = "case" and id > 3', ["Log out"]),
    ('entity = "case" and project = "SHOP" and id <= 2', ["Pay by card", "Pay by voucher"]),
    ('entity = "case" and tags = "smoke"', ["Pay by card", "Log in"]),
    ('entity = "case" and tags is empty', ["Log out", "Write a post"]),
    ('entity = "case" and (title ~ "voucher" or title ~ "out")', ["Pay by voucher", "Log out"]),
    ('entity = "case" and not project = "SHOP"', ["Write a post"]),
    ('entity = "defect" and severity = "critical"', ["Card declined"]),
    ('entity = "defect" or entity = "plan"', ["Card declined", "Typo", "Payments plan"]),
    ('entity = "run" and status = "complete"', ["Nightly"]),
    ('entity = "run" and status != "complete"', ["Release"]),
    ('entity = "requirement" and type = "epic"', ["Cards are charged once"]),
    ('entity in ["plan", "requirement"] and title ~ "pay"', ["Payments plan"]),
    ("ENTITY = 'case' AND title ~ 'WRITE'", ["Write a post"]),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES)
async def test_qql_operators(
    api: httpx.AsyncClient, fake: FakeQase, query: str, expected: list[str]
) -> None:
    """Each operator and connective finds exactly the entities it names."""
    await _workspace(api, fake)
    assert await _titles(api, query) == expected


async def test_results_are_found_by_status_and_run(api: httpx.AsyncClient, fake: FakeQase) -> None:
    """Results are searched by status, run and case, and answered whole."""
    await _workspace(api, fake)
    found = await ok(
        api.get("/v1/search", params={"query": 'entity = "result" and status = "failed"'})
    )
    assert found["total"] == 1
    (result,) = found["entities"]
    assert (result["case_id"], result["run_id"], result["status"]) == (1, 1, "failed")
    assert result["hash"] in fake.state.results["SHOP"]
    both = await ok(api.get("/v1/search", params={"query": 'entity = "result" and run = 1'}))
    assert both["total"] == 2


async def test_search_decodes_into_each_model(fake: FakeQase) -> None:
    """Through the client, each entity found decodes into its own model; paging works."""
    async with QaseClient(token="t", transport=fake.transport()) as client:
        async with httpx.AsyncClient(
            transport=fake.transport(), base_url="https://api.qase.io", headers={"Token": "t"}
        ) as api:
            await _workspace(api, fake)
        query = 'entity in ["case", "defect", "run", "result", "plan", "requirement"]'
        kinds: dict[type[Any], int] = {}
        async for entity in client.search.iter(query=query):
            kinds[type(entity)] = kinds.get(type(entity), 0) + 1
        page = await client.search.list(query=query, limit=3, offset=2)
    assert kinds == {
        SearchTestCase: 5,
        SearchDefect: 2,
        Run: 2,
        Result: 2,
        SearchPlan: 1,
        Requirement: 2,
    }
    assert page.total == 14
    assert len(page.entities) == 3


MALFORMED = [
    'title = "x"',  # no entity
    'entity = "widget"',  # unknown entity
    'entity = "case" and colour = "red"',  # unknown field
    'entity = "case" and',  # dangling connective
    'entity = "case" and (title = "x"',  # unbalanced parenthesis
    'entity = "case" and title = "x',  # unterminated string
    'entity = "case" and title == "x"',  # no such operator
    'entity = "case" and severity in ["a", ]',  # empty list item
    'entity = "case" title = "x"',  # missing connective
    'entity = "case" and title not = "x"',  # "not" must precede "in"
    'entity = "case" and tags is full',  # only "is [not] empty/null"
    "entity = 'case' & title = 'x'",  # stray character
    'entity = "case" and ' + "(" * 400 + "id = 1" + ")" * 400,  # nested too deep
    'entity = "case" and ' + "not " * 200 + "id = 1",  # negated too deep
]


@pytest.mark.parametrize("query", MALFORMED)
async def test_malformed_qql_is_a_400(api: httpx.AsyncClient, query: str) -> None:
    """The service refuses what it cannot parse with 400 and an error message."""
    resp = await api.get("/v1/search", params={"query": query})
    assert resp.status_code == 400
    assert "QQL" in resp.json()["errorMessage"]


async def test_search_without_a_query_is_refused(fake: FakeQase) -> None:
    """An empty or missing query raises ``BadRequestError`` through the client."""
    async with QaseClient(token="t", transport=fake.transport()) as client:
        with pytest.raises(BadRequestError):
            await client.search.list(query="")
        with pytest.raises(BadRequestError):
            await client.search.list(query="x" * 1001)


def test_parse_builds_the_precedence_of_and_over_or() -> None:
    """``a or b and c`` is ``a or (b and c)``; parse errors are ``QQLError``."""
    node = parse('entity = "case" or entity = "run" and id = 1')
    assert node.op == "or"  # type: ignore[union-attr]
    with pytest.raises(QQLError):
        parse("")
