"""All 93 operations, called with realistic arguments, answer from the fake's state.

The fake used to answer 22 operations with a fixed sample body made from the spec (names
``"string"``, ids ``1``, the date ``2021-12-30T19:23:59+00:00``). Each operation here is
called on a workspace holding two of everything, aimed at the second entity, so an answer
that is still a spec sample (or that only happens to look like one) fails the walk. Every
answer is also validated against the spec by the checked client.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import qase_async
from qase_async.testing import FakeQase
from qase_async.testing._api import HANDLERS
from qase_async.testing._spec import operations

from ._helpers import checked_client, ok, seed
from ._samples import spec_sample
from ._speccheck import spec

WALK = [(v, m, p) for v in ("v1", "v2") for m, p, _ in spec(v).ops]

# The operations whose documented answer is ``{"status": true}`` and nothing else: the
# service answers exactly the sample, so the walk checks their effect instead (below).
NO_RESULT = {
    "case-attach-external-issue",
    "case-detach-external-issue",
    "complete-run",
    "create-result-bulk",
    "create-results-v2",
    "delete-custom-field",
    "delete-project",
    "grant-access-to-project",
    "revoke-access-to-project",
    "run-update-external-issue",
    "update-custom-field",
    "update-defect-status",
    "update-run",
}


# The values a spec sample is made of, that no answer of the fake contains here (custom
# fields of type "string" would: the walk's workspace has none).
SAMPLE_LEAVES = {"string", "2021-12-30T19:23:59+00:00", "3fa85f64-5717-4562-b3fc-2c963f66afa6"}


def _leaves(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [leaf for v in node.values() for leaf in _leaves(v)]
    if isinstance(node, list):
        return [leaf for v in node for leaf in _leaves(v)]
    return [node]


async def _second_of_everything(api: httpx.AsyncClient, fake: FakeQase) -> dict[str, Any]:
    """After :func:`seed`, a second entity of each kind in ``TEST``: the walk's targets."""
    ids: dict[str, Any] = {}
    upload = await ok(
        api.post("/v1/attachment/TEST", files=[("file[]", ("b.txt", b"two", "text/plain"))])
    )
    ids["attachment"] = upload[0]["hash"]
    ids["suite"] = (await ok(api.post("/v1/suite/TEST", json={"title": "Checkout"})))["id"]
    ids["milestone"] = (await ok(api.post("/v1/milestone/TEST", json={"title": "M2"})))["id"]
    ids["environment"] = (
        await ok(api.post("/v1/environment/TEST", json={"title": "QA", "slug": "qa"}))
    )["id"]
    ids["cf"] = (
        await ok(api.post("/v1/custom_field", json={"title": "Owner", "entity": 0, "type": 2}))
    )["id"]
    ids["case"] = (
        await ok(api.post("/v1/case/TEST", json={"title": "Pay by card", "suite_id": ids["suite"]}))
    )["id"]
    ids["group"] = (await ok(api.post("/v1/configuration/TEST/group", json={"title": "Browser"})))[
        "id"
    ]
    ids["plan"] = (
        await ok(api.post("/v1/plan/TEST", json={"title": "Payments", "cases": [ids["case"]]}))
    )["id"]
    ids["run"] = (
        await ok(api.post("/v1/run/TEST", json={"title": "Payments run", "cases": [ids["case"]]}))
    )["id"]
    ids["result"] = (
        await ok(
            api.post(
                f"/v1/result/TEST/{ids['run']}",
                json={"case_id": ids["case"], "status": "passed", "time_ms": 20},
            )
        )
    )["hash"]
    ids["defect"] = (
        await ok(
            api.post(
                "/v1/defect/TEST",
                json={"title": "Card declined", "actual_result": "500", "severity": 3},
            )
        )
    )["id"]
    ids["shared_step"] = (
        await ok(api.post("/v1/shared_step/TEST", json={"title": "Pay", "action": "pay"}))
    )["hash"]
    ids["shared_parameter"] = (
        await ok(
            api.post(
                "/v1/shared_parameter",
                json={
                    "title": "Cards",
                    "type": "group",
                    "is_enabled_for_all_projects": True,
                    "parameters": [
                        {"title": "card", "values": ["visa", "amex"]},
                        {"title": "currency", "values": ["EUR", "USD"]},
                    ],
                },
            )
        )
    )["id"]
    ids["review"] = (
        await ok(
            api.post(
                "/v1/review/TEST",
                json={"proposed_case": {"title": "Refund a payment", "severity": 2}},
            )
        )
    )["id"]
    ids["user"] = fake.state.add_user("Sam Member", "sam.member@example.com")
    ids["author"] = fake.state.author_of(ids["user"])["id"]  # type: ignore[index]
    fake.state.add_requirement("TEST", "Cards are charged once", status="draft")
    return ids


