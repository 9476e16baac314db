"""Attachments named by a report are read only from the report's own folder tree."""

from __future__ import annotations

import builtins
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from qase_async._cli import main
from qase_async.reports import ReadLog, read_report

HOSTILE = (
    "<testsuite name='s'>"
    "<testcase name='leaks'>"
    "<properties><property name='attachment' value='../../../../etc/os-release'/></properties>"
    "<system-out>[[ATTACHMENT|/etc/hostname]]\nsee [[ATTACHMENT|shot.png]]</system-out>"
    "</testcase></testsuite>"
)


_SECRETS = {
    path for name in ("/etc/hostname", "/etc/os-release") for path in (name, os.path.realpath(name))
}


def _report(tmp_path: Path) -> Path:
    folder = tmp_path / "reports" / "ci"
    folder.mkdir(parents=True)
    (folder / "shot.png").write_bytes(b"\x89PNG local screenshot")
    report = folder / "report.xml"
    report.write_text(HOSTILE, encoding="utf-8")
    return report


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path opened through ``open``, ``Path.open`` or ``os.open`` while the test runs."""
    seen: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | os.PathLike):
            seen.append(os.path.realpath(file))
        return real_open(file, *args, **kwargs)

    def spy_os_open(path: Any, *args: Any, **kwargs: Any) -> int:
        seen.append(os.path.realpath(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    return seen


def test_files_outside_the_report_folder_are_refused_and_never_opened(
    tmp_path: Path, opened: list[str]
):
    """/etc/hostname and ../../../../etc/os-release are reported, not read; a file
    beside the report is attached."""
    report = _report(tmp_path)
    log = ReadLog()
    (item,) = read_report(report, log=log)
    assert [Path(p).name for p in item.attachments] == ["shot.png"]
    assert sorted(r.path for r in log.refused) == ["../../../../etc/os-release", "/etc/hostname"]
    assert all("outside the report's folder" in r.reason for r in log.refused)
    assert not set(opened) & _SECRETS


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path):
    """A link inside the folder that points outside it is judged by where it points."""
    report = _report(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("token")
    (report.parent / "innocent.txt").symlink_to(secret)
    report.write_text(
        "<testsuite name='s'><testcase name='t'><system-out>[[ATTACHMENT|innocent.txt]]"
        "</system-out></testcase></testsuite>"
    )
    log = ReadLog()
    (item,) = read_report(report, log=log)
    assert item.attachments == ()
    assert [r.path for r in log.refused] == ["innocent.txt"]


def test_attachments_root_allows_a_folder(tmp_path: Path):
    """--attachments-root DIR allows files under DIR (and only there); relative names
    not found beside the report are looked for in DIR."""
    report = _report(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "log.txt").write_text("log")
    (shared / "shots").mkdir()
    (shared / "shots" / "end.png").write_bytes(b"png")
    report.write_text(
        "<testsuite name='s'><testcase name='t'><system-out>"
        f"[[ATTACHMENT|{shared / 'log.txt'}]]\n[[ATTACHMENT|/etc/hostname]]\n"
        "[[ATTACHMENT|shots/end.png]]"
        "</system-out></testcase></testsuite>"
    )
    log = ReadLog()
    (item,) = read_report(report, log=log, attachment_roots=[shared])
    assert [Path(p).name for p in item.attachments] == ["log.txt", "end.png"]
    assert [r.path for r in log.refused] == ["/etc/hostname"]


def test_the_upload_reports_refused_files_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], opened: list[str]
):
    """An upload sends the result and the local file, lists the refused ones in --json,
    exits 1, and never opens them."""
    report = _report(tmp_path)
    status = main(["upload", str(report), "-p", "DEMO", "--fake", "--json"])
    out, _ = capsys.readouterr()
    data = json.loads(out)
    assert status == 1
    assert data["sent"] == 1
    assert data["attachments_uploaded"] == 1
    assert data["ok"] is False
    assert data["read"] == {"passed": 1}
    assert sorted(r["path"] for r in data["refused_attachments"]) == [
        "../../../../etc/os-release",
        "/etc/hostname",
    ]
    assert not set(opened) & _SECRETS


def test_read_command_prints_counts_and_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """``qase-async read`` prints counts per status and each refused file; exit 1."""
    report = _report(tmp_path)
    status = main(["read", str(report)])
    out, _ = capsys.readouterr()
    assert status == 1
    assert "Read 1 test case from 1 report (1 passed)." in out
    assert "refused attachment: /etc/hostname" in out


@pytest.mark.parametrize(
    "command",
    [["read"], ["upload", "-p", "DEMO", "--fake"]],
    ids=["read", "upload"],
)
def test_an_unknown_encoding_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
):
    """An unknown XML encoding is one line on stderr and exit status 2, before any send."""
    report = tmp_path / "odd.xml"
    report.write_text('<?xml version="1.0" encoding="x-klingon"?><testsuite/>')
    status = main([*command, str(report), "--json"])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "unknown encoding 'x-klingon'" in err


def test_a_suite_level_refusal_is_reported_once(tmp_path: Path):
    """A bad name in suite output or properties is refused once, not once per test."""
    report = _report(tmp_path)
    report.write_text(
        "<testsuite name='s'><properties><property name='attachment' value='/etc/hostname'/>"
        "</properties><testcase name='a'/><testcase name='b'/><testcase name='c'/>"
        "<system-out>[[ATTACHMENT|/etc/os-release]]\n[[ATTACHMENT|shot.png]]</system-out>"
        "</testsuite>"
    )
    log = ReadLog()
    items = list(read_report(report, log=log))
    assert sorted(r.path for r in log.refused) == ["/etc/hostname", "/etc/os-release"]
    assert all([Path(p).name for p in i.attachments] == ["shot.png"] for i in items)
