"""Read runs and their results, and print a pass-rate report: paging handled for you.

    python examples/read_and_report.py --fake             # no account needed
    QASE_API_TOKEN=... python examples/read_and_report.py --project MYPROJ --runs 10

``runs.iter`` and ``results.iter`` page by themselves (100 per request, several pages in
flight, inside the rate budget); the report below needs one request per 100 runs plus one
per 100 results, however many there are.
"""

from __future__ import annotations

import asyncio
import collections
import itertools

from _connect import arguments, connect, seed, uses_fake

from qase_async import QaseClient
from qase_async.models import ResultCreateV2, ResultExecution, RunCreate


async def seed_runs(qase: QaseClient, code: str) -> None:
    """Three finished runs with a few failures, for the fake to report on."""
    for night, failing in enumerate([{"Search"}, set(), {"Search", "Checkout"}], start=1):
        run_id = await qase.runs.create(code, RunCreate(title=f"Nightly #{night}"))
        await qase.v2.results.create_bulk(
            code,
            run_id,
            [
                ResultCreateV2(
                    title=title,
                    testops_id=case_id,
                    execution=ResultExecution(status="failed" if title in failing else "passed"),
                )
                for case_id, title in enumerate(
                    ["Log in", "Log out", "Reset the password", "Search", "Checkout"], start=1
                )
            ],
        )
        await qase.runs.complete(code, run_id)


async def report(qase: QaseClient, code: str, last: int) -> None:
    """Print one line per run (newest ``last`` runs) and the cases that failed most."""
    failures: collections.Counter[int] = collections.Counter()
    print(f"{'run':>5}  {'passed':>6}  {'failed':>6}  {'pass rate':>9}  title")
    async for run in qase.runs.iter(code):
        if run.id is None:
            continue
        statuses: collections.Counter[str] = collections.Counter()
        async for result in qase.results.iter(code, run=[run.id]):
            statuses[result.status or "unknown"] += 1
            if result.status == "failed" and result.case_id is not None:
                failures[result.case_id] += 1
        total = sum(statuses.values())
        rate = f"{statuses['passed'] / total:.0%}" if total else "-"
        passed, failed = statuses["passed"], statuses["failed"]
        print(f"{run.id:>5}  {passed:>6}  {failed:>6}  {rate:>9}  {run.title}")
        last -= 1
        if last == 0:
            break  # leaving early is fine: the pages still in flight are cancelled
    for case_id, count in itertools.islice(failures.most_common(), 3):
        case = await qase.cases.get(code, case_id)
        print(f"failed {count} x: {code}-{case_id} {case.title}")


async def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="how many runs to report on")
    args = parser.parse_args()
    qase = connect(args)
    async with qase:
        if uses_fake(args):
            await seed(qase, args.project)
            await seed_runs(qase, args.project)
        await report(qase, args.project, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