def _path(template: str, ids: dict[str, Any]) -> str:
    first = template.strip("/").split("/")[0]
    key = {
        "result": "run",
        "custom_field": "cf",
        "user": "user",
        "author": "author",
        "review": "review",
        "shared_parameter": "shared_parameter",
    }.get(first, first)
    hash_key = {"result": "result"}.get(first, first)
    return (
        template.replace("{code}", "TEST")
        .replace("{project_code}", "TEST")
        .replace("{run_id}", str(ids["run"]))
        .replace("{hash}", str(ids.get(hash_key, "")))
        .replace("{id}", str(ids.get(key, "")))
    )


def _request(op_id: str, ids: dict[str, Any]) -> dict[str, Any]:
    """Realistic query and body for each operation (``{}`` when it takes none)."""
    case, run = ids["case"], ids["run"]
    proposal = {"title": "Refund twice", "severity": 1, "steps": [{"action": "refund"}]}
    table: dict[str, dict[str, Any]] = {
        "upload-attachment": {"files": [("file[]", ("c.png", b"\x89PNG..", "image/png"))]},
        "create-case": {"json": {"title": "Pay by voucher", "suite_id": ids["suite"]}},
        "update-case": {"json": {"title": "Pay by card (3DS)", "severity": 2}},
        "bulk": {"json": {"cases": [{"title": "Voucher A"}, {"title": "Voucher B"}]}},
        "case-attach-external-issue": {
            "json": {"type": "jira-cloud", "links": [{"case_id": case, "external_issues": ["P-1"]}]}
        },
        "case-detach-external-issue": {
            "json": {"type": "jira-cloud", "links": [{"case_id": case, "external_issues": ["P-1"]}]}
        },
        "create-custom-field": {"json": {"title": "Team", "entity": 0, "type": 1}},
        "update-custom-field": {"json": {"title": "Owning team"}},
        "create-defect": {"json": {"title": "Refund lost", "actual_result": "none", "severity": 2}},
        "update-defect": {"json": {"title": "Card declined twice"}},
        "update-defect-status": {"json": {"status": "in_progress"}},
        "create-environment": {"json": {"title": "Production", "slug": "prod"}},
        "update-environment": {"json": {"title": "QA 2"}},
        "create-milestone": {"json": {"title": "Release 3"}},
        "update-milestone": {"json": {"title": "M2 (late)"}},
        "create-plan": {"json": {"title": "Regression", "cases": [case]}},
        "update-plan": {"json": {"title": "Payments (full)"}},
        "create-project": {"json": {"title": "Mobile", "code": "MOB"}},
        "grant-access-to-project": {"json": {"member_id": ids["user"]}},
        "revoke-access-to-project": {"json": {"member_id": 1}},
        "get-results": {"params": {"run": str(run)}},
        "create-result": {"json": {"case_id": case, "status": "failed", "comment": "declined"}},
        "create-result-bulk": {"json": {"results": [{"case_id": case, "status": "passed"}]}},
        "update-result": {"json": {"status": "blocked", "comment": "gateway down"}},
        "get-reviews": {"params": {"status": "open"}},
        "create-review": {"json": {"case_id": case, "proposed_case": proposal}},
        "update-review": {"json": {"proposed_case": {"title": "Refund once"}}},
        "bulk-create-reviews": {"json": {"reviews": [{"proposed_case": proposal}]}},
        "get-runs": {"params": {"include": "cases"}},
        "create-run": {"json": {"title": "Payments rerun", "cases": [case]}},
        "run-update-external-issue": {
            "json": {"type": "jira-cloud", "links": [{"run_id": run, "external_issue": "P-2"}]}
        },
        "get-run": {"params": {"include": "cases"}},
        "update-run": {"json": {"title": "Payments run (retry)"}},
        "update-run-publicity": {"json": {"status": True}},
        "search": {"params": {"query": 'entity = "case" and title ~ "card"'}},
        "create-shared-parameter": {
            "json": {
                "title": "OS",
                "type": "single",
                "is_enabled_for_all_projects": True,
                "parameters": [{"title": "os", "values": ["linux", "macos"]}],
            }
        },
        "update-shared-parameter": {"json": {"title": "Cards and currencies"}},
        "create-shared-step": {"json": {"title": "Refund", "action": "refund"}},
        "update-shared-step": {"json": {"title": "Pay with card"}},
        "create-suite": {"json": {"title": "Refunds"}},
        "update-suite": {"json": {"title": "Checkout (new)"}},
        "create-configuration": {"json": {"title": "Firefox", "group_id": ids["group"]}},
        "create-configuration-group": {"json": {"title": "Locale"}},
        "create-result-v2": {
            "json": {"title": "test_refund", "testops_id": case, "execution": {"status": "passed"}}
        },
        "create-results-v2": {
            "json": {
                "results": [
                    {"id": "r-1", "title": "test_pay", "execution": {"status": "failed"}},
                ]
            }
        },
    }
    return table.get(op_id, {})


