"""Allure and Qase readers on hand-made edge cases, and the CLI over every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qase_async._cli import main
from qase_async.reports import ReadLog, ReportError, count_tests, detect_format, read_report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"


def _result(folder: Path, stem: str, **data: object) -> None:
    (folder / f"{stem}-result.json").write_text(json.dumps(data), encoding="utf-8")


def test_an_allure_result_file_that_is_not_an_object_is_named(tmp_path: Path):
    """Valid JSON that is not a result object is skipped with a warning, never silently."""
    _result(tmp_path, "a", uuid="a", name="t", status="passed")
    (tmp_path / "b-result.json").write_text("[1, 2]", encoding="utf-8")
    log = ReadLog()
    (item,) = read_report(tmp_path, log=log)
    assert item.result.execution.status == "passed"
    assert [(Path(w.report).name, w.message) for w in log.warnings] == [
        ("b-result.json", "not read: not a JSON object")
    ]


def test_allure_retries_send_the_last_attempt_and_list_the_others(tmp_path: Path):
    """Results sharing a historyId are one test: the last attempt, earlier ones listed."""
    _result(
        tmp_path,
        "a",
        uuid="a",
        historyId="h",
        name="t",
        status="failed",
        stop=1000,
        statusDetails={"message": "first try"},
    )
    _result(tmp_path, "b", uuid="b", historyId="h", name="t", status="passed", stop=2000)
    log = ReadLog()
    (item,) = read_report(tmp_path, log=log)
    assert item.result.execution.status == "passed"
    assert item.result.message is not None
    assert "Attempt 1 failed: first try" in item.result.message
    assert log.statuses == {"passed": 1}
    assert count_tests(tmp_path) == 1


def test_allure_unknown_status_masked_params_and_a_broken_file(tmp_path: Path):
    """unknown -> invalid; masked parameters hidden; a file that is not JSON only warns."""
    _result(
        tmp_path,
        "a",
        uuid="a",
        name="t",
        status="unknown",
        parameters=[
            {"name": "password", "value": "s3cret", "mode": "masked"},
            {"name": "debug", "value": "1", "mode": "hidden"},
        ],
    )
    (tmp_path / "b-result.json").write_text("{not json", encoding="utf-8")
    log = ReadLog()
    (item,) = read_report(tmp_path, log=log)
    assert item.result.execution.status == "invalid"
    assert item.result.params == {"password": "******"}
    assert [Path(w.report).name for w in log.warnings] == ["b-result.json"]
    assert count_tests(tmp_path) == 1


def test_allure_attachment_outside_the_folder_is_refused(tmp_path: Path):
    """An Allure attachment source that climbs out of the results folder is refused."""
    _result(
        tmp_path,
        "a",
        uuid="a",
        name="t",
        status="passed",
        attachments=[{"name": "x", "source": "../../../../etc/hostname"}],
    )
    log = ReadLog()
    (item,) = read_report(tmp_path, log=log)
    assert item.attachments == ()
    assert [r.path for r in log.refused] == ["../../../../etc/hostname"]


def test_qase_unknown_status_and_inline_content(tmp_path: Path):
    """A status the API does not know is sent as invalid; inline content is attached."""
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "r.json").write_text(
        json.dumps(
            {
                "id": "r",
                "title": "t",
                "execution": {"status": "exploded"},
                "attachments": [
                    {"file_name": "log.txt", "mime_type": "text/plain", "content": "hello"}
                ],
            }
        ),
        encoding="utf-8",
    )
    log = ReadLog()
    (item,) = read_report(tmp_path, log=log)
    assert item.result.execution.status == "invalid"
    (attached,) = item.attachments
    assert Path(attached).read_text(encoding="utf-8") == "hello"
    assert len(log.warnings) == 1


def test_formats_are_detected_from_what_is_given(tmp_path: Path):
    """Folders and files are told apart; an empty folder is a one-line error."""
    assert detect_format(FIXTURES / "allure-pytest") == "allure"
    assert detect_format(FIXTURES / "qase-pytest") == "qase"
    assert detect_format(FIXTURES / "junit") == "junit"
    assert detect_format(FIXTURES / "junit" / "behave.xml") == "junit"
    with pytest.raises(ReportError, match="no report found"):
        detect_format(tmp_path)


@pytest.mark.parametrize(
    ("report", "sent"),
    [("allure-pytest", 6), ("allure-jest", 5), ("qase-pytest", 6), ("junit/behave.xml", 4)],
)
def test_upload_sends_every_format_to_the_fake(
    report: str, sent: int, capsys: pytest.CaptureFixture[str]
):
    """``upload`` takes each format unchanged; --json keeps its fields and adds the reading's."""
    status = main(["upload", str(FIXTURES / report), "-p", "DEMO", "--fake", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (data["sent"], data["failed"], data["ok"]) == (sent, 0, True)
    assert sum(data["read"].values()) == sent
    assert data["refused_attachments"] == []
    for key in ("run_id", "spooled", "spool_path", "requests", "failures", "project"):
        assert key in data


def test_format_option_overrides_detection(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """A folder holding Allure results and a JUnit file is Allure unless --format says."""
    _result(tmp_path, "a", uuid="a", name="allure test", status="passed")
    (tmp_path / "junit.xml").write_text(
        "<testsuite name='s'><testcase name='x'/><testcase name='y'><skipped/></testcase>"
        "</testsuite>"
    )
    assert main(["read", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["read"] == {"passed": 1}
    assert main(["read", str(tmp_path), "--json", "--format", "junit"]) == 0
    assert json.loads(capsys.readouterr().out)["read"] == {"passed": 1, "skipped": 1}


def test_a_junit_folder_is_read_to_its_depth_skipping_other_xml(tmp_path: Path):
    """A folder of JUnit files is read recursively; TestNG's testng-results.xml beside
    them is skipped with a warning instead of failing the upload."""
    (tmp_path / "unit").mkdir()
    (tmp_path / "unit" / "TEST-a.xml").write_text(
        "<testsuite name='a'><testcase name='x'/></testsuite>"
    )
    (tmp_path / "TEST-b.xml").write_text(
        "<testsuites><testsuite name='b'><testcase name='y'/></testsuite></testsuites>"
    )
    (tmp_path / "testng-results.xml").write_text("<testng-results skipped='0'/>")
    log = ReadLog()
    items = list(read_report(tmp_path, log=log))
    assert sorted(i.result.title for i in items) == ["x", "y"]
    assert count_tests(tmp_path) == 2
    assert [Path(w.report).name for w in log.warnings] == ["testng-results.xml"]


@pytest.mark.parametrize("name", ["..", "../../escape.txt", "a\x00b.txt", ""])
def test_inline_content_names_cannot_leave_the_text_folder(tmp_path: Path, name: str):
    """A hostile inline attachment name still gives one plain file in the text folder."""
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "r.json").write_text(
        json.dumps(
            {
                "id": "r",
                "title": "t",
                "execution": {"status": "passed"},
                "attachments": [{"file_name": name, "mime_type": "text/plain", "content": "x"}],
            }
        ),
        encoding="utf-8",
    )
    (item,) = read_report(tmp_path)
    (attached,) = item.attachments
    assert Path(attached).is_file()
    assert Path(attached).read_text(encoding="utf-8") == "x"
    assert Path(attached).parent.parent.name.startswith("qase-async-text-")
