"""Results kept whole: what a reporter sends reads back through the SDK, and what it creates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from qase_async import QaseClient
from qase_async.exceptions import QaseError
from qase_async.models import RunExternalIssues, RunIssueLink
from qase_async.testing import FakeQase

from ._helpers import CheckedTransport, checked_client, ok

CODE = "RES"
START = 1_700_000_000.25


@pytest.fixture
async def client(fake: FakeQase) -> AsyncIterator[QaseClient]:
    """The SDK on the in-process fake, every answer checked against the spec."""
    async with QaseClient(token="t", transport=CheckedTransport(fake.transport())) as sdk:
        yield sdk


async def _project_and_run(api: httpx.AsyncClient) -> int:
    await ok(api.post("/v1/project", json={"title": "Results", "code": CODE}))
    return int((await ok(api.post(f"/v1/run/{CODE}", json={"title": "CI"})))["id"])


async def _upload(api: httpx.AsyncClient, name: str, data: bytes) -> str:
    out = await ok(
        api.post(f"/v1/attachment/{CODE}", files=[("file[]", (name, data, "text/plain"))])
    )
    return str(out[0]["hash"])


def _v2(title: str, status: str = "passed", **extra: Any) -> dict[str, Any]:
    return {"title": title, "execution": {"status": status}, **extra}


async def test_a_v2_result_reads_back_whole(
    api: httpx.AsyncClient, client: QaseClient, fake: FakeQase
) -> None:
    """Nested steps keep status, times and attachments; suites chain; fields shape the case."""
    run_id = await _project_and_run(api)
    member = fake.state.add_user("Ann Tester", "ann@example.com")
    author = fake.state.author_of(member)
    assert author is not None
    top = await _upload(api, "top.txt", b"top")
    inner = await _upload(api, "inner.log", b"inner step")
    item = _v2(
        "checkout works",
        "failed",
        signature="shop/test_checkout.py::TestCart::test_checkout",
        message="AssertionError: total",
        attachments=[top],
        relations={"suite": {"data": [{"title": "shop"}, {"title": "Cart\tCheckout"}]}},
        fields={
            "severity": "critical",
            "priority": "high",
            "layer": "api",
            "behavior": "negative",
            "description": "pays for the cart",
            "preconditions": "a cart",
            "tags": "smoke, cart",
            "is_flaky": "true",
            "author": "Ann@Example.com",
        },
        params={"currency": "EUR"},
        steps=[
            {
                "data": {"action": "open cart", "expected_result": "cart shown"},
                "execution": {
                    "status": "passed",
                    "start_time": START,
                    "end_time": START + 1.5,
                    "attachments": [top],
                },
                "steps": [
                    {
                        "data": {"action": "count items", "input_data": "3 items"},
                        "execution": {
                            "status": "failed",
                            "start_time": START + 0.5,
                            "end_time": START + 1.0,
                            "duration": 480,
                            "comment": "2 items",
                            "attachments": [inner],
                        },
                        "steps": [],
                    }
                ],
            },
        ],
    )
    item["execution"].update(start_time=START, end_time=START + 2, stacktrace="Traceback")
    await ok(api.post(f"/v2/{CODE}/run/{run_id}/results", json={"results": [item]}))
    (result,) = (await client.results.list(CODE, run=[run_id])).entities
    assert (result.status, result.comment, result.stacktrace) == (
        "failed",
        "AssertionError: total",
        "Traceback",
    )
    assert result.time_spent_ms == 2000
    assert [a.filename for a in result.attachments or ()] == ["top.txt"]
    assert result.steps is not None
    (step,) = result.steps
    assert (step.status, step.start_time, step.end_time, step.duration_ms) == (
        1,
        int(START),
        int(START + 1.5),
        1500,
    )
    assert [a.filename for a in step.attachments or ()] == ["top.txt"]
    assert step.steps is not None
    (nested,) = step.steps
    assert (nested.status, nested.comment, nested.duration_ms) == (2, "2 items", 480)
    assert [(a.filename, a.size) for a in nested.attachments or ()] == [("inner.log", 10)]

    assert result.case_id is not None
    case = await client.cases.get(CODE, result.case_id)
    assert case.title == "checkout works"
    assert (case.severity, case.priority, case.layer, case.behavior, case.is_flaky) == (
        2,
        1,
        2,
        2,
        1,
    )
    assert (case.description, case.preconditions) == ("pays for the cart", "a cart")
    assert (case.member_id, case.author_id) == (member, author["id"])
    assert sorted(t.title or "" for t in case.tags or ()) == ["cart", "smoke"]
    assert case.params == {"currency": ["EUR"]}
    assert (case.steps_type, case.is_manual) == ("classic", False)
    assert case.steps is not None
    assert [(s.action, s.expected_result) for s in case.steps] == [("open cart", "cart shown")]
    assert [(s.action, s.data) for s in case.steps[0].steps or ()] == [("count items", "3 items")]
    chain = []
    suite_id = case.suite_id
    while suite_id is not None:
        suite = await client.suites.get(CODE, suite_id)
        chain.append(suite.title)
        suite_id = suite.parent_id
    assert chain == ["Checkout", "Cart", "shop"]


async def test_parametrized_results_stay_distinct_cases(
    api: httpx.AsyncClient, client: QaseClient
) -> None:
    """450 results of one parametrized test: 450 cases, and the run's stats count each."""
    run_id = await _project_and_run(api)
    items = [
        _v2(
            "test_price",
            "failed" if i % 50 == 0 else "passed",
            signature=f"test_shop.py::test_price[{i}]::{{n:{i}}}",
            params={"n": str(i)},
            relations={"suite": {"data": [{"title": "test_shop"}]}},
        )
        for i in range(450)
    ]
    for start in range(0, 450, 200):
        batch = {"results": items[start : start + 200]}
        await ok(api.post(f"/v2/{CODE}/run/{run_id}/results", json=batch))
    run = await client.runs.get(CODE, run_id, include_cases=True)
    assert run.cases is not None
    assert len(set(run.cases)) == 450
    assert run.stats is not None
    assert (run.stats.total, run.stats.passed, run.stats.failed, run.stats.untested) == (
        450,
        441,
        9,
        0,
    )
    assert (await client.cases.list(CODE, limit=1)).total == 450
    # The same signatures in a second run find the same cases.
    run2 = int((await ok(api.post(f"/v1/run/{CODE}", json={"title": "again"})))["id"])
    await ok(api.post(f"/v2/{CODE}/run/{run2}/results", json={"results": items[:3]}))
    again = await client.runs.get(CODE, run2, include_cases=True)
    assert again.cases == run.cases[:3]


