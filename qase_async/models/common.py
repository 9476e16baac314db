"""Models shared by several resources, and the slug types filters take."""

from __future__ import annotations

from typing import Literal, TypeAlias

import attrs

CaseSeverity: TypeAlias = Literal[
    "undefined", "blocker", "critical", "major", "normal", "minor", "trivial"
]
CasePriority: TypeAlias = Literal["undefined", "high", "medium", "low"]
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
CaseBehavior: TypeAlias = Literal["undefined", "positive", "negative", "destructive"]
CaseAutomation: TypeAlias = Literal["is-not-automated", "automated", "to-be-automated"]
CaseStatus: TypeAlias = Literal["actual", "draft", "deprecated"]
StepsType: TypeAlias = Literal["classic", "gherkin"]
RunStatus: TypeAlias = Literal["in_progress", "passed", "failed", "aborted"]
ResultStatus: TypeAlias = Literal[
    "in_progress", "passed", "failed", "blocked", "skipped", "invalid"
]
StepStatus: TypeAlias = Literal["passed", "failed", "blocked", "in_progress"]
DefectStatus: TypeAlias = Literal["open", "resolved", "in_progress", "invalid"]
AuthorType: TypeAlias = Literal["app", "user"]
CustomFieldEntity: TypeAlias = Literal["case", "run", "defect"]
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
ReviewStatus: TypeAlias = Literal["open", "merged", "declined"]
ReviewType: TypeAlias = Literal["create", "edit"]
SharedParameterType: TypeAlias = Literal["single", "group"]
JiraType: TypeAlias = Literal["jira-cloud", "jira-server"]
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
