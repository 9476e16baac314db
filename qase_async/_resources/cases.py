"""``client.cases``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from .._pagination import Page
from ..models import Created, TestCase, TestCaseCreate
from ._base import Resource, seg


def _filters(
    search: str | None, milestone_id: int | None, suite_id: int | None,
    severity: str | None, priority: str | None, type: str | None, behavior: str | None,
    automation: str | None, status: str | None,
) -> dict[str, Any]:
    return {
        "search": search, "milestone_id": milestone_id, "suite_id": suite_id,
        "severity": severity, "priority": priority, "type": type, "behavior": behavior,
        "automation": automation, "status": status,
    }


class Cases(Resource):
    """Test cases of a project. Filters take slugs (``severity="critical"``), not codes."""

    async def list(
        self, code: str, *, search: str | None = None, milestone_id: int | None = None,
        suite_id: int | None = None, severity: str | None = None, priority: str | None = None,
        type: str | None = None, behavior: str | None = None, automation: str | None = None,
        status: str | None = None, limit: int | None = None, offset: int | None = None,
    ) -> Page[TestCase]:
        """One page of cases."""
        params = _filters(search, milestone_id, suite_id, severity, priority, type, behavior,
                          automation, status)
        return await self._page(f"/case/{seg(code)}", TestCase, limit=limit, offset=offset,
                                params=params)

    def iter(
        self, code: str, *, search: str | None = None, milestone_id: int | None = None,
        suite_id: int | None = None, severity: str | None = None, priority: str | None = None,
        type: str | None = None, behavior: str | None = None, automation: str | None = None,
        status: str | None = None,
    ) -> AsyncIterator[TestCase]:
        """Every matching case, paging by itself (pages fetched concurrently)."""
        params = _filters(search, milestone_id, suite_id, severity, priority, type, behavior,
                          automation, status)
        return self._iter(f"/case/{seg(code)}", TestCase, params)

    async def get(self, code: str, case_id: int) -> TestCase:
        """One case."""
        return await self._get(f"/case/{seg(code)}/{int(case_id)}", TestCase)  # type: ignore[no-any-return]

    async def create(self, code: str, case: TestCaseCreate) -> int:
        """Create a case; returns its id."""
        created: Created = await self._send("POST", f"/case/{seg(code)}", case, Created)
        return created.id
