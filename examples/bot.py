"""An async chat-ops bot: answers commands about runs and files defects, one client for all.

    printf 'runs\\nrun 1\\ndefect Crash on Safari\\nrun 99\\n' | python examples/bot.py --fake

Each line on stdin is a command; the bot handles them concurrently (a slow command does
not hold up the others) and answers every one, errors included: a bot must not crash
because Qase said 404, and must not keep a user waiting for a minute-long 429 cool-down,
so its retries accept waits of at most 5 s and a longer cool-down becomes a "busy" reply.
Replace stdin with your chat library's message handler.
"""

from __future__ import annotations

import asyncio
import sys

from _connect import arguments, connect, seed, uses_fake

from qase_async import QaseClient, RateLimitedError, RetryPolicy
from qase_async.exceptions import NotFoundError, QaseError
from qase_async.models import DefectCreate, ResultCreateV2, ResultExecution, RunCreate

HELP = "commands: runs | run ID | defect TITLE"


async def answer(qase: QaseClient, code: str, command: str) -> str:
    """The reply to one command; never raises for what Qase answers."""
    word, _, rest = command.strip().partition(" ")
    try:
        if word == "runs":
            page = await qase.runs.list(code, limit=5)
            lines = [f"#{run.id} {run.title} ({run.status_text})" for run in page.entities]
            return f"{page.total} runs; latest: " + "; ".join(lines)
        if word == "run" and rest.isdigit():
            run = await qase.runs.get(code, int(rest))
            stats = run.stats
            counts = f"{stats.passed} passed, {stats.failed} failed" if stats else "no stats"
            return f"run #{run.id} {run.title!r}: {counts}"
        if word == "defect" and rest:
            defect_id = await qase.defects.create(
                code, DefectCreate(title=rest, actual_result="reported from chat", severity=3)
            )
            return f"filed defect #{defect_id}: {rest}"
        return HELP
    except NotFoundError:
        return f"not found: {command.strip()}"
    except RateLimitedError as error:
        return f"Qase is busy, try again in {error.retry_after:.0f} s"
    except QaseError as error:
        return f"Qase refused: {error}"


async def serve(qase: QaseClient, code: str) -> None:
    """Answer every line of stdin, concurrently, until end of input."""

    async def handle(command: str) -> None:
        reply = await answer(qase, code, command)
        print(f"> {command.strip()}\n{reply}", flush=True)

    async with asyncio.TaskGroup() as handlers:
        while line := await asyncio.to_thread(sys.stdin.readline):
            if line.strip():
                handlers.create_task(handle(line))


async def main() -> None:
    args = arguments(__doc__.splitlines()[0]).parse_args()
    qase = connect(args, retry=RetryPolicy(max_wait=5.0))
    async with qase:
        if uses_fake(args):
            await seed(qase, args.project)
            run_id = await qase.runs.create(args.project, RunCreate(title="Smoke"))
            await qase.v2.results.create_bulk(
                args.project,
                run_id,
                [
                    ResultCreateV2(title="Log in", execution=ResultExecution(status="passed")),
                    ResultCreateV2(title="Search", execution=ResultExecution(status="failed")),
                ],
            )
        # The interactive lane: the bot's requests go ahead of bulk uploads on the token.
        await serve(qase.with_options(priority="interactive"), args.project)


if __name__ == "__main__":
    asyncio.run(main())
