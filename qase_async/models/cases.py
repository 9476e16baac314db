"""Test cases.

On read, severity, priority, type, layer, flaky, behavior, automation and status are
integer codes whose meanings come from the system fields; filters take string slugs
instead. Custom fields are read as a list of ``CustomFieldValue`` and written as a map
``{"<field id>": "<value>"}`` (``custom_field``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from .common import Attachment, CustomFieldValue, JiraType, ParameterValues, StepsType, TagValue


@attrs.frozen(kw_only=True)
class TestStep:
    """A step of a case; ``steps`` holds nested steps (the spec leaves them untyped)."""

    __test__ = False  # not a pytest test class

    hash: str | None = None
    shared_step_hash: str | None = None
    shared_step_nested_hash: str | None = None
    position: int | None = None
    action: str | None = None
    expected_result: str | None = None
    data: str | None = None
    attachments: list[Attachment] | None = None
    steps: list[TestStep] | None = None


@attrs.frozen(kw_only=True)
class ExternalIssue:
    """An issue in an external tracker (the link of a run)."""

    id: str | None = None
    type: str | None = None
    link: str | None = None


@attrs.frozen(kw_only=True)
class ExternalIssueRef:
    """One linked issue of a case."""

    id: str | None = None
    link: str | None = None


@attrs.frozen(kw_only=True)
class CaseExternalIssues:
    """The issues of one tracker linked to a case."""

    type: str | None = None
    issues: list[ExternalIssueRef] | None = None


@attrs.frozen(kw_only=True)
class CaseParameter:
    """A parameter of a case as read: ``"single"`` (see ``item``) or ``"group"`` (``items``)."""

    type: str | None = None
    shared_id: str | None = None
    item: ParameterValues | None = None
    items: list[ParameterValues] | None = None


@attrs.frozen(kw_only=True)
class CaseParameterCreate:
    """A parameter of a case to write; set exactly one of the three forms.

    Attributes:
        shared_id: Use a shared parameter (its UUID).
        title: A single parameter's name (with ``values``).
        values: A single parameter's values.
        items: A group of at least two parameters.
    """

    shared_id: str | None = None
    title: str | None = None
    values: list[str] | None = None
    items: list[ParameterValues] | None = None


@attrs.frozen(kw_only=True)
class TestCase:
    """A test case.

    ``params`` (deprecated) arrives as ``[]`` when empty and as ``{name: [values]}``
    otherwise; both decode to a dict. ``created``/``updated``/``deleted`` come in the old
    ``2021-12-30T19:23:59.000000Z`` form; all date-times decode to aware datetimes.
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
    parameters: list[CaseParameter] | None = None
    tags: list[TagValue] | None = None
    member_id: int | None = None
    author_id: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    deleted: dt.datetime | None = None
    created: dt.datetime | None = None
    updated: dt.datetime | None = None
    external_issues: list[CaseExternalIssues] | None = None


@attrs.frozen(kw_only=True)
class TestStepCreate:
    """A step of a case to write; ``steps`` nests further steps.

    Attributes:
        shared: The hash of a shared step to use instead of ``action``.
        attachments: Attachment hashes (from ``client.attachments.upload``).
    """

    __test__ = False

    action: str | None = None
    shared: str | None = None
    expected_result: str | None = None
    data: str | None = None
    value: str | None = None
    position: int | None = None
    attachments: list[str] | None = None
    steps: list[TestStepCreate] | None = None


@attrs.frozen(kw_only=True)
class TestCaseUpdate:
    """The fields of a case to change (unset fields are left as they are).

    Codes (severity, priority, ...) are integers here: see ``client.system_fields``.
    ``custom_field`` is written as ``{"<field id>": "<value>"}``, unlike the list read back.
    """

    __test__ = False

    title: str | None = None
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
    automation: int | None = None
    is_manual: bool | None = None
    is_to_be_automated: bool | None = None
    status: int | None = None
    steps_type: StepsType | None = None
    attachments: list[str] | None = None
    steps: list[TestStepCreate] | None = None
    tags: list[str] | None = None
    params: dict[str, list[str]] | None = None
    parameters: list[CaseParameterCreate] | None = None
    custom_field: dict[str, str] | None = None


@attrs.frozen(kw_only=True)
class TestCaseCreate:
    """A case to create. Codes are integers here (see ``client.system_fields``).

    ``custom_field`` is written as ``{"<field id>": "<value>"}``, unlike the list read back.
    ``created_at``/``updated_at`` (strings, as the spec has them) are for imports.
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
    automation: int | None = None
    is_manual: bool | None = None
    is_to_be_automated: bool | None = None
    status: int | None = None
    steps_type: StepsType | None = None
    attachments: list[str] | None = None
    steps: list[TestStepCreate] | None = None
    tags: list[str] | None = None
    params: dict[str, list[str]] | None = None
    parameters: list[CaseParameterCreate] | None = None
    custom_field: dict[str, str] | None = None
    created_at: str | None = None
    updated_at: str | None = None


@attrs.frozen(kw_only=True)
class CaseIssueLinks:
    """The external issues to link to (or unlink from) one case."""

    case_id: int
    external_issues: list[str]


@attrs.frozen(kw_only=True)
class CaseExternalIssuesUpdate:
    """Links between cases and issues of a Jira integration."""

    type: JiraType
    links: list[CaseIssueLinks]


@attrs.frozen(kw_only=True)
class BulkCreated:
    """The ids of the cases a bulk create made, in order."""

    ids: list[int] = attrs.field(factory=list)
