"""Authors: the users and apps that create entities."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class Author:
    """An author (a member or an app); ``author_id`` is what entities refer to."""

    id: int | None = None
    uuid: str | None = None
    author_id: int | None = None
    entity_type: str | None = None
    entity_id: int | None = None
    email: str | None = None
    name: str | None = None
    is_active: bool | None = None
