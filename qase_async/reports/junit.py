"""Read JUnit XML reports into v2 results: every producer's dialect, streaming.

Rules (each is listed with an example per producer in ``docs/reports.md``):

- **status**: ``<error>`` -> ``invalid``; ``<failure>`` -> ``failed``; ``<skipped>``,
  ``<ignored>``, ``<disabled>``, ``status="notrun|disabled|skipped|ignored"``,
  ``result="suppressed|skipped"`` or an error of type ``SkipException`` (TestNG 6),
  ``TestAbortedException`` or ``AssumptionViolatedException`` -> ``skipped``;
  otherwise ``passed``. Surefire's
  ``flakyFailure``/``flakyError`` (failed, then passed on a rerun) leave the outcome
  ``passed``; ``rerunFailure``/``rerunError`` (failed on every rerun) leave it failed;
  either way every attempt is listed in the message.
- **a suite that died**: an ``<error>`` or ``<failure>`` directly inside ``<testsuite>``
  becomes one more result for that suite, ``invalid``, with its message and output.
- **suite path**: in a file that nests ``<testsuite>`` elements (node:test, PHPUnit data
  sets), the names of the suites around the test; otherwise the ``classname`` split on
  dots (``tests.api.test_users``) unless it is a file name (``orders.spec.js``), a path or
  URL (``example.com/shop/calc``) or has spaces, which are kept whole; a classname that
  is the test's own title (jest-junit, mocha-junit-reporter) or is missing gives way to
  the enclosing suite's name.
- **properties**: ``qase_id``/``testops_id`` -> linked cases, ``attachment`` -> files,
  ``step[STATUS]`` -> steps (``a/b`` nests ``b`` under ``a``, as the official CLI reads
  them), every other property -> ``fields``. Suite-level properties apply to each test
  of the suite, except dotted names (``java.version``: the environment Surefire writes).
- **values**: ``time`` -> duration (``inf``, ``NaN``, negative: dropped with a warning);
  ``timestamp`` -> start time; ``test_x[a-b]`` -> title ``test_x``, parameter ``a-b``;
  ``testPairs with data set "small"`` -> title ``testPairs``, parameter ``small``.
- **output**: ``system-out``/``system-err`` go to the message; ``[[ATTACHMENT|path]]``
  lines name files. Suite-level output is attached to every test of its suite as a text
  file. Over their caps, texts are cut with a note and attached whole.

A bad value in one test case (a time of ``1e999``, a timestamp that is no date, bytes
that are not valid in the file's encoding, control characters) never stops the file: the
test is read without that value and a warning says so.

Memory stays bounded: the file is parsed incrementally, each ``<testcase>`` and
``<testsuite>`` is dropped once read, and nothing recurses, so 10,000 nested suites cost
no more than a flat file.
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final, cast

import attrs

from .._upload import UploadItem
from ..exceptions import JUnitError
from ..models import (
    RelationSuite,
    RelationSuiteItem,
    ResultCreateV2,
    ResultExecution,
    ResultRelations,
    ResultStep,
    ResultStepData,
    ResultStepExecution,
)
from ._base import (
    MAX_MESSAGE,
    MAX_OUTPUT,
    MAX_STACKTRACE,
    MAX_SUITE_DEPTH,
    ReadContext,
    cut_title,
    file_digest,
    find_markers,
    open_error,
    stable_id,
    suite_path,
)

__all__ = ["JUnitError", "count", "is_junit", "read"]

_CHUNK: Final = 1 << 16
_CASE_ID_PROPERTIES: Final = frozenset({"qase_id", "testops_id", "qase.id", "testops.id"})
_ATTACHMENT_PROPERTIES: Final = frozenset({"attachment", "attachments"})
_SKIP_TYPES: Final = ("SkipException", "TestAbortedException", "AssumptionViolatedException")
"""Error types that mean "not run": TestNG 6 writes its skips as ``<error>``, JUnit
assumptions abort a test."""
_ENVIRONMENT_PROPERTIES: Final = frozenset({"basedir", "localrepository"})
"""Undotted names in the JVM environment Surefire and Ant write into every suite."""
_NOT_RUN_ELEMENTS: Final = frozenset({"skipped", "ignored", "disabled"})
_NOT_RUN_STATUS: Final = frozenset({"notrun", "not run", "disabled", "skipped", "ignored"})
_NOT_RUN_RESULT: Final = frozenset({"suppressed", "skipped"})
_ATTEMPTS: Final = {
    "flakyFailure": "failed",
    "flakyError": "broke",
    "rerunFailure": "failed",
    "rerunError": "broke",
}
_STEP_STATUSES: Final = frozenset({"passed", "failed", "blocked", "skipped", "in_progress"})
_FILE_SUFFIXES: Final = frozenset(
    {
        "js",
        "mjs",
        "cjs",
        "jsx",
        "ts",
        "mts",
        "cts",
        "tsx",
        "vue",
        "py",
        "rb",
        "php",
        "go",
        "rs",
        "java",
        "kt",
        "scala",
        "cs",
        "fs",
        "vb",
        "swift",
        "feature",
        "robot",
        "c",
        "cc",
        "cpp",
        "h",
        "hpp",
        "m",
        "pl",
        "t",
        "sh",
        "bats",
        "lua",
        "ex",
        "exs",
        "erl",
        "dart",
    }
)
_DECLARATION_RE: Final = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_MAX_SECONDS: Final = 366.0 * 24 * 3600
"""A test longer than a year is a bad value, not a duration."""
# C0 controls are not allowed in XML 1.0; they become their visible Control Pictures.
_CONTROLS: Final = {c: 0x2400 + c for c in range(32) if c not in (9, 10, 13)}


class _NotJUnit(JUnitError):
    """Well-formed XML whose root is not a JUnit one."""


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def _encoding(path: Path, head: bytes) -> tuple[str, int]:
    """The codec name and the number of BOM bytes to skip."""
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            return name, len(bom)
    if head.startswith(b"<\x00?\x00"):
        return "utf-16-le", 0
    if head.startswith(b"\x00<\x00?"):
        return "utf-16-be", 0
    match = _DECLARATION_RE.match(head)
    declared = match.group(1).decode("ascii") if match else "utf-8"
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        raise JUnitError(f"{path}: unknown encoding {declared!r} in the XML declaration") from None
    if name.startswith("utf-16") or name.startswith("utf-32"):
        # Declared UTF-16 without a BOM or a matching start: the bytes say otherwise.
        name = "utf-8"
    return name, 0


@attrs.define
class _Source:
    """The file decoded leniently and fed to the parser in chunks."""

    path: Path
    replaced: int = 0

    def events(self) -> Iterator[tuple[str, ET.Element]]:
        parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
        first = True
        try:
            with self.path.open("rb") as handle:
                head = handle.read(_CHUNK)
                name, skip = _encoding(self.path, head)
                decoder = codecs.getincrementaldecoder(name)(errors="replace")
                utf8 = name == "utf-8"
                chunk = head[skip:]
                while True:
                    last = not chunk
                    text = decoder.decode(chunk, final=last)
                    bad = text.count("\ufffd") - (chunk.count(b"\xef\xbf\xbd") if utf8 else 0)
                    self.replaced += max(0, bad)
                    if text:
                        parser.feed(text.translate(_CONTROLS))
                    if last:
                        parser.close()
                    for record in parser.read_events():
                        # Only start and end events are asked for: both carry an element.
                        event, elem = cast(tuple[str, ET.Element], record)
                        if first:
                            first = False
                            _check_root(self.path, elem)
                        yield event, elem
                    if last:
                        break
                    chunk = handle.read(_CHUNK)
        except ET.ParseError as error:
            line, column = getattr(error, "position", (0, 0))
            raise JUnitError(
                f"{self.path}: malformed XML at line {line}, column {column + 1}"
            ) from None
        except OSError as error:
            raise open_error(self.path, error) from None
        if first:
            raise JUnitError(f"{self.path}: malformed XML (the file is empty)")


def _check_root(path: Path, elem: ET.Element) -> None:
    if _local(elem.tag) not in ("testsuites", "testsuite"):
        raise _NotJUnit(
            f"{path}: not a JUnit report (the root element is <{_local(elem.tag)}>, "
            "not <testsuites> or <testsuite>)"
        )


def _walk(source: _Source) -> Iterator[tuple[str, ET.Element, list[ET.Element]]]:
    """Events with the stack of open elements; read test cases and suites are dropped."""
    stack: list[ET.Element] = []
    for event, elem in source.events():
        if event == "start":
            stack.append(elem)
            yield event, elem, stack
            continue
        stack.pop()
        yield event, elem, stack
        if _local(elem.tag) in ("testcase", "testsuite"):
            elem.clear()
            if stack:
                stack[-1].remove(elem)


def is_junit(path: Path) -> bool:
    """Whether a well-formed XML file's root is ``<testsuites>`` or ``<testsuite>``.

    Raises:
        JUnitError: The file is unreadable or not XML.
    """
    try:
        for _ in _Source(path).events():
            return True  # the root passed the check
    except _NotJUnit:
        return False
    return False


def count(path: Path) -> int:
    """Check that a file is well-formed JUnit XML and count the results it gives: its
    test cases, and one for each suite that died.

    Raises:
        JUnitError: Missing, unreadable, not XML, or not a JUnit report.
    """
    total = 0
    dead: set[int] = set()  # ids of open suites already counted as died
    for event, elem, stack in _walk(_Source(path)):
        if event != "end":
            continue
        tag = _local(elem.tag)
        if tag == "testcase":
            total += 1
        elif tag == "testsuite":
            dead.discard(id(elem))
        elif (
            tag in ("error", "failure")
            and stack
            and _local(stack[-1].tag) == "testsuite"
            and id(stack[-1]) not in dead
        ):
            dead.add(id(stack[-1]))
            total += 1
    return total


# -- one test case --------------------------------------------------------------------------


def _text(elem: ET.Element) -> str:
    return (elem.text or "").strip()


def _prop_value(prop: ET.Element) -> str | None:
    value = prop.get("value")
    return value if value is not None else prop.text


def _int_ids(value: str) -> list[int]:
    return [int(p) for p in value.replace(";", ",").split(",") if p.strip().isdigit()]


_DATA_SET: Final = " with data set "


def _parameters(name: str) -> tuple[str, dict[str, str] | None]:
    """The title and parameters of a parametrized test's name.

    ``test_x[a-b]`` (pytest) -> ``test_x``, ``{"parameters": "a-b"}``;
    ``testPairs with data set "small"`` (PHPUnit) -> ``testPairs``, ``{"data set": "small"}``.
    """
    at = name.find(_DATA_SET)
    if at > 0:
        return name[:at], {"data set": name[at + len(_DATA_SET) :].strip().strip('"')}
    if not name.endswith("]"):
        return name, None
    opening = name.rfind("[")
    inner = name[opening + 1 : -1]
    if opening <= 0 or not inner or "]" in inner:
        return name, None
    return name[:opening].strip() or name, {"parameters": inner}


def _is_whole(name: str) -> bool:
    """A suite name that dots must not split: a path, a URL, a file name, prose."""
    if any(c in name for c in "/\\ :") or "://" in name:
        return True
    return name.rsplit(".", 1)[-1].lower() in _FILE_SUFFIXES


def _classname_path(classname: str) -> list[str]:
    if _is_whole(classname):
        return [classname]
    return [part for part in classname.split(".") if part]


def _steps(props: list[tuple[str, str]]) -> list[ResultStep]:
    """``step[STATUS]`` properties as steps, the way the official CLI reads them.

    ``a`` is a step; ``a/b`` is ``b`` nested under ``a`` (children come before their
    parent, as producers write them depth-first on the way out).
    """
    top: list[ResultStep] = []
    children: dict[str, list[ResultStep]] = {}
    for name, value in props:
        status = name[5:-1].strip().lower()
        if status not in _STEP_STATUSES:
            status = "blocked"
        parts = [p for p in value.split("/") if p]
        if not parts:
            continue
        action = parts[-1]
        step = ResultStep(
            data=ResultStepData(action=action),
            execution=ResultStepExecution(status=status),  # type: ignore[arg-type]
            steps=children.pop(action, None),
        )
        if len(parts) == 1:
            top.append(step)
        else:
            children.setdefault(parts[-2], []).append(step)
    # Children whose parent never came are kept as top-level steps, not dropped.
    for orphans in children.values():
        top.extend(orphans)
    return top


@attrs.define
class _Props:
    """Properties of a test case or suite, sorted into what they become."""

    fields: dict[str, str] = attrs.field(factory=dict)
    case_ids: list[int] = attrs.field(factory=list)
    attachments: list[str] = attrs.field(factory=list)
    steps: list[tuple[str, str]] = attrs.field(factory=list)

    def add(self, properties: ET.Element, *, suite: bool) -> None:
        for prop in properties:
            raw = (prop.get("name") or "").strip()
            value = _prop_value(prop)
            if not raw or value is None:
                continue
            key = raw.lower()
            if key in _ATTACHMENT_PROPERTIES:
                self.attachments.extend(v for v in value.split(",") if v.strip())
            elif key in _CASE_ID_PROPERTIES:
                self.case_ids.extend(_int_ids(value))
            elif raw.startswith("step[") and raw.endswith("]"):
                self.steps.append((raw, value))
            elif suite and ("." in raw or key in _ENVIRONMENT_PROPERTIES):
                continue  # the JVM environment Surefire and Ant dump into every suite
            elif value.strip():  # Playwright writes a bare "skip" annotation as ""
                value = value.strip()
                old = self.fields.get(raw)
                self.fields[raw] = value if not old or old == value else f"{old}, {value}"


@attrs.define
class _Suite:
    """An open ``<testsuite>``: what applies to its tests, and what died in it."""

    name: str
    index: int
    props: _Props = attrs.field(factory=_Props)
    """Its own properties."""
    fields: dict[str, str] = attrs.field(factory=dict)
    """The fields its tests get: the enclosing suites', overridden by its own."""
    files: list[str] = attrs.field(factory=list)
    """Files its ``attachment`` properties name, resolved once for all its tests."""
    errors: list[ET.Element] = attrs.field(factory=list)


