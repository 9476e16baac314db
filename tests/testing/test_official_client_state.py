"""The official generated client's strict models read the fake's people, reviews and search."""

from __future__ import annotations

import pytest

from qase_async.testing import FakeQase
from qase_async.testing._defaults import OWNER_NAME

v1 = pytest.importorskip("qase.api_client_v1", reason="needs qase-api-client")
pytest.importorskip("uvicorn", reason="serving the fake needs qase-async[testing]")

TOKEN = "official-token"


def test_official_client_reads_users_authors_reviews_and_search() -> None:
    """Users, authors, system fields, reviews, shared parameters and every search entity
    decode under the official client's strict models, with the values the fake holds."""
    from qase.api_client_v1 import models as m1

    fake = FakeQase(tokens={TOKEN})
    with fake.serve_in_thread() as origin:
        conf = v1.Configuration(host=f"{origin}/v1", api_key={"TokenAuth": TOKEN})
        with v1.ApiClient(conf) as client:
            v1.ProjectsApi(client).create_project(m1.ProjectCreate(title="Official", code="OFF"))
            case = v1.CasesApi(client).create_case("OFF", m1.TestCaseCreate(title="Log in"))
            assert case.result is not None
            case_id = case.result.id
            run = v1.RunsApi(client).create_run("OFF", m1.RunCreate(title="CI", cases=[case_id]))
            assert run.result is not None
            run_id = run.result.id
            assert run_id is not None
            v1.ResultsApi(client).create_result(
                "OFF", run_id, m1.ResultCreate(case_id=case_id, status="failed")
            )
            v1.DefectsApi(client).create_defect(
                "OFF", m1.DefectCreate(title="Bug", actual_result="crash", severity=2)
            )
            v1.PlansApi(client).create_plan("OFF", m1.PlanCreate(title="Plan", cases=[case_id]))
            fake.state.add_requirement("OFF", "Users can log in")

            users = v1.UsersApi(client).get_users()
            assert users.result is not None
            assert [u.name for u in users.result.entities or ()] == [OWNER_NAME]
            author = v1.AuthorsApi(client).get_author("1")
            assert author.result is not None
            assert author.result.name == OWNER_NAME
            fields = v1.SystemFieldsApi(client).get_system_fields()
            assert "Severity" in [f.title for f in fields.result or ()]

            reviews = v1.ReviewsApi(client)
            first = reviews.create_review(
                "OFF", m1.ReviewCreate(proposed_case=m1.ReviewCaseData(title="Log out"))
            )
            second = reviews.create_review(
                "OFF", m1.ReviewCreate(case_id=case_id, proposed_case=m1.ReviewCaseData())
            )
            assert first.result is not None
            assert second.result is not None
            assert first.result.id != second.result.id
            got = reviews.get_review("OFF", second.result.id)
            assert got.result is not None
            assert got.result.type == "edit"

            params = v1.SharedParametersApi(client)
            created = params.create_shared_parameter(
                m1.SharedParameterCreate(
                    title="Browsers",
                    type="single",
                    is_enabled_for_all_projects=True,
                    parameters=m1.SharedParameterParameter(
                        [m1.ParameterSingle(title="browser", values=["chrome"])]
                    ),
                )
            )
            assert created.result is not None
            listed = params.get_shared_parameters()
            assert listed.result is not None
            assert listed.result.total == 1

            query = 'entity in ["case", "defect", "run", "result", "plan", "requirement"]'
            found = v1.SearchApi(client).search(query, limit=100)
            assert found.result is not None
            assert found.result.total == 6
            assert len(found.result.entities) == 6
