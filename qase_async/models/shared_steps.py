"""Shared steps (identified by hash)."""

from __future__ import annotations

import datetime as dt

import attrs

from .common import Attachment


@attrs.frozen(kw_only=True)
class SharedStepContent:
    """A step inside a shared step, as read."""

    data: str | None = None
    hash: str | None = None
    action: str | None = None
    expected_result: str | None = None
    attachments: list[Attachment] | None = None
    steps: list[SharedStepContent] | None = None


@attrs.frozen(kw_only=True)
class SharedStep:
    """A shared step as read; ``cases`` are the ids of the cases using it."""

    hash: str | None = None
    title: str | None = None
    action: str | None = None
    expected_result: str | None = None
    steps: list[SharedStepContent] | None = None
    data: str | None = None
    cases: list[int] | None = None
    cases_count: int | None = None
    created: dt.datetime | None = None
    updated: dt.datetime | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class SharedStepContentCreate:
    """A step inside a shared step, to write."""

    action: str
    hash: str | None = None
    expected_result: str | None = None
    data: str | None = None
    attachments: list[str] | None = None
    steps: list[SharedStepContentCreate] | None = None


@attrs.frozen(kw_only=True)
class SharedStepCreate:
    """A shared step to create (or, with the same fields, the new state of one)."""

    title: str
    action: str | None = None
    expected_result: str | None = None
    data: str | None = None
    steps: list[SharedStepContentCreate] | None = None


SharedStepUpdate = SharedStepCreate
"""A shared step's new content: the same fields as :class:`SharedStepCreate`."""