@attrs.define
class _Extras:
    """Suite-level output, which comes after the suite's tests (read in a first pass)."""

    sections: list[str] = attrs.field(factory=list)
    names: list[str] = attrs.field(factory=list)
    files: list[str] = attrs.field(factory=list)


def _seconds(value: str | None) -> tuple[float | None, str | None]:
    if value is None or not value.strip():
        return None, None
    try:
        seconds = float(value.replace(",", ""))
    except ValueError:
        return None, f"time {value[:40]!r} is not a number; duration left out"
    if not math.isfinite(seconds) or not 0 <= seconds <= _MAX_SECONDS:
        return None, f"time {value[:40]!r} is not a duration; duration left out"
    return seconds, None


def _timestamp(value: str | None) -> tuple[float | None, str | None]:
    if value is None or not value.strip():
        return None, None
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None, f"timestamp {value[:40]!r} is not a date; start time left out"
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        return when.timestamp(), None
    except (OverflowError, OSError, ValueError):
        return None, f"timestamp {value[:40]!r} is out of range; start time left out"


@attrs.define
class _Reader:
    path: Path
    ctx: ReadContext
    digest: str
    source: _Source
    nested: bool = False
    index: int = 0

    def item(
        self,
        *,
        name: str,
        path: list[str],
        status: str,
        message: list[str],
        stacktrace: str,
        props: _Props,
        attachments: list[str],
        elem: ET.Element,
        params: dict[str, str] | None = None,
        trusted: Sequence[str] = (),
    ) -> UploadItem:
        ctx, report = self.ctx, self.path
        ident = stable_id(ctx.namespace, self.digest, str(self.index))
        self.index += 1
        full_name = " ".join(name.split()) or "(unnamed test)"
        title, cut = cut_title(name)
        files: list[str] = list(trusted)
        if cut is not None:
            message.insert(0, f"Full title: {cut}")
            ctx.log.warn(report, title, f"title of {len(cut)} characters cut to 255")
        seconds, problem = _seconds(elem.get("time"))
        if problem:
            ctx.log.warn(report, full_name, problem)
        start, problem = _timestamp(elem.get("timestamp"))
        if problem:
            ctx.log.warn(report, full_name, problem)
        trace: str | None = None
        if stacktrace:
            trace, spilled = ctx.capped(
                "stacktrace", stacktrace, MAX_STACKTRACE, report=report, test=full_name
            )
            files.extend([spilled] if spilled else [])
        text = "\n\n".join(part for part in message if part)
        text, spilled = ctx.capped("message", text, MAX_MESSAGE, report=report, test=full_name)
        files.extend([spilled] if spilled else [])
        for raw in attachments:
            real = ctx.attachment(raw, base=report.parent, report=report, test=full_name)
            if real is not None:
                files.append(real)
        if self.source.replaced and (
            "\ufffd" in text or "\ufffd" in (trace or "") or "\ufffd" in name
        ):
            ctx.log.warn(report, full_name, "bytes not valid in the file's encoding read as U+FFFD")
        levels = suite_path(path)
        result = ResultCreateV2(
            id=ident,
            title=title,
            signature="::".join([*levels, full_name]),
            execution=ResultExecution(
                status=status,
                duration=round(seconds * 1000) if seconds is not None else None,
                start_time=start,
                end_time=start + seconds if start is not None and seconds is not None else None,
                stacktrace=trace,
            ),
            message=text or None,
            relations=ResultRelations(
                suite=RelationSuite(data=[RelationSuiteItem(title=p) for p in levels])
            )
            if levels
            else None,
            testops_id=props.case_ids[0] if len(props.case_ids) == 1 else None,
            testops_ids=props.case_ids if len(props.case_ids) > 1 else None,
            fields=props.fields or None,
            steps=_steps(props.steps) or None,
            params=params,
        )
        ctx.log.statuses[status] += 1
        return UploadItem(result=result, attachments=tuple(dict.fromkeys(files)))

    def output(self, label: str, raw: str, *, test: str) -> tuple[str, list[str], list[str]]:
        """Captured output as a message section, the files it names, the spilled file."""
        names, text = find_markers(raw)
        text = text.strip()
        if not text:
            return "", names, []
        cut, spilled = self.ctx.capped(label, text, MAX_OUTPUT, report=self.path, test=test)
        return f"--- {label} ---\n{cut}", names, [spilled] if spilled else []

    def testcase(self, case: ET.Element, suites: list[_Suite]) -> UploadItem:
        raw_name = (case.get("name") or "").strip() or "(unnamed test)"
        name = " ".join(raw_name.split())
        classname = (case.get("classname") or "").strip()
        status = "passed"
        heads: list[str] = []
        traces: list[str] = []
        outputs: list[str] = []
        attempts: list[str] = []
        attachments: list[str] = []
        spilled: list[str] = []
        props = _Props()
        if suites:
            # A suite's case ids are not its tests': only fields (and files) carry over.
            props.fields.update(suites[-1].fields)
        own = _Props()
        not_run = (case.get("status") or "").strip().lower() in _NOT_RUN_STATUS or (
            case.get("result") or ""
        ).strip().lower() in _NOT_RUN_RESULT
        skip_reason = ""
        for child in case:
            tag = _local(child.tag)
            if tag in ("failure", "error") and (child.get("type") or "").endswith(_SKIP_TYPES):
                not_run = True
                skip_reason = skip_reason or child.get("message") or _text(child)
            elif tag in ("failure", "error"):
                status = "invalid" if tag == "error" or status == "invalid" else "failed"
                head = ": ".join(x for x in (child.get("type"), child.get("message")) if x)
                if head.strip():
                    heads.append(head.strip())
                if _text(child):
                    traces.append(_text(child))
            elif tag in _NOT_RUN_ELEMENTS:
                not_run = True
                skip_reason = skip_reason or child.get("message") or _text(child)
            elif tag in _ATTEMPTS:
                # Surefire: flaky* are the failed runs before a pass; rerun* are the runs
                # after the first <failure>/<error>, which is the test's own outcome.
                kind = "Rerun" if tag.startswith("rerun") else "Attempt"
                number = sum(1 for a in attempts if a.startswith(kind)) + 1
                head = ": ".join(x for x in (child.get("type"), child.get("message")) if x)
                body = "\n".join(
                    x for x in (head, _text(child), *(_text(c) for c in child if _text(c))) if x
                )
                attempts.append(f"{kind} {number} {_ATTEMPTS[tag]}: {body}")
                if tag.startswith("rerun") and status == "passed":
                    status = "invalid" if tag == "rerunError" else "failed"
            elif tag in ("system-out", "system-err"):
                section, names, files = self.output(tag, child.text or "", test=name)
                attachments.extend(names)
                spilled.extend(files)
                if section:
                    outputs.append(section)
            elif tag == "properties":
                own.add(child, suite=False)
        if status == "passed" and not_run:
            status = "skipped"
        props.fields.update(own.fields)
        props.case_ids = own.case_ids
        props.attachments = own.attachments
        props.steps = own.steps
        attachments.extend(own.attachments)
        message = [*heads]
        if status == "skipped" and skip_reason:
            message.append(skip_reason)
        if attempts:
            final = "passed on a rerun" if status == "passed" else f"final outcome {status}"
            message.append(f"Reruns ({final}):\n" + "\n".join(attempts))
        message.extend(outputs)
        title, params = _parameters(name)
        levels = self.levels(classname, name, suites)
        item = self.item(
            name=title,
            path=levels,
            status=status,
            message=message,
            stacktrace="\n\n".join(traces),
            props=props,
            attachments=attachments,
            elem=case,
            params=params,
        )
        if params:
            # The signature keeps the parameters, so each parametrized run stays apart.
            item = attrs.evolve(
                item,
                result=attrs.evolve(item.result, signature="::".join([*suite_path(levels), name])),
            )
        if spilled:
            item = attrs.evolve(
                item, attachments=tuple(dict.fromkeys([*item.attachments, *spilled]))
            )
        return item

    def levels(self, classname: str, name: str, suites: list[_Suite]) -> list[str]:
        if len(suites) > 4 * MAX_SUITE_DEPTH:
            # Only the outer and inner levels are kept: looking at every level of a
            # 10,000-deep nesting for each of its tests would be quadratic.
            edge = 2 * MAX_SUITE_DEPTH
            named = [s.name for s in suites[:edge] if s.name]
            named += ["…", *(s.name for s in suites[-edge:] if s.name)]
        else:
            named = [s.name for s in suites if s.name]
        if self.nested:
            return named  # nested suites (node:test describe blocks) are the structure
        # jest-junit and mocha-junit-reporter put the test's title in classname.
        is_title = classname == name or name.endswith(" " + classname)
        if classname and not (is_title and named):
            return _classname_path(classname)
        return named

    def suite_error(self, suite: _Suite, extra: _Extras) -> UploadItem:
        heads: list[str] = []
        traces: list[str] = []
        for error in suite.errors:
            head = ": ".join(x for x in (error.get("type"), error.get("message")) if x)
            if head.strip():
                heads.append(head.strip())
            if _text(error):
                traces.append(_text(error))
        title = suite.name or "(unnamed suite)"
        return self.item(
            name=title,
            path=[title],
            status="invalid",
            message=["The suite itself failed or errored.", *heads, *extra.sections],
            stacktrace="\n\n".join(traces),
            props=_Props(fields=suite.fields, case_ids=suite.props.case_ids),
            attachments=[],
            elem=suite.errors[0],
            trusted=[*suite.files, *extra.files],
        )


