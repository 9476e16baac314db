"""Hostile reports: linear scanning and bounded memory, proven by counting, not timing."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from qase_async.reports import ReadLog, ReportError, find_markers, read_report


class _Counting(str):
    """A string that counts the characters its ``find`` calls look at."""

    scanned = 0

    def find(self, sub: str, start: int | None = None, end: int | None = None) -> int:  # type: ignore[override]
        begin = start or 0
        found = super().find(sub, begin, len(self) if end is None else end)
        _Counting.scanned += (found + len(sub) if found >= 0 else len(self)) - begin
        return found


MEGABYTE = 1 << 20


@pytest.mark.parametrize(
    "text",
    [
        "[[ATTACHMENT|" * (MEGABYTE // 13),  # never closed: a regex backtracks on each
        ("[[ATTACHMENT|x" * (MEGABYTE // 14)) + "]]",  # closed only at the very end
        ("[[ATTACHMENT|x\n" * (MEGABYTE // 15)) + "]]",  # every line break in the way
        "[[ATTACHMENT|a.png]] " * (MEGABYTE // 21),
    ],
    ids=["unclosed", "closed-at-end", "line-breaks", "many-markers"],
)
def test_the_attachment_scan_is_linear(text: str):
    """Scanning ~1 MB of hostile output looks at each character a bounded number of times."""
    _Counting.scanned = 0
    find_markers(_Counting(text))
    assert _Counting.scanned <= 4 * len(text)


def test_markers_are_found_and_removed():
    """Names are collected in order; a marker across a line break is left as text."""
    names, rest = find_markers("a [[ATTACHMENT| one.png ]] b\n[[ATTACHMENT|two\n]] c")
    assert names == ["one.png"]
    assert rest == "a  b\n[[ATTACHMENT|two\n]] c"


def test_ten_thousand_nested_suites_read_in_bounded_memory(tmp_path: Path):
    """10,000 nested <testsuite>s with a test in each: no recursion, little memory."""
    depth = 10_000
    report = tmp_path / "deep.xml"
    with report.open("w", encoding="utf-8") as out:
        for level in range(depth):
            out.write(f"<testsuite name='level{level}'><testcase name='t{level}'/>")
        out.write("</testsuite>" * depth)
    log = ReadLog()
    tracemalloc.start()
    try:
        total = sum(1 for _ in read_report(report, log=log))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == depth
    assert log.statuses == {"passed": depth}
    assert peak < 64 * MEGABYTE


def test_a_megabyte_of_output_is_read_and_attached_whole(tmp_path: Path):
    """1 MB of system-out with unclosed markers: read, cut in the message, attached whole."""
    output = "[[ATTACHMENT|" * (MEGABYTE // 13)
    report = tmp_path / "big.xml"
    report.write_text(
        f"<testsuite name='s'><testcase name='t'><system-out>{output}</system-out>"
        "</testcase></testsuite>"
    )
    (item,) = read_report(report)
    assert item.result.message is not None
    assert len(item.result.message) < 40_000
    (whole,) = item.attachments
    assert Path(whole).stat().st_size == len(output)


def test_entity_expansion_and_external_entities_are_refused(tmp_path: Path):
    """A billion-laughs bomb and an external entity naming /etc/hostname are malformed
    reports (one line), never expanded or read."""
    levels = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{levels}]>'
        "<testsuite name='s'><testcase name='t'><system-out>&l9;</system-out></testcase>"
        "</testsuite>"
    )
    external = tmp_path / "external.xml"
    external.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
        "<testsuite name='s'><testcase name='t'><system-out>&e;</system-out></testcase>"
        "</testsuite>"
    )
    for report in (bomb, external):
        with pytest.raises(ReportError, match="malformed XML"):
            list(read_report(report))
