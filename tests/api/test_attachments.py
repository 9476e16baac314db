"""Attachment uploads: streamed, split to the service's limits, refused when too big."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from qase_async import (
    MAX_ATTACHMENT_SIZE,
    AttachmentTooLargeError,
    InsufficientStorageError,
    QaseClient,
)

UPLOADED = {"status": True, "result": [{"hash": "h", "filename": "f"}]}


class CountingTransport(httpx.AsyncBaseTransport):
    """Reads each request body chunk by chunk without keeping it, and counts file parts."""

    def __init__(self) -> None:
        self.bodies: list[int] = []
        self.parts: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        size = parts = 0
        stream = request.stream
        assert isinstance(stream, AsyncIterator | httpx.AsyncByteStream)
        async for chunk in stream:  # type: ignore[union-attr]
            size += len(chunk)
            parts += chunk.count(b'name="file[]"')
        self.bodies.append(size)
        self.parts.append(parts)
        result = [{"hash": f"h{i}", "filename": f"f{i}"} for i in range(parts)]
        return httpx.Response(200, json={"status": True, "result": result})


async def test_a_32_mb_file_is_streamed_not_read_whole(tmp_path: Path) -> None:
    """A file of exactly 32 MB goes out in chunks: memory stays far below its size."""
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        f.truncate(MAX_ATTACHMENT_SIZE)
    transport = CountingTransport()
    async with QaseClient("t", transport=transport) as qase:
        tracemalloc.start()
        try:
            uploaded = await qase.attachments.upload("DEMO", big)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert [u.hash for u in uploaded] == ["h0"]
    assert transport.bodies[0] > MAX_ATTACHMENT_SIZE
    assert peak < 4 * 1024 * 1024


async def test_uploads_split_at_20_files_and_128_mb(tmp_path: Path) -> None:
    """45 small files need 3 requests; five 30 MB files need 2 (128 MB per request)."""
    small = [(f"f{i}.txt", b"x") for i in range(45)]
    transport = CountingTransport()
    async with QaseClient("t", transport=transport) as qase:
        uploaded = await qase.attachments.upload("DEMO", *small)
        assert transport.parts == [20, 20, 5]
        assert len(uploaded) == 45
        transport.parts.clear()
        paths = []
        for i in range(5):
            path = tmp_path / f"big{i}.bin"
            with path.open("wb") as f:
                f.truncate(30 * 1024 * 1024)
            paths.append(path)
        await qase.attachments.upload("DEMO", *paths)
    assert transport.parts == [4, 1]


async def test_a_file_over_32_mb_is_refused_before_sending(tmp_path: Path) -> None:
    """Nothing is sent when any file is over the limit; the error names the file."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=UPLOADED)

    huge = tmp_path / "huge.bin"
    with huge.open("wb") as f:
        f.truncate(MAX_ATTACHMENT_SIZE + 1)
    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        with pytest.raises(AttachmentTooLargeError, match=r"huge\.bin"):
            await qase.attachments.upload("DEMO", b"small", huge)
    assert sent == []


async def test_bytes_and_open_files_are_accepted_and_named() -> None:
    """Bytes, (name, bytes) and open binary files become ``file[]`` parts with names."""
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        return httpx.Response(200, json=UPLOADED)

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        await qase.attachments.upload("DEMO", b"one", ("log.txt", b"two"), io.BytesIO(b"three"))
    body = bodies[0]
    assert body.count(b'name="file[]"') == 3
    assert b'filename="log.txt"' in body
    assert b"Content-Type: text/plain" in body
    assert b"three" in body


async def test_507_raises_insufficient_storage() -> None:
    """A full workspace storage surfaces as its own error."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(507, json={"status": False, "errorMessage": "storage is full"})

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        with pytest.raises(InsufficientStorageError):
            await qase.attachments.upload("DEMO", b"data")


async def test_a_retried_upload_sends_the_whole_file_again(tmp_path: Path) -> None:
    """After a 429 the file is rewound and streamed again in full, not from where it stopped."""
    path = tmp_path / "report.txt"
    path.write_bytes(b"0123456789" * 1000)
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        if len(bodies) == 1:
            return httpx.Response(429, headers={"Retry-After": "0"})
        return httpx.Response(200, json=UPLOADED)

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        await qase.attachments.upload("DEMO", path)
    assert len(bodies) == 2
    assert len(bodies[0]) == len(bodies[1])  # only the random boundary differs
    assert b"0123456789" * 1000 in bodies[0]
    assert b"0123456789" * 1000 in bodies[1]
