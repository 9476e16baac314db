"""The fake's stateful behaviour, limits, faults and counters (in-process, no socket)."""

from __future__ import annotations

import httpx
import pytest

from qase_async.testing import MB, FakeQase, Faults

from ._helpers import FakeClock, checked_client, ok, seed


def _v2(i: int | str, status: str = "passed") -> dict[str, object]:
    return {"id": f"r-{i}", "title": f"test {i}", "execution": {"status": status}}


# -- auth --------------------------------------------------------------------------------


async def test_missing_token_is_401_and_any_token_is_accepted_by_default(fake: FakeQase) -> None:
    """Without ``tokens`` any non-empty token is accepted; no header or empty is 401."""
    async with checked_client(fake.transport(), headers={}) as api:
        assert (await api.get("/v1/project")).status_code == 401
        assert (await api.get("/v1/project", headers={"Token": ""})).status_code == 401
        assert (await api.get("/v1/project", headers={"Token": "anything"})).status_code == 200
        resp = await api.get("/v1/project", headers={"Authorization": "Bearer x"})
        assert resp.status_code == 401
    assert fake.stats.unauthorized == 3


async def test_only_configured_tokens_are_accepted() -> None:
    """With ``tokens`` only those are accepted, and a 401 uses no rate-limit budget."""
    fake = FakeQase(tokens={"good"}, rate_limit=(2, 60.0))
    async with checked_client(fake.transport(), headers={}) as api:
        for _ in range(5):
            assert (await api.get("/v1/project", headers={"Token": "bad"})).status_code == 401
        resp = await api.get("/v1/project", headers={"token": "good"})
        assert resp.status_code == 200
        assert resp.headers["X-RateLimit-Remaining"] == "1"


# -- rate limit --------------------------------------------------------------------------


async def test_sliding_window_is_strict_and_overrun_locks_out(clock: FakeClock) -> None:
    """At most N per window in ANY window; the first over gets 429 and starts a lock-out."""
    fake = FakeQase(rate_limit=(3, 10.0), lockout=30.0, clock=clock, wall_clock=lambda: 5000.0)
    async with checked_client(fake.transport()) as api:
        statuses = []
        for _ in range(3):
            resp = await api.get("/v1/project")
            statuses.append(resp.status_code)
            clock.advance(4.0)  # t = 0, 4, 8
        assert statuses == [200, 200, 200]
        assert resp.headers["X-RateLimit-Limit"] == "3"
        assert resp.headers["X-RateLimit-Remaining"] == "0"
        assert resp.headers["X-RateLimit-Reset"] == str(5000 + 2)  # first hit leaves at t=10
        clock.now = 1000.0 + 10.0  # t = 10: the t=0 hit has left the window
        assert (await api.get("/v1/project")).status_code == 200
        clock.now = 1000.0 + 13.9  # window (3.9, 13.9] holds 4, 8, 10
        over = await api.get("/v1/project")
        assert over.status_code == 429
        assert over.headers["Retry-After"] == "30"
        assert over.json()["status"] is False
        clock.advance(20.0)  # the window is empty, but the lock-out holds
        locked = await api.get("/v1/project")
        assert locked.status_code == 429
        assert locked.headers["Retry-After"] == "10"  # locked at 13.9 until 43.9; now 33.9
        clock.advance(10.1)
        assert (await api.get("/v1/project")).status_code == 200
    assert fake.stats.rate_limited == 2
    assert fake.stats.lockouts == 1


async def test_rate_limit_is_per_token(clock: FakeClock) -> None:
    """One token's overrun does not lock out another."""
    fake = FakeQase(rate_limit=(1, 60.0), clock=clock)
    async with checked_client(fake.transport()) as api:
        assert (await api.get("/v1/project", headers={"Token": "a"})).status_code == 200
        assert (await api.get("/v1/project", headers={"Token": "a"})).status_code == 429
        assert (await api.get("/v1/project", headers={"Token": "b"})).status_code == 200


async def test_no_rate_limit_sends_no_headers() -> None:
    """``rate_limit=None`` disables the limiter and its headers."""
    fake = FakeQase(rate_limit=None)
    async with checked_client(fake.transport()) as api:
        for _ in range(20):
            resp = await api.get("/v1/project")
            assert resp.status_code == 200
        assert "X-RateLimit-Limit" not in resp.headers


