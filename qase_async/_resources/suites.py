"""``client.suites``."""

from __future__ import annotations

from collections.abc import AsyncIterator

from .._pagination import Page
from ..models import Created, Suite, SuiteCreate
from ._base import Resource, seg


class Suites(Resource):
    """Test suites of a project."""

    async def list(
        self, code: str, *, search: str | None = None, limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Suite]:
        """One page of suites."""
        return await self._page(f"/suite/{seg(code)}", Suite, limit=limit, offset=offset,
                                params={"search": search})

    def iter(self, code: str, *, search: str | None = None) -> AsyncIterator[Suite]:
        """Every suite, paging by itself."""
        return self._iter(f"/suite/{seg(code)}", Suite, {"search": search})

    async def get(self, code: str, suite_id: int) -> Suite:
        """One suite."""
        return await self._get(f"/suite/{seg(code)}/{int(suite_id)}", Suite)  # type: ignore[no-any-return]

    async def create(self, code: str, suite: SuiteCreate) -> int:
        """Create a suite; returns its id."""
        created: Created = await self._send("POST", f"/suite/{seg(code)}", suite, Created)
        return created.id
