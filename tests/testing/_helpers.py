"""Helpers shared by the fake server's tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from ._speccheck import check

TOKEN = "test-token"


class FakeClock:
    """A manual monotonic clock for the rate limiter."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


async def _validate(response: httpx.Response) -> None:
    await response.aread()
    body: Any = response.json() if response.content else None
    check(response.request.method, response.request.url.path, response.status_code, body)


def checked_client(
    transport: httpx.AsyncBaseTransport | None = None, **kw: Any
) -> httpx.AsyncClient:
    """An httpx client that validates every answer of the fake against the spec."""
    kw.setdefault("base_url", "https://api.qase.io")
    kw.setdefault("headers", {"Token": TOKEN})
    return httpx.AsyncClient(transport=transport, event_hooks={"response": [_validate]}, **kw)


class CheckedTransport(httpx.AsyncBaseTransport):
    """Wraps a transport and validates every answer against the spec."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.checked = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Forward the request, then check the answer."""
        response = await self.inner.handle_async_request(request)
        raw = await response.aread()
        body = json.loads(raw) if raw else None
        check(request.method, request.url.path, response.status_code, body)
        self.checked += 1
        return httpx.Response(
            response.status_code, headers=response.headers, content=raw, request=request
        )

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self.inner.aclose()


async def ok(response: httpx.Response | Any) -> Any:
    """Assert a 2xx answer and return its ``result``."""
    resp: httpx.Response = await response if not isinstance(response, httpx.Response) else response
    assert 200 <= resp.status_code < 300, (resp.status_code, resp.text)
    return resp.json().get("result")


async def seed(api: httpx.AsyncClient, code: str = "TEST") -> dict[str, Any]:
    """Create one of every workflow entity, richly filled; return their ids and hashes."""
    ids: dict[str, Any] = {}
    await ok(api.post("/v1/project", json={"title": "Test project", "code": code}))
    upload = await ok(
        api.post(
            f"/v1/attachment/{code}",
            files=[("file[]", ("log.txt", b"hello", "text/plain"))],
        )
    )
    ids["attachment"] = upload[0]["hash"]
    ids["suite"] = (await ok(api.post(f"/v1/suite/{code}", json={"title": "Suite"})))["id"]
    ids["milestone"] = (
        await ok(api.post(f"/v1/milestone/{code}", json={"title": "M1", "due_date": 1700000000}))
    )["id"]
    ids["environment"] = (
        await ok(
            api.post(
                f"/v1/environment/{code}",
                json={"title": "Staging", "slug": "staging", "host": "staging.example"},
            )
        )
    )["id"]
    ids["cf"] = (
        await ok(
            api.post(
                "/v1/custom_field",
                json={
                    "title": "Browser",
                    "entity": 0,
                    "type": 3,
                    "value": [{"id": 1, "title": "Chrome"}, {"id": 2, "title": "Firefox"}],
                },
            )
        )
    )["id"]
    ids["case"] = (
        await ok(
            api.post(
                f"/v1/case/{code}",
                json={
                    "title": "Login works",
                    "suite_id": ids["suite"],
                    "milestone_id": ids["milestone"],
                    "severity": 2,
                    "steps": [{"action": "open", "expected_result": "shown", "data": "x"}],
                    "tags": ["smoke"],
                    "custom_field": {str(ids["cf"]): "1"},
                    "attachments": [ids["attachment"]],
                },
            )
        )
    )["id"]
    group = (await ok(api.post(f"/v1/configuration/{code}/group", json={"title": "OS"})))["id"]
    ids["configuration"] = (
        await ok(api.post(f"/v1/configuration/{code}", json={"title": "Linux", "group_id": group}))
    )["id"]
    ids["plan"] = (
        await ok(api.post(f"/v1/plan/{code}", json={"title": "Plan", "cases": [ids["case"]]}))
    )["id"]
    ids["run"] = (
        await ok(
            api.post(
                f"/v1/run/{code}",
                json={
                    "title": "Nightly",
                    "cases": [ids["case"]],
                    "environment_id": ids["environment"],
                    "milestone_id": ids["milestone"],
                    "tags": ["nightly"],
                    "configurations": [ids["configuration"]],
                },
            )
        )
    )["id"]
    ids["result"] = (
        await ok(
            api.post(
                f"/v1/result/{code}/{ids['run']}",
                json={
                    "case_id": ids["case"],
                    "status": "failed",
                    "comment": "boom",
                    "time_ms": 1500,
                    "attachments": [ids["attachment"]],
                    "steps": [
                        {"position": 1, "status": "failed", "comment": "no", "steps": []},
                    ],
                },
            )
        )
    )["hash"]
    ids["defect"] = (
        await ok(
            api.post(
                f"/v1/defect/{code}",
                json={"title": "Bug", "actual_result": "crash", "severity": 2, "tags": ["ui"]},
            )
        )
    )["id"]
    ids["shared_step"] = (
        await ok(
            api.post(
                f"/v1/shared_step/{code}",
                json={"title": "Log in", "steps": [{"action": "type", "expected_result": "ok"}]},
            )
        )
    )["hash"]
    ids["shared_parameter"] = (
        await ok(
            api.post(
                "/v1/shared_parameter",
                json={
                    "title": "Browsers",
                    "type": "single",
                    "is_enabled_for_all_projects": False,
                    "project_codes": [code],
                    "parameters": [{"title": "browser", "values": ["chrome", "firefox"]}],
                },
            )
        )
    )["id"]
    ids["review"] = (
        await ok(
            api.post(
                f"/v1/review/{code}",
                json={"case_id": ids["case"], "proposed_case": {"title": "Login still works"}},
            )
        )
    )["id"]
    await ok(api.post(f"/v1/project/{code}/access", json={"member_id": 1}))
    return ids


@contextmanager
def cli_process(*argv: str, lines: int = 1) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Run ``python -m <argv>``; yield it and its first ``lines`` lines; stop it on exit."""
    proc = subprocess.Popen(
        [sys.executable, "-m", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        yield proc, [proc.stdout.readline() for _ in range(lines)]
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.communicate()


def first_answer(api: httpx.Client, token: str) -> httpx.Response:
    """``GET /v1/project`` once the server listens (it gets 10 s to come up)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return api.get("/v1/project", headers={"Token": token})
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the fake server did not come up"
            time.sleep(0.05)
