"""System fields: the meanings of the integer codes of cases, runs and results."""

from __future__ import annotations

from ._api import Ctx, Handler, ok
from ._state import JSON

__all__ = ["HANDLERS"]


def list_system_fields(ctx: Ctx) -> tuple[int, JSON]:
    """GET /system_field (a bare list, not paged; the fields live in ``state.system_fields``)."""
    return ok([dict(f) for f in ctx.state.system_fields])


HANDLERS: dict[str, Handler] = {"get-system-fields": list_system_fields}
