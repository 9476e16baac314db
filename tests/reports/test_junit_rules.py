"""The JUnit rules, each on a minimal report in the shape its producer writes."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from qase_async._cli import main
from qase_async.models import ResultCreateV2
from qase_async.reports import JUnitError, Reading, ReadLog, count_tests, read_report


def _read(tmp_path: Path, xml: str, *, log: ReadLog | None = None) -> list[ResultCreateV2]:
    report = tmp_path / "report.xml"
    report.write_text(xml, encoding="utf-8")
    return [item.result for item in read_report(report, log=log)]


def _suite(result: ResultCreateV2) -> list[str]:
    assert result.relations is not None
    assert result.relations.suite is not None
    return [s.title for s in result.relations.suite.data]


@pytest.mark.parametrize(
    "case",
    [
        '<testcase name="t" classname="c"><ignored/></testcase>',  # TestNG
        '<testcase name="t" classname="c"><disabled/></testcase>',
        '<testcase name="t" classname="c" status="notrun" result="suppressed"/>',  # gtest
        '<testcase name="t" classname="c" status="disabled"/>',
        '<testcase name="t" classname="c" result="suppressed"/>',
    ],
)
def test_tests_that_never_ran_are_skipped(tmp_path: Path, case: str):
    """Every producer's not-run marker gives ``skipped``, never ``passed``."""
    (result,) = _read(tmp_path, f"<testsuite name='s'>{case}</testsuite>")
    assert result.execution.status == "skipped"


def test_a_suite_that_died_is_one_invalid_result(tmp_path: Path):
    """A suite-level <error> (Perl's "Dubious") is a result with message and output."""
    results = _read(
        tmp_path,
        "<testsuites><testsuite name='t/orders.t'>"
        "<testcase name='1 - loads' classname='t.orders'/>"
        "<error message='Dubious, test returned 255'>died at line 3</error>"
        "<system-out>partial output</system-out>"
        "</testsuite></testsuites>",
    )
    assert [r.execution.status for r in results] == ["passed", "invalid"]
    assert count_tests(tmp_path / "report.xml") == 2
    died = results[1]
    assert died.title == "t/orders.t"
    assert died.message is not None
    assert "Dubious, test returned 255" in died.message
    assert "partial output" in died.message
    assert died.execution.stacktrace == "died at line 3"


def test_flaky_and_rerun_keep_the_final_outcome_and_every_attempt(tmp_path: Path):
    """Surefire: flakyFailure then pass is passed; rerunFailure keeps failed; both list
    the earlier attempts."""
    flaky, rerun = _read(
        tmp_path,
        "<testsuite name='s'>"
        "<testcase name='flaky' classname='a.B'>"
        "<flakyFailure message='first try' type='AssertionError'><stackTrace>at A</stackTrace>"
        "</flakyFailure></testcase>"
        "<testcase name='broken' classname='a.B'><failure message='try 1'>t1</failure>"
        "<rerunFailure message='try 2'>t2</rerunFailure></testcase>"
        "</testsuite>",
    )
    assert flaky.execution.status == "passed"
    assert flaky.message is not None
    assert "Attempt 1 failed" in flaky.message
    assert "first try" in flaky.message
    assert rerun.execution.status == "failed"
    assert rerun.message is not None
    assert "try 2" in rerun.message


@pytest.mark.parametrize("time", ["inf", "Infinity", "1e999", "NaN", "-3", "soon"])
def test_a_bad_time_isolates_one_test_with_a_warning(tmp_path: Path, time: str):
    """A bad time drops only that duration; the test and the rest of the file are read."""
    log = ReadLog()
    results = _read(
        tmp_path,
        f"<testsuite name='s'><testcase name='bad' time='{time}'/>"
        "<testcase name='good' time='1.5'/></testsuite>",
        log=log,
    )
    assert [r.execution.duration for r in results] == [None, 1500]
    assert len(log.warnings) == 1
    assert log.warnings[0].test == "bad"


def test_timestamps_become_start_times_and_bad_ones_warn(tmp_path: Path):
    """A per-test timestamp is the start time; a timestamp that is no date only warns."""
    log = ReadLog()
    good, bad = _read(
        tmp_path,
        "<testsuite name='s'>"
        "<testcase name='a' time='2' timestamp='2024-05-01T10:00:00Z'/>"
        "<testcase name='b' timestamp='yesterday'/></testsuite>",
        log=log,
    )
    assert good.execution.start_time == 1714557600.0
    assert good.execution.end_time == 1714557602.0
    assert bad.execution.start_time is None
    assert [w.test for w in log.warnings] == ["b"]


