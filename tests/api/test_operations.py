"""Every operation of both spec versions: the method exists, sends the spec's method and
path, its JSON body validates against the spec's request schema, and the spec's answer
(every property filled, examples used) decodes with the client's own decoder, to what the
strict converter (unknown keys forbidden) makes of it."""

from __future__ import annotations

import functools
import inspect
import json
import re
import typing
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import qase_async._converter as converter_module
from qase_async import OPERATIONS, QaseClient
from qase_async._converter import default_converter, make_converter

from . import _spec
from ._build import full

ALL = list(_spec.operations())
CODE = "DEMO"
INT_ID = 7
HASH = "0f9e8d7c"
UUID = "5a1c7b2e-9d3f-4e8a-b6c1-2d3e4f5a6b7c"

# Path parameters by name: what each method gets and what the path must then hold.
PATH_ARGS: dict[str, Any] = {"code": CODE, "hash": HASH, "parameter_id": UUID}
# Optional arguments that make the body the spec describes.
OPTIONAL_BODY_ARGS = frozenset({"destination_id"})
# Methods that return something without decoding the answer: v2 creates return the ids
# the client generated and sent.
ANSWER_NOT_READ = frozenset({"v2:create-result-v2", "v2:create-results-v2"})


def _arg(name: str, annotation: Any) -> Any:
    if name in PATH_ARGS:
        return PATH_ARGS[name]
    if name.endswith("_id") or name == "author_id":
        return INT_ID
    if name == "query":
        return 'entity = "case"'
    if name == "public":
        return True
    if name == "title":
        return "Browser"
    if name == "files":
        return ("report.txt", b"hello")
    return full(annotation)


def _expected_path(op: _spec.Operation) -> str:
    uuid_ids = op.path.startswith("/shared_parameter/")
    values = {
        "code": CODE,
        "project_code": CODE,
        "hash": HASH,
        "id": UUID if uuid_ids else str(INT_ID),
        "run_id": str(INT_ID),
    }
    return f"/v{op.version}" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], op.path)


def _call(client: QaseClient, dotted: str) -> Any:
    method: Callable[..., Any] = functools.reduce(getattr, dotted.split("."), client)
    hints = typing.get_type_hints(method)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(method).parameters.values():
        if param.kind is param.VAR_POSITIONAL:
            args.append(_arg(param.name, None))
        elif param.name in OPTIONAL_BODY_ARGS:
            kwargs[param.name] = _arg(param.name, hints.get(param.name))
        elif param.default is not param.empty:
            continue
        elif param.kind is param.KEYWORD_ONLY:
            kwargs[param.name] = _arg(param.name, hints.get(param.name))
        else:
            args.append(_arg(param.name, hints.get(param.name)))
    return method(*args, **kwargs)


async def _exercise(op: _spec.Operation, *, variant: int) -> list[httpx.Request]:
    """Call the operation's method against a fake answering the spec's sample body."""
    schema = _spec.response_schema(op)
    body = _spec.sample(schema, op.version, variant=variant) if schema else {"status": True}
    status = 202 if "202" in op.op["responses"] else 200
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as client:
        await _call(client, OPERATIONS[op.key])
    return seen


async def test_every_spec_operation_has_a_method() -> None:
    """OPERATIONS covers exactly the spec's 89 v1 and 4 v2 operations, each a real method."""
    spec_keys = {op.key for op in ALL}
    async with QaseClient("t") as client:
        callable_ops = {
            key
            for key, dotted in OPERATIONS.items()
            if callable(functools.reduce(getattr, dotted.split("."), client))
        }
    missing = sorted(spec_keys - set(OPERATIONS))
    extra = sorted(set(OPERATIONS) - spec_keys)
    print(f"coverage: {len(spec_keys & callable_ops)}/{len(spec_keys)} operations")
    assert (len(ALL), missing, extra) == (93, [], [])
    assert callable_ops == spec_keys


def test_operations_is_read_only() -> None:
    """OPERATIONS cannot be changed by accident."""
    with pytest.raises(TypeError):
        OPERATIONS["get-cases"] = "cases.iter"  # type: ignore[index]


@pytest.mark.parametrize("op", ALL, ids=[op.key for op in ALL])
async def test_operation_sends_the_specs_method_path_and_body(op: _spec.Operation) -> None:
    """The method sends the spec's HTTP method and path, and a body the spec accepts."""
    (request,) = await _exercise(op, variant=0)
    assert (request.method, request.url.path) == (op.method, _expected_path(op))
    schema = _spec.request_schema(op)
    if schema is not None:
        body = json.loads(request.content)
        errors = [e.message for e in _spec.validator(schema, op.version).iter_errors(body)]
        assert errors == [], f"{op.key}: {errors}"
    elif op.method in ("GET", "DELETE"):
        assert request.content == b""


class _Checked:
    """The client's decoder, each decode checked against the strict converter's."""

    def __init__(self) -> None:
        self.production = default_converter()  # what QaseClient decodes with
        self.strict = make_converter(strict=True)
        self.decoded: list[Any] = []

    def structure(self, data: Any, cl: Any) -> Any:
        value = self.production.structure(data, cl)
        assert value == self.strict.structure(data, cl), f"decoders disagree on {cl!r}"
        self.decoded.append(cl)
        return value

    def unstructure(self, value: Any) -> Any:
        return self.production.unstructure(value)


@pytest.mark.parametrize("variant", [0, -1])
@pytest.mark.parametrize("op", ALL, ids=[op.key for op in ALL])
async def test_spec_answers_decode_with_the_clients_decoder(
    op: _spec.Operation, variant: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spec's answer, every property filled, decodes with the decoder the client uses,
    to the same models as the strict converter (which refuses keys the models lack)."""
    checked = _Checked()
    monkeypatch.setattr(converter_module, "default_converter", lambda: checked)
    requests = await _exercise(op, variant=variant)
    assert len(requests) == 1
    async with QaseClient("t") as client:
        method = functools.reduce(getattr, OPERATIONS[op.key].split("."), client)
    if typing.get_type_hints(method)["return"] is not type(None) and op.key not in ANSWER_NOT_READ:
        assert checked.decoded, "the answer was not decoded"
