"""``client.attachments.upload``: the one upload path, within the service's request limit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qase_async import AttachmentReadError, QaseClient
from qase_async.models import ProjectCreate
from qase_async.testing import FakeQase

from .conftest import PROJECT, TOKEN

MB = 1024 * 1024


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)  # sparse: costs no disk
    return path


async def test_four_32_mb_files_draw_no_413_from_the_fake(tmp_path: Path) -> None:
    """Four 32 MB files are 128 MB of data: with the multipart framing that is over the
    service's 128 MB request limit, so they go in two requests and all four are stored."""
    fake = FakeQase(tokens={TOKEN})
    files = [_sparse(tmp_path / f"dump-{i}.bin", 32 * MB) for i in range(4)]
    async with QaseClient(TOKEN, transport=fake.transport()) as qase:
        await qase.projects.create(ProjectCreate(title="Demo", code=PROJECT))
        uploaded = await qase.attachments.upload(PROJECT, *files)
    assert [u.filename for u in uploaded] == [f.name for f in files]
    assert len({u.hash for u in uploaded}) == 4
    assert fake.stats.statuses[413] == 0
    assert fake.stats.per_path[f"POST /v1/attachment/{PROJECT}"] == 2
    assert sorted(a["size"] for a in fake.state.attachments.values()) == [32 * MB] * 4


async def test_a_missing_file_is_a_typed_error_and_nothing_is_sent(tmp_path: Path) -> None:
    """A path that does not exist raises ``AttachmentReadError`` naming it, before sending."""
    fake = FakeQase(tokens={TOKEN})
    async with QaseClient(TOKEN, transport=fake.transport()) as qase:
        with pytest.raises(AttachmentReadError, match=r"gone\.png"):
            await qase.attachments.upload(PROJECT, b"data", tmp_path / "gone.png")
    assert fake.stats.requests == 0


class _Changing:
    """An open file whose size changes on disk right after the client measured it."""

    name = "live.log"

    def __init__(self, path: Path, new_size: int) -> None:
        self._path = path
        self._handle = path.open("rb")
        self._new_size = new_size

    def seek(self, offset: int, whence: int = 0) -> int:
        result = self._handle.seek(offset, whence)
        if whence == os.SEEK_END:
            os.truncate(self._path, self._new_size)
        return result

    def read(self, n: int = -1) -> bytes:
        return self._handle.read(n)

    def close(self) -> None:
        self._handle.close()


async def test_a_file_that_grows_while_sent_is_sent_as_it_was_checked(tmp_path: Path) -> None:
    """A log still being written is sent with the size it had when checked: no raw
    protocol error, the upload succeeds with the bytes it promised."""
    fake = FakeQase(tokens={TOKEN})
    log = tmp_path / "live.log"
    log.write_bytes(b"a" * 1000)
    growing = _Changing(log, 6000)
    async with QaseClient(TOKEN, transport=fake.transport()) as qase:
        await qase.projects.create(ProjectCreate(title="Demo", code=PROJECT))
        uploaded = await qase.attachments.upload(PROJECT, growing)  # type: ignore[arg-type]
    growing.close()
    assert log.stat().st_size == 6000
    assert fake.state.attachment_data[uploaded[0].hash or ""] == b"a" * 1000


async def test_a_file_that_shrinks_while_sent_is_a_typed_error(tmp_path: Path) -> None:
    """A file cut short after it was checked raises ``AttachmentReadError``, not a raw
    protocol error from the HTTP stack; nothing is stored."""
    fake = FakeQase(tokens={TOKEN})
    path = tmp_path / "cut.bin"
    path.write_bytes(b"x" * 100_000)
    shrinking = _Changing(path, 50_000)
    async with QaseClient(TOKEN, transport=fake.transport()) as qase:
        await qase.projects.create(ProjectCreate(title="Demo", code=PROJECT))
        with pytest.raises(AttachmentReadError, match="shrank"):
            await qase.attachments.upload(PROJECT, shrinking)  # type: ignore[arg-type]
    shrinking.close()
    assert fake.state.attachments == {}
