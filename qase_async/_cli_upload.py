"""``qase-async upload``: send test reports to a Qase run, losing nothing.

Exit status: 0 when every result (and every attachment) was sent, 1 when anything was
not (refused results, files not attached or refused, damaged spool lines, or a stop that
wrote a spool file), 2 for bad input (missing or malformed reports, reports without tests,
bad options, a bad spool file), 130 after SIGINT (Ctrl+C) and 143 after SIGTERM.

An upload keeps its spool file at a place derived from the base URL, the project, the
run option and the reports' contents (``qase-upload-<CODE>-<key>.jsonl`` in
``--spool-dir``). It names the run from the moment the run exists; so running the same
command again after an interrupt, a crash or a fatal error goes on into the same run, and
the results keep their ids, so none is stored twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import os
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import attrs

from . import exceptions as exc
from ._cli_read import REPORTS_HELP, add_reading_options, reading_from
from ._http import DEFAULT_BASE_URL, ClientStats, check_base_url, is_loopback
from ._ratelimit import RateLimit
from ._upload import (
    SpoolHeader,
    Uploader,
    UploadError,
    UploadItem,
    UploadProgress,
    UploadReport,
    complete_run,
    mark_spool_open,
    read_spool_header,
    upload_run,
)
from .models import ProjectCreate
from .reports import Reading, ReportError

if TYPE_CHECKING:
    from ._client import QaseClient

__all__ = ["add_upload_parser", "run_upload"]

FAKE_TOKEN: Final = "fake-token"
FAKE_BASE_URL: Final = "https://fake.qase-async.invalid"
"""What a ``--fake`` upload records as its service (a name that never resolves)."""
_PLAIN_EVERY: Final = 2.0
"""Seconds between progress lines when stderr is not a terminal."""
_SIGNAL_STATUS: Final = {"SIGINT": 130, "SIGTERM": 143}
logger: Final = logging.getLogger("qase_async")


class _Usage(Exception):
    """A one-line message for the user; exit status 2."""


def _rate_limit(value: str) -> RateLimit:
    count, _, window = value.partition("/")
    try:
        return RateLimit(int(count), per=float(window or 60), follow_server=False)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected N/SECONDS with positive numbers, e.g. 200/60, not {value!r}"
        ) from None


def add_upload_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``upload`` subcommand."""
    parser = subparsers.add_parser(
        "upload",
        help="send test reports (JUnit, Allure, Qase JSON) to a Qase run",
        description=(
            "Send the tests of JUnit XML reports, Allure results or Qase JSON reports (with "
            "failures, errors, skips, output and attached files) to a Qase run as v2 "
            "results, exactly once. Anything not sent is reported; after a fatal error or "
            "an interrupt the results not yet confirmed go to a spool file (mode 0600): run "
            "the same command again, or --resume the spool file, to send them into the "
            "same run."
        ),
        epilog="Example: qase-async upload examples/junit-report.xml --project DEMO --fake",
    )
    parser.add_argument("files", nargs="*", metavar="REPORT", help=REPORTS_HELP)
    add_reading_options(parser)
    parser.add_argument("--project", "-p", metavar="CODE", help="the project code, e.g. DEMO")
    run = parser.add_mutually_exclusive_group()
    run.add_argument("--run-id", type=int, metavar="N", help="add to this existing run")
    run.add_argument("--run-title", metavar="TEXT", help="title of the run to create")
    parser.add_argument(
        "--complete", action="store_true", help="complete the run if everything was sent"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the report as one JSON object on stdout"
    )
    parser.add_argument(
        "--fake",
        action="store_true",
        help="send to the built-in in-memory fake Qase API (no account needed)",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help=f"API origin (default {DEFAULT_BASE_URL}; with --resume, the spool file's)",
    )
    parser.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow a plain http:// base URL to a host other than this machine",
    )
    parser.add_argument(
        "--token", default=None, help="API token (default: the QASE_API_TOKEN variable)"
    )
    parser.add_argument(
        "--resume", metavar="SPOOL", help="send the results of a spool file of a stopped upload"
    )
    parser.add_argument(
        "--force-base-url",
        action="store_true",
        help="with --resume: send to --base-url even if the spool file names another service",
    )
    parser.add_argument(
        "--batch-size", type=int, default=200, metavar="N", help="results per request (1..200)"
    )
    parser.add_argument(
        "--spool-dir",
        default=".",
        metavar="DIR",
        help="where the spool file of an upload is kept (default: here)",
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=None,
        metavar="N/SECONDS",
        help="this process's share of the budget, e.g. 200/60 for one of three shards",
    )
    parser.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(run_upload(args))
    except KeyboardInterrupt:  # pragma: no cover - a signal before the loop's handlers
        print("qase-async: interrupted", file=sys.stderr)
        return 130


