"""``client.cases``."""

from __future__ import annotations

import builtins
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from .._converter import structure, unstructure
from .._pagination import Page
from ..models import (
    BulkCreated,
    CaseAutomation,
    CaseBehavior,
    CaseExternalIssuesUpdate,
    CasePriority,
    CaseSeverity,
    CaseStatus,
    CaseType,
    IntegrationType,
    TestCase,
    TestCaseCreate,
    TestCaseUpdate,
)
from ._base import Resource, ident, seg, wire_params

Slugs = str | Sequence[str] | None


def _filters(
    search: str | None,
    milestone_id: int | None,
    suite_id: int | None,
    severity: Slugs,
    priority: Slugs,
    type: Slugs,
    behavior: Slugs,
    automation: Slugs,
    status: Slugs,
    external_issues_type: IntegrationType | None,
    external_issues_ids: Sequence[str] | None,
    include_external_issues: bool,
) -> dict[str, Any]:
    return wire_params(
        {
            "search": search,
            "milestone_id": milestone_id,
            "suite_id": suite_id,
            "severity": severity,
            "priority": priority,
            "type": type,
            "behavior": behavior,
            "automation": automation,
            "status": status,
            "external_issues[type]": external_issues_type,
            "external_issues[ids][]": external_issues_ids,
            "include": "external_issues" if include_external_issues else None,
        }
    )


class Cases(Resource):
    """Test cases of a project.

    Filters take slugs (``severity="critical"`` or ``severity=["critical", "major"]``),
    while cases read back carry integer codes (see ``client.system_fields``).
    """

    async def list(
        self,
        code: str,
        *,
        search: str | None = None,
        milestone_id: int | None = None,
        suite_id: int | None = None,
        severity: CaseSeverity | Sequence[CaseSeverity] | None = None,
        priority: CasePriority | Sequence[CasePriority] | None = None,
        type: CaseType | Sequence[CaseType] | None = None,
        behavior: CaseBehavior | Sequence[CaseBehavior] | None = None,
        automation: CaseAutomation | Sequence[CaseAutomation] | None = None,
        status: CaseStatus | Sequence[CaseStatus] | None = None,
        external_issues_type: IntegrationType | None = None,
        external_issues_ids: Sequence[str] | None = None,
        include_external_issues: bool = False,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[TestCase]:
        """One page of cases."""
        params = _filters(search, milestone_id, suite_id, severity, priority, type, behavior,
                          automation, status, external_issues_type, external_issues_ids,
                          include_external_issues)  # fmt: skip
        return await self._page(
            f"/case/{seg(code)}", TestCase, limit=limit, offset=offset, params=params
        )

    def iter(
        self,
        code: str,
        *,
        search: str | None = None,
        milestone_id: int | None = None,
        suite_id: int | None = None,
        severity: CaseSeverity | Sequence[CaseSeverity] | None = None,
        priority: CasePriority | Sequence[CasePriority] | None = None,
        type: CaseType | Sequence[CaseType] | None = None,
        behavior: CaseBehavior | Sequence[CaseBehavior] | None = None,
        automation: CaseAutomation | Sequence[CaseAutomation] | None = None,
        status: CaseStatus | Sequence[CaseStatus] | None = None,
        external_issues_type: IntegrationType | None = None,
        external_issues_ids: Sequence[str] | None = None,
        include_external_issues: bool = False,
    ) -> AsyncGenerator[TestCase, None]:
        """Every matching case, paging by itself (pages fetched concurrently)."""
        params = _filters(search, milestone_id, suite_id, severity, priority, type, behavior,
                          automation, status, external_issues_type, external_issues_ids,
                          include_external_issues)  # fmt: skip
        return self._iter(f"/case/{seg(code)}", TestCase, params)

    async def get(
        self, code: str, case_id: int, *, include_external_issues: bool = False
    ) -> TestCase:
        """One case."""
        params = wire_params({"include": "external_issues" if include_external_issues else None})
        return await self._get(f"/case/{seg(code)}/{ident(case_id)}", TestCase, params=params)

    async def create(self, code: str, case: TestCaseCreate) -> int:
        """Create a case; returns its id."""
        return await self._create(f"/case/{seg(code)}", case)

    async def create_bulk(self, code: str, cases: Sequence[TestCaseCreate]) -> builtins.list[int]:
        """Create many cases in one request; returns their ids, in order."""
        body = {"cases": [unstructure(c) for c in cases]}
        result = await self._t.request("POST", f"/case/{seg(code)}/bulk", json_body=body)
        return structure(result, BulkCreated).ids

    async def update(self, code: str, case_id: int, changes: TestCaseUpdate) -> None:
        """Change the fields of a case that are set in ``changes``."""
        await self._call("PATCH", f"/case/{seg(code)}/{ident(case_id)}", changes)

    async def delete(self, code: str, case_id: int) -> None:
        """Delete a case."""
        await self._call("DELETE", f"/case/{seg(code)}/{ident(case_id)}")

    async def attach_external_issues(self, code: str, links: CaseExternalIssuesUpdate) -> None:
        """Link cases to issues of a Jira integration."""
        await self._call("POST", f"/case/{seg(code)}/external-issue/attach", links)

    async def detach_external_issues(self, code: str, links: CaseExternalIssuesUpdate) -> None:
        """Unlink cases from issues of a Jira integration."""
        await self._call("POST", f"/case/{seg(code)}/external-issue/detach", links)
