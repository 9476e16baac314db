"""``qase-async read``: read reports as ``upload`` would, send nothing, print the counts.

Exit status: 0 when every report was read and no attachment was refused, 1 when an
attachment was refused, 2 for bad input (missing, malformed or unknown reports).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Final

from .reports import FORMATS, Reading, ReportError

__all__ = ["add_read_parser", "add_reading_options", "reading_from"]

REPORTS_HELP: Final = (
    "reports: JUnit XML files (or folders of them), Allure results folders, Qase report folders"
)


def add_reading_options(parser: argparse.ArgumentParser) -> None:
    """The options that say how reports are read (shared by ``upload`` and ``read``)."""
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default=None,
        help="the reports' format (default: told from each file or folder)",
    )
    parser.add_argument(
        "--attachments-root",
        action="append",
        default=[],
        metavar="DIR",
        help=(
            "also attach files from DIR (repeatable); by default only files inside a "
            "report's own folder are read, others are refused and reported"
        ),
    )


def reading_from(args: argparse.Namespace) -> Reading:
    """The :class:`~qase_async.reports.Reading` the parsed options describe."""
    return Reading(args.files, format=args.format, attachment_roots=args.attachments_root)


def add_read_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``read`` subcommand."""
    parser = subparsers.add_parser(
        "read",
        help="read reports and print what upload would send (no network)",
        description=(
            "Read test reports exactly as 'upload' would and print the number of results "
            "per status, every warning and every refused attachment. Nothing is sent."
        ),
        epilog="Example: qase-async read build/test-results/ --json",
    )
    parser.add_argument("files", nargs="+", metavar="REPORT", help=REPORTS_HELP)
    add_reading_options(parser)
    parser.add_argument(
        "--json", action="store_true", help="print the counts as one JSON object on stdout"
    )
    parser.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    reading = reading_from(args)
    try:
        reading.count()
        for _ in reading.items():
            pass
    except ReportError as error:
        print(f"qase-async read: {error}", file=sys.stderr)
        return 2
    finally:
        reading.discard_texts()
    if args.json:
        data = {"total": sum(reading.log.statuses.values()), **reading.to_dict()}
        print(json.dumps(data, ensure_ascii=False))
    else:
        print("\n".join(reading.summary_lines()))
    return 0 if reading.ok else 1