class _Progress:
    """A carriage-return line on a terminal, a line every few seconds otherwise."""

    def __init__(self, stream: IO[str], total: int, *, quiet: bool) -> None:
        self._stream = stream
        self._total = total
        self._tty = stream.isatty()
        self._quiet = quiet and not self._tty
        # Plain lines start after the first interval: short jobs need only the summary.
        self._last = 0.0 if self._tty else time.monotonic()
        self._shown = False

    def _line(self, p: UploadProgress) -> str:
        done = p.sent + p.failed
        if self._total:
            share = done / self._total
            bar = "#" * int(share * 24)
            head = f"[{bar:<24}] {done}/{self._total}"
        else:
            head = f"{done} results"
        failed = f", {p.failed} refused" if p.failed else ""
        return (
            f"{head} sent{failed} · {p.requests} requests · "
            f"{p.rate_limit_wait:.1f}s waiting on the rate limit"
        )

    def __call__(self, progress: UploadProgress) -> None:
        if self._quiet:
            return
        now = time.monotonic()
        if self._tty:
            if now - self._last >= 0.1:
                self._stream.write("\r" + self._line(progress) + "\033[K")
                self._stream.flush()
                self._last, self._shown = now, True
        elif now - self._last >= _PLAIN_EVERY:
            print(self._line(progress), file=self._stream, flush=True)
            self._last = now

    def note(self, message: str) -> None:
        """A line of its own (a warning), written once, above the progress line."""
        if self._tty and self._shown:
            self._stream.write("\r\033[K")
            self._shown = False
            self._last = 0.0
        print(message, file=self._stream, flush=True)

    def close(self) -> None:
        if self._tty and self._shown:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False


class _ProgressLog(logging.Handler):
    """The library's warnings, each written once, through the progress display."""

    def __init__(self, progress: _Progress) -> None:
        super().__init__(logging.WARNING)
        self._progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._progress.note(f"qase-async: {record.getMessage()}")
        except Exception:  # pragma: no cover - logging must never break the upload
            self.handleError(record)


@contextlib.contextmanager
def _logging_through(progress: _Progress) -> Iterator[None]:
    """Route the ``qase_async`` logger's warnings to the progress display alone.

    Without this, a warning would reach stderr through Python's last-resort handler (or
    the application's root handler) as well as through the progress display.
    """
    handler = _ProgressLog(progress)
    saved = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved


class _Interrupts:
    """SIGINT and SIGTERM: the running upload stops and spools; anything else is cancelled."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self.uploader: Uploader | None = None
        self.run: str | None = None
        """The run an upload recorded (``run 7 of DEMO``), once it exists."""
        self.forced = False
        self._task: asyncio.Task[Any] | None = None
        self._installed: list[signal.Signals] = []

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self._received, sig.name)
            except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover
                continue  # not the main thread, or a platform without signals
            self._installed.append(sig)

    def uninstall(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)
        self._installed.clear()

    def attach(self, uploader: Uploader) -> None:
        self.uploader = uploader
        if self.signal is not None:
            uploader.interrupt(f"interrupted by {self.signal}")

    def _received(self, name: str) -> None:
        if self.signal is not None:
            # A second signal: stop at once. Spool files are replaced atomically, so either
            # the new one is whole or the one from before (the run's record) still is.
            self.forced = True
            if self._task is not None:
                self._task.cancel()
            return
        self.signal = name
        if self.uploader is not None and self.uploader.interrupt(f"interrupted by {name}"):
            return
        if self._task is not None:
            self._task.cancel()

    @property
    def status(self) -> int:
        return _SIGNAL_STATUS.get(self.signal or "", 130)


def _items(reading: Reading, namespace: str) -> Iterator[UploadItem]:
    """Every result of every report; counts, warnings and refused files go to the log."""
    yield from reading.items(namespace)


def _base_url(args: argparse.Namespace, given: str | None) -> str:
    """The normalised base URL, or a one-line usage error that names the CLI's flags."""
    url = given or DEFAULT_BASE_URL
    host = urlsplit(url.strip()).hostname or ""
    plain = url.strip().lower().startswith("http://")
    if plain and not args.allow_insecure_http and not is_loopback(host):
        raise _Usage(
            f"refusing to send the API token over plain http:// to {host}; use https:// "
            "or pass --allow-insecure-http"
        )
    try:
        return check_base_url(url, allow_insecure_http=True)
    except exc.ConfigurationError as error:
        raise _Usage(f"--base-url: {error}") from None