async def test_storm_429(clock: FakeClock) -> None:
    """``storm_429`` answers 429 for a number of requests or a span of the clock."""
    fake = FakeQase(clock=clock)
    async with checked_client(fake.transport()) as api:
        fake.storm_429(times=2, retry_after=3)
        first = await api.get("/v1/project")
        assert (first.status_code, first.headers["Retry-After"]) == (429, "3")
        assert (await api.get("/v1/project")).status_code == 429
        assert (await api.get("/v1/project")).status_code == 200
        fake.storm_429(duration=5.0)
        assert (await api.get("/v1/project")).status_code == 429
        clock.advance(5.0)
        assert (await api.get("/v1/project")).status_code == 200
    assert fake.stats.rate_limited == 3


# -- workflow state --------------------------------------------------------------------


async def test_workflow_state_is_visible_and_run_stats_follow_results(
    api: httpx.AsyncClient, fake: FakeQase
) -> None:
    """Entities are stored as JSON-like dicts; run stats and project counts follow."""
    ids = await seed(api)
    run_id = ids["run"]
    await ok(
        api.post(
            f"/v1/result/TEST/{run_id}/bulk",
            json={
                "results": [
                    {"case_id": ids["case"], "status": "passed"},
                    {"case": {"title": "New case", "suite_title": "Auto"}, "status": "blocked"},
                ]
            },
        )
    )
    run = await ok(api.get(f"/v1/run/TEST/{run_id}", params={"include": "cases"}))
    assert run["stats"]["total"] == 2
    assert run["stats"]["passed"] == 1
    assert run["stats"]["blocked"] == 1
    assert run["environment"]["slug"] == "staging"
    assert run["status"] == 0
    await ok(api.post(f"/v1/run/TEST/{run_id}/complete"))
    again = await api.post(f"/v1/run/TEST/{run_id}/complete")
    assert again.status_code == 422
    run = await ok(api.get(f"/v1/run/TEST/{run_id}"))
    assert run["status"] == 1
    assert run["end_time"] is not None
    assert "cases" not in run  # only with include=cases, as the service does
    public = await ok(api.patch(f"/v1/run/TEST/{run_id}/public", json={"status": True}))
    assert public["url"].startswith("http")
    project = await ok(api.get("/v1/project/TEST"))
    assert project["counts"]["cases"] == 2
    assert project["counts"]["suites"] == 2
    assert project["counts"]["runs"] == {"total": 1, "active": 0}
    assert fake.state.runs["TEST"][run_id]["public"] is True
    assert len(fake.state.results["TEST"]) == 3
    assert fake.stats.results_stored == 3
    assert fake.state.cases["TEST"][2]["title"] == "New case"


async def test_pagination_limits_and_offsets(api: httpx.AsyncClient) -> None:
    """``limit`` defaults to 10 and caps at 100; ``offset`` pages; ``total`` counts all."""
    await ok(api.post("/v1/project", json={"title": "P", "code": "PG"}))
    ids = await ok(
        api.post("/v1/case/PG/bulk", json={"cases": [{"title": f"c{i}"} for i in range(105)]})
    )
    assert ids["ids"] == list(range(1, 106))
    page = await ok(api.get("/v1/case/PG"))
    assert (page["total"], page["filtered"], page["count"]) == (105, 105, 10)
    page = await ok(api.get("/v1/case/PG", params={"limit": 100, "offset": 100}))
    assert [c["id"] for c in page["entities"]] == [101, 102, 103, 104, 105]
    page = await ok(api.get("/v1/case/PG", params={"search": "c10"}))
    assert (page["total"], page["filtered"]) == (105, 6)  # c10 and c100..c104


async def test_validation_errors_name_the_fields(api: httpx.AsyncClient) -> None:
    """422 answers list ``errorFields`` with dotted paths; one bad result rejects the batch."""
    await seed(api)
    resp = await api.post("/v1/project", json={"code": "x"})
    assert resp.status_code == 422
    assert {"field": "title", "error": "The title field is required."} in resp.json()["errorFields"]
    resp = await api.post(
        "/v1/result/TEST/1/bulk",
        json={"results": [{"case_id": 1, "status": "passed"}, {"case_id": 1, "status": 3}]},
    )
    assert resp.status_code == 422
    assert resp.json()["errorFields"][0]["field"] == "results.1.status"
    resp = await api.post(
        "/v1/result/TEST/1/bulk",
        json={"results": [{"case_id": 1, "status": "passed"}, {"case_id": 99, "status": "x"}]},
    )
    assert resp.status_code == 422
    assert (await ok(api.get("/v1/result/TEST")))["total"] == 1
    resp = await api.post("/v2/TEST/run/1/results", json={"results": [{"title": "no exec"}]})
    assert resp.status_code == 422
    assert resp.json()["errorFields"][0]["field"] == "results.0.execution"
    resp = await api.post("/v1/project", json={"title": "dup", "code": "test"})
    assert resp.status_code == 422  # codes are case-insensitive and unique


