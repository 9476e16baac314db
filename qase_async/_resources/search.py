"""``client.search``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from .._pagination import Page
from ..models import SearchEntity
from ._base import Resource, wire_params


class Search(Resource):
    """Search with the Qase Query Language (QQL).

    Each entity found is decoded into its own type (``Run``, ``Result``, ``Requirement``,
    ``SearchTestCase``, ``SearchDefect`` or ``SearchPlan``): use ``isinstance`` or
    ``match`` to tell them apart.
    """

    async def list(
        self, *, query: str, limit: int | None = None, offset: int | None = None
    ) -> Page[SearchEntity]:
        """One page of what ``query`` finds, e.g. ``'entity = "case" and project = "DEMO"'``."""
        return await self._page("/search", SearchEntity, limit=limit, offset=offset,  # type: ignore[arg-type]
                                params=wire_params({"query": query}))  # fmt: skip

    def iter(self, *, query: str) -> AsyncGenerator[SearchEntity, None]:
        """Everything ``query`` finds, paging by itself."""
        return self._iter("/search", SearchEntity, wire_params({"query": query}))  # type: ignore[arg-type]
