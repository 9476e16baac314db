"""The operation table of the Qase API, a path router over it and a small body validator.

The data comes from ``_spec_data.json``, generated from the OpenAPI files by
``scripts/gen_fake_spec_data.py`` so that the package does not need the spec at run time.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import attrs

__all__ = ["Match", "Operation", "operations", "route", "validate"]


@attrs.frozen
class Operation:
    """One operation of the API as the spec draws it.

    Attributes:
        version: ``"v1"`` or ``"v2"``.
        method: Upper-case HTTP method.
        path: Path template relative to the version prefix, e.g. ``/run/{code}/{id}``.
        operation_id: The spec's ``operationId``.
        status: The success status code (200, or 202 for v2 results).
        content_type: Media type of the request body, if the operation takes one.
        request_schema: Pruned request-body schema for JSON bodies.
    """

    version: str
    method: str
    path: str
    operation_id: str
    status: int
    content_type: str | None
    request_schema: dict[str, Any] | None

    @property
    def segments(self) -> tuple[str, ...]:
        """The template split on ``/``."""
        return tuple(self.path.strip("/").split("/"))


@attrs.frozen
class Match:
    """A routed request: the operation and its path parameters."""

    operation: Operation
    params: dict[str, str]


@cache
def operations() -> tuple[Operation, ...]:
    """All 93 operations of the v1 and v2 specs."""
    raw = resources.files(__package__).joinpath("_spec_data.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return tuple(Operation(**op) for op in data["operations"])


def route(version: str, method: str, path: str) -> Match | int:
    """Find the operation for a request.

    Literal segments win over parameters (``/case/{code}/bulk`` beats ``/case/{code}/{id}``).

    Args:
        version: ``"v1"`` or ``"v2"``.
        method: HTTP method.
        path: Request path without the version prefix.

    Returns:
        The match, or 404 when no template fits the path, or 405 when templates fit the
        path but not the method.
    """
    parts = tuple(p for p in path.strip("/").split("/") if p)
    best: tuple[int, Match] | None = None
    path_fits = False
    for op in operations():
        if op.version != version:
            continue
        segs = op.segments
        if len(segs) != len(parts):
            continue
        params: dict[str, str] = {}
        literal = 0
        for seg, part in zip(segs, parts, strict=True):
            if seg.startswith("{"):
                params[seg[1:-1]] = part
            elif seg == part:
                literal += 1
            else:
                break
        else:
            path_fits = True
            if op.method != method.upper():
                continue
            if best is None or literal > best[0]:
                best = (literal, Match(op, params))
    if best is not None:
        return best[1]
    return 405 if path_fits else 404


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def validate(schema: dict[str, Any] | None, body: Any, path: str = "") -> list[dict[str, str]]:
    """Validate a JSON body against a pruned request schema.

    Checks types, ``nullable``, ``enum`` and ``required``, recursively.

    Returns:
        ``errorFields`` entries ``{"field": "results.0.status", "error": "..."}``; empty if
        the body is valid.
    """
    if not schema:
        return []
    field = path or "body"
    if body is None:
        if schema.get("nullable"):
            return []
        if "type" in schema:
            return [{"field": field, "error": f"The {field} field must not be null."}]
        return []
    typ = schema.get("type")
    if typ is not None:
        ok = isinstance(body, _TYPES[typ])
        if typ in ("integer", "number") and isinstance(body, bool):
            ok = False
        if typ == "integer" and isinstance(body, float) and body.is_integer():
            ok = True
        if not ok:
            return [{"field": field, "error": f"The {field} must be of type {typ}."}]
    if "enum" in schema and body not in schema["enum"]:
        allowed = ", ".join(str(v) for v in schema["enum"])
        return [{"field": field, "error": f"The selected {field} is invalid ({allowed})."}]
    errors: list[dict[str, str]] = []
    if isinstance(body, dict):
        prefix = f"{path}." if path else ""
        for name in schema.get("required", []):
            if name not in body:
                errors.append(
                    {"field": prefix + name, "error": f"The {prefix}{name} field is required."}
                )
        props: dict[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for name, value in body.items():
            sub = props.get(name, extra if isinstance(extra, dict) else None)
            if sub is not None:
                errors.extend(validate(sub, value, prefix + str(name)))
    elif isinstance(body, list) and "items" in schema:
        for i, item in enumerate(body):
            errors.extend(validate(schema["items"], item, f"{path}.{i}" if path else str(i)))
    return errors
