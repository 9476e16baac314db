"""System fields: the meanings of the integer codes read on cases, runs and results."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class SystemFieldOption:
    """One value of a system field: ``id`` is the code read, ``slug`` what filters take."""

    id: int | None = None
    title: str | None = None
    slug: str | None = None
    color: str | None = None
    icon: str | None = None
    is_default: bool | None = None
    read_only: bool | None = None


@attrs.frozen(kw_only=True)
class SystemField:
    """A system field (severity, priority, ...) and its options."""

    title: str | None = None
    slug: str | None = None
    default_value: str | None = None
    is_required: bool | None = None
    entity: int | None = None
    type: int | None = None
    options: list[SystemFieldOption] | None = None
