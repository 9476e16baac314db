"""Attachments (files uploaded to a project's storage)."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class AttachmentDetails:
    """An attachment as listed or fetched by hash."""

    hash: str | None = None
    file: str | None = None
    mime: str | None = None
    size: int | None = None
    extension: str | None = None
    full_path: str | None = None
    url: str | None = None


@attrs.frozen(kw_only=True)
class UploadedAttachment:
    """A file just uploaded: pass ``hash`` in the ``attachments`` of cases, results, ..."""

    hash: str | None = None
    filename: str | None = None
    mime: str | None = None
    extension: str | None = None
    url: str | None = None
    team: str | None = None
