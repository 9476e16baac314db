"""Run an official reporter against ``qase-async fake-server --tls`` and compare what it sent.

What a reporter sent is read from the server's ``--record`` file (the request bodies as
they arrived), not from the reporter's own logs; what was kept is read back through
:class:`QaseClient`, as a user would.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx

from qase_async import QaseClient
from qase_async.models import Result, TestCase, TestStep, TestStepResult

from ._helpers import cli_process, first_answer

TOKEN = "reporter-token"
STEP_STATUS = {"passed": 1, "failed": 2, "blocked": 3, "skipped": 5, "in_progress": 7}
SLUGS = {
    "severity": ["undefined", "blocker", "critical", "major", "normal", "minor", "trivial"],
    "priority": ["undefined", "high", "medium", "low"],
    "layer": ["unknown", "e2e", "api", "unit"],
}


@attrs.frozen
class FakeServer:
    """A running ``qase-async fake-server --tls``."""

    origin: str
    port: int
    ca_bundle: str
    record: Path

    def trust(self) -> ssl.SSLContext:
        """A context trusting the server's throwaway CA."""
        return ssl.create_default_context(cafile=self.ca_bundle)

    def client(self) -> QaseClient:
        """The SDK on this server."""
        transport = httpx.AsyncHTTPTransport(verify=self.trust())
        return QaseClient(token=TOKEN, base_url=self.origin, transport=transport)

    def sent(self, method: str, pattern: str) -> list[dict[str, Any]]:
        """Recorded requests whose method and path match, oldest first."""
        lines = self.record.read_text("utf-8").splitlines()
        out = [json.loads(line) for line in lines if line.strip()]
        return [r for r in out if r["method"] == method and re.fullmatch(pattern, r["path"])]


@contextmanager
def fake_server(folder: Path, *extra: str) -> Iterator[FakeServer]:
    """Start ``qase-async fake-server --tls --port 0 --record ...``; stop it on exit."""
    record = folder / "requests.jsonl"
    argv = ("qase_async", "fake-server", "--port", "0", "--tls", "--token", TOKEN)
    with cli_process(*argv, "--record", str(record), *extra, lines=2) as (proc, lines):
        first, second = lines
        found = re.search(r"(https://127\.0\.0\.1:(\d+))/v1", first)
        ca = re.search(r"CA bundle to trust: (\S+)", second)
        assert found, (first, proc.stderr and proc.stderr.read())
        assert ca, second
        server = FakeServer(found.group(1), int(found.group(2)), ca.group(1), record)
        with httpx.Client(base_url=server.origin, verify=server.trust(), timeout=5) as api:
            first_answer(api, TOKEN)
        yield server


def create_project(server: FakeServer, code: str) -> None:
    """Create the project the reporter reports into."""
    with httpx.Client(base_url=server.origin, verify=server.trust(), timeout=5) as api:
        resp = api.post("/v1/project", json={"title": code, "code": code}, headers={"Token": TOKEN})
        assert resp.status_code == 200, resp.text


# -- comparison ----------------------------------------------------------------------------


def _suite_titles(item: dict[str, Any]) -> tuple[str, ...]:
    data = ((item.get("relations") or {}).get("suite") or {}).get("data") or []
    return tuple(p.strip() for s in data for p in str(s["title"]).split("\t") if p.strip())


def _params(params: Any) -> dict[str, list[str]]:
    return {str(k): [str(x) for x in v] for k, v in dict(params or {}).items()}


async def _chain(client: QaseClient, code: str, suite_id: int | None) -> tuple[str, ...]:
    titles: list[str] = []
    while suite_id is not None and len(titles) < 50:
        suite = await client.suites.get(code, suite_id)
        titles.insert(0, suite.title or "")
        suite_id = suite.parent_id
    return tuple(titles)


async def _filenames(client: QaseClient, hashes: list[str] | None) -> list[str]:
    return sorted([(await client.attachments.get(h)).file or "" for h in hashes or ()])


@attrs.define
class Tally:
    """What the comparison looked at, for the closing figures."""

    results: int = 0
    steps: int = 0
    attachments: int = 0
    statuses: dict[str, int] = attrs.field(factory=dict)


