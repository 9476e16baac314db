"""Test plans."""

from __future__ import annotations

import datetime as dt

import attrs


@attrs.frozen(kw_only=True)
class Plan:
    """A plan as listed."""

    id: int | None = None
    title: str | None = None
    description: str | None = None
    cases_count: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    created: dt.datetime | None = None
    updated: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class PlanCase:
    """A case of a plan and who it is assigned to."""

    case_id: int | None = None
    assignee_id: int | None = None


@attrs.frozen(kw_only=True)
class PlanDetailed(Plan):
    """A plan fetched by id: with its cases and their average time (seconds)."""

    average_time: float | None = None
    cases: list[PlanCase] | None = None


@attrs.frozen(kw_only=True)
class PlanCreate:
    """A plan to create."""

    title: str
    cases: list[int]
    description: str | None = None


@attrs.frozen(kw_only=True)
class PlanUpdate:
    """The fields of a plan to change."""

    title: str | None = None
    description: str | None = None
    cases: list[int] | None = None
