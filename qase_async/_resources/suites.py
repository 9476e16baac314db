"""``client.suites``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from .._pagination import Page
from ..models import Suite, SuiteCreate, SuiteDelete, SuiteUpdate
from ._base import Resource, ident, seg, wire_params


class Suites(Resource):
    """Test suites of a project."""

    async def list(
        self,
        code: str,
        *,
        search: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Suite]:
        """One page of suites."""
        params = wire_params({"search": search})
        return await self._page(
            f"/suite/{seg(code)}", Suite, limit=limit, offset=offset, params=params
        )

    def iter(self, code: str, *, search: str | None = None) -> AsyncGenerator[Suite, None]:
        """Every suite, paging by itself."""
        return self._iter(f"/suite/{seg(code)}", Suite, wire_params({"search": search}))

    async def get(self, code: str, suite_id: int) -> Suite:
        """One suite."""
        return await self._get(f"/suite/{seg(code)}/{ident(suite_id)}", Suite)

    async def create(self, code: str, suite: SuiteCreate) -> int:
        """Create a suite; returns its id."""
        return await self._create(f"/suite/{seg(code)}", suite)

    async def update(self, code: str, suite_id: int, changes: SuiteUpdate) -> None:
        """Change the fields of a suite that are set in ``changes``."""
        await self._call("PATCH", f"/suite/{seg(code)}/{ident(suite_id)}", changes)

    async def delete(self, code: str, suite_id: int, *, destination_id: int | None = None) -> None:
        """Delete a suite; its cases move to ``destination_id`` when given (else deleted)."""
        body = SuiteDelete(destination_id=destination_id) if destination_id is not None else None
        await self._call("DELETE", f"/suite/{seg(code)}/{ident(suite_id)}", body)
