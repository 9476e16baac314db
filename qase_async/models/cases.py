"""Test cases.

On read, severity, priority, type, layer, flaky, behavior and status are integer codes
whose meanings come from the system fields; filters take string slugs instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from .common import Attachment, CustomFieldValue, TagValue


@attrs.frozen(kw_only=True)
class TestStep:
    """A step of a case. ``steps`` holds nested steps as untyped objects, as the spec does."""

    __test__ = False  # not a pytest test class

    hash: str | None = None
    shared_step_hash: str | None = None
    shared_step_nested_hash: str | None = None
    position: int | None = None
    action: str | None = None
    expected_result: str | None = None
    data: str | None = None
    attachments: list[Attachment] | None = None
    steps: list[dict[str, Any]] | None = None


@attrs.frozen(kw_only=True)
class ExternalIssue:
    """An issue in an external tracker linked to a case."""

    id: str | None = None
    type: str | None = None
    link: str | None = None


@attrs.frozen(kw_only=True)
class TestCase:
    """A test case.

    ``params`` arrives as ``[]`` when empty and as ``{name: [values]}`` otherwise; both
    decode to a dict.
    """

    __test__ = False

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
    is_manual: bool | None = None
    is_to_be_automated: bool | None = None
    status: int | None = None
    milestone_id: int | None = None
    suite_id: int | None = None
    custom_fields: list[CustomFieldValue] | None = None
    attachments: list[Attachment] | None = None
    steps_type: str | None = None
    steps: list[TestStep] | None = None
    params: dict[str, Any] | None = None
    parameters: list[dict[str, Any]] | None = None
    tags: list[TagValue] | None = None
    member_id: int | None = None
    author_id: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    deleted: str | None = None
    created: dt.datetime | None = None
    updated: dt.datetime | None = None
    external_issues: list[ExternalIssue] | None = None


@attrs.frozen(kw_only=True)
class TestStepCreate:
    """A step of a case to create; ``steps`` nests further steps."""

    __test__ = False

    action: str | None = None
    expected_result: str | None = None
    data: str | None = None
    position: int | None = None
    attachments: list[str] | None = None
    steps: list[dict[str, Any]] | None = None


@attrs.frozen(kw_only=True)
class TestCaseCreate:
    """A case to create. Codes are integers here (see the system fields).

    ``custom_field`` is written as ``{"<field id>": "<value>"}``, unlike the list read back.
    """

    __test__ = False

    title: str
    description: str | None = None
    preconditions: str | None = None
    postconditions: str | None = None
    severity: int | None = None
    priority: int | None = None
    behavior: int | None = None
    type: int | None = None
    layer: int | None = None
    is_flaky: int | None = None
    suite_id: int | None = None
    milestone_id: int | None = None
    is_manual: bool | None = None
    is_to_be_automated: bool | None = None
    status: int | None = None
    steps_type: str | None = None
    attachments: list[str] | None = None
    steps: list[TestStepCreate] | None = None
    tags: list[str] | None = None
    params: dict[str, list[str]] | None = None
    custom_field: dict[str, str] | None = None
