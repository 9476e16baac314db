"""Projects."""

from __future__ import annotations

from typing import Any, Literal

import attrs


@attrs.frozen(kw_only=True)
class RunCounts:
    """Runs in a project."""

    total: int | None = None
    active: int | None = None


@attrs.frozen(kw_only=True)
class DefectCounts:
    """Defects in a project."""

    total: int | None = None
    open: int | None = None


@attrs.frozen(kw_only=True)
class ProjectCounts:
    """How many entities a project holds."""

    cases: int | None = None
    suites: int | None = None
    milestones: int | None = None
    runs: RunCounts | None = None
    defects: DefectCounts | None = None


@attrs.frozen(kw_only=True)
class Project:
    """A project, identified by its ``code``."""

    title: str | None = None
    code: str | None = None
    counts: ProjectCounts | None = None


@attrs.frozen(kw_only=True)
class ProjectCreate:
    """A project to create.

    Attributes:
        code: 2 to 10 latin letters, unique in the workspace.
        access: Who may see it: ``"all"``, ``"group"`` or ``"none"``.
        group: The team group hash, required when ``access="group"``.
    """

    title: str
    code: str
    description: str | None = None
    access: Literal["all", "group", "none"] | None = None
    group: str | None = None
    settings: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class ProjectAccess:
    """The member to grant (or revoke) access to a project."""

    member_id: int