def _resolve_all(ctx: ReadContext, names: list[str], path: Path, test: str) -> list[str]:
    """The confined real paths of ``names`` (refused ones are recorded, not returned)."""
    found = (ctx.attachment(raw, base=path.parent, report=path, test=test) for raw in names)
    return [real for real in found if real is not None]


def _first_pass(path: Path, ctx: ReadContext) -> tuple[dict[int, _Extras], bool]:
    """Each suite's own output (written to a text file to attach to its tests), and
    whether the file nests suites.

    Only a preview of the output stays in memory (for the result of a suite that died).
    """
    extras: dict[int, _Extras] = {}
    index = -1
    open_suites: list[int] = []
    nested = False
    for event, elem, stack in _walk(_Source(path)):
        tag = _local(elem.tag)
        if tag == "testsuite":
            if event == "start":
                index += 1
                nested = nested or bool(open_suites)
                open_suites.append(index)
            else:
                open_suites.pop()
        elif (
            event == "end"
            and tag in ("system-out", "system-err")
            and open_suites
            and stack
            and _local(stack[-1].tag) == "testsuite"
        ):
            names, text = find_markers(elem.text or "")
            elem.text = None
            text = text.strip()
            if not names and not text:
                continue
            entry = extras.setdefault(open_suites[-1], _Extras())
            entry.names.extend(names)
            if text:
                cut = text[:MAX_OUTPUT]
                note = f"\n[... all of it in the attached suite-{tag}.txt]" if cut != text else ""
                entry.sections.append(f"--- suite {tag} ---\n{cut}{note}")
                entry.files.append(ctx.text_file(f"suite-{tag}.txt", text))
    return extras, nested


