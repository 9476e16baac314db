"""Models shared by several resources, and the slug types filters take."""

from __future__ import annotations

from typing import Literal, TypeAlias

import attrs

CaseSeverity: TypeAlias = Literal[
    "undefined", "blocker", "critical", "major", "normal", "minor", "trivial"
]
"""A case's severity slug, for filters and v1 results (cases themselves carry an integer code)."""
CasePriority: TypeAlias = Literal["undefined", "high", "medium", "low"]
"""A case's priority slug, for filters."""
CaseType: TypeAlias = Literal[
    "other",
    "functional",
    "smoke",
    "regression",
    "security",
    "usability",
    "performance",
    "acceptance",
]
"""A case's type slug, for filters."""
CaseBehavior: TypeAlias = Literal["undefined", "positive", "negative", "destructive"]
"""A case's behavior slug, for filters."""
CaseAutomation: TypeAlias = Literal["is-not-automated", "automated", "to-be-automated"]
"""A case's automation slug, for filters."""
CaseStatus: TypeAlias = Literal["actual", "draft", "deprecated"]
"""A case's status slug, for filters."""
StepsType: TypeAlias = Literal["classic", "gherkin"]
"""How a v2 result's steps are written: plain steps or Gherkin."""
RunStatus: TypeAlias = Literal["in_progress", "passed", "failed", "aborted"]
"""A run's status slug, for filters (read models carry an integer code)."""
ResultStatus: TypeAlias = Literal[
    "in_progress", "passed", "failed", "blocked", "skipped", "invalid"
]
"""A result's status slug, for filters and written results."""
StepStatus: TypeAlias = Literal["passed", "failed", "blocked", "in_progress"]
"""A step result's status slug, as written."""
DefectStatus: TypeAlias = Literal["open", "resolved", "in_progress", "invalid"]
"""A defect's status slug."""
AuthorType: TypeAlias = Literal["app", "user"]
"""Whether an author is an app (an API token) or a user."""
CustomFieldEntity: TypeAlias = Literal["case", "run", "defect"]
"""What a custom field belongs to, as read."""
CustomFieldType: TypeAlias = Literal[
    "string",
    "text",
    "number",
    "checkbox",
    "selectbox",
    "radio",
    "multiselect",
    "url",
    "user",
    "datetime",
]
"""A custom field's type, as read."""
ReviewStatus: TypeAlias = Literal["open", "merged", "declined"]
"""A review's status slug."""
ReviewType: TypeAlias = Literal["create", "edit"]
"""Whether a review proposes a new case or edits one."""
SharedParameterType: TypeAlias = Literal["single", "group"]
"""A shared parameter with one list of values, or a group of them."""
JiraType: TypeAlias = Literal["jira-cloud", "jira-server"]
"""Which Jira an external issue lives in."""
IntegrationType: TypeAlias = Literal[
    "asana",
    "azure-devops",
    "clickup-app",
    "github-app",
    "gitlab-app",
    "jira-cloud",
    "jira-server",
    "linear",
    "monday",
    "redmine-app",
    "trello-app",
    "youtrack-app",
]
"""An issue-tracker integration's slug."""


@attrs.frozen(kw_only=True)
class Attachment:
    """A file attached to an entity (``hash`` is given where the spec's AttachmentHash is)."""

    size: int | None = None
    mime: str | None = None
    filename: str | None = None
    url: str | None = None
    hash: str | None = None


@attrs.frozen(kw_only=True)
class CustomFieldValue:
    """A custom field's value as the service returns it (on write: ``{"<id>": "<value>"}``)."""

    id: int | None = None
    value: str | None = None


@attrs.frozen(kw_only=True)
class TagValue:
    """A tag on a case, run or defect."""

    title: str | None = None
    internal_id: int | None = None


@attrs.frozen(kw_only=True)
class Created:
    """The ``{id}`` most create operations answer with."""

    id: int


@attrs.frozen(kw_only=True)
class ProjectCode:
    """The ``{code}`` project creation answers with."""

    code: str


@attrs.frozen(kw_only=True)
class HashResult:
    """The ``{hash}`` some operations answer with."""

    hash: str


@attrs.frozen(kw_only=True)
class ParameterValues:
    """One parameter: its title and its values."""

    title: str
    values: list[str]
