"""Search (QQL). Its entities are a ``oneOf`` of six shapes with no discriminator: each
one is decoded into its own type, told apart by the keys only that type has."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeAlias

import attrs

from .cases import TestStep
from .common import Attachment, CustomFieldValue, TagValue
from .results import Result
from .runs import Run


@attrs.frozen(kw_only=True)
class Requirement:
    """A requirement (found by search)."""

    id: int | None = None
    requirement_id: int | None = None
    parent_id: int | None = None
    member_id: int | None = None
    title: str | None = None
    description: str | None = None
    status: str | None = None
    type: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class SearchTestCase:
    """A test case found by search (``test_case_id`` is its id in the project)."""

    __test__ = False

    test_case_id: int | None = None
    id: int | None = None
    position: int | None = None
    title: str | None = None
    description: str | None = None
    preconditions: str | None = None
    postconditions: str | None = None
    severity: int | None = None
    priority: int | None = None
    type: int | None = None
    layer: int | None = None
    is_flaky: int | None = None
    behavior: int | None = None
    automation: int | None = None
    status: int | None = None
    milestone_id: int | None = None
    suite_id: int | None = None
    custom_fields: list[CustomFieldValue] | None = None
    attachments: list[Attachment] | None = None
    steps_type: str | None = None
    steps: list[TestStep] | None = None
    params: dict[str, Any] | None = None
    tags: list[TagValue] | None = None
    member_id: int | None = None
    author_id: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    updated_by: int | None = None


@attrs.frozen(kw_only=True)
class SearchDefect:
    """A defect found by search (``defect_id`` is its id in the project)."""

    defect_id: int | None = None
    id: int | None = None
    title: str | None = None
    actual_result: str | None = None
    severity: str | None = None
    status: str | None = None
    milestone_id: int | None = None
    custom_fields: list[CustomFieldValue] | None = None
    attachments: list[Attachment] | None = None
    resolved: dt.datetime | None = None
    member_id: int | None = None
    author_id: int | None = None
    external_data: str | None = None
    tags: list[TagValue] | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class SearchPlan:
    """A plan found by search (``plan_id`` is its id in the project)."""

    plan_id: int | None = None
    id: int | None = None
    title: str | None = None
    description: str | None = None
    cases_count: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


SearchEntity: TypeAlias = (
    Run | Result | Requirement | SearchTestCase | SearchDefect | SearchPlan | dict[str, Any]
)
"""One entity found by search (a shape no model matches is kept as a dict)."""


def search_entity_type(data: Mapping[str, Any]) -> type[Any] | None:
    """The model of a search entity, chosen by the keys only that shape has.

    Results have a hash; runs have ``run_id`` (and so do results, hence the order);
    plans have ``plan_id`` (which runs may also carry).
    """
    if "test_case_id" in data:
        return SearchTestCase
    if "defect_id" in data:
        return SearchDefect
    if "requirement_id" in data:
        return Requirement
    if "hash" in data or "result_hash" in data:
        return Result
    if "run_id" in data or "status_text" in data or "stats" in data:
        return Run
    if "plan_id" in data:
        return SearchPlan
    return None
