"""``client.attachments``: streamed multipart uploads, split to the service's limits."""

from __future__ import annotations

import builtins
import contextlib
import io
import mimetypes
import os
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from typing import IO, Final, TypeAlias

import attrs

from .._converter import structure
from .._pagination import Page
from ..exceptions import AttachmentReadError, AttachmentTooLargeError
from ..models import AttachmentDetails, UploadedAttachment
from ._base import Resource, seg

MAX_ATTACHMENT_SIZE: Final = 32 * 1024 * 1024
"""The largest file the service takes (32 MB)."""
MAX_ATTACHMENTS_SIZE_PER_REQUEST: Final = 128 * 1024 * 1024
"""The largest upload request the service takes (128 MB, multipart framing included)."""
MAX_ATTACHMENTS_PER_REQUEST: Final = 20
"""The most files one upload request may carry."""
_PART_FRAMING: Final = 192
"""Bytes of multipart framing per file besides its name and type (boundary, headers)."""
_CLOSING: Final = 64
"""Bytes of the closing boundary."""

AttachmentSource: TypeAlias = (
    str | os.PathLike[str] | bytes | IO[bytes] | tuple[str, bytes | IO[bytes]]
)
"""A file to upload: a path, bytes, an open binary file, or ``(filename, bytes or file)``."""


class _Exact(io.RawIOBase):
    """A file seen as exactly ``size`` bytes from its start: the size sent in the headers.

    A file that grows while it is sent is cut at the size it had when it was checked; one
    that shrinks (or fails to read) raises :class:`AttachmentReadError`.
    """

    def __init__(self, file: IO[bytes], size: int, name: str) -> None:
        super().__init__()
        self._file = file
        self._size = size
        self._name = name
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_END:
            target = self._size + offset
        elif whence == os.SEEK_CUR:
            target = self._pos + offset
        else:
            target = offset
        target = max(0, min(target, self._size))
        self._file.seek(target)
        self._pos = target
        return target

    def read(self, size: int = -1) -> bytes:
        left = self._size - self._pos
        want = left if size is None or size < 0 else min(size, left)
        if want <= 0:
            return b""
        # Raised as the client's own error, the request path ends the call with it at
        # once: retrying a file that shrank or cannot be read would not help.
        try:
            chunk = self._file.read(want)
        except OSError as error:
            raise _unreadable(self._name, error) from None
        if not chunk:
            raise AttachmentReadError(f"{self._name!r} shrank while it was being sent")
        self._pos += len(chunk)
        return chunk

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@attrs.frozen
class _Upload:
    name: str
    size: int
    open: Callable[[], contextlib.AbstractContextManager[IO[bytes]]]

    @property
    def mime(self) -> str:
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"


@contextlib.contextmanager
def _borrowed(file: IO[bytes]) -> Iterator[IO[bytes]]:
    # The caller's file stays open: it is theirs to close.
    yield file


def _size_of(file: IO[bytes]) -> int:
    # httpx rewinds a file before each try and sends it from offset 0.
    size = file.seek(0, os.SEEK_END)
    file.seek(0)
    return size


def _unreadable(name: str, error: OSError) -> AttachmentReadError:
    reason = error.strerror or str(error) or type(error).__name__
    return AttachmentReadError(f"{name!r}: cannot read the file: {reason}")


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
        try:
            size = os.stat(path).st_size
        except OSError as error:
            raise _unreadable(name or path, error) from None
        return _Upload(name or os.path.basename(path) or "file", size,
                       lambda: open(path, "rb"))  # fmt: skip
    file = source
    if not name:
        file_name = getattr(file, "name", None)
        name = os.path.basename(file_name) if isinstance(file_name, str) else None
    label = name or f"attachment-{index + 1}"
    try:
        size = _size_of(file)
    except OSError as error:
        raise _unreadable(label, error) from None
    return _Upload(label, size, lambda: _borrowed(file))


def request_bytes(name: str, size: int) -> int:
    """What a file adds to an upload request: its bytes and its multipart framing."""
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return size + _PART_FRAMING + 3 * len(name.encode("utf-8", "replace")) + len(mime)


def request_groups(files: Sequence[tuple[str, int]]) -> builtins.list[builtins.list[int]]:
    """Split ``(name, size)`` files, in order, into the requests the service takes.

    Each group (of indices) holds at most 20 files and makes a request of at most 128 MB,
    multipart framing included.
    """
    groups: builtins.list[builtins.list[int]] = []
    size = _CLOSING
    for index, (name, file_size) in enumerate(files):
        need = request_bytes(name, file_size)
        if groups and (
            len(groups[-1]) == MAX_ATTACHMENTS_PER_REQUEST
            or size + need > MAX_ATTACHMENTS_SIZE_PER_REQUEST
        ):
            groups.append([])
            size = _CLOSING
        if not groups:
            groups.append([])
        groups[-1].append(index)
        size += need
    return groups


class Attachments(Resource):
    """Files in the workspace's storage."""

    async def list(
        self, *, limit: int | None = None, offset: int | None = None
    ) -> Page[AttachmentDetails]:
        """One page of attachments."""
        return await self._page("/attachment", AttachmentDetails, limit=limit, offset=offset,
                                params={})  # fmt: skip

    def iter(self) -> AsyncGenerator[AttachmentDetails, None]:
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
        requests as the service's limits need: at most 20 files per request and 128 MB per
        request, multipart framing included. Every file is checked before anything is
        sent; each is sent with the size it had then (a file that grows meanwhile is cut
        there). A request whose answer is lost is retried: at worst the service keeps an
        unreferenced copy of a file.

        Raises:
            AttachmentTooLargeError: A file is over 32 MB.
            AttachmentReadError: A file cannot be read, or shrank while it was sent.
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
        for group in request_groups([(u.name, u.size) for u in uploads]):
            uploaded += await self._upload(code, [uploads[i] for i in group])
        return uploaded

    async def _upload(
        self, code: str, batch: Sequence[_Upload]
    ) -> builtins.list[UploadedAttachment]:
        with contextlib.ExitStack() as stack:
            parts = []
            for upload in batch:
                try:
                    handle = stack.enter_context(upload.open())
                except OSError as error:
                    raise _unreadable(upload.name, error) from None
                exact = _Exact(handle, upload.size, upload.name)
                parts.append(("file[]", (upload.name, exact, upload.mime)))
            # The files stay open across retries: each try rewinds and streams them again.
            # A lost answer is retried: at worst an unreferenced copy is stored.
            result = await self._t.request(
                "POST", f"/attachment/{seg(code)}", files=parts, idempotent=True
            )
        return structure(result, builtins.list[UploadedAttachment])
