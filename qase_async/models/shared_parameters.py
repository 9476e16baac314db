"""Shared parameters (identified by UUID strings).

``parameters`` holds one ``ParameterValues`` for a ``"single"`` parameter and at least
two for a ``"group"``.
"""

from __future__ import annotations

import attrs

from .common import ParameterValues, SharedParameterType


@attrs.frozen(kw_only=True)
class SharedParameter:
    """A shared parameter as read."""

    id: str | None = None
    title: str | None = None
    type: str | None = None
    project_codes: list[str] | None = None
    is_enabled_for_all_projects: bool | None = None
    parameters: list[ParameterValues] | None = None


@attrs.frozen(kw_only=True)
class SharedParameterCreate:
    """A shared parameter to create."""

    title: str
    type: SharedParameterType
    is_enabled_for_all_projects: bool
    parameters: list[ParameterValues]
    project_codes: list[str] | None = None


@attrs.frozen(kw_only=True)
class SharedParameterUpdate:
    """The fields of a shared parameter to change."""

    title: str | None = None
    project_codes: list[str] | None = None
    is_enabled_for_all_projects: bool | None = None
    parameters: list[ParameterValues] | None = None


@attrs.frozen(kw_only=True)
class SharedParameterId:
    """The ``{id}`` (a UUID) shared-parameter operations answer with."""

    id: str
