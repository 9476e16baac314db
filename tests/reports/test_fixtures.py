"""Reports written by the real tools: every test case read, with the status the tool gave.

The files under ``tests/fixtures/reports`` were produced by the tools themselves (their
README says how); only machine paths and host names were replaced.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qase_async.reports import ReadLog, count_tests, read_report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"

JUNIT = {
    # file: (test cases in the file, {status: results read})
    "pytest-xunit1.xml": (8, {"passed": 4, "failed": 1, "skipped": 2, "invalid": 1}),
    "pytest-xunit2.xml": (8, {"passed": 4, "failed": 1, "skipped": 2, "invalid": 1}),
    "unittest-xml-reporting.xml": (4, {"passed": 1, "failed": 1, "skipped": 1, "invalid": 1}),
    "behave.xml": (4, {"passed": 1, "failed": 1, "skipped": 1, "invalid": 1}),
    "robot-xunit.xml": (4, {"passed": 2, "failed": 1, "skipped": 1}),
    "jest-junit.xml": (5, {"passed": 2, "failed": 2, "skipped": 1}),
    "mocha-junit-reporter.xml": (3, {"passed": 1, "failed": 2}),
    "vitest-junit.xml": (5, {"passed": 1, "failed": 2, "skipped": 2}),
    "node-test.xml": (6, {"passed": 2, "failed": 2, "skipped": 2}),
    "phpunit.xml": (7, {"passed": 3, "failed": 1, "skipped": 2, "invalid": 1}),
    "googletest.xml": (6, {"passed": 2, "failed": 2, "skipped": 2}),
    "gotestsum.xml": (7, {"passed": 4, "failed": 2, "skipped": 1}),
    "surefire-junit5-reruns.xml": (7, {"passed": 4, "failed": 1, "skipped": 1, "invalid": 1}),
    "nose2.xml": (4, {"passed": 1, "failed": 1, "skipped": 1, "invalid": 1}),
    "prove-tap-harness-junit.xml": (5, {"passed": 2, "failed": 2, "skipped": 1}),
    "rspec-junit-formatter.xml": (5, {"passed": 1, "failed": 2, "skipped": 2}),
    "cucumber-js.xml": (4, {"passed": 1, "failed": 3}),
    "catch2.xml": (5, {"passed": 2, "failed": 2, "invalid": 1}),
    "ctest.xml": (5, {"passed": 1, "failed": 1, "skipped": 3}),
    "testng.xml": (5, {"passed": 1, "failed": 1, "skipped": 1, "invalid": 2}),
    "ant-junit4.xml": (5, {"passed": 1, "failed": 1, "skipped": 2, "invalid": 1}),
}

FOLDERS = {
    "allure-pytest": (6, {"passed": 3, "failed": 1, "skipped": 1, "invalid": 1}),
    "allure-jest": (5, {"passed": 1, "failed": 1, "skipped": 2, "invalid": 1}),
    "qase-pytest": (6, {"passed": 3, "failed": 2, "skipped": 1}),
}


@pytest.mark.parametrize("name", sorted(JUNIT))
def test_every_junit_testcase_is_read_with_its_status(name: str):
    """Each <testcase> of a real producer's file is one result, with the right status."""
    path = FIXTURES / "junit" / name
    in_file, expected = JUNIT[name]
    assert len(re.findall(r"<testcase\b", path.read_text(encoding="utf-8"))) == in_file
    log = ReadLog()
    items = list(read_report(path, log=log))
    assert len(items) == count_tests(path) == in_file
    assert dict(log.statuses) == expected
    assert not log.warnings


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_every_allure_and_qase_result_is_read_with_its_status(name: str):
    """Each result file of an Allure or Qase report folder is one result."""
    path = FIXTURES / name
    files = sorted(path.glob("*-result.json")) or sorted((path / "results").glob("*.json"))
    in_folder, expected = FOLDERS[name]
    assert len(files) == in_folder
    log = ReadLog()
    items = list(read_report(path, log=log))
    assert len(items) == count_tests(path) == in_folder
    assert dict(log.statuses) == expected
    assert not log.warnings


