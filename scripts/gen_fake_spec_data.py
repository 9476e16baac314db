"""Generate ``qase_async/testing/_spec_data.json`` from the bundled Qase OpenAPI files.

The fake server must not need the specification at run time (it is not shipped with the
package), so this script distils what the fake needs from it:

* every operation (API version, method, path template, operation id, success status);
* the request-body schema of each JSON operation, with ``$ref`` resolved and ``allOf``
  merged, reduced to the keywords the fake's small validator understands;
* a sample success body for each operation, built from the response schema and checked
  against it with ``jsonschema``.

Usage::

    python scripts/gen_fake_spec_data.py

It reads the spec vendored under ``tests/fixtures/qase-spec`` through ``tests._openapi``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import jsonschema

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests import _openapi  # noqa: E402  (the repository root must be importable first)

OUT = REPO / "qase_async" / "testing" / "_spec_data.json"
KEEP = ("type", "nullable", "enum", "required", "properties", "items", "additionalProperties")
DATE_TIME = "2021-12-30T19:23:59+00:00"
UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


class Spec:
    """One bundled OpenAPI document with ``$ref`` resolution."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def deref(self, node: Any) -> Any:
        """Follow ``$ref`` links until a concrete node is reached."""
        return _openapi.deref(self.doc, node)

    def merged(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        """Resolve refs and merge ``allOf`` into one object schema (shallow, for validation)."""
        schema = self.deref(schema)
        if not isinstance(schema, dict):
            return {}
        if "allOf" in schema:
            out: dict[str, Any] = {}
            for part in schema["allOf"]:
                sub = self.merged(part, depth)
                props = {**out.get("properties", {}), **sub.get("properties", {})}
                req = sorted(set(out.get("required", [])) | set(sub.get("required", [])))
                out.update(sub)
                if props:
                    out["properties"] = props
                if req:
                    out["required"] = req
            return out
        return dict(schema)

    def request_schema(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        """A pruned, resolved copy of a request schema for the fake's validator."""
        if depth > 6:
            return {}
        s = self.merged(schema)
        if "oneOf" in s or "anyOf" in s:
            # The validator does not evaluate alternatives: accept any value.
            return {"nullable": True} if s.get("nullable") else {}
        out = {k: v for k, v in s.items() if k in KEEP}
        if "properties" in out:
            out["properties"] = {
                k: self.request_schema(v, depth + 1) for k, v in out["properties"].items()
            }
        if "items" in out:
            out["items"] = self.request_schema(out["items"], depth + 1)
        if isinstance(out.get("additionalProperties"), dict):
            out["additionalProperties"] = self.request_schema(
                out["additionalProperties"], depth + 1
            )
        return out

    def sample(self, schema: Any, depth: int = 0, arrays: bool = True) -> Any:
        """A sample value valid under ``schema`` (checked by the caller)."""
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
            fmt = schema.get("format")
            if fmt == "date-time":
                return DATE_TIME
            if fmt == "uri":
                return "https://example.com/"
            if fmt == "uuid":
                return UUID
            if fmt == "binary":
                return ""
            return "string"
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


def to_json_schema(node: Any) -> Any:
    """Convert OpenAPI 3.0 schema dialect (``nullable``) to JSON Schema."""
    if isinstance(node, list):
        return [to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if k not in ("nullable", "example")}
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


def operations(spec: Spec, version: str) -> list[dict[str, Any]]:
    """Extract the fake's operation table from one spec document."""
    resolver_doc = to_json_schema(spec.doc)
    ops = []
    for path, item in spec.doc["paths"].items():
        for method, op in item.items():
            if method not in _openapi.METHODS:
                continue
            status = next(code for code in op["responses"] if code.startswith("2"))
            resp = spec.deref(op["responses"][status])
            schema = resp.get("content", {}).get("application/json", {}).get("schema")
            sample: Any = None
            if schema is not None:
                js = to_json_schema(schema)
                validator = jsonschema.Draft7Validator(
                    {**resolver_doc, **js} if isinstance(js, dict) else js
                )
                for arrays in (True, False):
                    candidate = spec.sample(schema, arrays=arrays)
                    if isinstance(candidate, dict):
                        candidate["status"] = True
                    if validator.is_valid(candidate):
                        sample = candidate
                        break
                else:
                    raise SystemExit(f"no valid sample for {method} {path}")
            body = op.get("requestBody")
            request: dict[str, Any] | None = None
            content_type = None
            if body is not None:
                body = spec.deref(body)
                content_type, media = next(iter(body["content"].items()))
                if content_type == "application/json":
                    request = spec.request_schema(media["schema"])
            ops.append(
                {
                    "version": version,
                    "method": method.upper(),
                    "path": path,
                    "operation_id": op.get("operationId"),
                    "status": int(status),
                    "content_type": content_type,
                    "request_schema": request,
                    "sample": sample,
                }
            )
    return ops


def render() -> str:
    """The content of the spec-data file for the vendored spec."""
    ops: list[dict[str, Any]] = []
    for version in ("v1", "v2"):
        doc = _openapi.document(version)
        ops.extend(operations(Spec(copy.deepcopy(doc)), version))
    return json.dumps({"operations": ops}, separators=(",", ":"), sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    """Write the spec-data file."""
    if argv:
        print("usage: python scripts/gen_fake_spec_data.py", file=sys.stderr)
        return 2
    text = render()
    OUT.write_text(text)
    count = len(json.loads(text)["operations"])
    print(f"wrote {count} operations to {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
