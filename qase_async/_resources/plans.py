"""``client.plans``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from .._pagination import Page
from ..models import Plan, PlanCreate, PlanDetailed, PlanUpdate
from ._base import Resource, ident, seg


class Plans(Resource):
    """Test plans of a project."""

    async def list(
        self, code: str, *, limit: int | None = None, offset: int | None = None
    ) -> Page[Plan]:
        """One page of plans."""
        return await self._page(f"/plan/{seg(code)}", Plan, limit=limit, offset=offset, params={})

    def iter(self, code: str) -> AsyncGenerator[Plan, None]:
        """Every plan, paging by itself."""
        return self._iter(f"/plan/{seg(code)}", Plan, {})

    async def get(self, code: str, plan_id: int) -> PlanDetailed:
        """One plan, with its cases."""
        return await self._get(f"/plan/{seg(code)}/{ident(plan_id)}", PlanDetailed)

    async def create(self, code: str, plan: PlanCreate) -> int:
        """Create a plan; returns its id."""
        return await self._create(f"/plan/{seg(code)}", plan)

    async def update(self, code: str, plan_id: int, changes: PlanUpdate) -> None:
        """Change a plan."""
        await self._call("PATCH", f"/plan/{seg(code)}/{ident(plan_id)}", changes)

    async def delete(self, code: str, plan_id: int) -> None:
        """Delete a plan."""
        await self._call("DELETE", f"/plan/{seg(code)}/{ident(plan_id)}")
