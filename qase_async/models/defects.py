"""Defects. ``severity`` is a name on read (``"critical"``) but an integer code on write."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs

from .common import Attachment, CustomFieldValue, TagValue


@attrs.frozen(kw_only=True)
class Defect:
    """A defect as read."""

    id: int | None = None
    title: str | None = None
    actual_result: str | None = None
    severity: str | None = None
    status: str | None = None
    milestone_id: int | None = None
    custom_fields: list[CustomFieldValue] | None = None
    attachments: list[Attachment] | None = None
    resolved_at: dt.datetime | None = None
    member_id: int | None = None
    author_id: int | None = None
    external_data: str | None = None
    runs: list[int] | None = None
    results: list[str] | None = None
    tags: list[TagValue] | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    created: dt.datetime | None = None
    updated: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class DefectCreate:
    """A defect to create; ``severity`` is an integer code (see the system fields)."""

    title: str
    actual_result: str
    severity: int
    milestone_id: int | None = None
    attachments: list[str] | None = None
    custom_field: dict[str, str] | None = None
    tags: list[str] | None = None


@attrs.frozen(kw_only=True)
class DefectUpdate:
    """The fields of a defect to change."""

    title: str | None = None
    actual_result: str | None = None
    severity: int | None = None
    milestone_id: int | None = None
    attachments: list[str] | None = None
    custom_field: dict[str, str] | None = None
    tags: list[str] | None = None


@attrs.frozen(kw_only=True)
class DefectStatusUpdate:
    """A defect's new status."""

    status: Literal["in_progress", "resolved", "invalid"]