def test_googletest_disabled_and_recorded_properties():
    """A DISABLED_ test (status="notrun") is skipped; RecordProperty becomes a field."""
    items = {i.result.title: i.result for i in read_report(FIXTURES / "junit" / "googletest.xml")}
    assert items["DISABLED_NotReady"].execution.status == "skipped"
    assert items["Records"].fields == {"severity": "critical"}


@pytest.mark.parametrize(
    ("name", "title", "expected"),
    [
        ("jest-junit.xml", "orders adds an item", ["orders"]),
        ("mocha-junit-reporter.xml", "orders adds an item", ["orders"]),
        ("vitest-junit.xml", "calc > adds", ["src/calc.vitest.test.ts"]),
        ("behave.xml", "add an item", ["cart", "Cart"]),
        ("node-test.xml", "adds an item", ["orders"]),
        ("phpunit.xml", "testAdds", ["CartTest"]),
        ("googletest.xml", "Adds", ["CalcTest"]),
        ("gotestsum.xml", "TestAdds", ["example.com/shop/calc"]),
        ("surefire-junit5-reruns.xml", "adds", ["shop", "CartTest"]),
        ("robot-xunit.xml", "Adds", ["Shop"]),
        ("pytest-xunit1.xml", "test_adds", ["test_shop"]),
    ],
)
def test_suite_paths_per_producer(name: str, title: str, expected: list[str]):
    """Each producer's way of naming suites gives the suite path a person would expect."""
    (result,) = [
        i.result for i in read_report(FIXTURES / "junit" / name) if i.result.title == title
    ]
    assert result.relations is not None
    assert result.relations.suite is not None
    assert [s.title for s in result.relations.suite.data] == expected


def test_surefire_reruns_keep_every_attempt_and_drop_the_jvm_environment():
    """Surefire with rerunFailingTestsCount: flaky passes, reruns keep the failure, every
    attempt is in the message; the 51 JVM properties do not become fields."""
    items = {
        i.result.title: i.result
        for i in read_report(FIXTURES / "junit" / "surefire-junit5-reruns.xml")
    }
    flaky, fails, errors = items["flaky"], items["fails"], items["errors"]
    assert flaky.execution.status == "passed"
    assert flaky.message is not None
    assert "Reruns (passed on a rerun)" in flaky.message
    assert "Attempt 1 failed" in flaky.message
    assert fails.execution.status == "failed"
    assert fails.message is not None
    assert fails.message.count("Rerun ") == 2
    assert errors.execution.status == "invalid"
    assert all(r.fields is None for r in items.values())
    assert items["positive(int)"].params in ({"parameters": "1"}, {"parameters": "2"})


def test_playwright_annotations_and_attachments_beside_the_report():
    """Playwright: annotations are fields; its ``../test-results`` attachments are refused
    by default and attached once that folder is allowed."""
    report = FIXTURES / "playwright" / "out" / "playwright-junit.xml"
    log = ReadLog()
    items = {i.result.title: i for i in read_report(report, log=log)}
    assert items["cart \u203a adds an item"].result.fields == {"severity": "critical"}
    assert items["cart \u203a skipped for now"].result.fields is None
    assert len(log.refused) == 3
    allowed = ReadLog()
    items = {
        i.result.title: i
        for i in read_report(
            report, log=allowed, attachment_roots=[FIXTURES / "playwright" / "test-results"]
        )
    }
    assert allowed.refused == []
    assert [Path(p).parent.name for p in items["cart \u203a fails a total"].attachments] == [
        "cart-cart-fails-a-total",
        "cart-cart-fails-a-total-retry1",
    ]
    assert dict(allowed.statuses) == {"passed": 2, "failed": 1, "skipped": 1}


