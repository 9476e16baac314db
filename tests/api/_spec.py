"""Reading the OpenAPI spec: operations, ``$ref`` resolution, sample payloads, validators.

The spec is never needed at run time; only the tests read it, through ``tests._openapi``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
from jsonschema import Draft202012Validator

from .. import _openapi

SAMPLE_TIME = "2021-12-30T19:23:59+00:00"


def spec(version: int) -> dict[str, Any]:
    """The bundled spec of one API version."""
    return _openapi.document(f"v{version}")


@attrs.frozen
class Operation:
    """One operation of the spec."""

    key: str  # operationId, "v2:"-prefixed for v2
    version: int
    method: str
    path: str
    op: dict[str, Any]


def operations() -> Iterator[Operation]:
    """Every operation of both spec files."""
    for version in (1, 2):
        for method, path, op in _openapi.operations(spec(version)):
            key = op["operationId"] if version == 1 else f"v2:{op['operationId']}"
            yield Operation(key, version, method, path, op)


def resolve(node: Any, version: int) -> Any:
    """``node`` with a top-level ``$ref`` followed."""
    return _openapi.deref(spec(version), node)


def response_schema(op: Operation) -> dict[str, Any] | None:
    """The JSON schema of the operation's success answer, if it has one."""
    for status in ("200", "202"):
        answer = op.op["responses"].get(status)
        if answer and "content" in answer:
            return answer["content"]["application/json"]["schema"]  # type: ignore[no-any-return]
    return None


def request_schema(op: Operation) -> dict[str, Any] | None:
    """The JSON schema of the operation's JSON body, if it has one."""
    body = op.op.get("requestBody", {}).get("content", {})
    if "application/json" in body:
        return body["application/json"]["schema"]  # type: ignore[no-any-return]
    return None


def sample(node: Any, version: int, *, variant: int = 0, depth: int = 0) -> Any:
    """A payload with every property filled, using the spec's examples where it has them.

    ``variant`` picks which alternative of an ``anyOf``/``oneOf`` to build (0 the first,
    -1 the last); arrays of ``oneOf`` items hold one item of every alternative.
    """
    node = resolve(node, version)
    if "example" in node:
        return node["example"]
    if "allOf" in node:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            value = sample(part, version, variant=variant, depth=depth)
            if isinstance(value, dict):
                merged.update(value)
            else:
                return value
        return merged
    for combinator in ("oneOf", "anyOf"):
        if combinator in node:
            return sample(node[combinator][variant], version, variant=variant, depth=depth)
    kind = node.get("type")
    if kind == "array" or "items" in node:
        items = resolve(node.get("items", {}), version)
        if depth > 8 or not items:
            # An untyped array (``params``) only ever arrives empty: PHP's empty map.
            return []
        if "oneOf" in items:
            return [
                sample(alt, version, variant=variant, depth=depth + 1) for alt in items["oneOf"]
            ]
        return [sample(items, version, variant=variant, depth=depth + 1)]
    if kind == "object" or "properties" in node:
        if depth > 8:
            return {}
        out = {
            name: sample(prop, version, variant=variant, depth=depth + 1)
            for name, prop in node.get("properties", {}).items()
        }
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra and not node.get("properties"):
            out["1"] = sample(extra, version, variant=variant, depth=depth + 1)
        return out
    if "enum" in node:
        return node["enum"][0]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        return SAMPLE_TIME if node.get("format") == "date-time" else "text"
    return {}


def to_json_schema(node: Any, version: int, *, closed: bool = True) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: refs inlined, ``nullable`` as a type list.

    With ``closed``, objects that list their properties refuse others, so a field sent
    under a wrong wire name is noticed (not inside ``allOf``, whose parts add fields).
    """
    node = resolve(node, version)
    if isinstance(node, list):
        return [to_json_schema(n, version, closed=closed) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("example", "examples", "deprecated", "description", "format", "title"):
            continue
        if key == "allOf":
            out[key] = [to_json_schema(v, version, closed=False) for v in value]
        elif key in ("properties",):
            out[key] = {k: to_json_schema(v, version, closed=closed) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not") or key in ("oneOf", "anyOf"):
            out[key] = to_json_schema(value, version, closed=closed)
        else:
            out[key] = value
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif any(k in out for k in ("allOf", "oneOf", "anyOf")):
            out = {"anyOf": [out, {"type": "null"}]}
    if closed and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def validator(node: Any, version: int) -> Draft202012Validator:
    """A validator of JSON bodies against a request schema of the spec."""
    return Draft202012Validator(to_json_schema(node, version))