async def _client(args: argparse.Namespace, base_url: str) -> QaseClient:
    from ._client import QaseClient

    if args.fake:
        from .testing import FakeQase

        fake = FakeQase()
        # The fake's own name, so a spool file never points at the real service.
        return QaseClient(
            token=FAKE_TOKEN,
            base_url=FAKE_BASE_URL,
            transport=fake.transport(),
            rate_limit=args.rate_limit,
        )
    token = args.token if args.token is not None else os.environ.get("QASE_API_TOKEN")
    if not token or not token.strip():
        raise _Usage("no API token: pass --token or set QASE_API_TOKEN (or try --fake)")
    try:
        return QaseClient(
            token=token,
            base_url=base_url,
            rate_limit=args.rate_limit,
            allow_insecure_http=True,  # _base_url has refused what the user did not allow
        )
    except exc.ConfigurationError as error:
        raise _Usage(str(error)) from None


async def _prepare(
    client: QaseClient, args: argparse.Namespace, code: str, run_id: int | None = None
) -> None:
    """Check project (and run) up front, so a typo costs one line, not a spool file."""
    run_id = args.run_id if run_id is None else run_id
    if args.fake:
        try:
            await client.projects.get(code)
        except exc.NotFoundError:
            await client.projects.create(ProjectCreate(title=code, code=code))
        return
    try:
        await client.projects.get(code)
    except exc.NotFoundError:
        raise _Usage(f"project {code!r} not found (404); check --project") from None
    if run_id is not None:
        try:
            await client.runs.get(code, run_id)
        except exc.NotFoundError:
            where = f" (named by {args.state}; remove it to start anew)" if args.state else ""
            raise _Usage(f"run {run_id} not found in project {code} (404){where}") from None


def _explain(error: exc.QaseError) -> str:
    if isinstance(error, exc.AuthenticationError):
        return "the service refused the API token (401); check --token or QASE_API_TOKEN"
    if isinstance(error, exc.PermissionDeniedError):
        return f"the API token's role lacks a right for this (403): {error.message}"
    return str(error)


def _summary(
    report: UploadReport,
    code: str,
    *,
    fake: bool,
    completed_asked: bool,
    stats: ClientStats | None = None,
) -> str:
    where = f"run {report.run_id} of {code}" + (" on the built-in fake server" if fake else "")
    # The client's own counters, when given, cover every request of the command (the
    # checks and the run's creation too) and every wait, 429 cool-downs included.
    if stats is None:
        requests, waits = (
            report.requests,
            f"{report.rate_limit_wait:.1f}s waiting on the rate limit",
        )
    else:
        window = stats.rate_limit_wait - stats.cooldown_wait
        requests = stats.requests
        waits = (
            f"{stats.waited:.1f}s waiting: {window:.1f}s rate limit, "
            f"{stats.cooldown_wait:.1f}s 429 cool-down, {stats.backoff_wait:.1f}s retry backoff"
        )
    lines = [
        f"Sent {report.sent} results to {where}: {len(report.failed)} refused, "
        f"{report.attachments_uploaded} files attached, {requests} requests in "
        f"{report.duration:.1f}s ({waits})."
    ]
    for failure in report.failed:
        lines.append(f"  refused: {failure.title} (id {failure.id}): {failure.reason}")
    for attachment in report.failed_attachments:
        lines.append(
            f"  not attached: {attachment.path} (result {attachment.result_id}): "
            f"{attachment.reason}"
        )
    for damaged in report.damaged:
        lines.append(f"  damaged spool line {damaged.line}: {damaged.reason}")
    if report.damaged_path:
        lines.append(
            f"  {len(report.damaged)} damaged lines kept in {report.damaged_path}; "
            "fix them there, then --resume that file"
        )
    if report.spool_path:
        lines.append(
            f"  {report.spooled} results not sent, kept in {report.spool_path}; "
            f"send them with: qase-async upload --resume {shlex.quote(report.spool_path)}"
        )
    if completed_asked:
        if report.run_completed:
            lines.append(f"Run {report.run_id} completed.")
        else:
            lines.append(f"Run {report.run_id} left open: not everything was sent.")
    return "\n".join(lines)