def read(path: Path, ctx: ReadContext) -> Iterator[UploadItem]:
    """Stream the test cases of a JUnit report (plus one result per suite that died).

    Raises:
        JUnitError: The file is missing, unreadable or malformed.
    """
    digest = file_digest(path)
    extras, nested = _first_pass(path, ctx)
    source = _Source(path)
    reader = _Reader(path=path, ctx=ctx, digest=digest, source=source, nested=nested)
    suites: list[_Suite] = []
    index = -1
    for event, elem, stack in _walk(source):
        tag = _local(elem.tag)
        if tag == "testsuite":
            if event == "start":
                index += 1
                name = " ".join((elem.get("name") or "").split())
                suites.append(_Suite(name=name, index=index))
                if len(suites) > 1:
                    suites[-1].fields.update(suites[-2].fields)
                    suites[-1].files.extend(suites[-2].files)
                extra = extras.get(index)
                if extra is not None:
                    # Resolved once per suite, so a refused name is reported once.
                    extra.files[:0] = _resolve_all(ctx, extra.names, path, f"suite {name}")
                    extra.names.clear()
                continue
            suite = suites.pop()
            extra = extras.pop(suite.index, None)
            if suite.errors:
                yield reader.suite_error(suite, extra or _Extras())
            continue
        if event != "end":
            continue
        if tag == "testcase":
            item = reader.testcase(elem, suites)
            if suites:
                extra = extras.get(suites[-1].index)
                shared = [*suites[-1].files, *(extra.files if extra else ())]
                if shared:
                    merged = dict.fromkeys([*item.attachments, *shared])
                    item = attrs.evolve(item, attachments=tuple(merged))
            yield item
        elif suites and stack and stack[-1] is not None and _local(stack[-1].tag) == "testsuite":
            if tag == "properties":
                suite = suites[-1]
                own = _Props()
                own.add(elem, suite=True)
                suite.fields.update(own.fields)
                suite.props.case_ids.extend(own.case_ids)
                suite.props.attachments.extend(own.attachments)
                suite.files.extend(
                    _resolve_all(ctx, suite.props.attachments, path, f"suite {suite.name}")
                )
                suite.props.attachments.clear()
            elif tag in ("error", "failure"):
                suites[-1].errors.append(elem)
