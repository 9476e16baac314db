"""``client.environments``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from .._pagination import Page
from ..models import Environment, EnvironmentCreate, EnvironmentUpdate
from ._base import Resource, ident, seg, wire_params


class Environments(Resource):
    """Environments of a project."""

    async def list(
        self,
        code: str,
        *,
        search: str | None = None,
        slug: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Environment]:
        """One page of environments (``search`` in titles, ``slug`` exact)."""
        params = wire_params({"search": search, "slug": slug})
        return await self._page(
            f"/environment/{seg(code)}", Environment, limit=limit, offset=offset, params=params
        )

    def iter(
        self, code: str, *, search: str | None = None, slug: str | None = None
    ) -> AsyncGenerator[Environment, None]:
        """Every matching environment, paging by itself."""
        params = wire_params({"search": search, "slug": slug})
        return self._iter(f"/environment/{seg(code)}", Environment, params)

    async def get(self, code: str, environment_id: int) -> Environment:
        """One environment."""
        return await self._get(f"/environment/{seg(code)}/{ident(environment_id)}", Environment)

    async def create(self, code: str, environment: EnvironmentCreate) -> int:
        """Create an environment; returns its id."""
        return await self._create(f"/environment/{seg(code)}", environment)

    async def update(self, code: str, environment_id: int, changes: EnvironmentUpdate) -> None:
        """Change an environment."""
        await self._call("PATCH", f"/environment/{seg(code)}/{ident(environment_id)}", changes)

    async def delete(self, code: str, environment_id: int) -> None:
        """Delete an environment."""
        await self._call("DELETE", f"/environment/{seg(code)}/{ident(environment_id)}")
