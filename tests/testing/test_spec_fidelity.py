"""Every operation of the spec, driven against the fake, answers a body valid under the spec."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from qase_async.testing import FakeQase

from ._helpers import checked_client, seed
from ._speccheck import spec

ALL_OPS = [(v, m, p) for v in ("v1", "v2") for m, p, _ in spec(v).ops]

# Bodies the spec's required fields alone don't make valid for the service's semantics.
BODY_OVERRIDES: dict[str, Any] = {
    "create-project": {"title": "New", "code": "NEW"},
    "create-environment": {"title": "Prod", "slug": "prod"},
    "create-configuration": {"title": "Windows", "group_id": 1},
    "create-plan": {"title": "P2", "cases": [1]},
    "update-plan": {"cases": [1]},
    "create-custom-field": {"title": "Field", "entity": 0, "type": 1},
    "create-result": {"case_id": 1, "status": "passed"},
    "create-result-bulk": {"results": [{"case_id": 1, "status": "passed"}]},
    "update-run-publicity": {"status": True},
    "create-result-v2": {"title": "t", "testops_id": 1, "execution": {"status": "passed"}},
    "create-results-v2": {
        "results": [{"id": "k1", "title": "t", "execution": {"status": "passed", "duration": 5}}]
    },
    "grant-access-to-project": {"member_id": 1},
    "revoke-access-to-project": {"member_id": 1},
    "create-review": {"proposed_case": {"title": "New login case"}},
    "bulk-create-reviews": {"reviews": [{"proposed_case": {"title": "New login case"}}]},
    "create-shared-parameter": {
        "title": "Browsers",
        "type": "single",
        "is_enabled_for_all_projects": True,
        "parameters": [{"title": "browser", "values": ["chrome", "firefox"]}],
    },
}
QUERY_OVERRIDES: dict[str, dict[str, str]] = {
    "search": {"query": 'entity = "case"'},
    "get-run": {"include": "cases,external_issue"},
    "get-runs": {"include": "cases", "limit": "100"},
}


def _fill(template: str, ids: dict[str, Any]) -> str:
    first = template.strip("/").split("/")[0]
    hashes = {
        "attachment": ids["attachment"],
        "result": ids["result"],
        "shared_step": ids["shared_step"],
    }
    id_for = {
        "suite": ids["suite"],
        "case": ids["case"],
        "milestone": ids["milestone"],
        "plan": ids["plan"],
        "environment": ids["environment"],
        "run": ids["run"],
        "result": ids["run"],
        "defect": ids["defect"],
        "custom_field": ids["cf"],
        "shared_parameter": ids["shared_parameter"],
        "review": ids["review"],
    }
    return (
        template.replace("{code}", "TEST")
        .replace("{project_code}", "TEST")
        .replace("{run_id}", str(ids["run"]))
        .replace("{hash}", str(hashes.get(first, "x")))
        .replace("{id}", str(id_for.get(first, 1)))
    )


@pytest.mark.parametrize(("version", "method", "template"), ALL_OPS)
async def test_operation_answers_valid_body(version: str, method: str, template: str) -> None:
    """A minimal valid request to each of the 93 operations gets the documented 2xx body."""
    fake = FakeQase()
    async with checked_client(fake.transport()) as api:
        ids = await seed(api)
        doc = spec(version)
        op = doc.operation(method, template)
        op_id = op["operationId"]
        kwargs: dict[str, Any] = {"params": QUERY_OVERRIDES.get(op_id, {})}
        body = op.get("requestBody")
        if body is not None:
            media, content = next(iter(doc.deref(body)["content"].items()))
            if media == "multipart/form-data":
                kwargs["files"] = [("file[]", ("a.png", b"\x89PNG....", "image/png"))]
            else:
                kwargs["json"] = BODY_OVERRIDES.get(op_id, doc.required_sample(content["schema"]))
        path = f"/{version}{_fill(template, ids)}"
        resp = await api.request(method, path, **kwargs)
        assert resp.status_code == doc.success_status(method, template), resp.text
        assert resp.json()["status"] is True


async def test_seeded_lists_are_valid_and_populated(api: httpx.AsyncClient) -> None:
    """List endpoints of the workflow resources return the seeded entities, spec-valid."""
    await seed(api)
    for path in (
        "/v1/project",
        "/v1/suite/TEST",
        "/v1/case/TEST",
        "/v1/milestone/TEST",
        "/v1/plan/TEST",
        "/v1/environment/TEST",
        "/v1/configuration/TEST",
        "/v1/run/TEST?include=cases",
        "/v1/result/TEST",
        "/v1/defect/TEST",
        "/v1/shared_step/TEST",
        "/v1/custom_field",
        "/v1/attachment",
        "/v2/custom_field",
    ):
        result = (await api.get(path)).json()["result"]
        assert result["count"] == 1 == len(result["entities"]), path
        assert result["total"] == result["filtered"] == 1, path


async def test_error_answers_use_the_error_envelope(api: httpx.AsyncClient) -> None:
    """404, 405, 422 and 400 answers carry ``{status: false, errorMessage}``."""
    await seed(api)
    cases = [
        ("GET", "/v1/project/NOPE", None, 404),
        ("GET", "/v1/case/TEST/999", None, 404),
        ("GET", "/v1/case/TEST/abc", None, 404),
        ("GET", "/v1/nothing-here", None, 404),
        ("PUT", "/v1/project", None, 405),
        ("POST", "/v1/case/TEST", {"title": 5}, 422),
        ("GET", "/v1/case/TEST?limit=101", None, 422),
        ("GET", "/v1/case/TEST?offset=100001", None, 422),
        ("GET", "/v1/case/TEST?limit=0", None, 422),
    ]
    for method, path, body, status in cases:
        resp = await api.request(method, path, json=body)
        assert resp.status_code == status, (method, path, resp.text)
        assert resp.json()["status"] is False
    resp = await api.post("/v1/case/TEST", content=b"{not json", headers={"Content-Type": "x"})
    assert resp.status_code == 400


def test_packaged_spec_data_is_generated_from_the_spec() -> None:
    """``_spec_data.json`` is what ``scripts/gen_fake_spec_data.py`` makes of the spec files."""
    import importlib.util
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    script = repo / "scripts" / "gen_fake_spec_data.py"
    loader = importlib.util.spec_from_file_location("gen_fake_spec_data", script)
    assert loader is not None
    assert loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    packaged = repo / "qase_async" / "testing" / "_spec_data.json"
    assert module.render() == packaged.read_text(), "run scripts/gen_fake_spec_data.py"
    assert len(ALL_OPS) == 93
