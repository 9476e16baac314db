"""Test suites."""

from __future__ import annotations

import datetime as dt

import attrs


@attrs.frozen(kw_only=True)
class Suite:
    """A test suite; suites nest through ``parent_id``."""

    id: int | None = None
    title: str | None = None
    description: str | None = None
    preconditions: str | None = None
    position: int | None = None
    cases_count: int | None = None
    parent_id: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    created: dt.datetime | None = None
    updated: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class SuiteCreate:
    """A suite to create (or the fields of one to update)."""

    title: str
    description: str | None = None
    preconditions: str | None = None
    parent_id: int | None = None


@attrs.frozen(kw_only=True)
class SuiteUpdate:
    """The fields of a suite to change."""

    title: str | None = None
    description: str | None = None
    preconditions: str | None = None
    parent_id: int | None = None


@attrs.frozen(kw_only=True)
class SuiteDelete:
    """Where the cases of a deleted suite go."""

    destination_id: int | None = None