def _emit(
    report: UploadReport,
    args: argparse.Namespace,
    code: str,
    out: IO[str],
    reading: Reading,
    stats: ClientStats | None = None,
) -> None:
    if not report.spool_path:
        # Every text file written for attaching is uploaded (or refused) by now; a spool
        # file would still name them, so they stay when there is one.
        reading.discard_texts()
    if args.json:
        data: dict[str, Any] = {
            "project": code,
            "fake": bool(args.fake),
            **report.to_dict(),
            **reading.to_dict(),
        }
        data["ok"] = bool(data["ok"]) and reading.ok
        print(json.dumps(data, ensure_ascii=False), file=out)
        return
    if reading.log.statuses or reading.log.refused or reading.log.warnings:
        print("\n".join(reading.summary_lines()), file=out)
    summary = _summary(report, code, fake=args.fake, completed_asked=args.complete, stats=stats)
    print(summary, file=out)


def _state_path(args: argparse.Namespace, base_url: str, code: str) -> Path:
    """Where an upload of these reports keeps its spool: the same for the same command.

    Derived from the base URL, the project, ``--run-id`` and the reports' contents (not
    their names), so running the original command again finds it.
    """
    key = hashlib.sha256()
    for part in (base_url, code.upper(), str(args.run_id or "")):
        key.update(part.encode() + b"\0")
    for path in args.files:
        try:
            key.update(_digest(Path(path)))
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise _Usage(f"{path}: cannot read the report: {reason}") from None
    safe = "".join(c if c.isalnum() else "_" for c in code.upper())
    return Path(args.spool_dir) / f"qase-upload-{safe}-{key.hexdigest()[:20]}.jsonl"


