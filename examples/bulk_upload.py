"""A CI job: upload a large batch of results exactly once, then exit 0 only if all arrived.

    python examples/bulk_upload.py --fake                 # no account needed
    QASE_API_TOKEN=... python examples/bulk_upload.py --project MYPROJ --results 5000

The results here are made up; a real job would build them from its test framework (or use
``qase-async upload report.xml``). What the job shows: ``upload_run`` creates the run, sends
the results in bulk batches paced by the rate limiter, completes the run only when nothing
failed, and on a fatal error writes what was not sent to a spool file for ``--resume``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator

from _connect import arguments, connect, seed, uses_fake

from qase_async import UploadError, upload_run
from qase_async.models import ResultCreateV2, ResultExecution


def results(count: int) -> Iterator[ResultCreateV2]:
    """``count`` results, produced lazily: the uploader holds only a few batches at once."""
    for number in range(count):
        status = "failed" if number % 50 == 7 else "passed"
        yield ResultCreateV2(
            title=f"test_checkout[{number}]",
            signature=f"tests/test_checkout.py::test_checkout[{number}]",
            execution=ResultExecution(status=status, duration=12 + number % 30),
            message="expected 200, got 500" if status == "failed" else None,
        )


async def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=1000, help="how many (default 1000)")
    args = parser.parse_args()
    qase = connect(args)
    async with qase:
        if uses_fake(args):
            await seed(qase, args.project)
        try:
            report = await upload_run(
                qase,
                args.project,
                results(args.results),
                title="Nightly (bulk upload example)",
                complete=True,
                spool_dir=".",
            )
        except UploadError as error:
            print(error, file=sys.stderr)  # names the spool file to resume from
            return 1
    print(
        f"Run {report.run_id}: {report.sent} results sent in {report.requests} requests, "
        f"{len(report.failed)} refused, run completed: {report.run_completed}."
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
