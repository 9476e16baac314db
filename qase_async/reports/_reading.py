"""Format detection and reading several reports at once, for the CLI and for callers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Final

import attrs

from .._upload import UploadItem
from ..exceptions import ReportError
from . import allure, junit, qase
from ._base import ReadContext, ReadLog, ReportFormat, file_digest

__all__ = ["FORMATS", "Reading", "count_tests", "detect_format", "read_report"]


@attrs.frozen
class _Format:
    count: Callable[[Path], int]
    read: Callable[[Path, ReadContext], Iterator[UploadItem]]


FORMATS: Final[dict[ReportFormat, _Format]] = {
    "junit": _Format(junit.count, junit.read),
    "allure": _Format(allure.count, allure.read),
    "qase": _Format(qase.count, qase.read),
}
"""The readers, by format name."""


def detect_format(path: str | os.PathLike[str]) -> ReportFormat:
    """The format of a report file or folder.

    A folder with ``run.json`` or ``results/*.json`` is a Qase report; a folder with
    ``*-result.json`` files is Allure results; an ``.xml`` file (or anything starting
    with ``<``) is JUnit; a ``*-result.json`` file is one Allure result.

    Raises:
        ReportError: The path is missing or is none of the formats.
    """
    path = Path(path)
    if path.is_dir():
        if (path / "run.json").is_file() or any((path / "results").glob("*.json")):
            return "qase"
        if any(path.glob("*-result.json")):
            return "allure"
        if any(_xml_files(path)):
            return "junit"
        raise ReportError(
            f"{path}: no report found in this folder (no run.json, *-result.json or *.xml)"
        )
    if not path.exists():
        raise ReportError(f"{path}: cannot read the report: No such file or directory")
    if path.name.endswith("-result.json"):
        return "allure"
    if path.name == "run.json" or path.suffix == ".json":
        return "qase"
    return "junit"


def _xml_files(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*.xml") if p.is_file())


def _expand(path: Path, fmt: ReportFormat, log: ReadLog) -> list[Path]:
    """A JUnit folder is read as the JUnit files in it and below it (other XML files,
    such as TestNG's ``testng-results.xml`` beside Surefire's, are skipped with a
    warning); the other formats read folders."""
    if fmt != "junit" or not path.is_dir():
        return [path]
    found = []
    for file in sorted(_xml_files(path)):
        if junit.is_junit(file):
            found.append(file)
        else:
            log.warn(file, None, "not a JUnit report (another XML file); skipped")
    return found


def count_tests(path: str | os.PathLike[str], *, format: ReportFormat | None = None) -> int:
    """Check a report up front and count its tests (results it will give).

    Raises:
        ReportError: The report is missing, unreadable or malformed.
    """
    return Reading([path], format=format).count()


def read_report(
    path: str | os.PathLike[str],
    *,
    format: ReportFormat | None = None,
    namespace: str = "",
    attachment_roots: Iterable[str | os.PathLike[str]] = (),
    log: ReadLog | None = None,
) -> Iterator[UploadItem]:
    """Stream the results of one report (a file or a folder) as upload items.

    Args:
        path: The report: a JUnit XML file or folder of them, an Allure results folder,
            or a Qase report folder.
        format: ``"junit"``, ``"allure"`` or ``"qase"``; detected when ``None``.
        namespace: Mixed into every result id (e.g. ``"DEMO:42"`` for project and run),
            so the same report sent to the same run twice creates nothing new.
        attachment_roots: Folders besides the report's own that attached files may
            come from. Files elsewhere are refused and recorded in ``log``.
        log: Collects status counts, warnings and refused attachments.

    Raises:
        ReportError: The report is missing, unreadable or malformed (possibly after some
            items were yielded; :func:`count_tests` checks up front).
    """
    reading = Reading(
        [path], format=format, attachment_roots=attachment_roots, log=log or ReadLog()
    )
    yield from reading.items(namespace)


class Reading:
    """Several reports read as one stream, with one log.

    A report whose bytes are the same as an earlier one's is read once, with a warning:
    its results would get the same ids and the service would keep one copy, so counting
    it twice would report results as sent that were not stored.

    Texts too long for a result are attached from files in a temporary folder;
    :meth:`discard_texts` removes it once nothing needs those files any more.
    """

    def __init__(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        format: ReportFormat | None = None,
        attachment_roots: Iterable[str | os.PathLike[str]] = (),
        log: ReadLog | None = None,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        self.format = format
        self.roots = tuple(attachment_roots)
        self.log = log if log is not None else ReadLog()
        self._unique: list[tuple[Path, ReportFormat]] | None = None
        self._contexts: list[ReadContext] = []

    def _sources(self) -> list[tuple[Path, ReportFormat]]:
        """Every report to read, each content once (a repeat is warned about once)."""
        if self._unique is None:
            unique: list[tuple[Path, ReportFormat]] = []
            seen: dict[str, Path] = {}
            for path in self.paths:
                fmt = self.format or detect_format(path)
                for source in _expand(path, fmt, self.log):
                    if source.is_file():
                        digest = file_digest(source)
                        if digest in seen:
                            self.log.warn(
                                source, None, f"same bytes as {seen[digest]}; read once, not twice"
                            )
                            continue
                        seen[digest] = source
                    unique.append((source, fmt))
            self._unique = unique
        return self._unique

    def count(self) -> int:
        """Check every report up front and count the tests.

        Raises:
            ReportError: A report is missing, unreadable or malformed.
        """
        return sum(FORMATS[fmt].count(source) for source, fmt in self._sources())

    def items(self, namespace: str = "") -> Iterator[UploadItem]:
        """Every result of every report, in order.

        Raises:
            ReportError: As for :meth:`count`.
        """
        ctx = ReadContext.make(namespace=namespace, attachment_roots=self.roots, log=self.log)
        self._contexts.append(ctx)
        for source, fmt in self._sources():
            yield from FORMATS[fmt].read(source, ctx)

    def discard_texts(self) -> None:
        """Remove the text files written for attaching (once they are uploaded or unneeded)."""
        for ctx in self._contexts:
            ctx.discard_texts()

    @property
    def ok(self) -> bool:
        """No attachment was refused."""
        return not self.log.refused

    def to_dict(self) -> dict[str, object]:
        """The counts, warnings and refused files as JSON-ready data."""
        return {
            "read": dict(self.log.statuses),
            "warnings": [str(w) for w in self.log.warnings],
            "warnings_not_shown": self.log.warnings_dropped,
            "refused_attachments": [attrs.asdict(r) for r in self.log.refused],
        }

    def summary_lines(self, *, max_warnings: int = 20) -> list[str]:
        """The counts per status, then each refused file and the first warnings."""
        statuses = self.log.statuses
        total = sum(statuses.values())
        counts = ", ".join(f"{n} {status}" for status, n in statuses.most_common())
        files = len(self.paths)
        lines = [
            f"Read {total} test {'case' if total == 1 else 'cases'} from {files} "
            f"{'report' if files == 1 else 'reports'}" + (f" ({counts})." if counts else ".")
        ]
        for refused in self.log.refused:
            lines.append(
                f"  refused attachment: {refused.path} ({refused.test} in {refused.report}): "
                f"{refused.reason}"
            )
        for warning in self.log.warnings[:max_warnings]:
            lines.append(f"  warning: {warning}")
        hidden = max(0, len(self.log.warnings) - max_warnings) + self.log.warnings_dropped
        if hidden:
            lines.append(f"  ... and {hidden} more warnings (all of them with --json)")
        return lines
