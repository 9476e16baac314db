"""A minimal ``multipart/form-data`` parser built on the standard library's ``email`` package."""

from __future__ import annotations

import email.parser
import email.policy

import attrs

__all__ = ["FilePart", "MultipartError", "parse_multipart"]


class MultipartError(ValueError):
    """The body is not valid ``multipart/form-data``."""


@attrs.frozen
class FilePart:
    """One part of a multipart body.

    Attributes:
        name: The form field name (``file[]`` for Qase attachments).
        filename: The file name the client sent, if any.
        content_type: The part's media type.
        data: The part's content.
    """

    name: str
    filename: str | None
    content_type: str
    data: bytes


def parse_multipart(content_type: str, body: bytes) -> list[FilePart]:
    """Split a ``multipart/form-data`` body into its parts.

    Args:
        content_type: The request's ``Content-Type`` header, with the boundary.
        body: The raw request body.

    Returns:
        The parts in order.

    Raises:
        MultipartError: If the content type is not multipart or the body is malformed.
    """
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in (
        content_type.lower()
    ):
        raise MultipartError("Content-Type must be multipart/form-data with a boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise MultipartError("malformed multipart body")
    parts: list[FilePart] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise MultipartError("a part has no form field name")
        payload = part.get_payload(decode=True)
        filename = part.get_filename()
        parts.append(
            FilePart(
                name=name,
                filename=filename,
                content_type=part.get_content_type(),
                data=payload if isinstance(payload, bytes) else b"",
            )
        )
    return parts
