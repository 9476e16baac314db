"""``client.shared_parameters``."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any

from .._pagination import Page
from ..models import (
    SharedParameter,
    SharedParameterCreate,
    SharedParameterId,
    SharedParameterType,
    SharedParameterUpdate,
)
from ._base import Resource, seg, wire_params


def _filters(
    search: str | None, type: SharedParameterType | None, project_codes: Sequence[str] | None
) -> dict[str, Any]:
    return wire_params(
        {
            "filters[search]": search,
            "filters[type]": type,
            "filters[project_codes][]": project_codes,
        }
    )


class SharedParameters(Resource):
    """Shared parameters of the workspace (identified by UUID strings)."""

    async def list(
        self,
        *,
        search: str | None = None,
        type: SharedParameterType | None = None,
        project_codes: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[SharedParameter]:
        """One page of shared parameters."""
        params = _filters(search, type, project_codes)
        return await self._page(
            "/shared_parameter", SharedParameter, limit=limit, offset=offset, params=params
        )

    def iter(
        self,
        *,
        search: str | None = None,
        type: SharedParameterType | None = None,
        project_codes: Sequence[str] | None = None,
    ) -> AsyncGenerator[SharedParameter, None]:
        """Every matching shared parameter, paging by itself."""
        params = _filters(search, type, project_codes)
        return self._iter("/shared_parameter", SharedParameter, params)

    async def get(self, parameter_id: str) -> SharedParameter:
        """One shared parameter."""
        return await self._get(f"/shared_parameter/{seg(parameter_id)}", SharedParameter)

    async def create(self, parameter: SharedParameterCreate) -> str:
        """Create a shared parameter; returns its UUID."""
        created: SharedParameterId = await self._send(
            "POST", "/shared_parameter", parameter, SharedParameterId
        )
        return created.id

    async def update(self, parameter_id: str, changes: SharedParameterUpdate) -> None:
        """Change a shared parameter."""
        await self._call("PATCH", f"/shared_parameter/{seg(parameter_id)}", changes)

    async def delete(self, parameter_id: str) -> None:
        """Delete a shared parameter."""
        await self._call("DELETE", f"/shared_parameter/{seg(parameter_id)}")