def test_the_walk_covers_every_operation_of_the_client() -> None:
    """The spec's operations are exactly those ``qase_async.OPERATIONS`` names (93)."""
    ids = {
        ("v2:" if v == "v2" else "") + spec(v).operation(m, p)["operationId"] for v, m, p in WALK
    }
    assert ids == set(qase_async.OPERATIONS)
    assert len(WALK) == 93


def test_every_operation_has_a_handler_of_its_own() -> None:
    """The fake answers each of the spec's operations from its state: none lacks a handler."""
    assert {op.operation_id for op in operations()} <= set(HANDLERS)


@pytest.mark.parametrize(("version", "method", "template"), WALK)
async def test_no_operation_answers_the_spec_sample(
    version: str, method: str, template: str
) -> None:
    """Each operation answers its documented status, a spec-valid body, and not the sample."""
    fake = FakeQase()
    doc = spec(version)
    op_id = doc.operation(method, template)["operationId"]
    async with checked_client(fake.transport()) as api:
        await seed(api)
        ids = await _second_of_everything(api, fake)
        path = f"/{version}{_path(template, ids)}"
        resp = await api.request(method, path, **_request(op_id, ids))
        assert resp.status_code == doc.success_status(method, template), resp.text
        body = resp.json() if resp.content else None
        sample = spec_sample(version, method, template)
        if op_id in NO_RESULT:
            assert sample in (None, {"status": True}), op_id
            assert body == {"status": True}
        else:
            assert isinstance(body, dict)
            assert "result" in body, op_id
            assert body != sample, f"{op_id} answered the spec's sample body"
            assert "result" in sample, op_id
            assert body["result"] != sample["result"], op_id
            leftovers = set(_leaves(body)) & SAMPLE_LEAVES
            assert not leftovers, f"{op_id} answered sample values {leftovers}"


def test_the_no_result_operations_are_those_the_spec_gives_no_result() -> None:
    """``NO_RESULT`` lists exactly the operations whose sample carries no ``result``."""
    empty = set()
    for version, method, template in WALK:
        sample = spec_sample(version, method, template)
        if sample is None or sample == {"status": True}:
            empty.add(spec(version).operation(method, template)["operationId"])
    assert empty == NO_RESULT