async def test_missing_entities_are_404(api: httpx.AsyncClient) -> None:
    """Missing projects, runs, results and attachments answer 404."""
    await seed(api)
    for method, path in [
        ("GET", "/v1/run/TEST/42"),
        ("POST", "/v1/run/TEST/42/complete"),
        ("GET", "/v1/result/TEST/deadbeef"),
        ("GET", "/v1/attachment/deadbeef"),
        ("GET", "/v1/suite/NOPE"),
        ("GET", "/v1/author/1?x=1".replace("/v1/author/1", "/v1/case/NOPE/1")),
    ]:
        assert (await api.request(method, path)).status_code == 404, path
    resp = await api.post("/v2/TEST/run/42/result", json=_v2(1))
    assert resp.status_code == 404


# -- bulk and v2 idempotency -------------------------------------------------------------


async def test_bulk_over_limit_is_413(api: httpx.AsyncClient, fake: FakeQase) -> None:
    """More than 200 results per bulk request (v1 or v2) answers 413 and stores nothing."""
    await seed(api)
    v1 = [{"case_id": 1, "status": "passed"}] * 201
    assert (await api.post("/v1/result/TEST/1/bulk", json={"results": v1})).status_code == 413
    v2 = [_v2(i) for i in range(201)]
    assert (await api.post("/v2/TEST/run/1/results", json={"results": v2})).status_code == 413
    assert (await api.post("/v2/TEST/run/1/results", json={"results": v2[:200]})).status_code == 202
    assert fake.stats.results_stored == 1 + 200


async def test_v2_ids_are_idempotency_keys(api: httpx.AsyncClient, fake: FakeQase) -> None:
    """A replayed v2 result id is not stored again and is counted as refused."""
    await seed(api)
    before = fake.stats.results_stored
    batch = {"results": [_v2(1), _v2(2), _v2(3)]}
    assert (await api.post("/v2/TEST/run/1/results", json=batch)).status_code == 202
    assert (await api.post("/v2/TEST/run/1/results", json=batch)).status_code == 202
    single = await api.post("/v2/TEST/run/1/result", json=_v2(2))
    assert single.status_code == 202
    null_id = await api.post("/v2/TEST/run/1/result", json={**_v2(0), "id": None})
    assert null_id.status_code == 422
    no_id = {"title": "anon", "execution": {"status": "failed"}}
    await api.post("/v2/TEST/run/1/result", json=no_id)
    await api.post("/v2/TEST/run/1/result", json=no_id)
    assert fake.stats.results_stored - before == 3 + 2
    assert fake.stats.duplicates_refused == 4
    assert fake.state.idempotency[("TEST", 1)]["r-2"]


# -- attachments -------------------------------------------------------------------------


def _files(*sizes: int) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [
        ("file[]", (f"f{i}.bin", b"x" * n, "application/octet-stream")) for i, n in enumerate(sizes)
    ]


async def test_attachment_limits_are_configurable() -> None:
    """Per-file, per-request and file-count limits give 413; a full quota gives 507."""
    fake = FakeQase(max_file=100, max_request=1000, max_files=3, storage_quota=250)
    async with checked_client(fake.transport()) as api:
        await ok(api.post("/v1/project", json={"title": "A", "code": "ATT"}))
        assert (await api.post("/v1/attachment/ATT", files=_files(101))).status_code == 413
        assert (await api.post("/v1/attachment/ATT", files=_files(1, 1, 1, 1))).status_code == 413
        big = _files(100) * 11
        assert (await api.post("/v1/attachment/ATT", files=big)).status_code == 413
        stored = await ok(api.post("/v1/attachment/ATT", files=_files(100, 100)))
        assert [a["filename"] for a in stored] == ["f0.bin", "f1.bin"]
        assert (await api.post("/v1/attachment/ATT", files=_files(51))).status_code == 507
        got = await ok(api.get(f"/v1/attachment/{stored[0]['hash']}"))
        assert got["size"] == 100
        await ok(api.delete(f"/v1/attachment/{stored[0]['hash']}"))
        assert (await api.post("/v1/attachment/ATT", files=_files(51))).status_code == 200
    assert fake.state.storage_used() == 151


