"""Shared parameters: workspace-wide parameter sets that test cases refer to by UUID."""

from __future__ import annotations

from typing import Any

from ._api import Ctx, Handler, _bounded_int, _get, field_error, ok
from ._defaults import entity_uuid
from ._state import JSON

__all__ = ["HANDLERS"]


def _parameters(kind: str, params: Any) -> list[JSON]:
    """Checked ``[{title, values}]``: one for a ``single``, at least two for a ``group``."""
    if not isinstance(params, list) or not all(
        isinstance(p, dict)
        and isinstance(p.get("title"), str)
        and isinstance(p.get("values"), list)
        for p in params
    ):
        raise field_error("parameters", "The parameters must be a list of {title, values}.")
    if kind == "single" and len(params) != 1:
        raise field_error("parameters", "A single parameter has exactly one item.")
    if kind == "group" and len(params) < 2:
        raise field_error("parameters", "A group parameter has at least two items.")
    return [{"title": p["title"], "values": [str(v) for v in p["values"]]} for p in params]


def _codes(ctx: Ctx, codes: Any) -> list[str]:
    out = []
    for i, code in enumerate(codes or ()):
        if str(code).upper() not in ctx.state.projects:
            raise field_error(f"project_codes.{i}", "The selected project code is invalid.")
        out.append(str(code).upper())
    return out


def list_shared_parameters(ctx: Ctx) -> tuple[int, JSON]:
    """GET /shared_parameter (filters: search, type, project codes); ``{total, entities}``."""
    items = list(ctx.state.shared_parameters.values())
    needle = (ctx.q("filters[search]") or "").lower()
    if needle:
        items = [p for p in items if needle in p["title"].lower()]
    kind = ctx.q("filters[type]")
    if kind:
        items = [p for p in items if p["type"] == kind]
    codes = {c.upper() for c in ctx.query.get("filters[project_codes][]", []) if c}
    if codes:
        items = [
            p for p in items if p["is_enabled_for_all_projects"] or codes & set(p["project_codes"])
        ]
    limit = _bounded_int(ctx, "limit", 10, 1, 100)
    offset = _bounded_int(ctx, "offset", 0, 0, 100_000)
    return ok({"total": len(items), "entities": items[offset : offset + limit]})


def create_shared_parameter(ctx: Ctx) -> tuple[int, JSON]:
    """POST /shared_parameter."""
    body = ctx.body
    n = ctx.state.next_id("shared_parameter")
    pid = entity_uuid("shared-parameter", n)
    ctx.state.shared_parameters[pid] = {
        "id": pid,
        "title": body["title"],
        "type": body["type"],
        "project_codes": _codes(ctx, body.get("project_codes")),
        "is_enabled_for_all_projects": bool(body["is_enabled_for_all_projects"]),
        "parameters": _parameters(body["type"], body["parameters"]),
    }
    return ok({"id": pid})


def _param(ctx: Ctx) -> JSON:
    return _get(ctx.state.shared_parameters, ctx.params["id"].lower(), "Shared parameter")


def get_shared_parameter(ctx: Ctx) -> tuple[int, JSON]:
    """GET /shared_parameter/{id}."""
    return ok(_param(ctx))


def update_shared_parameter(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /shared_parameter/{id}."""
    param = _param(ctx)
    body = ctx.body
    if "parameters" in body:
        param["parameters"] = _parameters(param["type"], body["parameters"])
    if "project_codes" in body:
        param["project_codes"] = _codes(ctx, body["project_codes"])
    if "title" in body:
        param["title"] = body["title"]
    if "is_enabled_for_all_projects" in body:
        param["is_enabled_for_all_projects"] = bool(body["is_enabled_for_all_projects"])
    return ok({"id": param["id"]})


def delete_shared_parameter(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /shared_parameter/{id}."""
    param = _param(ctx)
    del ctx.state.shared_parameters[param["id"]]
    return ok({"id": param["id"]})


HANDLERS: dict[str, Handler] = {
    "get-shared-parameters": list_shared_parameters,
    "create-shared-parameter": create_shared_parameter,
    "get-shared-parameter": get_shared_parameter,
    "update-shared-parameter": update_shared_parameter,
    "delete-shared-parameter": delete_shared_parameter,
}
