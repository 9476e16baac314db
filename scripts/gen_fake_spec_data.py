"""Generate ``qase_async/testing/_spec_data.json`` from the bundled Qase OpenAPI files.

The fake server must not need the specification at run time (it is not shipped with the
package), so this script distils what the fake needs from it:

* every operation (API version, method, path template, operation id, success status);
* the request-body schema of each JSON operation, with ``$ref`` resolved and ``allOf``
  merged, reduced to the keywords the fake's small validator understands.

Every operation has a handler that answers from the fake's state, so no response body is
taken from the spec.

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

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests import _openapi  # noqa: E402  (the repository root must be importable first)

OUT = REPO / "qase_async" / "testing" / "_spec_data.json"
KEEP = ("type", "nullable", "enum", "required", "properties", "items", "additionalProperties")


class Spec:
    """One bundled OpenAPI document with ``$ref`` resolution."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def deref(self, node: Any) -> Any:
        """Follow ``$ref`` links until a concrete node is reached."""
        return _openapi.deref(self.doc, node)

    def merged(self, schema: Any) -> dict[str, Any]:
        """Resolve refs and merge ``allOf`` into one object schema (shallow, for validation)."""
        return _openapi.merged(self.doc, schema)

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


def operations(spec: Spec, version: str) -> list[dict[str, Any]]:
    """Extract the fake's operation table from one spec document."""
    ops = []
    for method, path, op in _openapi.operations(spec.doc):
        status = next(code for code in op["responses"] if code.startswith("2"))
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
                "method": method,
                "path": path,
                "operation_id": op.get("operationId"),
                "status": int(status),
                "content_type": content_type,
                "request_schema": request,
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