async def _compare_steps(
    client: QaseClient,
    sent: list[dict[str, Any]],
    kept: list[TestStepResult],
    case_steps: list[TestStep],
    tally: Tally,
) -> None:
    assert len(kept) == len(sent), (sent, kept)
    assert len(case_steps) == len(sent), (sent, case_steps)
    for step, got, text in zip(sent, kept, case_steps, strict=True):
        execution = step.get("execution") or {}
        data = step.get("data") or {}
        tally.steps += 1
        assert got.status == STEP_STATUS[execution["status"]], (step, got)
        for name, value in (("start_time", got.start_time), ("end_time", got.end_time)):
            if execution.get(name) is not None:
                assert value == int(execution[name]), (name, step, got)
        if execution.get("duration") is not None:
            assert got.duration_ms == execution["duration"]
        if execution.get("comment"):
            assert got.comment == execution["comment"]
        sent_files = await _filenames(client, execution.get("attachments"))
        tally.attachments += len(sent_files)
        assert sorted(a.filename or "" for a in got.attachments or ()) == sent_files
        assert text.action == (data.get("action") or "")
        assert text.expected_result == data.get("expected_result")
        assert text.data == data.get("input_data")
        await _compare_steps(
            client, step.get("steps") or [], got.steps or [], text.steps or [], tally
        )


async def _compare_case(case: TestCase, item: dict[str, Any]) -> None:
    fields = item.get("fields") or {}
    for name, table in SLUGS.items():
        if fields.get(name):
            assert getattr(case, name) == table.index(fields[name].lower()), (name, case)
    for name in ("description", "preconditions", "postconditions"):
        if fields.get(name):
            assert getattr(case, name) == fields[name]
    if fields.get("tags"):
        wanted = sorted(t.strip() for t in fields["tags"].split(",") if t.strip())
        assert sorted(t.title or "" for t in case.tags or ()) == wanted


async def assert_kept(
    client: QaseClient, code: str, run_id: int, sent: list[dict[str, Any]]
) -> Tally:
    """Every v2 result ``sent`` into the run reads back whole; returns what was compared."""
    kept: list[Result] = [r async for r in client.results.iter(code, run=[run_id])]
    assert len(kept) == len(sent), (len(kept), len(sent))
    by_key: dict[Any, Result] = {}
    cases: dict[int, TestCase] = {}
    for result in kept:
        assert result.case_id is not None
        case = cases.get(result.case_id) or await client.cases.get(code, result.case_id)
        cases[result.case_id] = case
        chain = await _chain(client, code, case.suite_id)
        key = (case.title, chain, json.dumps(_params(case.params), sort_keys=True))
        assert key not in by_key, f"two results share a case: {key}"
        by_key[key] = result
    tally = Tally(results=len(sent))
    for item in sent:
        execution = item["execution"]
        params = {k: [v] for k, v in (item.get("params") or {}).items()}
        key = (item["title"], _suite_titles(item), json.dumps(params, sort_keys=True))
        assert key in by_key, (key, sorted(by_key))
        got = by_key.pop(key)
        tally.statuses[execution["status"]] = tally.statuses.get(execution["status"], 0) + 1
        assert got.status == execution["status"]
        assert got.comment == item.get("message")
        assert got.stacktrace == execution.get("stacktrace")
        if execution.get("duration") is not None:
            assert got.time_spent_ms == execution["duration"]
        if execution.get("end_time") is not None:
            assert got.end_time is not None
            assert int(got.end_time.timestamp()) == int(execution["end_time"])
        sent_files = await _filenames(client, item.get("attachments"))
        tally.attachments += len(sent_files)
        assert sorted(a.filename or "" for a in got.attachments or ()) == sent_files
        assert got.case_id is not None
        case = cases[got.case_id]
        await _compare_case(case, item)
        await _compare_steps(
            client, item.get("steps") or [], got.steps or [], case.steps or [], tally
        )
    run = await client.runs.get(code, run_id, include_cases=True)
    assert run.stats is not None
    assert run.stats.total == len(sent)
    assert run.stats.statuses == tally.statuses
    assert sorted(run.cases or ()) == sorted(cases)
    return tally
