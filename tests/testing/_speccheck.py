"""Check the fake's answers against the published OpenAPI files (not against the fake's data).

The spec is the vendored copy read through ``tests._openapi``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT7

from .. import _openapi


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema dialect to JSON Schema: ``nullable`` becomes a ``null`` type."""
    if isinstance(node, list):
        return [to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        elif any(k in out for k in ("allOf", "oneOf", "anyOf", "$ref")):
            out = {"anyOf": [out, {"type": "null"}]}
    return out


class Spec:
    """One bundled spec document: operations, request samples and response validation."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.raw: dict[str, Any] = _openapi.document(version)
        self.uri = f"urn:qase-{version}"
        self.registry: Registry[Any] = Registry().with_resource(
            self.uri, DRAFT7.create_resource(to_json_schema(self.raw))
        )
        self.ops = list(_openapi.operations(self.raw))

    def deref(self, node: Any) -> Any:
        """Follow ``$ref`` links inside the document."""
        return _openapi.deref(self.raw, node)

    def template_for(self, method: str, path: str) -> str | None:
        """The spec path template a concrete path (without ``/v1``) matches."""
        best: tuple[int, str] | None = None
        parts = path.strip("/").split("/")
        for m, template, _ in self.ops:
            if m != method.upper():
                continue
            segs = template.strip("/").split("/")
            if len(segs) != len(parts):
                continue
            literal = 0
            for seg, part in zip(segs, parts, strict=True):
                if seg.startswith("{"):
                    continue
                if seg != part:
                    break
                literal += 1
            else:
                if best is None or literal > best[0]:
                    best = (literal, template)
        return None if best is None else best[1]

    def operation(self, method: str, template: str) -> dict[str, Any]:
        """The operation object."""
        op: dict[str, Any] = self.raw["paths"][template][method.lower()]
        return op

    def success_status(self, method: str, template: str) -> int:
        """The operation's documented 2xx status."""
        responses = self.operation(method, template)["responses"]
        return int(next(code for code in responses if code.startswith("2")))

    def validate_response(self, method: str, template: str, status: int, body: Any) -> None:
        """Raise ``jsonschema.ValidationError`` unless ``body`` fits the documented response.

        A status the operation documents without a body schema only has to be JSON.
        """
        responses = self.operation(method, template)["responses"]
        assert str(status) in responses, f"{method} {template}: status {status} undocumented"
        response = self.deref(responses[str(status)])
        if "application/json" not in response.get("content", {}):
            return
        pointer = "/".join(
            p.replace("~", "~0").replace("/", "~1")
            for p in (
                "paths",
                template,
                method.lower(),
                "responses",
                str(status),
                "content",
                "application/json",
                "schema",
            )
        )
        if "$ref" in responses[str(status)]:
            ref = responses[str(status)]["$ref"].lstrip("#/")
            pointer = ref + "/content/application~1json/schema"
        schema = {"$ref": f"{self.uri}#/{pointer}"}
        jsonschema.Draft7Validator(schema, registry=self.registry).validate(body)

    def required_sample(self, schema: Any, depth: int = 0) -> Any:
        """A minimal value valid under a request schema: only required properties."""
        schema = self.deref(schema)
        if "allOf" in schema:
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in schema["allOf"]:
                part = self.deref(part)
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += part.get("required", [])
            schema = merged
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self.required_sample(schema[key][0], depth)
        if "enum" in schema:
            return schema["enum"][0]
        typ = schema.get("type", "object" if "properties" in schema else None)
        if typ == "object":
            props = schema.get("properties", {})
            return {
                name: self.required_sample(props.get(name, {}), depth + 1)
                for name in schema.get("required", [])
            }
        if typ == "array":
            return [self.required_sample(schema.get("items", {}), depth + 1)]
        if typ == "string":
            return {"uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}.get(
                schema.get("format", ""), "text"
            )
        if typ == "integer":
            return 1
        if typ == "number":
            return 1.0
        if typ == "boolean":
            return True
        return {}


@cache
def spec(version: str) -> Spec:
    """The cached spec for ``"v1"`` or ``"v2"``."""
    return Spec(version)


_VERSION = re.compile(r"^/(v1|v2)(/.*)$")


def check(method: str, path: str, status: int, body: Any) -> str | None:
    """Validate one answer of the fake given its request path (with ``/v1``/``/v2``).

    Returns:
        The spec template the path matched (``None`` for paths outside the spec, which
        must then be errors).
    """
    match = _VERSION.match(path)
    assert match, path
    doc = spec(match.group(1))
    template = doc.template_for(method, match.group(2))
    if template is None:
        assert status in (404, 405), (method, path, status)
        return None
    if 200 <= status < 300:
        assert status == doc.success_status(method, template), (method, path, status)
        doc.validate_response(method, template, status, body)
    else:
        assert body.get("status") is False, body
        assert isinstance(body.get("errorMessage"), str), body
    return template