def test_bytes_not_in_the_encoding_isolate_their_test(tmp_path: Path):
    """Invalid UTF-8 and raw control characters do not stop the file."""
    report = tmp_path / "report.xml"
    report.write_bytes(
        b"<testsuite name='s'><testcase name='bad \xff name'>"
        b"<system-out>colour \x1b[31mred</system-out></testcase>"
        b"<testcase name='good'/></testsuite>"
    )
    log = ReadLog()
    bad, good = (i.result for i in read_report(report, log=log))
    assert bad.title == "bad \ufffd name"
    assert bad.message is not None
    assert "\u241b[31mred" in bad.message
    assert good.title == "good"
    assert any("U+FFFD" in w.message for w in log.warnings)


def test_an_unknown_declared_encoding_is_one_line(tmp_path: Path):
    """An encoding nobody knows is a one-line error naming the file."""
    report = tmp_path / "odd.xml"
    report.write_text('<?xml version="1.0" encoding="x-klingon"?><testsuite/>')
    with pytest.raises(JUnitError, match=r"odd\.xml: unknown encoding 'x-klingon'") as caught:
        count_tests(report)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("classname", "expected"),
    [
        ("tests.api.test_users", ["tests", "api", "test_users"]),
        ("orders.spec.js", ["orders.spec.js"]),
        ("example.com/shop/calc", ["example.com/shop/calc"]),
        ("Orders module adds items", ["Orders module adds items"]),
    ],
)
def test_dots_split_module_names_but_not_files_or_paths(
    tmp_path: Path, classname: str, expected: list[str]
):
    """Java/Python dotted names are split; file names, paths, URLs and prose stay whole."""
    (result,) = _read(
        tmp_path, f"<testsuite name='s'><testcase name='t' classname='{classname}'/></testsuite>"
    )
    assert _suite(result) == expected


def test_properties_become_fields_and_steps_as_the_official_cli_reads_them(tmp_path: Path):
    """Properties are fields; ``step[status]`` with ``a/b`` paths are nested steps; suite
    properties apply to the tests, but not the suite's case id nor the JVM's."""
    (result,) = _read(
        tmp_path,
        "<testsuite name='s'><properties><property name='layer' value='e2e'/>"
        "<property name='qase_id' value='99'/>"
        "<property name='java.version' value='21'/></properties>"
        "<testcase name='t'><properties>"
        "<property name='severity' value='critical'/>"
        "<property name='step[passed]' value='open cart/add book'/>"
        "<property name='step[failed]' value='open cart'/>"
        "<property name='step[passed]' value='pay'/>"
        "<property name='step[exploded]' value='lost parent/orphan'/>"
        "</properties></testcase></testsuite>",
    )
    assert result.fields == {"layer": "e2e", "severity": "critical"}
    assert result.testops_id is None  # a suite's case id is not its tests'
    steps = result.steps or []
    assert [(s.data.action if s.data else None) for s in steps] == ["open cart", "pay", "orphan"]
    assert steps[2].execution is not None
    assert steps[2].execution.status == "blocked"
    assert steps[0].execution is not None
    assert steps[0].execution.status == "failed"
    child = (steps[0].steps or [])[0]
    assert child.data is not None
    assert child.data.action == "add book"


def test_suite_output_is_attached_to_each_test_of_its_suite(tmp_path: Path):
    """Suite-level system-out (after the tests, as Ant writes it) is attached as a file."""
    items = list(
        read_report(
            _write(
                tmp_path,
                "<testsuite name='s'><testcase name='a'/><testcase name='b'/>"
                "<system-out>server log line</system-out></testsuite>",
            )
        )
    )
    files = {p for item in items for p in item.attachments}
    (only,) = files
    assert all(item.attachments == (only,) for item in items)
    assert Path(only).read_text(encoding="utf-8") == "server log line"


def _write(tmp_path: Path, xml: str) -> Path:
    report = tmp_path / "report.xml"
    report.write_text(xml, encoding="utf-8")
    return report


