"""The sample success body of each operation, built from the spec's response schema.

This is how the fake used to answer the operations it kept no state for: a value of the
right shape (``"string"``, ``1``, ``2021-12-30T19:23:59+00:00``...) that validates under
the schema. The operation walk checks that no answer of the fake equals it any more.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema

from .. import _openapi

DATE_TIME = "2021-12-30T19:23:59+00:00"
UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


class _Sampler:
    """Sample values for the schemas of one spec document."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def deref(self, node: Any) -> Any:
        return _openapi.deref(self.doc, node)

    def merged(self, schema: Any) -> dict[str, Any]:
        return _openapi.merged(self.doc, schema)

    def sample(self, schema: Any, depth: int = 0, arrays: bool = True) -> Any:
        """A value of the schema's shape (the caller checks that it is valid)."""
        schema = self.deref(schema)
        if not isinstance(schema, dict):
            return None
        if "allOf" in schema:
            return self.sample(self.merged(schema), depth, arrays)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self.sample(schema[key][0], depth, arrays)
        typ = schema.get("type")
        if typ is None and "properties" in schema:
            typ = "object"
        if "enum" in schema:
            return schema["enum"][0]
        if "example" in schema and typ in ("string", "integer", "number", "boolean"):
            ex = schema["example"]
            if _type_ok(typ, ex):
                return ex
        if typ == "object":
            if depth > 4:
                return {}
            return {
                k: self.sample(v, depth + 1, arrays)
                for k, v in schema.get("properties", {}).items()
            }
        if typ == "array":
            if not arrays or depth > 4:
                return []
            return [self.sample(schema.get("items", {}), depth + 1, arrays)]
        if typ == "string":
            return {"date-time": DATE_TIME, "uri": "https://example.com/", "uuid": UUID}.get(
                schema.get("format", ""), "" if schema.get("format") == "binary" else "string"
            )
        if typ == "integer":
            return 1
        if typ == "number":
            return 1.5
        if typ == "boolean":
            return True
        return {}


def _type_ok(typ: str, value: Any) -> bool:
    return {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }[typ]


def _to_json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        for key in ("allOf", "oneOf", "anyOf"):
            if key in out or "$ref" in out:
                out = {"anyOf": [out, {"type": "null"}]}
                break
    return out


@cache
def _resolver_doc(version: str) -> Any:
    return _to_json_schema(_openapi.document(version))


@cache
def spec_sample(version: str, method: str, template: str) -> Any:
    """The sample body of one operation, or ``None`` when its answer has no JSON body.

    Built as the fake's spec-data generator used to build it: every array with one item
    if that validates, else every array empty; ``status`` set to ``true``.
    """
    doc = _openapi.document(version)
    sampler = _Sampler(doc)
    op = doc["paths"][template][method.lower()]
    status = next(code for code in op["responses"] if code.startswith("2"))
    response = sampler.deref(op["responses"][status])
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    js = _to_json_schema(schema)
    resolver = _resolver_doc(version)
    validator = jsonschema.Draft7Validator({**resolver, **js} if isinstance(js, dict) else js)
    for arrays in (True, False):
        candidate = sampler.sample(schema, arrays=arrays)
        if isinstance(candidate, dict):
            candidate["status"] = True
        if validator.is_valid(candidate):
            return candidate
    raise AssertionError(f"no valid sample for {method} {template}")
