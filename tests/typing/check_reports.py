"""Only type-checked (mypy --strict), never run: the report readers read as intended."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import assert_type

from qase_async import UploadItem
from qase_async.reports import Reading, ReadLog, RefusedAttachment, read_report


def typed_reading() -> None:
    log = ReadLog()
    items = read_report("allure-results", format="allure", attachment_roots=["shots"], log=log)
    assert_type(items, Iterator[UploadItem])
    reading = Reading(["junit.xml", "qase-report"], log=log)
    assert_type(reading.count(), int)
    assert_type(reading.items("DEMO:1"), Iterator[UploadItem])
    assert_type(log.statuses, Counter[str])
    assert_type(log.refused, list[RefusedAttachment])
    assert_type(reading.ok, bool)