def test_long_titles_and_stack_traces_are_cut_and_kept_whole_elsewhere(tmp_path: Path):
    """A title over 255 characters is cut (the full one in the message and signature);
    a huge stack trace is cut with a note and attached whole."""
    name = "t" * 300
    trace = "at frame\n" * 20_000
    (item,) = read_report(
        _write(
            tmp_path,
            f"<testsuite name='s'><testcase name='{name}'><failure>{trace}</failure>"
            "</testcase></testsuite>",
        )
    )
    result = item.result
    assert len(result.title) == 255
    assert result.message is not None
    assert name in result.message
    assert result.signature is not None
    assert name in result.signature
    assert result.execution.stacktrace is not None
    assert len(result.execution.stacktrace) < 70_000
    assert "more characters in the attached stacktrace.txt" in result.execution.stacktrace
    (whole,) = item.attachments
    assert Path(whole).read_text(encoding="utf-8") == trace.strip()


def test_two_byte_identical_reports_are_read_once_with_a_warning(tmp_path: Path):
    """The same bytes twice would give the same ids: read once, never counted twice."""
    xml = "<testsuite name='s'><testcase name='a'/><testcase name='b'/></testsuite>"
    first = tmp_path / "a.xml"
    second = tmp_path / "copy" / "a.xml"
    second.parent.mkdir()
    first.write_text(xml)
    second.write_text(xml)
    reading = Reading([first, second])
    items = list(reading.items("DEMO:1"))
    assert len(items) == 2
    assert sum(reading.log.statuses.values()) == 2
    assert [w.report for w in reading.log.warnings] == [str(second)]


def test_upload_attaches_long_output_and_leaves_no_text_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    """Output over its cap is uploaded as a text file, which is removed afterwards."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    report = _write(
        tmp_path,
        f"<testsuite name='s'><testcase name='t'><system-out>{'x' * 40_000}</system-out>"
        "</testcase></testsuite>",
    )
    assert main(["upload", str(report), "-p", "DEMO", "--fake", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["sent"], data["attachments_uploaded"]) == (1, 1)
    assert list(scratch.iterdir()) == []


def test_a_repeated_report_is_counted_once_up_front(tmp_path: Path):
    """The count given before reading (the progress total) skips the repeat too."""
    report = _write(tmp_path, "<testsuite name='s'><testcase name='a'/></testsuite>")
    reading = Reading([report, report])
    assert reading.count() == 1
    assert len(list(reading.items())) == 1
    assert len(reading.log.warnings) == 1


@pytest.mark.parametrize(("declared", "codec"), [("UTF-16", "utf-16"), ("ISO-8859-1", "latin-1")])
def test_declared_encodings_are_honoured(tmp_path: Path, declared: str, codec: str):
    """UTF-16 with a byte-order mark and Latin-1 reports read as their declaration says."""
    report = tmp_path / "report.xml"
    report.write_bytes(
        f'<?xml version="1.0" encoding="{declared}"?>'
        "<testsuite name='s'><testcase name='caf\u00e9'/></testsuite>".encode(codec)
    )
    (item,) = read_report(report)
    assert item.result.title == "caf\u00e9"


def test_a_huge_failure_message_is_cut_and_attached_whole(tmp_path: Path):
    """A 100,000-character failure message is cut with a note; message.txt holds it all."""
    long = "m" * 100_000
    (item,) = read_report(
        _write(
            tmp_path,
            f"<testsuite name='s'><testcase name='t'><failure message='{long}'/>"
            "</testcase></testsuite>",
        )
    )
    message = item.result.message
    assert message is not None
    assert len(message) < 83_000
    assert message.endswith("more characters in the attached message.txt]")
    (whole,) = item.attachments
    assert Path(whole).name == "message.txt"
    assert Path(whole).read_text(encoding="utf-8") == long


def test_a_nested_suite_property_overrides_the_outer_one(tmp_path: Path):
    """Suite properties nest: the inner suite's value wins, values are not joined."""
    (result,) = _read(
        tmp_path,
        "<testsuites><testsuite name='outer'><properties><property name='layer' value='e2e'/>"
        "<property name='owner' value='team-a'/></properties>"
        "<testsuite name='inner'><properties><property name='layer' value='api'/></properties>"
        "<testcase name='t'/></testsuite></testsuite></testsuites>",
    )
    assert result.fields == {"layer": "api", "owner": "team-a"}
