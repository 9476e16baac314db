"""Models shared by several resources."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class Attachment:
    """A file attached to an entity."""

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
    """A tag on a case or run."""

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
