"""Test results, v1 (read and write) and v2 (write; idempotent through ``id``).

Step status is an integer on read (``TestStepResult.status``) and a string slug on write
(``TestStepResultCreate.status``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs

from .common import Attachment, StepStatus


@attrs.frozen(kw_only=True)
class TestStepResult:
    """A step's result as read: ``status`` is an integer code (1, 2, 3, 5, 7)."""

    __test__ = False

    status: int | None = None
    position: int | None = None
    comment: str | None = None
    start_time: int | None = None
    end_time: int | None = None
    duration_ms: int | None = None
    attachments: list[Attachment] | None = None
    steps: list[TestStepResult] | None = None


@attrs.frozen(kw_only=True)
class Result:
    """A result as read (v1)."""

    hash: str | None = None
    result_hash: str | None = None
    comment: str | None = None
    stacktrace: str | None = None
    run_id: int | None = None
    case_id: int | None = None
    steps: list[TestStepResult] | None = None
    status: str | None = None
    is_api_result: bool | None = None
    time_spent_ms: int | None = None
    end_time: dt.datetime | None = None
    attachments: list[Attachment] | None = None


@attrs.frozen(kw_only=True)
class TestStepResultCreate:
    """A step's result to write: ``status`` is a slug (``"passed"``, ``"failed"``, ...)."""

    __test__ = False

    status: StepStatus
    position: int | None = None
    comment: str | None = None
    attachments: list[str] | None = None
    action: str | None = None
    expected_result: str | None = None
    data: str | None = None
    steps: list[TestStepResultCreate] | None = None


@attrs.frozen(kw_only=True)
class ResultCase:
    """A case described inline instead of ``case_id`` (severity etc. are slugs here)."""

    title: str | None = None
    suite_title: str | None = None
    description: str | None = None
    preconditions: str | None = None
    postconditions: str | None = None
    layer: str | None = None
    severity: str | None = None
    priority: str | None = None


@attrs.frozen(kw_only=True)
class ResultCreate:
    """A v1 result to write. ``status``: passed, failed, blocked, skipped, invalid or custom.

    v1 has no idempotency key: a retried create may duplicate the result, so the client
    does not retry it after the request may have reached the service.
    """

    status: str
    case_id: int | None = None
    case: ResultCase | None = None
    start_time: int | None = None
    time: int | None = None
    time_ms: int | None = None
    defect: bool | None = None
    attachments: list[str] | None = None
    stacktrace: str | None = None
    comment: str | None = None
    param: dict[str, str] | None = None
    param_groups: list[list[str]] | None = None
    steps: list[TestStepResultCreate] | None = None
    author_id: int | None = None


@attrs.frozen(kw_only=True)
class ResultExecution:
    """How a v2 result ran. Times are Unix epoch seconds (float); ``duration`` is in ms."""

    status: str
    start_time: float | None = None
    end_time: float | None = None
    duration: int | None = None
    stacktrace: str | None = None
    error_context: str | None = None
    thread: str | None = None


@attrs.frozen(kw_only=True)
class ResultStepData:
    """What a v2 step did."""

    action: str
    expected_result: str | None = None
    input_data: str | None = None
    attachments: list[str] | None = None


@attrs.frozen(kw_only=True)
class ResultStepExecution:
    """How a v2 step ran."""

    status: Literal["passed", "failed", "blocked", "skipped", "in_progress"]
    start_time: float | None = None
    end_time: float | None = None
    duration: int | None = None
    comment: str | None = None
    attachments: list[str] | None = None


@attrs.frozen(kw_only=True)
class ResultStep:
    """A v2 step; ``steps`` nests further steps of the same shape."""

    data: ResultStepData | None = None
    execution: ResultStepExecution | None = None
    steps: list[ResultStep] | None = None


@attrs.frozen(kw_only=True)
class RelationSuiteItem:
    """One level of the suite path of a v2 result."""

    title: str
    public_id: int | None = None


@attrs.frozen(kw_only=True)
class RelationSuite:
    """The suite path of a v2 result, outermost first."""

    data: list[RelationSuiteItem]


@attrs.frozen(kw_only=True)
class ResultRelations:
    """Where a v2 result belongs."""

    suite: RelationSuite | None = None


@attrs.frozen(kw_only=True)
class ResultCreateV2:
    """A v2 result to write.

    Attributes:
        id: The idempotency key: a retried request with the same ids creates nothing new.
            The client fills it with a random UUID when you leave it ``None``.
    """

    title: str
    execution: ResultExecution
    id: str | None = None
    signature: str | None = None
    testops_id: int | None = None
    testops_ids: list[int] | None = None
    fields: dict[str, str] | None = None
    attachments: list[str] | None = None
    steps: list[ResultStep] | None = None
    steps_type: Literal["classic", "gherkin"] | None = None
    params: dict[str, str] | None = None
    param_groups: list[list[str]] | None = None
    relations: ResultRelations | None = None
    message: str | None = None
    defect: bool | None = None


@attrs.frozen(kw_only=True)
class ResultUpdate:
    """The fields of a v1 result to change."""

    status: Literal["in_progress", "passed", "failed", "blocked", "skipped"] | None = None
    time_ms: int | None = None
    defect: bool | None = None
    attachments: list[str] | None = None
    stacktrace: str | None = None
    comment: str | None = None
    steps: list[TestStepResultCreate] | None = None


@attrs.frozen(kw_only=True)
class ResultCreated:
    """What creating a result answers: its hash and the case it was filed under."""

    hash: str | None = None
    case_id: int | None = None
