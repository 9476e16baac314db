"""Decoding: tolerant by default, every date-time form, paths in errors."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from qase_async import DecodeError, Page, QaseClient, make_converter
from qase_async._converter import _make_converter, parse_datetime, structure, unstructure
from qase_async.models import Run, TestCase, TestCaseCreate

UTC = dt.UTC
MOMENT = dt.datetime(2021, 12, 30, 19, 23, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2021-12-30T19:23:59+00:00",
        "2021-12-30 19:23:59",
        "2021-12-30T19:23:59.000000Z",
        "2021-12-30T20:23:59+01:00",
        1640892239,
        1640892239.0,
        "1640892239",
    ],
)
def test_every_date_time_form(value: object) -> None:
    """ISO with offset, the old naive form (UTC), Z with microseconds, epoch int and float."""
    assert parse_datetime(value) == MOMENT


def test_v2_float_epoch_keeps_milliseconds() -> None:
    """v2 sends float epoch seconds with a millisecond fraction."""
    assert parse_datetime(1640892239.25).microsecond == 250000


@pytest.mark.parametrize("value", ["yesterday", True, [], {}])
def test_bad_date_times_are_refused(value: object) -> None:
    """Nonsense is an error, not a silent None."""
    with pytest.raises((ValueError, TypeError)):
        parse_datetime(value)


def test_missing_unknown_fields_and_odd_values_decode() -> None:
    """Tolerant: absent fields are None, unknown fields ignored, params [] is {}."""
    case = structure(
        {
            "id": 5,
            "title": "t",
            "brand_new_field": {"x": 1},
            "params": [],
            "isManual": True,
            "created": "2021-12-30 19:23:59",
            "steps": [{"action": "a", "steps": [{"action": "nested", "steps": []}]}],
        },
        TestCase,
    )
    assert case.id == 5
    assert case.params == {}
    assert case.is_manual is True
    assert case.created == MOMENT
    assert case.severity is None
    assert case.steps is not None
    assert case.steps[0].steps
    nested = case.steps[0].steps[0]
    assert (nested["action"] if isinstance(nested, dict) else nested.action) == "nested"


def test_strict_converter_notices_unmodelled_fields() -> None:
    """The strict converter (for fixtures) refuses keys the models lack."""
    strict = make_converter(strict=True)
    with pytest.raises(Exception):  # noqa: B017,PT011 - cattrs raises a group
        strict.structure({"id": 1, "surprise": 2}, TestCase)
    assert strict.structure({"id": 1, "isManual": False}, TestCase).is_manual is False


def test_decode_error_names_the_field_path() -> None:
    """A failure says where: the page, the entity index and the field."""
    data = {"total": 2, "entities": [{"id": 1}, {"id": 2, "start_time": "not a date"}]}
    with pytest.raises(DecodeError) as info:
        structure(data, Page[Run])
    assert info.value.path == "result.entities[1].start_time"
    assert "start_time" in str(info.value)


def test_request_models_omit_unset_fields_and_use_wire_names() -> None:
    """Unset optionals are not sent; isManual is spelled as the service wants."""
    body = unstructure(TestCaseCreate(title="t", is_manual=False, custom_field={"3": "x"}))
    assert body == {"title": "t", "isManual": False, "custom_field": {"3": "x"}}


async def test_decode_errors_surface_from_the_client() -> None:
    """A body of the wrong shape raises DecodeError, never a raw cattrs error."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": True, "result": {"entities": "nope"}})

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        with pytest.raises(DecodeError) as info:
            await qase.runs.list("DEMO")
    assert info.value.path.startswith("result.entities")


PARITY_CASES = [
    (
        Page[TestCase],
        {
            "total": "7",
            "filtered": 7,
            "entities": [
                {
                    "id": "12",
                    "title": 5,
                    "isManual": True,
                    "is_flaky": True,
                    "params": [],
                    "created": "2021-12-30 19:23:59",
                    "updated_at": 1640892239.5,
                    "custom_fields": [{"id": 1, "value": "x"}],
                    "steps": [{"action": "a", "steps": [{"action": "b", "steps": []}]}],
                    "unknown": {"deep": [1, 2]},
                },
                {},
            ],
        },
    ),
    (Page[Run], {"entities": [{"id": 1, "cases": [1, "2", 3], "stats": {"statuses": []}}]}),
    (Page[Run], {"entities": [{"cases": [1, True], "stats": {"statuses": {"passed": "3"}}}]}),
    (Run, {"cases": [], "configurations": [4, 5], "stats": {"statuses": {"failed": 2}}}),
    (Page[Run], {}),
    (
        TestCase,
        {
            "attachments": [],
            "tags": None,
            "steps": [
                {"steps": [], "attachments": None},
                {"steps": [{"steps": [{"action": "deep", "attachments": [{"size": 1}]}]}]},
            ],
        },
    ),
    (TestCaseCreate, {"title": "t", "isManual": False, "steps": [{"action": "x"}]}),
]


@pytest.mark.parametrize(("model", "data"), PARITY_CASES)
def test_fast_decoder_matches_cattrs(model: object, data: object) -> None:
    """The generated fast path decodes exactly as cattrs' own generated code does, with the
    same hooks and with the detailed converter's."""
    fast = make_converter()
    same_hooks = _make_converter(strict=False, detailed=False, generated=False)
    reference = make_converter(detailed=True)
    decoded = fast.structure(data, model)
    assert decoded == same_hooks.structure(data, model) == reference.structure(data, model)
    assert fast.structure(data, model) is not decoded


def test_the_generated_decoder_is_tolerant_only() -> None:
    """Asking for generated structure functions that refuse keys is a mistake, said at once."""
    with pytest.raises(ValueError, match="tolerant only"):
        _make_converter(strict=True, detailed=False, generated=True)


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (Page[Run], {"entities": "nope"}),
        (Page[Run], {"entities": [{"id": {"not": "an int"}}]}),
        (Page[Run], {"entities": [{"cases": "1,2"}]}),
        (TestCaseCreate, {"description": "no title"}),
        (Run, ["not", "an", "object"]),
    ],
)
def test_fast_decoder_refuses_what_cattrs_refuses(model: object, data: object) -> None:
    """Both paths refuse the same malformed bodies (the client then names the path)."""
    with pytest.raises(DecodeError):
        structure(data, model)
    with pytest.raises(Exception):  # noqa: B017,PT011 - cattrs raises groups
        make_converter(detailed=True).structure(data, model)


def test_a_default_install_parses_with_orjson_and_has_sniffio() -> None:
    """orjson (on CPython) and sniffio come with the package, not with an extra: without
    them a page of 100 cases costs more than half the official client's CPU."""
    import importlib.metadata
    import platform
    import re

    import qase_async._http as http_module

    required = {
        re.split(r"[<>=;\s\[]", line, maxsplit=1)[0].lower(): line
        for line in importlib.metadata.requires("qase-async") or []
        if "extra ==" not in line
    }
    assert "sniffio" in required
    assert "platform_python_implementation == 'CPython'" in required["orjson"].replace('"', "'")
    if platform.python_implementation() == "CPython":
        assert http_module.json_loads.__module__ == "orjson"
