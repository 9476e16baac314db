"""Read JUnit XML reports (the common CI format) into v2 results, streaming.

What is read, per ``<testcase name classname time>`` at any depth under
``<testsuites>``/``<testsuite>``:

- status: ``<failure>`` -> ``failed``; ``<error>`` -> ``invalid`` (the test broke rather
  than failed an assertion, as Qase's own reporters have it); ``<skipped>`` ->
  ``skipped``; none of them -> ``passed``.
- ``message``: the failure/error/skip ``message`` attribute, then ``<system-out>`` and
  ``<system-err>`` (each capped at :data:`MAX_OUTPUT` characters, with a note saying so).
- ``execution.stacktrace``: the failure or error text; ``execution.duration``: ``time``
  in milliseconds.
- suite path: the dotted ``classname`` (``tests.api.test_users``), or the enclosing
  ``<testsuite name>``\\ s when there is no classname.
- attachments: ``[[ATTACHMENT|path]]`` lines in ``<system-out>``/``<system-err>``
  (the Jenkins and GitLab convention) and ``<property name="attachment" value="path"/>``.
  Relative paths are taken from the report's folder first, then the working directory.
- ``<property name="qase_id" value="12"/>`` (or ``testops_id``; a comma list for
  several) links the result to existing cases.

The ids are derived from the file's bytes, the test's position in the file and the
caller's ``namespace`` (the CLI passes the project and run), so uploading the same report
to the same run twice creates nothing new.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from ._upload import UploadItem
from .exceptions import JUnitError
from .models import (
    RelationSuite,
    RelationSuiteItem,
    ResultCreateV2,
    ResultExecution,
    ResultRelations,
)

__all__ = ["JUnitError", "count_testcases", "read_junit"]

MAX_OUTPUT: Final = 32_768
"""Characters of ``system-out``/``system-err`` kept per test case."""
_ATTACHMENT_RE: Final = re.compile(r"\[\[ATTACHMENT\|([^\]\r\n]+)\]\]")
_ID_NAMESPACE: Final = uuid.UUID("6f1b7c1e-29a4-4a8e-9d55-3c2b8f0e4a71")
_CASE_ID_PROPERTIES: Final = frozenset({"qase_id", "testops_id", "qase.id"})
_ATTACHMENT_PROPERTIES: Final = frozenset({"attachment", "attachments"})


def _local(tag: object) -> str:
    """The tag without a namespace (``{ns}testcase`` -> ``testcase``)."""
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def _open_error(path: Path, error: OSError) -> JUnitError:
    reason = error.strerror or type(error).__name__
    return JUnitError(f"{path}: cannot read the report: {reason}")


def _parse_error(path: Path, error: ET.ParseError) -> JUnitError:
    line, column = getattr(error, "position", (0, 0))
    return JUnitError(f"{path}: malformed XML at line {line}, column {column + 1}")


def count_testcases(path: str | os.PathLike[str]) -> int:
    """Check that a report is well-formed JUnit XML and count its test cases.

    Raises:
        JUnitError: The file is missing or unreadable, is not XML, or its root is not
            ``<testsuites>``/``<testsuite>``.
    """
    path = Path(path)
    count = 0
    first = True
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            if first:
                first = False
                if _local(elem.tag) not in ("testsuites", "testsuite"):
                    raise JUnitError(
                        f"{path}: not a JUnit report (the root element is "
                        f"<{_local(elem.tag)}>, not <testsuites> or <testsuite>)"
                    )
            elif event == "end" and _local(elem.tag) == "testcase":
                count += 1
                elem.clear()
    except ET.ParseError as error:
        raise _parse_error(path, error) from None
    except OSError as error:
        raise _open_error(path, error) from None
    return count


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as error:
        raise _open_error(path, error) from None
    return digest.hexdigest()


def _capped(label: str, text: str) -> str:
    text = text.strip()
    if len(text) > MAX_OUTPUT:
        dropped = len(text) - MAX_OUTPUT
        text = f"{text[:MAX_OUTPUT]}\n[... {dropped} more characters not uploaded]"
    return f"--- {label} ---\n{text}"


def _resolve(raw: str, base: Path) -> str:
    candidate = Path(raw.strip())
    if candidate.is_absolute():
        return str(candidate)
    beside = base / candidate
    return str(beside if beside.exists() or not candidate.exists() else candidate)


def _int_ids(value: str) -> list[int]:
    ids = []
    for part in value.replace(";", ",").split(","):
        part = part.strip()
        if part.isdigit():
            ids.append(int(part))
    return ids


def _testcase(
    case: ET.Element, suites: list[str], base: Path, ident: str
) -> tuple[ResultCreateV2, list[str]]:
    name = (case.get("name") or "").strip() or "(unnamed test)"
    classname = (case.get("classname") or "").strip()
    status = "passed"
    message_parts: list[str] = []
    stacktrace: str | None = None
    attachments: list[str] = []
    case_ids: list[int] = []
    for child in case:
        tag = _local(child.tag)
        if tag in ("failure", "error"):
            # An error outranks a failure: the test did not get to judge the code.
            status = "invalid" if tag == "error" or status == "invalid" else "failed"
            head = " ".join(x for x in (child.get("type"), child.get("message")) if x)
            if head:
                message_parts.append(head.strip())
            text = (child.text or "").strip()
            if text:
                stacktrace = text if stacktrace is None else f"{stacktrace}\n\n{text}"
        elif tag == "skipped":
            if status == "passed":
                status = "skipped"
            reason = (child.get("message") or child.text or "").strip()
            if reason:
                message_parts.append(reason)
        elif tag in ("system-out", "system-err"):
            text = child.text or ""
            attachments.extend(_resolve(m, base) for m in _ATTACHMENT_RE.findall(text))
            text = _ATTACHMENT_RE.sub("", text)
            if text.strip():
                message_parts.append(_capped(tag, text))
        elif tag == "properties":
            for prop in child:
                key = (prop.get("name") or "").strip().lower()
                value = prop.get("value") if prop.get("value") is not None else prop.text
                if value is None:
                    continue
                if key in _ATTACHMENT_PROPERTIES:
                    attachments.extend(_resolve(v, base) for v in value.split(",") if v.strip())
                elif key in _CASE_ID_PROPERTIES:
                    case_ids.extend(_int_ids(value))
    duration: int | None = None
    try:
        seconds = float(case.get("time") or "")
        if seconds >= 0:
            duration = round(seconds * 1000)
    except ValueError:
        pass
    path = [p for p in classname.split(".") if p] if classname else list(suites)
    relations = (
        ResultRelations(suite=RelationSuite(data=[RelationSuiteItem(title=p) for p in path]))
        if path
        else None
    )
    result = ResultCreateV2(
        id=ident,
        title=name,
        signature="::".join([*path, name]),
        execution=ResultExecution(status=status, duration=duration, stacktrace=stacktrace),
        message="\n\n".join(message_parts) or None,
        relations=relations,
        testops_id=case_ids[0] if len(case_ids) == 1 else None,
        testops_ids=case_ids if len(case_ids) > 1 else None,
    )
    return result, list(dict.fromkeys(attachments))


def read_junit(path: str | os.PathLike[str], *, namespace: str = "") -> Iterator[UploadItem]:
    """Stream the test cases of a JUnit XML report as upload items.

    Memory stays flat however large the report: each ``<testcase>`` is dropped once read.

    Args:
        path: The report.
        namespace: Mixed into every result id (e.g. ``"DEMO:42"`` for project and run),
            so the same report sent to another run gets other ids.

    Yields:
        :class:`~qase_async.UploadItem` objects, in document order.

    Raises:
        JUnitError: The file is missing, unreadable or malformed (possibly after some
            items were yielded; call :func:`count_testcases` first to check up front).
    """
    path = Path(path)
    digest = _file_digest(path)
    base = path.resolve().parent
    suites: list[str] = []
    stack: list[ET.Element] = []
    index = 0
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            tag = _local(elem.tag)
            if event == "start":
                if tag == "testsuite":
                    suites.append((elem.get("name") or "").strip())
                stack.append(elem)
                continue
            stack.pop()
            if tag == "testsuite":
                suites.pop()
            elif tag == "testcase":
                ident = str(uuid.uuid5(_ID_NAMESPACE, f"{namespace}:{digest}:{index}"))
                index += 1
                result, files = _testcase(elem, [s for s in suites if s], base, ident)
                yield UploadItem(result=result, attachments=tuple(files))
                # Drop the element so memory does not grow with the report.
                elem.clear()
                if stack:
                    stack[-1].remove(elem)
    except ET.ParseError as error:
        raise _parse_error(path, error) from None
    except OSError as error:
        raise _open_error(path, error) from None
