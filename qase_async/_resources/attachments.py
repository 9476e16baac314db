"""``client.attachments``: streamed multipart uploads, split to the service's limits."""

from __future__ import annotations

import builtins
import contextlib
import io
import mimetypes
import os
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import IO, Final, TypeAlias

import attrs

from .._converter import structure
from .._pagination import Page
from ..exceptions import AttachmentTooLargeError
from ..models import AttachmentDetails, UploadedAttachment
from ._base import Resource, seg

MAX_ATTACHMENT_SIZE: Final = 32 * 1024 * 1024
"""The largest file the service takes (32 MB)."""
MAX_ATTACHMENTS_SIZE_PER_REQUEST: Final = 128 * 1024 * 1024
"""The most file bytes one upload request may carry (128 MB)."""
MAX_ATTACHMENTS_PER_REQUEST: Final = 20
"""The most files one upload request may carry."""

AttachmentSource: TypeAlias = (
    str | os.PathLike[str] | bytes | IO[bytes] | tuple[str, bytes | IO[bytes]]
)
"""A file to upload: a path, bytes, an open binary file, or ``(filename, bytes or file)``."""


@attrs.frozen
class _Upload:
    name: str
    size: int
    open: Callable[[], contextlib.AbstractContextManager[IO[bytes]]]


@contextlib.contextmanager
def _borrowed(file: IO[bytes]) -> Iterator[IO[bytes]]:
    # The caller's file stays open: it is theirs to close.
    yield file


def _size_of(file: IO[bytes]) -> int:
    # httpx rewinds a file before each try and sends it from offset 0.
    size = file.seek(0, os.SEEK_END)
    file.seek(0)
    return size


def _describe(source: AttachmentSource, index: int) -> _Upload:
    name: str | None = None
    if isinstance(source, tuple):
        name, source = source
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return _Upload(name or f"attachment-{index + 1}", len(data),
                       lambda: _borrowed(io.BytesIO(data)))  # fmt: skip
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        return _Upload(name or os.path.basename(path), os.stat(path).st_size,
                       lambda: open(path, "rb"))  # fmt: skip
    file = source
    if not name:
        file_name = getattr(file, "name", None)
        name = os.path.basename(file_name) if isinstance(file_name, str) else None
    return _Upload(name or f"attachment-{index + 1}", _size_of(file), lambda: _borrowed(file))


def _batches(uploads: Sequence[_Upload]) -> Iterator[list[_Upload]]:
    """Consecutive groups within 20 files and 128 MB each."""
    batch: list[_Upload] = []
    size = 0
    for upload in uploads:
        if batch and (
            len(batch) == MAX_ATTACHMENTS_PER_REQUEST
            or size + upload.size > MAX_ATTACHMENTS_SIZE_PER_REQUEST
        ):
            yield batch
            batch, size = [], 0
        batch.append(upload)
        size += upload.size
    if batch:
        yield batch


class Attachments(Resource):
    """Files in the workspace's storage."""

    async def list(
        self, *, limit: int | None = None, offset: int | None = None
    ) -> Page[AttachmentDetails]:
        """One page of attachments."""
        return await self._page("/attachment", AttachmentDetails, limit=limit, offset=offset,
                                params={})  # fmt: skip

    def iter(self) -> AsyncIterator[AttachmentDetails]:
        """Every attachment, paging by itself."""
        return self._iter("/attachment", AttachmentDetails, {})

    async def get(self, hash: str) -> AttachmentDetails:
        """One attachment by hash."""
        return await self._get(f"/attachment/{seg(hash)}", AttachmentDetails)

    async def delete(self, hash: str) -> None:
        """Delete an attachment."""
        await self._call("DELETE", f"/attachment/{seg(hash)}")

    async def upload(
        self, code: str, *files: AttachmentSource
    ) -> builtins.list[UploadedAttachment]:
        """Upload files to a project; returns them (with their hashes) in order.

        Files are streamed from disk (never read whole into memory) and sent in as many
        requests as the limits need: at most 20 files and 128 MB per request. Every file
        is checked before anything is sent.

        Raises:
            AttachmentTooLargeError: A file is over 32 MB.
            InsufficientStorageError: The workspace's storage is full (507).
        """
        uploads = [_describe(source, i) for i, source in enumerate(files)]
        for upload in uploads:
            if upload.size > MAX_ATTACHMENT_SIZE:
                raise AttachmentTooLargeError(
                    f"{upload.name!r} is {upload.size} bytes; the service takes at most "
                    f"{MAX_ATTACHMENT_SIZE} bytes (32 MB) per file"
                )
        uploaded: builtins.list[UploadedAttachment] = []
        for batch in _batches(uploads):
            uploaded += await self._upload(code, batch)
        return uploaded

    async def _upload(
        self, code: str, batch: Sequence[_Upload]
    ) -> builtins.list[UploadedAttachment]:
        with contextlib.ExitStack() as stack:
            parts = [
                ("file[]", (u.name, stack.enter_context(u.open()), _mime(u.name))) for u in batch
            ]
            # The files stay open across retries: each try rewinds and streams them again.
            result = await self._t.request("POST", f"/attachment/{seg(code)}", files=parts)
        return structure(result, list[UploadedAttachment])


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
