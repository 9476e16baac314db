"""The JUnit XML reader: statuses, output, attachments, ids, and one-line errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from qase_async.reports import MAX_OUTPUT, JUnitError, ReportError, count_tests, read_report

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "junit-report.xml"


def test_the_example_report_reads_as_50_results():
    """Every test case of the example becomes a result with the status JUnit gave it."""
    items = list(read_report(EXAMPLE, namespace="DEMO:1"))
    assert len(items) == count_tests(EXAMPLE) == 50
    statuses = Counter(item.result.execution.status for item in items)
    assert statuses == {"passed": 40, "failed": 4, "invalid": 2, "skipped": 4}


def test_failure_output_and_suites_are_carried_over():
    """Message, stack trace, duration, suite path and system-out land in the result."""
    items = {i.result.title: i for i in read_report(EXAMPLE)}
    failed = items["test_checkout_saved_card"].result
    assert failed.execution.status == "failed"
    assert failed.execution.stacktrace is not None
    assert "TimeoutException" in failed.execution.stacktrace
    assert failed.message is not None
    assert "timed out waiting for #pay-button" in failed.message
    assert "--- system-out ---" in failed.message
    assert "[[ATTACHMENT" not in failed.message
    assert failed.relations is not None
    assert failed.relations.suite is not None
    assert [s.title for s in failed.relations.suite.data] == ["tests", "ui", "test_checkout"]
    assert failed.signature == "tests::ui::test_checkout::test_checkout_saved_card"
    assert isinstance(failed.execution.duration, int)
    assert failed.execution.duration > 0
    skipped = items["test_sso_button_redirects"].result
    assert skipped.message == "SSO provider not configured in CI"


def test_attachments_are_found_beside_the_report():
    """[[ATTACHMENT|...]] lines and attachment properties name files relative to the report."""
    items = {i.result.title: i for i in read_report(EXAMPLE)}
    shot = items["test_checkout_saved_card"].attachments
    log = items["test_charge_card_sandbox"].attachments
    assert [Path(p).name for p in shot] == ["checkout-timeout.png"]
    assert [Path(p).name for p in log] == ["payment-gateway.log"]
    named = {p for i in items.values() for p in i.attachments}
    assert len(named) == 3
    assert all(Path(p).is_file() for p in named)


def test_ids_are_stable_per_namespace_and_unique():
    """The same report gives the same ids in the same run (a rerun duplicates nothing)."""
    first = [i.result.id for i in read_report(EXAMPLE, namespace="DEMO:1")]
    again = [i.result.id for i in read_report(EXAMPLE, namespace="DEMO:1")]
    other = [i.result.id for i in read_report(EXAMPLE, namespace="DEMO:2")]
    assert first == again
    assert len(set(first)) == 50
    assert not set(first) & set(other)


def test_case_ids_single_root_namespaces_and_long_output(tmp_path: Path):
    """A <testsuite> root with a namespace works; qase_id properties link cases; long
    output is cut with a note, and all of it is attached as a text file."""
    report = tmp_path / "r.xml"
    long_out = "x" * (MAX_OUTPUT + 10)
    report.write_text(
        '<testsuite xmlns="urn:example" name="unit">'
        '<testcase name="a"><properties><property name="qase_id" value="12"/></properties>'
        "</testcase>"
        '<testcase name="b"><properties><property name="qase_id" value="3, 4"/></properties>'
        f"<system-out>{long_out}</system-out></testcase>"
        "</testsuite>",
        encoding="utf-8",
    )
    items = list(read_report(report))
    a, b = (i.result for i in items)
    assert a.testops_id == 12
    assert b.testops_ids == [3, 4]
    assert a.relations is not None
    assert a.relations.suite is not None
    assert [s.title for s in a.relations.suite.data] == ["unit"]
    assert b.message is not None
    assert "[... 10 more characters in the attached system-out.txt]" in b.message
    (whole,) = items[1].attachments
    assert Path(whole).name == "system-out.txt"
    assert Path(whole).read_text(encoding="utf-8") == long_out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<testsuites><testsuite><testcase name='a'>", "malformed XML at line 1"),
        ("<html><body/></html>", "not a JUnit report"),
        ("", "malformed XML"),
    ],
)
def test_bad_reports_give_one_line_naming_the_file(tmp_path: Path, content: str, expected: str):
    """Malformed or foreign XML raises JUnitError with a one-line message naming the file."""
    report = tmp_path / "bad.xml"
    report.write_text(content, encoding="utf-8")
    with pytest.raises(JUnitError) as caught:
        count_tests(report)
    message = str(caught.value)
    assert expected in message
    assert str(report) in message
    assert "\n" not in message


def test_a_missing_report_is_one_line(tmp_path: Path):
    """A missing file is reported by name, by both the checker and the reader."""
    missing = tmp_path / "nope.xml"
    with pytest.raises(ReportError, match=r"nope\.xml: cannot read"):
        count_tests(missing)
    with pytest.raises(ReportError, match=r"nope\.xml: cannot read"):
        list(read_report(missing))