async def test_without_a_signature_one_title_in_one_suite_is_one_case(
    api: httpx.AsyncClient, client: QaseClient
) -> None:
    """Results without a signature share a case by title within the same suite chain."""
    run_id = await _project_and_run(api)
    suite = {"suite": {"data": [{"title": "A"}, {"title": "B"}]}}
    other = {"suite": {"data": [{"title": "B"}]}}
    items = [_v2("t", relations=suite), _v2("t", relations=suite), _v2("t", relations=other)]
    await ok(api.post(f"/v2/{CODE}/run/{run_id}/results", json={"results": items}))
    page = await client.results.list(CODE, run=[run_id])
    case_ids = [r.case_id for r in page.entities]
    assert case_ids[0] == case_ids[1] != case_ids[2]
    assert len((await client.suites.list(CODE)).entities) == 3


async def test_defect_true_on_a_failed_result_creates_a_defect(
    api: httpx.AsyncClient, client: QaseClient
) -> None:
    """``defect: true`` makes a defect for a failed result only, linked to run and result."""
    run_id = await _project_and_run(api)
    items = [
        _v2("breaks", "failed", defect=True, message="boom", fields={"severity": "major"}),
        _v2("fine", "passed", defect=True),
        _v2("breaks quietly", "failed"),
    ]
    await ok(api.post(f"/v2/{CODE}/run/{run_id}/results", json={"results": items}))
    defects = (await client.defects.list(CODE)).entities
    assert [(d.title, d.actual_result, d.severity) for d in defects] == [
        ("breaks", "boom", "major")
    ]
    first = (await client.results.list(CODE, run=[run_id], limit=1)).entities[0]
    assert (defects[0].runs, defects[0].results) == ([run_id], [first.hash])