def _digest(path: Path) -> bytes:
    """The SHA-256 of a report file, or of a report directory's files and their names."""
    digest = hashlib.sha256()
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                file = Path(root, name)
                if file.is_file():
                    digest.update(str(file.relative_to(path)).encode() + b"\0")
                    digest.update(_digest(file))
        return digest.digest()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def _check_spool_dir(directory: str) -> None:
    """Refuse, before anything is sent, a spool directory that cannot be written."""
    try:
        os.makedirs(directory, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise _Usage(f"--spool-dir {directory}: cannot write there ({reason})") from None


def _header(path: str | os.PathLike[str]) -> SpoolHeader:
    try:
        return read_spool_header(path)
    except exc.ConfigurationError as error:
        raise _Usage(str(error)) from None


def _resume_command(args: argparse.Namespace, spool: str, base_url: str) -> str:
    words = ["qase-async", "upload", "--resume", spool]
    if base_url != DEFAULT_BASE_URL and not args.fake:
        words += ["--base-url", base_url]
    if args.allow_insecure_http:
        words.append("--allow-insecure-http")
    command = shlex.join(words)
    if args.token is not None:
        command += "  (with --token as before)"
    return command


async def run_upload(args: argparse.Namespace) -> int:
    """Run ``qase-async upload`` with parsed arguments; returns the exit status."""
    out, err = sys.stdout, sys.stderr
    interrupts = _Interrupts()
    interrupts.install()
    try:
        return await _run(args, out, err, interrupts)
    except _Usage as error:
        print(f"qase-async upload: {error}", file=err)
        return 2
    except (exc.AuthenticationError, exc.PermissionDeniedError) as error:
        print(f"qase-async upload: {_explain(error)}", file=err)
        return 1
    except exc.QaseError as error:
        print(f"qase-async upload: {_explain(error)}", file=err)
        return 1
    except asyncio.CancelledError:
        if interrupts.signal is None:
            raise
        message = f"qase-async upload: interrupted by {interrupts.signal}"
        if interrupts.forced:
            message += (
                " and stopped at once by a second signal; run the same command again to "
                "finish (the spool file names the run and holds what was written of the rest)"
            )
        elif interrupts.run is not None:
            message += (
                f"; {interrupts.run} exists and is recorded: run the same command again "
                "to finish the upload into it"
            )
        print(message, file=err)
        return interrupts.status
    finally:
        interrupts.uninstall()


async def _run(
    args: argparse.Namespace, out: IO[str], err: IO[str], interrupts: _Interrupts
) -> int:
    if args.resume and args.files:
        raise _Usage("give report files or --resume SPOOL, not both")
    if not args.resume and not args.files:
        raise _Usage("give at least one report (or --resume SPOOL)")
    if not 1 <= args.batch_size <= 200:
        raise _Usage("--batch-size must be 1..200")
    if args.fake and args.base_url is not None:
        raise _Usage("--fake sends to a built-in fake service: do not give --base-url with it")
    if args.force_base_url and not args.resume:
        raise _Usage("--force-base-url goes with --resume only")
    _check_spool_dir(args.spool_dir)
    args.state = None
    if args.resume:
        return await _resume(args, out, err, interrupts)
    if not args.project:
        raise _Usage("--project CODE is required")
    code: str = args.project
    reading = reading_from(args)
    try:
        total = reading.count()
    except ReportError as error:
        raise _Usage(str(error)) from None
    if total == 0:
        raise _Usage(
            f"no test cases in {', '.join(args.files)}: nothing to upload (no run created)"
        )
    base_url = FAKE_BASE_URL if args.fake else _base_url(args, args.base_url)
    state = None if args.fake else _state_path(args, base_url, code)
    earlier = _header(state) if state is not None and state.exists() else None
    args.state = state if earlier is not None else None
    if earlier is not None and earlier.project.upper() != code.upper():
        raise _Usage(f"{state} belongs to project {earlier.project}; remove it or move it away")
    owner = await _client(args, base_url)
    progress = _Progress(err, total, quiet=args.json)
    options: dict[str, Any] = {
        "batch_size": args.batch_size,
        "spool_dir": args.spool_dir,
        "on_progress": progress,
    }
    async with owner:
        # The whole command is a bulk job: interactive users of a shared budget go first.
        client = owner.with_options(priority="bulk")
        with _logging_through(progress):
            await _prepare(client, args, code, earlier.run_id if earlier else None)
            try:
                if earlier is not None and earlier.state == "stopped":
                    progress.note(
                        f"qase-async upload: an earlier upload of these reports into run "
                        f"{earlier.run_id} stopped; resuming it from {state}"
                    )
                    uploader = Uploader(client, code, earlier.run_id, **options)
                    interrupts.attach(uploader)
                    report = await uploader.resume(state or "")
                    if args.complete and report.ok:
                        await complete_run(client, code, earlier.run_id)
                        report = attrs.evolve(report, run_completed=True)
                else:
                    report = await _upload(args, client, code, state, earlier, reading,
                                           interrupts, progress, options)  # fmt: skip
            except UploadError as error:
                progress.close()
                return _stopped(
                    error, args, code, base_url, out, err, reading, interrupts, owner.stats
                )
            finally:
                progress.close()
    _emit(report, args, code, out, reading, owner.stats)
    return 0 if report.ok and reading.ok else 1


async def _upload(
    args: argparse.Namespace,
    client: QaseClient,
    code: str,
    state: Path | None,
    earlier: SpoolHeader | None,
    reading: Reading,
    interrupts: _Interrupts,
    progress: _Progress,
    options: dict[str, Any],
) -> UploadReport:
    """A first upload of these reports, or one again into the run an earlier one made."""
    run_id: int | None = args.run_id
    if earlier is not None:
        run_id = earlier.run_id
        progress.note(
            f"qase-async upload: an earlier upload of these reports into run {run_id} did "
            "not finish; sending them again into that run (each result keeps its id, so "
            "none is stored twice)"
        )
    runs: list[int] = []

    def on_run(created: int) -> None:
        runs.append(created)
        if state is not None:
            interrupts.run = f"run {created} of {code}"
        if state is not None and earlier is None:
            mark_spool_open(state, project=code, run_id=created, base_url=client.base_url)

    def items() -> Iterator[UploadItem]:
        yield from _items(reading, f"{code.upper()}:{runs[0]}")

    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    report = await upload_run(
        client,
        code,
        items(),
        run_id=run_id,
        title=args.run_title or f"JUnit upload {stamp}",
        complete=args.complete,
        on_run=on_run,
        on_uploader=interrupts.attach,
        spool_path=state,
        **options,
    )
    if state is not None and report.spool_path is None:
        _forget(state)
    return report


def _forget(state: Path) -> None:
    """The upload is done: its spool file (which only named the run) goes."""
    state.unlink(missing_ok=True)


async def _resume(
    args: argparse.Namespace, out: IO[str], err: IO[str], interrupts: _Interrupts
) -> int:
    header = _header(args.resume)
    code = header.project
    if args.project and args.project.upper() != code.upper():
        raise _Usage(f"{args.resume} belongs to project {code}, not {args.project}")
    if args.run_id is not None and args.run_id != header.run_id:
        raise _Usage(f"{args.resume} belongs to run {header.run_id}, not {args.run_id}")
    if header.state != "stopped":
        raise _Usage(
            f"{args.resume} belongs to an upload that did not finish; run its command again"
        )
    if args.fake:
        base_url = FAKE_BASE_URL
    elif header.base_url == FAKE_BASE_URL:
        raise _Usage(
            f"{args.resume} was written by an upload to the built-in fake (--fake), whose "
            "data is gone"
        )
    elif args.base_url is None:
        base_url = _base_url(args, header.base_url)
    else:
        base_url = _base_url(args, args.base_url)
        if header.base_url and header.base_url != base_url and not args.force_base_url:
            raise _Usage(
                f"{args.resume} was written for {header.base_url}, not {base_url}; pass "
                "--force-base-url to send it there anyway"
            )
    args.run_id = header.run_id
    args.state = args.resume
    owner = await _client(args, base_url)
    progress = _Progress(err, 0, quiet=args.json)
    reading = reading_from(args)
    async with owner:
        client = owner.with_options(priority="bulk")
        with _logging_through(progress):
            await _prepare(client, args, code)
            uploader = Uploader(
                client,
                code,
                header.run_id,
                batch_size=args.batch_size,
                spool_dir=args.spool_dir,
                on_progress=progress,
            )
            interrupts.attach(uploader)
            try:
                report = await uploader.resume(args.resume, any_base_url=True)
            except UploadError as error:
                progress.close()
                return _stopped(
                    error, args, code, base_url, out, err, reading, interrupts, owner.stats
                )
            finally:
                progress.close()
            if args.complete and report.ok:
                await complete_run(client, code, header.run_id)
                report = attrs.evolve(report, run_completed=True)
    _emit(report, args, code, out, reading, owner.stats)
    return 0 if report.ok and reading.ok else 1


def _stopped(
    error: UploadError,
    args: argparse.Namespace,
    code: str,
    base_url: str,
    out: IO[str],
    err: IO[str],
    reading: Reading,
    interrupts: _Interrupts,
    stats: ClientStats,
) -> int:
    """Say what a stopped upload did, where the rest is, and how to send it."""
    report = error.report
    if report.interrupted and interrupts.signal is not None:
        kept = (
            f"{report.spooled} not yet confirmed kept in {report.spool_path}"
            if report.spool_path
            else "nothing left to send"
        )
        print(
            f"qase-async upload: interrupted by {interrupts.signal}; {report.sent} results "
            f"sent to run {report.run_id} of {code}, {kept}",
            file=err,
        )
        status = interrupts.status
    else:
        print(f"qase-async upload: {error}", file=err)
        status = 1
    if report.spool_path and not args.fake:
        print(
            "qase-async upload: to finish, run the same command again, or: "
            + _resume_command(args, report.spool_path, base_url),
            file=err,
        )
    _emit(report, args, code, out, reading, stats)
    return status
