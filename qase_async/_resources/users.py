"""``client.users``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from .._pagination import Page
from ..models import User
from ._base import Resource, ident


class Users(Resource):
    """Users of the workspace."""

    async def list(self, *, limit: int | None = None, offset: int | None = None) -> Page[User]:
        """One page of users."""
        return await self._page("/user", User, limit=limit, offset=offset, params={})

    def iter(self) -> AsyncGenerator[User, None]:
        """Every user, paging by itself."""
        return self._iter("/user", User, {})

    async def get(self, user_id: int) -> User:
        """One user."""
        return await self._get(f"/user/{ident(user_id)}", User)
