"""Configurations, grouped (e.g. group "Browser" holding "Chrome", "Firefox")."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class Configuration:
    """One configuration of a group."""

    id: int | None = None
    title: str | None = None


@attrs.frozen(kw_only=True)
class ConfigurationGroup:
    """A group of configurations."""

    id: int | None = None
    title: str | None = None
    configurations: list[Configuration] | None = None


@attrs.frozen(kw_only=True)
class ConfigurationCreate:
    """A configuration to add to the group ``group_id``."""

    title: str
    group_id: int


@attrs.frozen(kw_only=True)
class ConfigurationGroupCreate:
    """A configuration group to create."""

    title: str
