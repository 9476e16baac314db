"""``qase-async upload``: send test reports to a Qase run, losing nothing.

Exit status: 0 when every result (and every attachment) was sent, 1 when anything was
not (refused results, files not attached or refused, or a stop that wrote a spool file),
2 for bad input (missing or malformed reports, bad options), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, Final

import attrs

from . import exceptions as exc
from ._cli_read import REPORTS_HELP, add_reading_options, reading_from
from ._http import DEFAULT_BASE_URL, ClientStats
from ._ratelimit import RateLimit
from ._upload import (
    Uploader,
    UploadError,
    UploadItem,
    UploadProgress,
    UploadReport,
    complete_run,
    spool_target,
)
from .models import ProjectCreate, RunCreate
from .reports import Reading, ReportError

if TYPE_CHECKING:
    from ._client import QaseClient

__all__ = ["add_upload_parser", "run_upload"]

FAKE_TOKEN: Final = "fake-token"
_PLAIN_EVERY: Final = 2.0
"""Seconds between progress lines when stderr is not a terminal."""


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
            "results, exactly once. Anything not sent is reported; after a fatal error the "
            "unsent results go to a spool file that --resume sends later."
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
        "--base-url", default=DEFAULT_BASE_URL, help=f"API origin (default {DEFAULT_BASE_URL})"
    )
    parser.add_argument(
        "--token", default=None, help="API token (default: the QASE_API_TOKEN variable)"
    )
    parser.add_argument(
        "--resume", metavar="SPOOL", help="send the results of a spool file of a stopped upload"
    )
    parser.add_argument(
        "--batch-size", type=int, default=200, metavar="N", help="results per request (1..200)"
    )
    parser.add_argument(
        "--spool-dir",
        default=".",
        metavar="DIR",
        help="where a spool file goes after a fatal error (default: here)",
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
    except KeyboardInterrupt:
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

    def close(self) -> None:
        if self._tty and self._shown:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False


def _items(reading: Reading, namespace: str) -> Iterator[UploadItem]:
    """Every result of every report; counts, warnings and refused files go to the log."""
    yield from reading.items(namespace)


async def _client(args: argparse.Namespace) -> QaseClient:
    from ._client import QaseClient

    if args.fake:
        from .testing import FakeQase

        fake = FakeQase()
        client = QaseClient(
            token=FAKE_TOKEN, transport=fake.transport(), rate_limit=args.rate_limit
        )
        return client
    token = args.token if args.token is not None else os.environ.get("QASE_API_TOKEN")
    if not token or not token.strip():
        raise _Usage("no API token: pass --token or set QASE_API_TOKEN (or try --fake)")
    try:
        return QaseClient(token=token, base_url=args.base_url, rate_limit=args.rate_limit)
    except exc.ConfigurationError as error:
        raise _Usage(str(error)) from None


async def _prepare(client: QaseClient, args: argparse.Namespace, code: str) -> None:
    """Check project (and run) up front, so a typo costs one line, not a spool file."""
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
    if args.run_id is not None:
        try:
            await client.runs.get(code, args.run_id)
        except exc.NotFoundError:
            raise _Usage(f"run {args.run_id} not found in project {code} (404)") from None


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
    if report.spool_path:
        lines.append(
            f"  {report.spooled} results not sent, kept in {report.spool_path}; "
            f"send them with: qase-async upload --resume {report.spool_path}"
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


async def run_upload(args: argparse.Namespace) -> int:
    """Run ``qase-async upload`` with parsed arguments; returns the exit status."""
    out, err = sys.stdout, sys.stderr
    try:
        return await _run(args, out, err)
    except _Usage as error:
        print(f"qase-async upload: {error}", file=err)
        return 2
    except (exc.AuthenticationError, exc.PermissionDeniedError) as error:
        print(f"qase-async upload: {_explain(error)}", file=err)
        return 1
    except exc.QaseError as error:
        print(f"qase-async upload: {_explain(error)}", file=err)
        return 1


async def _run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    if args.resume and args.files:
        raise _Usage("give report files or --resume SPOOL, not both")
    if not args.resume and not args.files:
        raise _Usage("give at least one report (or --resume SPOOL)")
    if not 1 <= args.batch_size <= 200:
        raise _Usage("--batch-size must be 1..200")
    total = 0
    reading = reading_from(args)
    if args.resume:
        try:
            code, run_id = spool_target(args.resume)
        except exc.ConfigurationError as error:
            raise _Usage(str(error)) from None
        if args.project and args.project.upper() != code.upper():
            raise _Usage(f"{args.resume} belongs to project {code}, not {args.project}")
        args.run_id = run_id
    else:
        if not args.project:
            raise _Usage("--project CODE is required")
        code = args.project
        try:
            total = reading.count()
        except ReportError as error:
            raise _Usage(str(error)) from None
    client = await _client(args)
    progress = _Progress(err, total, quiet=args.json)
    async with client:
        await _prepare(client, args, code)
        run_id = args.run_id
        if run_id is None:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            title = args.run_title or f"JUnit upload {stamp}"
            run_id = await client.runs.create(code, RunCreate(title=title, is_autotest=True))
        uploader = Uploader(
            client,
            code,
            run_id,
            batch_size=args.batch_size,
            spool_dir=args.spool_dir,
            on_progress=progress,
        )
        try:
            if args.resume:
                report = await uploader.resume(args.resume)
            else:
                namespace = f"{code.upper()}:{run_id}"
                report = await uploader.upload(_items(reading, namespace))
        except UploadError as error:
            progress.close()
            print(f"qase-async upload: {error}", file=err)
            _emit(error.report, args, code, out, reading, client.stats)
            return 1
        finally:
            progress.close()
        if args.complete and report.ok:
            await complete_run(client, code, run_id)
            report = attrs.evolve(report, run_completed=True)
    _emit(report, args, code, out, reading, client.stats)
    return 0 if report.ok and reading.ok else 1
