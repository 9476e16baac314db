"""Test-case parameters as written (single, group or a shared reference) and as read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._state import JSON

__all__ = ["UnknownSharedParameterError", "case_parameters"]


class UnknownSharedParameterError(LookupError):
    """A ``shared_id`` that names no shared parameter; ``index`` is its place in the list."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def _single(p: Mapping[str, Any]) -> JSON:
    return {"title": str(p.get("title", "")), "values": [str(v) for v in p.get("values") or ()]}


def case_parameters(shared: Mapping[str, JSON], params: Any) -> list[JSON]:
    """The read shape (``{type, shared_id, item | items}``) of parameters as written.

    A shared reference reads back with the shared parameter's current values.

    Raises:
        UnknownSharedParameterError: A ``shared_id`` names no shared parameter.
    """
    out: list[JSON] = []
    for i, p in enumerate(params if isinstance(params, list) else ()):
        if not isinstance(p, dict):
            continue
        if "shared_id" in p:
            found = shared.get(str(p["shared_id"]).lower())
            if found is None:
                raise UnknownSharedParameterError(i)
            if found["type"] == "group":
                out.append(
                    {"type": "group", "shared_id": found["id"], "items": found["parameters"]}
                )
            else:
                item = found["parameters"][0]
                out.append({"type": "single", "shared_id": found["id"], "item": item})
        elif "items" in p:
            items = [_single(x) for x in p["items"] if isinstance(x, dict)]
            out.append({"type": "group", "shared_id": None, "items": items})
        else:
            out.append({"type": "single", "shared_id": None, "item": _single(p)})
    return out
