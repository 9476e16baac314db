"""``client.runs``."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

from .._pagination import Page
from ..models import Created, Run, RunCreate
from ._base import Resource, seg

RunStatus = Literal["in_progress", "passed", "failed", "aborted"]


def _epoch(value: dt.datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _filters(
    search: str | None, status: Sequence[RunStatus] | None, milestone: int | None,
    environment: int | None, from_start_time: dt.datetime | None,
    to_start_time: dt.datetime | None, include_cases: bool,
) -> dict[str, Any]:
    return {
        "search": search,
        "status": ",".join(status) if status else None,
        "milestone": milestone,
        "environment": environment,
        "from_start_time": _epoch(from_start_time),
        "to_start_time": _epoch(to_start_time),
        "include": "cases" if include_cases else None,
    }


class Runs(Resource):
    """Test runs of a project."""

    async def list(
        self, code: str, *, search: str | None = None, status: Sequence[RunStatus] | None = None,
        milestone: int | None = None, environment: int | None = None,
        from_start_time: dt.datetime | None = None, to_start_time: dt.datetime | None = None,
        include_cases: bool = False, limit: int | None = None, offset: int | None = None,
    ) -> Page[Run]:
        """One page of runs."""
        params = _filters(search, status, milestone, environment, from_start_time,
                          to_start_time, include_cases)
        return await self._page(f"/run/{seg(code)}", Run, limit=limit, offset=offset,
                                params=params)

    def iter(
        self, code: str, *, search: str | None = None, status: Sequence[RunStatus] | None = None,
        milestone: int | None = None, environment: int | None = None,
        from_start_time: dt.datetime | None = None, to_start_time: dt.datetime | None = None,
        include_cases: bool = False,
    ) -> AsyncIterator[Run]:
        """Every matching run, paging by itself."""
        params = _filters(search, status, milestone, environment, from_start_time,
                          to_start_time, include_cases)
        return self._iter(f"/run/{seg(code)}", Run, params)

    async def get(self, code: str, run_id: int, *, include_cases: bool = False) -> Run:
        """One run."""
        params = {"include": "cases" if include_cases else None}
        return await self._get(f"/run/{seg(code)}/{int(run_id)}", Run, params=params)  # type: ignore[no-any-return]

    async def create(self, code: str, run: RunCreate) -> int:
        """Create a run; returns its id."""
        created: Created = await self._send("POST", f"/run/{seg(code)}", run, Created)
        return created.id

    async def complete(self, code: str, run_id: int) -> None:
        """Mark a run complete."""
        await self._t.request("POST", f"/run/{seg(code)}/{int(run_id)}/complete")
