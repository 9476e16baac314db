"""Test runs."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs

from .cases import ExternalIssue
from .common import CustomFieldValue, JiraType, TagValue


@attrs.frozen(kw_only=True)
class RunStats:
    """Result counts of a run; ``statuses`` maps status slugs to counts."""

    total: int | None = None
    statuses: dict[str, int] | None = None
    untested: int | None = None
    passed: int | None = None
    failed: int | None = None
    blocked: int | None = None
    skipped: int | None = None
    retest: int | None = None
    in_progress: int | None = None
    invalid: int | None = None


@attrs.frozen(kw_only=True)
class RunEnvironment:
    """The environment a run ran in."""

    title: str | None = None
    description: str | None = None
    slug: str | None = None
    host: str | None = None


@attrs.frozen(kw_only=True)
class RunMilestone:
    """The milestone of a run."""

    title: str | None = None
    description: str | None = None


@attrs.frozen(kw_only=True)
class Run:
    """A test run. ``status`` is an integer code on read; ``time_spent`` is in ms."""

    id: int | None = None
    run_id: int | None = None
    title: str | None = None
    description: str | None = None
    status: int | None = None
    status_text: str | None = None
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    public: bool | None = None
    stats: RunStats | None = None
    time_spent: int | None = None
    elapsed_time: int | None = None
    environment: RunEnvironment | None = None
    milestone: RunMilestone | None = None
    custom_fields: list[CustomFieldValue] | None = None
    tags: list[TagValue] | None = None
    cases: list[int] | None = None
    plan_id: int | None = None
    configurations: list[int] | None = None
    external_issue: ExternalIssue | None = None


@attrs.frozen(kw_only=True)
class RunCreate:
    """A run to create. ``start_time``/``end_time`` are sent as ``YYYY-MM-DD HH:MM:SS``."""

    title: str
    description: str | None = None
    include_all_cases: bool | None = None
    cases: list[int] | None = None
    is_autotest: bool | None = None
    environment_id: int | None = None
    environment_slug: str | None = None
    milestone_id: int | None = None
    plan_id: int | None = None
    author_id: int | None = None
    tags: list[str] | None = None
    configurations: list[int] | None = None
    custom_field: dict[str, str] | None = None
    start_time: str | None = None
    end_time: str | None = None
    is_cloud: bool | None = None
    cloud_run_config: CloudRunConfig | None = None


@attrs.frozen(kw_only=True)
class CloudRunConfig:
    """How a cloud run runs."""

    browser: Literal["chromium", "firefox", "webkit"] | None = None


@attrs.frozen(kw_only=True)
class RunUpdate:
    """The fields of a run to change. ``custom_field`` maps field ids to values."""

    title: str | None = None
    description: str | None = None
    environment_id: int | None = None
    environment_slug: str | None = None
    milestone_id: int | None = None
    tags: list[str] | None = None
    configurations: list[int] | None = None
    custom_field: dict[str, str] | None = None


@attrs.frozen(kw_only=True)
class RunPublic:
    """Whether a run has a public link."""

    status: bool


@attrs.frozen(kw_only=True)
class PublicLink:
    """The public link of a run (``None`` when it was turned off)."""

    url: str | None = None


@attrs.frozen(kw_only=True)
class RunIssueLink:
    """The external issue of one run; ``external_issue=None`` removes the link."""

    run_id: int
    external_issue: str | None


@attrs.frozen(kw_only=True)
class RunExternalIssues:
    """Links between runs and issues of a Jira integration."""

    type: JiraType
    links: list[RunIssueLink]
