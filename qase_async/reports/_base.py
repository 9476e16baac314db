"""What every report reader shares: the reading context, caps, confinement and ids.

A reader turns one report (a JUnit file, an Allure results folder, a Qase report folder)
into :class:`~qase_async.UploadItem` objects. It never raises on one bad test: the test
is read as well as it can be and a :class:`ReadWarning` says what was wrong. It raises
:class:`ReportError` only for the report as a whole (missing, unreadable, malformed).

Attachments named by a report are untrusted input: :meth:`ReadContext.attachment`
resolves a name (symlinks included) and keeps it only when it lies inside an allowed
folder, by default the report's own folder tree. A refused name is recorded, never opened:
resolving uses ``os.path.realpath``, which reads links but no file content.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Final, Literal

import attrs

from ..exceptions import ReportError

__all__ = [
    "MAX_MESSAGE",
    "MAX_OUTPUT",
    "MAX_STACKTRACE",
    "MAX_TITLE",
    "ReadContext",
    "ReadLog",
    "ReadWarning",
    "RefusedAttachment",
    "ReportFormat",
    "find_markers",
]

ReportFormat = Literal["junit", "allure", "qase"]

MAX_TITLE: Final = 255
"""Characters of a title the service keeps; longer titles are cut, the full one kept."""
MAX_MESSAGE: Final = 81_920
"""Characters of a result's message (failure message, reruns, output sections)."""
MAX_STACKTRACE: Final = 65_536
"""Characters of a stack trace kept in the result."""
MAX_OUTPUT: Final = 32_768
"""Characters of captured output (``system-out``, ``system-err``) kept in the message."""
MAX_SUITE_DEPTH: Final = 32
"""Suite levels kept in a suite path (the outer and inner ones; the middle is elided)."""
MAX_WARNINGS: Final = 1_000
"""Warnings kept per reading; the rest are only counted."""
MAX_JSON_FILE: Final = 64 * 1024 * 1024
"""Bytes of one JSON result file; larger ones are refused (a result is a few KiB)."""

_ID_NAMESPACE: Final = uuid.UUID("6f1b7c1e-29a4-4a8e-9d55-3c2b8f0e4a71")
_MARKER: Final = "[[ATTACHMENT|"
_CLOSE: Final = "]]"


@attrs.frozen(kw_only=True)
class ReadWarning:
    """Something in a report that was read with a change (a bad value, a cut text).

    Attributes:
        report: The report file or folder.
        test: The test it concerns (``None`` for the report as a whole).
        message: What was wrong and what was done instead.
    """

    report: str
    test: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.report}: {self.test}" if self.test else self.report
        return f"{where}: {self.message}"


@attrs.frozen(kw_only=True)
class RefusedAttachment:
    """A file a report named that was not read, with the reason.

    Attributes:
        report: The report that named it.
        test: The test that named it.
        path: The file as the report named it.
        reason: Why it was refused (outside the allowed folders, not a local file).
    """

    report: str
    test: str
    path: str
    reason: str


@attrs.define
class ReadLog:
    """What reading found besides the results: counts, warnings, refused files.

    One log is shared by every report of one reading; the CLI prints it.
    """

    statuses: Counter[str] = attrs.field(factory=Counter)
    warnings: list[ReadWarning] = attrs.field(factory=list)
    warnings_dropped: int = 0
    refused: list[RefusedAttachment] = attrs.field(factory=list)

    def warn(self, report: str | os.PathLike[str], test: str | None, message: str) -> None:
        """Record a warning (at most :data:`MAX_WARNINGS` are kept, the rest counted)."""
        if len(self.warnings) >= MAX_WARNINGS:
            self.warnings_dropped += 1
            return
        self.warnings.append(ReadWarning(report=os.fspath(report), test=test, message=message))


def find_markers(text: str) -> tuple[list[str], str]:
    """The ``[[ATTACHMENT|path]]`` names in captured output, and the output without them.

    Linear in ``len(text)`` whatever the input: every search starts where the previous
    one of its kind stopped, so no character is looked at more than a few times (a regex
    with a negated class backtracks on every unclosed marker, which made 200 KiB of
    output take half a minute).
    """
    names: list[str] = []
    kept: list[str] = []
    start = 0
    close = -1
    newline = -1
    while True:
        at = text.find(_MARKER, start)
        if at < 0:
            break
        inner = at + len(_MARKER)
        if close < inner:
            close = text.find(_CLOSE, inner)
            if close < 0:
                break  # no later marker can be closed either
        if newline < inner:
            newline = text.find("\n", inner)
            if newline < 0:
                newline = len(text)
        if newline < close:
            # A marker never spans lines: keep this text and go on after the line break.
            kept.append(text[start:newline])
            start = newline
            continue
        name = text[inner:close].strip()
        kept.append(text[start:at])
        start = close + len(_CLOSE)
        if name:
            names.append(name)
    kept.append(text[start:])
    return names, "".join(kept)


def stable_id(namespace: str, *parts: str) -> str:
    """A result id that is the same for the same report sent to the same run."""
    return str(uuid.uuid5(_ID_NAMESPACE, ":".join([namespace, *parts])))