def test_default_limits_mirror_the_service() -> None:
    """Defaults: 600/60 s, 60 s lock-out, 200 per bulk, 32/128 MB, 20 files."""
    fake = FakeQase()
    assert fake.rate_limit == (600, 60.0)
    assert fake.lockout == 60.0
    limits = fake.limits
    assert (limits.max_bulk, limits.max_file, limits.max_request, limits.max_files) == (
        200,
        32 * MB,
        128 * MB,
        20,
    )


# -- faults ------------------------------------------------------------------------------


async def _statuses(fake: FakeQase, n: int) -> list[int | str]:
    out: list[int | str] = []
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url="https://x", headers={"Token": "t"}
    ) as api:
        for _ in range(n):
            try:
                out.append((await api.get("/v1/project")).status_code)
            except httpx.RemoteProtocolError:
                out.append("drop")
    return out


async def test_random_faults_are_seeded_and_reproducible() -> None:
    """The same seed gives the same sequence of 5xx answers and drops."""
    faults = Faults(rate=0.3, drop_rate=0.1, seed=7)
    first = await _statuses(FakeQase(faults=faults), 60)
    second = await _statuses(FakeQase(faults=faults), 60)
    other = await _statuses(FakeQase(faults=Faults(rate=0.3, drop_rate=0.1, seed=8)), 60)
    assert first == second != other
    assert {500, 502, 503} <= set(first)
    assert "drop" in first
    assert 200 in first


async def test_scripted_faults_hit_exactly(api: httpx.AsyncClient, fake: FakeQase) -> None:
    """``inject`` answers a status for N matching requests without doing them."""
    await seed(api)
    fake.inject(503, times=2, path_prefix="/v1/result/", method="POST", retry_after=2)
    body = {"case_id": 1, "status": "passed"}
    first = await api.post("/v1/result/TEST/1", json=body)
    assert (first.status_code, first.headers["Retry-After"]) == (503, "2")
    assert (await api.get("/v1/project")).status_code == 200  # does not match
    assert (await api.post("/v1/result/TEST/1", json=body)).status_code == 503
    assert (await api.post("/v1/result/TEST/1", json=body)).status_code == 200
    assert fake.stats.faults == 2
    assert fake.stats.results_stored == 2


async def test_drops_before_and_after_processing(api: httpx.AsyncClient, fake: FakeQase) -> None:
    """A drop before processing loses the request; after processing, only the answer."""
    await seed(api)
    before = fake.stats.results_stored
    fake.drop_next(1)
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post("/v2/TEST/run/1/results", json={"results": [_v2(1)]})
    assert fake.stats.results_stored == before
    fake.drop_next(1, after_processing=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post("/v2/TEST/run/1/results", json={"results": [_v2(1)]})
    assert fake.stats.results_stored == before + 1
    # The client retries: the idempotency key keeps the result single.
    assert (await api.post("/v2/TEST/run/1/results", json={"results": [_v2(1)]})).status_code == 202
    assert fake.stats.results_stored == before + 1
    assert fake.stats.duplicates_refused == 1
    assert fake.stats.dropped == 2


async def test_latency_is_added_through_the_sleep_hook() -> None:
    """``Faults(latency=...)`` sleeps before each answer."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    fake = FakeQase(faults=Faults(latency=0.25), sleep=sleep)
    await _statuses(fake, 3)
    assert slept == [0.25, 0.25, 0.25]


async def test_counters_and_log(api: httpx.AsyncClient, fake: FakeQase) -> None:
    """Per-path, per-operation and per-status counters, and the request log."""
    await api.get("/v1/project")
    await api.get("/v1/project")
    await api.get("/v1/project/NOPE")
    assert fake.stats.requests == 3
    assert fake.stats.per_path["GET /v1/project"] == 2
    assert fake.stats.per_operation["get-project"] == 1
    assert fake.stats.statuses[404] == 1
    assert [r.status for r in fake.stats.log] == [200, 200, 404]
