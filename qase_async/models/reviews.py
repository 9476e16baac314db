"""Reviews of proposed case changes.

Unlike ``TestCase``, the proposed cases of reviews spell ``is_manual`` and
``is_to_be_automated`` in snake_case on the wire. Proposed cases carry integer codes
(like ``TestCaseCreate``); on read ``custom_fields`` is a list, on write ``custom_field``
is a map.
"""

from __future__ import annotations

import datetime as dt

import attrs

from .cases import CaseParameter, CaseParameterCreate
from .common import CustomFieldValue, StepsType


@attrs.frozen(kw_only=True)
class Reviewer:
    """A reviewer of a review and their verdict."""

    author_uuid: str | None = None
    status: str | None = None


@attrs.frozen(kw_only=True)
class Review:
    """A review as listed."""

    id: int | None = None
    title: str | None = None
    type: str | None = None
    status: str | None = None
    case_id: int | None = None
    author_uuid: str | None = None
    reviewers: list[Reviewer] | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class ReviewProposedStep:
    """A step of a proposed case, as read."""

    action: str | None = None
    expected_result: str | None = None
    data: str | None = None
    value: str | None = None
    shared: str | None = None
    attachments: list[str] | None = None
    steps: list[ReviewProposedStep] | None = None


@attrs.frozen(kw_only=True)
class ReviewProposedCase:
    """The case a review proposes, as read."""

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
    is_muted: bool | None = None
    suite_id: int | None = None
    milestone_id: int | None = None
    is_manual: bool | None = None
    is_to_be_automated: bool | None = None
    status: int | None = None
    steps_type: str | None = None
    attachments: list[str] | None = None
    steps: list[ReviewProposedStep] | None = None
    tags: list[str] | None = None
    parameters: list[CaseParameter] | None = None
    custom_fields: list[CustomFieldValue] | None = None


@attrs.frozen(kw_only=True)
class ReviewDetailed(Review):
    """A review fetched by id, with the case it proposes."""

    proposed_case: ReviewProposedCase | None = None


@attrs.frozen(kw_only=True)
class ReviewStepData:
    """A step of a proposed case to write."""

    action: str | None = None
    shared: str | None = None
    expected_result: str | None = None
    data: str | None = None
    value: str | None = None
    attachments: list[str] | None = None
    steps: list[ReviewStepData] | None = None


@attrs.frozen(kw_only=True)
class ReviewCaseData:
    """The case a review proposes, to write (codes are integers)."""

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
    is_muted: bool | None = None
    suite_id: int | None = None
    milestone_id: int | None = None
    is_manual: bool | None = None
    is_to_be_automated: bool | None = None
    status: int | None = None
    steps_type: StepsType | None = None
    attachments: list[str] | None = None
    steps: list[ReviewStepData] | None = None
    tags: list[str] | None = None
    parameters: list[CaseParameterCreate] | None = None
    custom_field: dict[str, str] | None = None


@attrs.frozen(kw_only=True)
class ReviewCreate:
    """A review to open: on ``case_id`` (an edit) or on a new case (no ``case_id``)."""

    proposed_case: ReviewCaseData
    case_id: int | None = None
    reviewers: list[str] | None = None


@attrs.frozen(kw_only=True)
class ReviewUpdate:
    """The fields of a review to change."""

    reviewers: list[str] | None = None
    proposed_case: ReviewCaseData | None = None


@attrs.frozen(kw_only=True)
class ReviewBulkItem:
    """The outcome of one review of a bulk create: ``error`` is set when it failed."""

    review_id: int | None = None
    case_id: int | None = None
    error: str | None = None


@attrs.frozen(kw_only=True)
class ReviewBulkResult:
    """The outcomes of a bulk create, in order."""

    items: list[ReviewBulkItem] = attrs.field(factory=list)
