"""``client.shared_steps``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from .._pagination import Page
from ..models import HashResult, SharedStep, SharedStepCreate, SharedStepUpdate
from ._base import Resource, seg, wire_params


class SharedSteps(Resource):
    """Shared steps of a project (identified by hash)."""

    async def list(
        self,
        code: str,
        *,
        search: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[SharedStep]:
        """One page of shared steps."""
        params = wire_params({"search": search})
        return await self._page(
            f"/shared_step/{seg(code)}", SharedStep, limit=limit, offset=offset, params=params
        )

    def iter(self, code: str, *, search: str | None = None) -> AsyncGenerator[SharedStep, None]:
        """Every matching shared step, paging by itself."""
        return self._iter(f"/shared_step/{seg(code)}", SharedStep, wire_params({"search": search}))

    async def get(self, code: str, hash: str) -> SharedStep:
        """One shared step."""
        return await self._get(f"/shared_step/{seg(code)}/{seg(hash)}", SharedStep)

    async def create(self, code: str, step: SharedStepCreate) -> str:
        """Create a shared step; returns its hash."""
        created: HashResult = await self._send("POST", f"/shared_step/{seg(code)}", step,
                                               HashResult)  # fmt: skip
        return created.hash

    async def update(self, code: str, hash: str, step: SharedStepUpdate) -> None:
        """Replace a shared step (``title`` is required)."""
        await self._call("PATCH", f"/shared_step/{seg(code)}/{seg(hash)}", step)

    async def delete(self, code: str, hash: str) -> None:
        """Delete a shared step."""
        await self._call("DELETE", f"/shared_step/{seg(code)}/{seg(hash)}")
