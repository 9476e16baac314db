"""The one reader of the vendored Qase OpenAPI files (``tests/fixtures/qase-spec``).

Tests, ``scripts/`` and the fake's data generator all load the spec through here, so a
plain clone of the repository has everything its tests read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, Final

SPEC_DIR: Final = Path(__file__).resolve().parent / "fixtures" / "qase-spec"
METHODS: Final = ("get", "post", "put", "patch", "delete")


@cache
def document(version: str) -> dict[str, Any]:
    """The bundled spec of ``"v1"`` or ``"v2"``, parsed once."""
    path = SPEC_DIR / f"qase-{version}.openapi.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def deref(doc: dict[str, Any], node: Any) -> Any:
    """``node`` with its ``$ref`` links (local to ``doc``) followed to a concrete node."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def merged(doc: dict[str, Any], schema: Any) -> dict[str, Any]:
    """``schema`` with its refs followed and ``allOf`` merged into one object schema (shallow)."""
    schema = deref(doc, schema)
    if not isinstance(schema, dict):
        return {}
    if "allOf" in schema:
        out: dict[str, Any] = {}
        for part in schema["allOf"]:
            sub = merged(doc, part)
            props = {**out.get("properties", {}), **sub.get("properties", {})}
            req = sorted(set(out.get("required", [])) | set(sub.get("required", [])))
            out.update(sub)
            if props:
                out["properties"] = props
            if req:
                out["required"] = req
        return out
    return dict(schema)


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(METHOD, path template, operation object)`` for every operation of ``doc``."""
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method.upper(), path, op