def file_digest(path: Path) -> str:
    """The SHA-256 of a file.

    Raises:
        ReportError: The file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as error:
        raise open_error(path, error) from None
    return digest.hexdigest()


def load_json(path: Path) -> object:
    """The parsed content of a JSON file of at most :data:`MAX_JSON_FILE` bytes.

    Raises:
        OSError: The file cannot be read.
        ValueError: The file is too large or not JSON.
        RecursionError: The JSON nests too deep to parse.
    """
    if path.stat().st_size > MAX_JSON_FILE:
        raise ValueError(f"over {MAX_JSON_FILE} bytes")
    return json.loads(path.read_bytes())


def open_error(path: Path, error: OSError) -> ReportError:
    """A one-line error for a report that cannot be opened."""
    reason = error.strerror or type(error).__name__
    return ReportError(f"{path}: cannot read the report: {reason}")


def suite_path(levels: list[str]) -> list[str]:
    """The levels, with the middle elided when there are more than :data:`MAX_SUITE_DEPTH`."""
    levels = [level for level in levels if level]
    if len(levels) <= MAX_SUITE_DEPTH:
        return levels
    half = MAX_SUITE_DEPTH // 2
    return [*levels[:half], "…", *levels[-(half - 1) :]]


def cut_title(title: str) -> tuple[str, str | None]:
    """The title cut to :data:`MAX_TITLE` characters, and the full one when it was cut."""
    title = " ".join(title.split()) or "(unnamed test)"
    if len(title) <= MAX_TITLE:
        return title, None
    return title[: MAX_TITLE - 1] + "…", title


@attrs.define
class ReadContext:
    """What a reader needs besides the report: ids, confinement, the log, text files.

    Attributes:
        namespace: Mixed into every result id (the CLI passes project and run).
        roots: Folders (resolved) attachments may come from besides the report's own.
        log: Where warnings, refused files and status counts go.
    """

    namespace: str = ""
    roots: tuple[Path, ...] = ()
    log: ReadLog = attrs.field(factory=ReadLog)
    _text_dir: Path | None = None

    @classmethod
    def make(
        cls,
        *,
        namespace: str = "",
        attachment_roots: Iterable[str | os.PathLike[str]] = (),
        log: ReadLog | None = None,
    ) -> ReadContext:
        """A context; ``attachment_roots`` are resolved now (symlinks included)."""
        roots = tuple(Path(os.path.realpath(root)) for root in attachment_roots)
        return cls(namespace=namespace, roots=roots, log=log or ReadLog())

    def attachment(self, raw: str, *, base: Path, report: Path, test: str) -> str | None:
        """The real path of a file a report names, or ``None`` (refused and recorded).

        ``base`` is the folder relative names are taken from first (then each of
        :attr:`roots`); it and everything below it are allowed, as are :attr:`roots`.
        Nothing is opened here (resolving reads links and metadata, no content).
        """
        name = raw.strip()
        if not name:
            return None
        if name.startswith("file://"):
            name = name[len("file://") :]
        elif "://" in name:
            self._refuse(report, test, raw, "not a local file")
            return None
        if "\x00" in name:
            self._refuse(report, test, raw, "not a file name")
            return None
        real_base = Path(os.path.realpath(base))
        allowed = (real_base, *self.roots)
        # A relative name is looked for in the report's folder, then in each allowed root
        # (where CI jobs keep screenshots); an absolute one is taken as it is.
        tries = [Path(os.path.realpath(folder / name)) for folder in allowed]
        candidate = next((t for t in tries if t.exists()), tries[0])
        if not any(candidate.is_relative_to(root) for root in allowed):
            self._refuse(
                report,
                test,
                raw,
                "outside the report's folder (allow a folder with --attachments-root)",
            )
            return None
        return str(candidate)

    def _refuse(self, report: Path, test: str, raw: str, reason: str) -> None:
        self.log.refused.append(
            RefusedAttachment(report=str(report), test=test, path=raw, reason=reason)
        )

    def text_file(self, name: str, text: str) -> str:
        """Write ``text`` to a file called ``name`` and return its path, for attaching.

        Files go to one private temporary folder per reading, one subfolder per content,
        and are left there so that a spool file written after a stop can still name them.
        """
        # ``name`` may come from a report: keep it a plain file name.
        name = Path(name.replace("\x00", "").replace("\\", "/")).name
        if name in ("", ".", ".."):
            name = "attachment.txt"
        if self._text_dir is None:
            self._text_dir = Path(tempfile.mkdtemp(prefix="qase-async-text-"))
        data = text.encode("utf-8", "replace")
        folder = self._text_dir / hashlib.sha256(data).hexdigest()[:32]
        folder.mkdir(exist_ok=True)
        path = folder / name
        if not path.exists():
            path.write_bytes(data)
        return str(path)

    def discard_texts(self) -> None:
        """Remove the folder of :meth:`text_file` files (nothing will attach them now)."""
        if self._text_dir is not None:
            shutil.rmtree(self._text_dir, ignore_errors=True)
            self._text_dir = None

    def capped(
        self, label: str, text: str, cap: int, *, report: Path, test: str
    ) -> tuple[str, str | None]:
        """``text`` cut to ``cap`` characters with a note, and the attached full text.

        Nothing is cut away: when the text is over the cap, all of it goes to a text file
        (returned as the second value) and the note names that file.
        """
        if len(text) <= cap:
            return text, None
        file_name = f"{label}.txt"
        path = self.text_file(file_name, text)
        self.log.warn(
            report, test, f"{label} of {len(text)} characters cut to {cap}; all of it attached"
        )
        note = f"\n[... {len(text) - cap} more characters in the attached {file_name}]"
        return text[:cap] + note, path
