"""Read/write differences and filter conversion: what a user sends and what they read back."""

from __future__ import annotations

import datetime as dt
import typing
from typing import Any

import attrs
import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from qase_async import QaseClient
from qase_async._converter import default_converter, make_converter
from qase_async._resources._base import wire_params
from qase_async.models import (
    CustomFieldCreate,
    DefectCreate,
    MilestoneCreate,
    ResultCreate,
    ResultCreateV2,
    Run,
    SearchDefect,
    SearchPlan,
    SearchTestCase,
    TestCase,
    TestCaseCreate,
    TestStepResultCreate,
)

from . import _spec

STRICT = make_converter(strict=True)
CLIENT = default_converter()  # the decoder QaseClient uses
aware = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
).map(lambda d: d.replace(microsecond=0))
text = st.text(max_size=8)


def strategy(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Instances of an attrs model with optional scalar fields set or unset at random."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in attrs.fields(cls):
        tp = hints[field.name]
        base = st.from_type(tp) if "datetime" not in str(tp) else aware
        if attrs.has(tp) or "models" in str(tp) or "Any" in str(tp):
            continue  # nested models and untyped maps are covered elsewhere
        fields[field.name] = base if field.default is attrs.NOTHING else st.none() | base
    return st.builds(cls, **fields)


REQUESTS = {
    "TestCaseCreate": TestCaseCreate,
    "DefectCreate": DefectCreate,
    "CustomFieldCreate": CustomFieldCreate,
    "MilestoneCreate": MilestoneCreate,
    "ResultCreate": ResultCreate,
    "TestStepResultCreate": TestStepResultCreate,
}


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(sorted(REQUESTS)).flatmap(
        lambda n: st.tuples(st.just(n), strategy(REQUESTS[n]))
    )
)
def test_write_models_round_trip_and_validate(named: tuple[str, Any]) -> None:
    """A write model survives encode/decode and its JSON validates against the spec."""
    name, model = named
    wire = STRICT.unstructure(model)
    assert STRICT.structure(wire, type(model)) == model
    schema = _spec.spec(1)["components"]["schemas"][name]
    errors = [e.message for e in _spec.validator(schema, 1).iter_errors(wire)]
    # The spec bounds some integer codes; hypothesis may pick any integer.
    assert [e for e in errors if "maximum" not in e and "minimum" not in e] == []


@settings(max_examples=30, deadline=None)
@given(strategy(TestCase))
def test_test_case_round_trips_with_its_camel_case_fields(case: TestCase) -> None:
    """``is_manual`` travels as ``isManual`` and comes back unchanged."""
    wire = STRICT.unstructure(case)
    assert "is_manual" not in wire
    assert STRICT.structure(wire, TestCase) == case
    assert CLIENT.structure(wire, TestCase) == case


@given(aware)
def test_milestone_due_date_is_written_as_unix_seconds_and_read_back(when: dt.datetime) -> None:
    """``due_date`` is a datetime in Python, an integer on the wire, and reads back equal."""
    wire = STRICT.unstructure(MilestoneCreate(title="m", due_date=when))
    assert wire["due_date"] == int(when.timestamp())
    assert STRICT.structure(wire, MilestoneCreate).due_date == when


def test_step_status_is_an_integer_on_read_and_a_slug_on_write() -> None:
    """The same step decodes with ``status=1`` and encodes with ``status="passed"``."""
    from qase_async.models import Result

    answer = {"steps": [{"status": 1, "steps": [{"status": 2}]}]}
    read = STRICT.structure(answer, Result)
    assert CLIENT.structure(answer, Result) == read
    assert read.steps is not None
    assert read.steps[0].status == 1
    assert read.steps[0].steps is not None
    assert read.steps[0].steps[0].status == 2
    wire = STRICT.unstructure(TestStepResultCreate(status="passed"))
    assert wire == {"status": "passed"}


def test_v2_times_are_float_epoch_seconds() -> None:
    """v2 execution times go out as the floats given."""
    from qase_async.models import ResultExecution

    result = ResultCreateV2(title="t", execution=ResultExecution(status="passed", start_time=1.5))
    assert STRICT.unstructure(result)["execution"]["start_time"] == 1.5


def test_search_entities_decode_into_their_own_types() -> None:
    """Each search hit becomes its own model; an unknown shape stays a dict (not strict)."""
    from qase_async._converter import structure
    from qase_async._pagination import Page
    from qase_async.models import Requirement, Result, SearchEntity

    hits = [
        {"test_case_id": 1, "params": []},
        {"defect_id": 2},
        {"plan_id": 3},
        {"requirement_id": 4},
        {"hash": "abc", "run_id": 5},
        {"run_id": 6, "status_text": "passed"},
        {"something": "new"},
    ]
    page = structure({"total": 7, "entities": hits}, Page[SearchEntity])
    types = [type(e) for e in page.entities]
    assert types == [SearchTestCase, SearchDefect, SearchPlan, Requirement, Result, Run, dict]


def test_wire_params_convert_python_values_in_one_place() -> None:
    """Datetimes become epoch seconds or ``Y-m-d H:i:s``; lists become commas or repeats."""
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert wire_params({"a": when, "b": ["x", "y"], "c[]": ["p", "q"], "d": None}) == {
        "a": 1704164645,
        "b": "x,y",
        "c[]": ["p", "q"],
    }
    assert wire_params({"t": when}, time_format="sql") == {"t": "2024-01-02 03:04:05"}


async def test_filters_reach_the_query_string_in_wire_form() -> None:
    """Slug lists, datetimes and array filters are sent as the service expects."""
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        page = {"total": 0, "filtered": 0, "count": 0, "entities": []}
        return httpx.Response(200, json={"status": True, "result": page})

    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        await qase.cases.list(
            "DEMO", severity=["critical", "major"], external_issues_ids=["A-1", "A-2"]
        )
        await qase.runs.list("DEMO", from_start_time=when, status="passed")
        await qase.results.list("DEMO", from_end_time=when)
        await qase.shared_parameters.list(project_codes=["DEMO", "QA"])
    cases, runs, results, shared = (url.params for url in seen)
    assert cases["severity"] == "critical,major"
    assert cases.get_list("external_issues[ids][]") == ["A-1", "A-2"]
    assert (runs["from_start_time"], runs["status"]) == ("1704164645", "passed")
    assert results["from_end_time"] == "2024-01-02 03:04:05"
    assert shared.get_list("filters[project_codes][]") == ["DEMO", "QA"]
