"""Environments a run can run in."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class Environment:
    """An environment."""

    id: int | None = None
    title: str | None = None
    description: str | None = None
    slug: str | None = None
    host: str | None = None


@attrs.frozen(kw_only=True)
class EnvironmentCreate:
    """An environment to create."""

    title: str
    slug: str
    description: str | None = None
    host: str | None = None


@attrs.frozen(kw_only=True)
class EnvironmentUpdate:
    """The fields of an environment to change."""

    title: str | None = None
    slug: str | None = None
    description: str | None = None
    host: str | None = None
