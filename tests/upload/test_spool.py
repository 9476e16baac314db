"""Spool files: private, written atomically, and a damaged line loses nothing else."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from qase_async import ConfigurationError, QaseClient, Uploader, UploadError
from qase_async._upload import read_spool_header
from qase_async.testing import FakeQase

from .conftest import PROJECT, TOKEN, result, stored_ids


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def _write_spool(path: Path, run_id: int, count: int, *, base_url: str | None) -> list[bytes]:
    header = {"qase_async_spool": 1, "project": PROJECT, "run_id": run_id}
    if base_url is not None:
        header["base_url"] = base_url
    lines = [json.dumps(header).encode()]
    for i in range(count):
        line = {"result": {"id": f"s{i}", "title": f"t{i}", "execution": {"status": "passed"}}}
        lines.append(json.dumps(line).encode())
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return lines


async def test_a_spool_file_is_private_and_names_its_service(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path
):
    """After a stop the spool file is mode 0600 (it holds test output), its header names
    project, run and base URL, no temporary file is left beside it, and the token is in
    neither the file nor the error."""
    fake.inject(503, times=1000, path_prefix="/v2/")
    uploader = Uploader(client, PROJECT, run_id, spool_dir=tmp_path)
    with pytest.raises(UploadError) as caught:
        await uploader.upload(result(i, id=f"r{i}") for i in range(30))
    spool = Path(caught.value.spool_path or "")
    assert _mode(spool) == 0o600
    header = read_spool_header(spool)
    assert (header.project, header.run_id, header.base_url) == (PROJECT, run_id, client.base_url)
    assert _names(tmp_path) == [spool.name]
    assert TOKEN not in _bytes(spool).decode()
    assert TOKEN not in str(caught.value)


async def test_a_damaged_line_is_kept_aside_and_every_other_line_is_resumed(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path
):
    """400-result spool with line 101 truncated: 399 results are sent, the damaged line is
    named by its number and kept in a spool of its own, and only then is the spool removed."""
    spool = tmp_path / "qase-spool.jsonl"
    lines = _write_spool(spool, run_id, 400, base_url=client.base_url)
    damaged_line = lines[100][: len(lines[100]) // 2]
    lines[100] = damaged_line
    spool.write_bytes(b"".join(line + b"\n" for line in lines))

    report = await Uploader(client, PROJECT, run_id).resume(spool)

    assert report.sent == 399
    assert [d.line for d in report.damaged] == [101]
    assert not report.ok
    assert stored_ids(fake, run_id) == {f"s{i}" for i in range(400)} - {"s99"}
    kept = Path(report.damaged_path or "")
    assert kept.parent == tmp_path
    assert _mode(kept) == 0o600
    assert _bytes(kept).splitlines()[1:] == [damaged_line]
    assert read_spool_header(kept).run_id == run_id
    assert not spool.exists()
    assert report.to_dict()["damaged"][0]["line"] == 101


async def test_a_stopped_resume_rewrites_the_spool_with_what_is_still_unsent(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path
):
    """A resume that stops again leaves one spool (the same file) holding exactly the
    results not confirmed, so the next resume sends the rest."""
    spool = tmp_path / "qase-spool.jsonl"
    _write_spool(spool, run_id, 300, base_url=client.base_url)
    fake.inject(503, times=1000, path_prefix="/v2/")
    with pytest.raises(UploadError) as caught:
        await Uploader(client, PROJECT, run_id, batch_size=100).resume(spool)
    assert caught.value.spool_path == str(spool)
    assert caught.value.report.spooled == 300
    fake.reset_faults()
    report = await Uploader(client, PROJECT, run_id).resume(spool)
    assert report.sent == 300
    assert stored_ids(fake, run_id) == {f"s{i}" for i in range(300)}
    assert not spool.exists()


async def test_resume_refuses_a_spool_written_for_another_service(
    client: QaseClient, run_id: int, tmp_path: Path
):
    """A spool written for another base URL is refused unless the caller says so."""
    spool = tmp_path / "qase-spool.jsonl"
    _write_spool(spool, run_id, 3, base_url="https://qase.example.com")
    with pytest.raises(ConfigurationError, match=r"qase\.example\.com"):
        await Uploader(client, PROJECT, run_id).resume(spool)
    report = await Uploader(client, PROJECT, run_id).resume(spool, any_base_url=True)
    assert report.sent == 3


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [
        (b"not json", "the header is not JSON"),
        (b'{"qase_async_spool": 1, "project": "DEMO"}', "no valid run id"),
        (b'{"qase_async_spool": 1, "project": "DEMO", "run_id": "x"}', "no valid run id"),
        (b'{"qase_async_spool": 1, "project": "../x", "run_id": 1}', "no valid project"),
        (b'{"qase_async_spool": 1, "project": "DEMO", "run_id": 1, "base_url": 5}', "base_url"),
        (b"\xff\xfe", "not JSON"),
        (b"", "not a qase-async spool file"),
    ],
)
def test_a_bad_header_is_one_configuration_error(tmp_path: Path, first_line: bytes, expected: str):
    """Every kind of bad header gives a ConfigurationError naming the file and line 1."""
    spool = tmp_path / "s.jsonl"
    spool.write_bytes(first_line + b"\n")
    with pytest.raises(ConfigurationError, match=expected) as caught:
        read_spool_header(spool)
    assert f"{spool}, line 1" in str(caught.value) or "not a qase-async" in str(caught.value)


async def test_a_spool_that_cannot_be_written_is_an_upload_error(
    fake: FakeQase, client: QaseClient, run_id: int, tmp_path: Path
):
    """No raw OSError: a spool directory that cannot be made gives an UploadError that
    says so, and a spool being resumed stays whole."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    fake.inject(503, times=1000, path_prefix="/v2/")
    uploader = Uploader(client, PROJECT, run_id, spool_dir=blocker / "spools")
    with pytest.raises(UploadError, match="could not be written"):
        await uploader.upload(result(i) for i in range(5))

    spool = tmp_path / "qase-spool.jsonl"
    _write_spool(spool, run_id, 5, base_url=client.base_url)
    before = _bytes(spool)
    uploader = Uploader(client, PROJECT, run_id, spool_path=blocker / "spools" / "s.jsonl")
    with pytest.raises(UploadError, match="is unchanged"):
        await uploader.resume(spool)
    assert _bytes(spool) == before
