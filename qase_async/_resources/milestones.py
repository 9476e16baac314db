"""``client.milestones``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from .._pagination import Page
from ..models import Milestone, MilestoneCreate, MilestoneUpdate
from ._base import Resource, ident, seg, wire_params


class Milestones(Resource):
    """Milestones of a project."""

    async def list(
        self,
        code: str,
        *,
        search: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Milestone]:
        """One page of milestones."""
        params = wire_params({"search": search})
        return await self._page(
            f"/milestone/{seg(code)}", Milestone, limit=limit, offset=offset, params=params
        )

    def iter(self, code: str, *, search: str | None = None) -> AsyncGenerator[Milestone, None]:
        """Every matching milestone, paging by itself."""
        return self._iter(f"/milestone/{seg(code)}", Milestone, wire_params({"search": search}))

    async def get(self, code: str, milestone_id: int) -> Milestone:
        """One milestone."""
        return await self._get(f"/milestone/{seg(code)}/{ident(milestone_id)}", Milestone)

    async def create(self, code: str, milestone: MilestoneCreate) -> int:
        """Create a milestone; returns its id (``due_date`` is sent as Unix seconds)."""
        return await self._create(f"/milestone/{seg(code)}", milestone)

    async def update(self, code: str, milestone_id: int, changes: MilestoneUpdate) -> None:
        """Change a milestone."""
        await self._call("PATCH", f"/milestone/{seg(code)}/{ident(milestone_id)}", changes)

    async def delete(self, code: str, milestone_id: int) -> None:
        """Delete a milestone."""
        await self._call("DELETE", f"/milestone/{seg(code)}/{ident(milestone_id)}")
