"""``client.runs``."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from .._pagination import Page
from ..models import (
    PublicLink,
    Run,
    RunCreate,
    RunExternalIssues,
    RunPublic,
    RunStatus,
    RunUpdate,
)
from ._base import Resource, ident, seg, wire_params

__all__ = ["RunStatus", "Runs"]


def _filters(
    search: str | None,
    status: RunStatus | Sequence[RunStatus] | None,
    milestone: int | None,
    environment: int | None,
    from_start_time: dt.datetime | None,
    to_start_time: dt.datetime | None,
    include_cases: bool,
) -> dict[str, Any]:
    return wire_params(
        {
            "search": search,
            "status": status,
            "milestone": milestone,
            "environment": environment,
            "from_start_time": from_start_time,
            "to_start_time": to_start_time,
            "include": "cases" if include_cases else None,
        }
    )


class Runs(Resource):
    """Test runs of a project. ``status`` is an integer code on read, a slug in filters."""

    async def list(
        self,
        code: str,
        *,
        search: str | None = None,
        status: RunStatus | Sequence[RunStatus] | None = None,
        milestone: int | None = None,
        environment: int | None = None,
        from_start_time: dt.datetime | None = None,
        to_start_time: dt.datetime | None = None,
        include_cases: bool = False,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Run]:
        """One page of runs."""
        params = _filters(search, status, milestone, environment, from_start_time,
                          to_start_time, include_cases)  # fmt: skip
        return await self._page(f"/run/{seg(code)}", Run, limit=limit, offset=offset, params=params)

    def iter(
        self,
        code: str,
        *,
        search: str | None = None,
        status: RunStatus | Sequence[RunStatus] | None = None,
        milestone: int | None = None,
        environment: int | None = None,
        from_start_time: dt.datetime | None = None,
        to_start_time: dt.datetime | None = None,
        include_cases: bool = False,
    ) -> AsyncGenerator[Run, None]:
        """Every matching run, paging by itself."""
        params = _filters(search, status, milestone, environment, from_start_time,
                          to_start_time, include_cases)  # fmt: skip
        return self._iter(f"/run/{seg(code)}", Run, params)

    async def get(
        self,
        code: str,
        run_id: int,
        *,
        include_cases: bool = False,
        include_external_issue: bool = False,
    ) -> Run:
        """One run; ``cases`` and ``external_issue`` are filled only when asked for."""
        include = [
            name
            for name, wanted in (
                ("cases", include_cases),
                ("external_issue", include_external_issue),
            )
            if wanted
        ]
        params = wire_params({"include": include or None})
        return await self._get(f"/run/{seg(code)}/{ident(run_id)}", Run, params=params)

    async def create(self, code: str, run: RunCreate) -> int:
        """Create a run; returns its id."""
        return await self._create(f"/run/{seg(code)}", run)

    async def update(self, code: str, run_id: int, changes: RunUpdate) -> None:
        """Change the fields of a run that are set in ``changes``."""
        await self._call("PATCH", f"/run/{seg(code)}/{ident(run_id)}", changes)

    async def delete(self, code: str, run_id: int) -> None:
        """Delete a run and its results."""
        await self._call("DELETE", f"/run/{seg(code)}/{ident(run_id)}")

    async def complete(self, code: str, run_id: int) -> None:
        """Mark a run complete."""
        await self._call("POST", f"/run/{seg(code)}/{ident(run_id)}/complete")

    async def set_public(self, code: str, run_id: int, public: bool) -> str | None:
        """Turn a run's public link on or off; returns the link when on."""
        path = f"/run/{seg(code)}/{ident(run_id)}/public"
        link: PublicLink = await self._send("PATCH", path, RunPublic(status=public), PublicLink)
        return link.url

    async def update_external_issues(self, code: str, links: RunExternalIssues) -> None:
        """Link runs to Jira issues (``external_issue=None`` removes a run's link)."""
        await self._call("POST", f"/run/{seg(code)}/external-issue", links)
