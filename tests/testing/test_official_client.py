"""The official generated clients (strict pydantic models) run the workflow against the fake."""

from __future__ import annotations

import pytest

from qase_async.testing import FakeQase

v1 = pytest.importorskip("qase.api_client_v1", reason="needs qase-api-client")
v2 = pytest.importorskip("qase.api_client_v2", reason="needs qase-api-v2-client")
pytest.importorskip("uvicorn", reason="serving the fake needs qase-async[testing]")

TOKEN = "official-client-token"


def test_official_client_workflow() -> None:
    """Project → suite → case → run → bulk results (v1 and v2) → complete → read back."""
    from qase.api_client_v1 import models as m1
    from qase.api_client_v2 import models as m2

    fake = FakeQase(tokens={TOKEN})
    with fake.serve_in_thread() as origin:
        conf = v1.Configuration(host=f"{origin}/v1", api_key={"TokenAuth": TOKEN})
        conf2 = v2.Configuration(host=f"{origin}/v2", api_key={"TokenAuth": TOKEN})
        with v1.ApiClient(conf) as client, v2.ApiClient(conf2) as client2:
            projects = v1.ProjectsApi(client)
            created = projects.create_project(m1.ProjectCreate(title="Official", code="OFF"))
            assert created.result is not None
            assert created.result.code == "OFF"

            suite = v1.SuitesApi(client).create_suite("OFF", m1.SuiteCreate(title="Login"))
            assert suite.result is not None
            suite_id = suite.result.id
            assert suite_id is not None

            cases = v1.CasesApi(client)
            case_ids = []
            for title in ("valid password", "wrong password"):
                case = cases.create_case(
                    "OFF",
                    m1.TestCaseCreate(
                        title=title,
                        suite_id=suite_id,
                        steps=[m1.TestStepCreate(action="type", expected_result="ok")],
                        tags=["auth"],
                    ),
                )
                assert case.result is not None
                assert case.result.id is not None
                case_ids.append(case.result.id)

            runs = v1.RunsApi(client)
            run = runs.create_run("OFF", m1.RunCreate(title="CI #1", cases=case_ids))
            assert run.result is not None
            assert run.result.id is not None
            run_id = run.result.id

            results = v1.ResultsApi(client)
            bulk = results.create_result_bulk(
                "OFF",
                run_id,
                m1.ResultCreateBulk(
                    results=[
                        m1.ResultCreate(case_id=case_ids[0], status="passed", time_ms=120),
                        m1.ResultCreate(
                            case_id=case_ids[1],
                            status="failed",
                            comment="rejected",
                            steps=[m1.TestStepResultCreate(status="failed", position=1)],
                        ),
                    ]
                ),
            )
            assert bulk.status is True

            accepted = v2.ResultsApi(client2).create_results_v2(
                "OFF",
                run_id,
                m2.CreateResultsRequestV2(
                    results=[
                        m2.ResultCreate(
                            id="retry-safe-1",
                            title="v2 result",
                            testops_id=case_ids[0],
                            execution=m2.ResultExecution(status="passed", duration=33),
                        )
                    ]
                ),
            )
            assert accepted.status is True

            assert runs.complete_run("OFF", run_id).status is True

            got = runs.get_run("OFF", run_id, include="cases")
            assert got.result is not None
            assert got.result.status == 1
            assert got.result.end_time is not None
            assert got.result.cases == case_ids
            assert got.result.stats is not None
            assert got.result.stats.passed == 1
            assert got.result.stats.failed == 1

            listed = results.get_results("OFF", run=str(run_id), limit=100)
            assert listed.result is not None
            assert listed.result.entities is not None
            entities = listed.result.entities
            assert listed.result.total == 3
            assert [(r.case_id, r.status) for r in entities] == [
                (case_ids[0], "passed"),
                (case_ids[1], "failed"),
                (case_ids[0], "passed"),
            ]
            failed = results.get_result("OFF", entities[1].hash or "")
            assert failed.result is not None
            assert failed.result.comment == "rejected"
            assert failed.result.steps is not None
            assert failed.result.steps[0].status == 2

            project = projects.get_project("OFF")
            assert project.result is not None
            assert project.result.counts is not None
            assert project.result.counts.cases == 2
            page = cases.get_cases("OFF", suite_id=suite_id, limit=10)
            assert page.result is not None
            assert page.result.entities is not None
            assert [c.title for c in page.result.entities] == ["valid password", "wrong password"]
            assert page.result.entities[0].steps is not None
    assert fake.stats.unauthorized == 0
    assert fake.stats.results_stored == 3
