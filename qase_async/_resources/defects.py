"""``client.defects``."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Literal

from .._pagination import Page
from ..models import (
    Defect,
    DefectCreate,
    DefectStatus,
    DefectStatusUpdate,
    DefectUpdate,
)
from ._base import Resource, ident, seg, wire_params


class Defects(Resource):
    """Defects of a project (severity: a name on read, an integer code on write)."""

    async def list(
        self,
        code: str,
        *,
        status: DefectStatus | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Defect]:
        """One page of defects."""
        params = wire_params({"status": status})
        return await self._page(
            f"/defect/{seg(code)}", Defect, limit=limit, offset=offset, params=params
        )

    def iter(
        self, code: str, *, status: DefectStatus | None = None
    ) -> AsyncGenerator[Defect, None]:
        """Every matching defect, paging by itself."""
        return self._iter(f"/defect/{seg(code)}", Defect, wire_params({"status": status}))

    async def get(self, code: str, defect_id: int) -> Defect:
        """One defect."""
        return await self._get(f"/defect/{seg(code)}/{ident(defect_id)}", Defect)

    async def create(self, code: str, defect: DefectCreate) -> int:
        """Create a defect; returns its id."""
        return await self._create(f"/defect/{seg(code)}", defect)

    async def update(self, code: str, defect_id: int, changes: DefectUpdate) -> None:
        """Change the fields of a defect that are set in ``changes``."""
        await self._call("PATCH", f"/defect/{seg(code)}/{ident(defect_id)}", changes)

    async def delete(self, code: str, defect_id: int) -> None:
        """Delete a defect."""
        await self._call("DELETE", f"/defect/{seg(code)}/{ident(defect_id)}")

    async def resolve(self, code: str, defect_id: int) -> None:
        """Mark a defect resolved."""
        await self._call("PATCH", f"/defect/{seg(code)}/resolve/{ident(defect_id)}")

    async def update_status(
        self, code: str, defect_id: int, status: Literal["in_progress", "resolved", "invalid"]
    ) -> None:
        """Set a defect's status."""
        body = DefectStatusUpdate(status=status)
        await self._call("PATCH", f"/defect/{seg(code)}/status/{ident(defect_id)}", body)
