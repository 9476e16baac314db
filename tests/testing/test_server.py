"""The fake over a real socket on loopback: ``serve``, ``serve_in_thread`` and the CLI."""

from __future__ import annotations

import re

import httpx
import pytest

from qase_async._cli import main
from qase_async.testing import FakeQase, Faults

from ._helpers import checked_client, cli_process, first_answer, ok, seed

pytest.importorskip("uvicorn", reason="serving the fake needs qase-async[testing]")


async def test_serve_on_the_running_loop() -> None:
    """``async with fake.serve()`` gives a loopback origin; answers are spec-valid."""
    fake = FakeQase(rate_limit=(100, 60.0))
    async with fake.serve(port=0) as origin:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", origin)
        async with checked_client(base_url=origin) as api:
            ids = await seed(api)
            resp = await api.post(
                f"/v2/TEST/run/{ids['run']}/results",
                json={"results": [{"id": "a", "title": "t", "execution": {"status": "passed"}}]},
            )
            assert resp.status_code == 202
            assert int(resp.headers["X-RateLimit-Remaining"]) < 100
            att = await ok(api.get(f"/v1/attachment/{ids['attachment']}"))
            assert att["url"].startswith(origin)
        async with httpx.AsyncClient(base_url=origin) as bare:
            assert (await bare.get("/v1/project")).status_code == 401
    assert fake.stats.results_stored == 2


async def test_dropped_connection_over_the_socket() -> None:
    """A drop closes the connection mid-answer; the client sees a protocol error."""
    fake = FakeQase(faults=Faults(seed=1))
    async with (
        fake.serve() as origin,
        httpx.AsyncClient(base_url=origin, headers={"Token": "t"}) as api,
    ):
        await ok(api.post("/v1/project", json={"title": "D", "code": "DROP"}))
        fake.drop_next(1, after_processing=True)
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await api.post("/v1/project", json={"title": "E", "code": "LOST"})
        assert "LOST" in fake.state.projects
        assert (await api.get("/v1/project/LOST")).status_code == 200
    assert fake.stats.dropped == 1


def test_serve_in_thread_for_sync_clients() -> None:
    """``serve_in_thread`` serves synchronous clients from a background thread."""
    fake = FakeQase(tokens={"tok"})
    with fake.serve_in_thread() as origin, httpx.Client(base_url=origin) as api:
        assert api.get("/v1/project", headers={"Token": "tok"}).status_code == 200
        assert api.get("/v1/project", headers={"Token": "other"}).status_code == 401


def test_cli_rejects_a_bad_rate_limit(capsys: pytest.CaptureFixture[str]) -> None:
    """``--rate-limit`` takes ``N/SECONDS``; anything else is a usage error."""
    with pytest.raises(SystemExit) as exc:
        main(["fake-server", "--rate-limit", "fast"])
    assert exc.value.code == 2
    assert "N/SECONDS" in capsys.readouterr().err


def test_cli_requires_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    """``qase-async`` without a subcommand prints usage and fails."""
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["qase_async", "qase_async.testing"])
def test_cli_serves_until_stopped(module: str) -> None:
    """``python -m ... fake-server --port 0 --token T --rate-limit 5/1`` serves on loopback."""
    args = [module]
    if module == "qase_async":
        args.append("fake-server")
    args += ["--port", "0", "--token", "cli-token", "--token", "second", "--rate-limit", "5/1"]
    with cli_process(*args) as (proc, (line,)):
        match = re.search(r"(http://127\.0\.0\.1:\d+)/v1", line)
        assert match, line
        origin = match.group(1)
        with httpx.Client(base_url=origin, timeout=5) as api:
            resp = first_answer(api, "cli-token")
            assert resp.status_code == 200
            assert resp.headers["X-RateLimit-Limit"] == "5"
            assert api.get("/v1/project", headers={"Token": "second"}).status_code == 200
            assert api.get("/v1/project", headers={"Token": "nope"}).status_code == 401
            assert api.get("/v1/project").status_code == 401
    assert proc.returncode is not None