def test_ctest_disabled_and_testng_skips_are_skipped():
    """CTest's ``status="disabled"`` (no child) and TestNG 6's SkipException errors are
    skips, not passes or errors."""
    ctest = {i.result.title: i.result for i in read_report(FIXTURES / "junit" / "ctest.xml")}
    assert ctest["disabled"].execution.status == "skipped"
    testng = {i.result.title: i.result for i in read_report(FIXTURES / "junit" / "testng.xml")}
    assert testng["skips"].execution.status == "skipped"
    assert testng["skips"].message == "not ready"


def test_ant_suite_output_is_attached_to_every_test():
    """Ant writes all output once per suite, after the tests: each test gets it attached,
    and none of the 59 properties of the JVM becomes a field."""
    items = list(read_report(FIXTURES / "junit" / "ant-junit4.xml"))
    for item in items:
        names = sorted(Path(p).name for p in item.attachments)
        assert names == ["suite-system-err.txt", "suite-system-out.txt"]
        assert item.result.fields is None
    out = next(p for p in items[0].attachments if p.endswith("suite-system-out.txt"))
    assert "adding a book" in Path(out).read_text(encoding="utf-8")


def test_phpunit_data_sets_are_parameters():
    """PHPUnit's ``with data set "small"`` is a parameter of one ``testPairs`` test."""
    pairs = [
        i.result
        for i in read_report(FIXTURES / "junit" / "phpunit.xml")
        if i.result.title == "testPairs"
    ]
    assert sorted((p.params or {}).get("data set", "") for p in pairs) == ["big", "small"]


def test_node_test_nested_suites_and_pytest_parameters():
    """node:test's nested <testsuite> names are the suite path; pytest ids become params."""
    nested = {i.result.title: i.result for i in read_report(FIXTURES / "junit" / "node-test.xml")}[
        "throws"
    ]
    assert nested.relations is not None
    assert nested.relations.suite is not None
    assert [s.title for s in nested.relations.suite.data] == ["orders", "nested"]
    pairs = [
        i.result
        for i in read_report(FIXTURES / "junit" / "pytest-xunit2.xml")
        if i.result.title == "test_pairs"
    ]
    assert sorted(p.params["parameters"] for p in pairs if p.params) == ["1-2", "3-4"]
    assert len({p.signature for p in pairs}) == 2


def test_allure_steps_fixtures_labels_and_links():
    """Allure steps nest, fixtures become before/after steps, a tms link names the case."""
    items = {i.result.title: i for i in read_report(FIXTURES / "allure-pytest")}
    add = items["test_add"]
    assert add.result.testops_id == 7
    assert add.result.fields is not None
    assert add.result.fields["severity"] == "critical"
    actions = [s.data.action for s in add.result.steps or [] if s.data]
    assert actions[0] == "before: cart"
    assert "add a book" in actions
    assert [Path(p).name for p in add.attachments] == [
        "9d2162d6-05e7-449c-a98a-65851e08691d-attachment.txt"
    ]
    failed = items["test_fail"].result
    outer = next(s for s in failed.steps or [] if s.data and s.data.action == "outer")
    assert outer.execution is not None
    assert outer.execution.status == "failed"
    assert outer.steps
    assert outer.steps[0].data
    assert outer.steps[0].data.action == "inner fails"
    assert items["test_broken"].result.execution.status == "invalid"


def test_qase_report_keeps_ids_fields_suites_and_attachments():
    """A qase-pytest report keeps its case id, fields, suite path, steps and attachment."""
    items = {i.result.title: i for i in read_report(FIXTURES / "qase-pytest")}
    added = items["Adds a book to the cart"]
    assert added.result.testops_id == 7
    assert added.result.fields == {"layer": "unit", "severity": "critical"}
    assert [Path(p).name for p in added.attachments] == [
        "7dea5b1f-7e3b-44b4-9085-b5696d583221-note.txt"
    ]
    failed = items["test_fail"].result
    assert failed.relations is not None
    assert failed.relations.suite is not None
    assert [s.title for s in failed.relations.suite.data] == ["Cart", "Checkout"]
    assert failed.execution.stacktrace is not None