async def test_v1_results_auto_create_cases_in_a_suite_path(
    api: httpx.AsyncClient, client: QaseClient
) -> None:
    """v1 ``case.suite_title`` is a TAB-separated path; its slugs and steps shape the case."""
    run_id = await _project_and_run(api)
    body = {
        "status": "failed",
        "defect": True,
        "comment": "no",
        "case": {"title": "v1 case", "suite_title": "Top\tLeaf", "severity": "blocker"},
        "steps": [{"status": "failed", "action": "click", "expected_result": "ok"}],
    }
    out = await ok(api.post(f"/v1/result/{CODE}/{run_id}", json=body))
    case = await client.cases.get(CODE, out["case_id"])
    assert case.severity == 1
    assert [(s.action, s.expected_result) for s in case.steps or ()] == [("click", "ok")]
    assert case.suite_id is not None
    leaf = await client.suites.get(CODE, case.suite_id)
    assert leaf.title == "Leaf"
    assert leaf.parent_id is not None
    assert (await client.suites.get(CODE, leaf.parent_id)).title == "Top"
    assert [d.results for d in (await client.defects.list(CODE)).entities] == [[out["hash"]]]


async def test_results_into_a_completed_run_are_refused_unless_allowed() -> None:
    """By default a completed run refuses results (400) and keeps none; a switch allows them."""
    for allowed in (False, True):
        fake = FakeQase(results_in_closed_runs=allowed)
        async with checked_client(fake.transport()) as api:
            run_id = await _project_and_run(api)
            await ok(api.post(f"/v1/run/{CODE}/{run_id}/complete"))
            v2 = await api.post(f"/v2/{CODE}/run/{run_id}/results", json={"results": [_v2("a")]})
            v1 = await api.post(
                f"/v1/result/{CODE}/{run_id}", json={"status": "passed", "case": {"title": "b"}}
            )
        if allowed:
            assert (v2.status_code, v1.status_code) == (202, 200)
            assert fake.stats.results_stored == 2
        else:
            assert (v2.status_code, v1.status_code) == (400, 400)
            assert v2.json()["errorMessage"] == "Test run is not active"
            assert fake.stats.results_stored == 0


async def test_a_v2_result_naming_a_missing_case() -> None:
    """A missing ``testops_id`` is kept as sent by default, or rejects the batch, or is ignored."""
    outcomes = {}
    for mode in ("keep", "reject", "auto_create"):
        fake = FakeQase(unknown_case_ids=mode)  # type: ignore[arg-type]
        async with checked_client(fake.transport()) as api:
            run_id = await _project_and_run(api)
            batch = {"results": [_v2("ok"), _v2("ghost", testops_id=999)]}
            resp = await api.post(f"/v2/{CODE}/run/{run_id}/results", json=batch)
        stored = sorted(r["case_id"] for r in fake.state.results[CODE].values())
        titles = sorted(c["title"] for c in fake.state.cases[CODE].values())
        outcomes[mode] = (resp.status_code, stored, titles)
        if mode == "reject":
            assert resp.json()["errorFields"][0]["field"] == "results.1.testops_id"
    assert outcomes == {
        "keep": (202, [1, 999], ["ok"]),
        "reject": (422, [], []),
        "auto_create": (202, [1, 2], ["ghost", "ok"]),
    }


async def test_run_external_issues_are_stored_and_read_back(
    api: httpx.AsyncClient, client: QaseClient
) -> None:
    """A run's Jira link reads back with ``include=external_issue``; ``None`` removes it."""
    run_id = await _project_and_run(api)
    links = RunExternalIssues(
        type="jira-cloud", links=[RunIssueLink(run_id=run_id, external_issue="PROJ-12")]
    )
    await client.runs.update_external_issues(CODE, links)
    run = await client.runs.get(CODE, run_id, include_external_issue=True)
    assert run.external_issue is not None
    assert (run.external_issue.id, run.external_issue.type) == ("PROJ-12", "jira-cloud")
    assert (await client.runs.get(CODE, run_id)).external_issue is None
    removed = RunExternalIssues(
        type="jira-cloud", links=[RunIssueLink(run_id=run_id, external_issue=None)]
    )
    await client.runs.update_external_issues(CODE, removed)
    assert (await client.runs.get(CODE, run_id, include_external_issue=True)).external_issue is None
    ghost = RunExternalIssues(
        type="jira-server", links=[RunIssueLink(run_id=run_id + 1, external_issue="X-1")]
    )
    with pytest.raises(QaseError):
        await client.runs.update_external_issues(CODE, ghost)
