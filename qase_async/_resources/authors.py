"""``client.authors``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from .._pagination import Page
from ..models import Author, AuthorType
from ._base import Resource, seg, wire_params


class Authors(Resource):
    """Authors: members and apps that create entities."""

    async def list(
        self,
        *,
        search: str | None = None,
        type: AuthorType | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Author]:
        """One page of authors."""
        params = wire_params({"search": search, "type": type})
        return await self._page("/author", Author, limit=limit, offset=offset, params=params)

    def iter(
        self, *, search: str | None = None, type: AuthorType | None = None
    ) -> AsyncGenerator[Author, None]:
        """Every matching author, paging by itself."""
        return self._iter("/author", Author, wire_params({"search": search, "type": type}))

    async def get(self, author_id: int | str) -> Author:
        """One author (the path takes the id as a string)."""
        return await self._get(f"/author/{seg(author_id)}", Author)
