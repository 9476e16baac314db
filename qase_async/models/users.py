"""Users of the workspace."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class User:
    """A user (``status`` is an integer code)."""

    id: int | None = None
    name: str | None = None
    email: str | None = None
    title: str | None = None
    status: int | None = None
