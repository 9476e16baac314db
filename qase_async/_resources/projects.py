"""``client.projects``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from .._pagination import Page
from ..models import Project, ProjectAccess, ProjectCode, ProjectCreate
from ._base import Resource, seg


class Projects(Resource):
    """Projects of the workspace."""

    async def list(self, *, limit: int | None = None, offset: int | None = None) -> Page[Project]:
        """One page of projects."""
        return await self._page("/project", Project, limit=limit, offset=offset, params={})

    def iter(self) -> AsyncGenerator[Project, None]:
        """Every project, paging by itself."""
        return self._iter("/project", Project, {})

    async def get(self, code: str) -> Project:
        """The project with this code."""
        return await self._get(f"/project/{seg(code)}", Project)

    async def create(self, project: ProjectCreate) -> str:
        """Create a project; returns its code."""
        created: ProjectCode = await self._send("POST", "/project", project, ProjectCode)
        return created.code

    async def delete(self, code: str) -> None:
        """Delete a project and everything in it."""
        await self._call("DELETE", f"/project/{seg(code)}")

    async def grant_access(self, code: str, member_id: int) -> None:
        """Give a member access to the project."""
        await self._call("POST", f"/project/{seg(code)}/access", ProjectAccess(member_id=member_id))

    async def revoke_access(self, code: str, member_id: int) -> None:
        """Take a member's access to the project away (a DELETE with a body)."""
        await self._call(
            "DELETE", f"/project/{seg(code)}/access", ProjectAccess(member_id=member_id)
        )
