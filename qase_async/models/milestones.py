"""Milestones. ``due_date`` is a date-time on read and Unix seconds on write: give a
``datetime`` to ``MilestoneCreate`` and the client sends the integer."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs


@attrs.frozen(kw_only=True)
class Milestone:
    """A milestone as read."""

    id: int | None = None
    title: str | None = None
    description: str | None = None
    status: str | None = None
    due_date: dt.datetime | None = None
    created: dt.datetime | None = None
    updated: dt.datetime | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class MilestoneCreate:
    """A milestone to create; ``due_date`` is sent as Unix seconds."""

    title: str
    description: str | None = None
    status: Literal["completed", "active"] | None = None
    due_date: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class MilestoneUpdate:
    """The fields of a milestone to change."""

    title: str | None = None
    description: str | None = None
    status: Literal["completed", "active"] | None = None
