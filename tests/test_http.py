"""The request path: the 429 cool-down gate, retries, the token's reach, configuration."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import httpx
import pytest

from qase_async import (
    ClientClosedError,
    ConfigurationError,
    NotFoundError,
    QaseClient,
    RateLimit,
    RateLimitedError,
    RedirectError,
    RequestTimeoutError,
    RetryEvent,
    RetryPolicy,
    ServiceUnavailableError,
    SlidingWindowLimiter,
    TransportError,
)
from qase_async.models import ResultCreateV2, ResultExecution

TOKEN = "s3cr3t-token-value"
FAST = RetryPolicy(attempts=4, backoff=0.001, backoff_max=0.01)
PROJECT = {"status": True, "result": {"title": "Demo", "code": "DEMO"}}

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, **kw: object) -> QaseClient:
    kw.setdefault("retry", FAST)
    return QaseClient(TOKEN, transport=httpx.MockTransport(handler), **kw)  # type: ignore[arg-type]


async def test_429_pauses_the_whole_client_then_resends() -> None:
    """The first 429 stops every request until Retry-After has passed; then all go through."""
    arrivals: list[tuple[float, str]] = []
    rejected = False

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal rejected
        arrivals.append((time.monotonic(), request.url.path))
        if not rejected:
            rejected = True
            return httpx.Response(429, headers={"Retry-After": "1"}, json={"status": False})
        return httpx.Response(200, json=PROJECT)

    events: list[RetryEvent] = []
    async with client(handler, on_retry=events.append) as qase:
        first = asyncio.ensure_future(qase.projects.get("DEMO"))
        for _ in range(500):  # until the 429 is in and has closed the gate (bounded)
            if qase.stats.rate_limited:
                break
            await asyncio.sleep(0.01)
        rejected_at = arrivals[0][0]
        others = await asyncio.gather(*(qase.projects.get("DEMO") for _ in range(5)))
        project = await first
    assert project.code == "DEMO"
    assert len(others) == 5
    assert len(arrivals) == 7  # the rejected one was sent again
    assert all(t - rejected_at >= 1.0 - 0.02 for t, _ in arrivals[1:]), "sent during the pause"
    assert [(e.reason, e.wait) for e in events] == [("429", 1.0)]


async def test_retry_after_as_http_date() -> None:
    """Retry-After may be an HTTP-date; the client waits until then."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 2))
            return httpx.Response(429, headers={"Retry-After": when})
        return httpx.Response(200, json=PROJECT)

    events: list[RetryEvent] = []
    async with client(handler, on_retry=events.append) as qase:
        await qase.projects.get("DEMO")
    assert calls == 2
    assert 0.5 <= events[0].wait <= 2.0


async def test_retry_after_longer_than_max_wait_raises_with_it() -> None:
    """A lock-out longer than the caller accepts is raised at once, with retry_after."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "60"}, json={"errorMessage": "slow"})

    async with client(handler, retry=RetryPolicy(max_wait=5)) as qase:
        with pytest.raises(RateLimitedError) as info:
            await qase.projects.get("DEMO")
    assert info.value.retry_after == 60
    assert "slow" in str(info.value)


async def test_missing_retry_after_means_the_60_second_lockout() -> None:
    """Without Retry-After the client assumes the service's 60 s lock-out."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429)

    async with client(handler, retry=RetryPolicy(max_wait=30)) as qase:
        with pytest.raises(RateLimitedError) as info:
            await qase.projects.get("DEMO")
    assert info.value.retry_after == 60


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gets_are_retried_on_gateway_errors(status: int) -> None:
    """502/503/504 on a GET are retried with backoff, and each wait is reported."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(status if calls < 3 else 200, json=PROJECT)

    events: list[RetryEvent] = []
    async with client(handler, on_retry=events.append) as qase:
        assert (await qase.projects.get("DEMO")).code == "DEMO"
    assert calls == 3
    assert [e.reason for e in events] == [str(status)] * 2
    assert all(0 < e.wait <= 0.01 for e in events)


async def test_attempts_are_bounded() -> None:
    """After the configured attempts the error is raised, not retried forever."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503, json={"errorMessage": "maintenance"})

    async with client(handler) as qase:
        with pytest.raises(ServiceUnavailableError, match="maintenance"):
            await qase.projects.get("DEMO")
    assert calls == FAST.attempts


async def test_unsafe_post_is_not_retried_after_it_may_have_arrived() -> None:
    """A v1 POST (no idempotency key) that got a 503 or a dropped connection is not resent."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(503)
        raise httpx.ReadError("connection reset")

    async with client(handler) as qase:
        with pytest.raises(ServiceUnavailableError):
            await qase.runs.complete("DEMO", 1)
        with pytest.raises(TransportError, match="ReadError"):
            await qase.runs.complete("DEMO", 1)
    assert calls == 2


async def test_v2_results_are_retried_with_the_same_ids() -> None:
    """v2 results carry idempotency ids, so a 503 or a dropped connection is retried safely."""
    bodies: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        if len(bodies) == 1:
            return httpx.Response(503)
        if len(bodies) == 2:
            raise httpx.RemoteProtocolError("server disconnected")
        return httpx.Response(202, json={"status": True})

    result = ResultCreateV2(title="t", execution=ResultExecution(status="passed"))
    async with client(handler) as qase:
        ids = await qase.v2.results.create_bulk("DEMO", 1, [result, result])
    assert len(set(ids)) == 2
    assert len(bodies) == 3
    sent_ids = [[r["id"] for r in b["results"]] for b in bodies]  # type: ignore[index,union-attr]
    assert sent_ids == [ids, ids, ids]


async def test_connect_errors_are_retried_for_any_method() -> None:
    """A connection that never opened sent nothing, so even a v1 POST is retried."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("connection refused")
        return httpx.Response(200, json={"status": True})

    async with client(handler) as qase:
        await qase.runs.complete("DEMO", 1)
    assert calls == 2


async def test_timeouts_raise_our_timeout_error() -> None:
    """httpx exceptions never leak raw: a read timeout becomes RequestTimeoutError."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    async with client(handler) as qase:
        with pytest.raises(RequestTimeoutError) as info:
            await qase.projects.get("DEMO")
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert info.value.method == "GET"


async def test_cancelled_call_gives_back_its_slot() -> None:
    """A bot cancelling a call mid-flight leaves no slot held and no task behind."""
    started = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        started.set()
        await asyncio.sleep(10)
        return httpx.Response(200, json=PROJECT)

    async with QaseClient(
        TOKEN, transport=httpx.MockTransport(slow), rate_limit=RateLimit(1, per=0.05)
    ) as qase:
        call = asyncio.ensure_future(qase.projects.get("DEMO"))
        await started.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        limiter = qase.limiter
        assert limiter._in_flight == 0  # type: ignore[attr-defined]
        assert len(limiter._free) == 1  # type: ignore[attr-defined]


async def test_token_goes_only_to_the_configured_origin() -> None:
    """A redirect to another host is refused, naming it; one to the same origin is followed."""
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.host + request.url.path] = request.headers.get("Token")
        if request.url.path == "/v1/project/DEMO":
            return httpx.Response(302, headers={"Location": "https://evil.example/steal"})
        if request.url.path == "/v1/project/SAME":
            return httpx.Response(307, headers={"Location": "/v1/project/OTHER"})
        return httpx.Response(200, json=PROJECT)

    async with client(handler) as qase:
        with pytest.raises(RedirectError, match=r"evil\.example") as info:
            await qase.projects.get("DEMO")
        await qase.projects.get("SAME")
    assert info.value.target == "evil.example"
    assert seen == {
        "api.qase.io/v1/project/DEMO": TOKEN,
        "api.qase.io/v1/project/SAME": TOKEN,
        "api.qase.io/v1/project/OTHER": TOKEN,
    }


async def test_an_injected_client_cannot_leak_the_token_through_its_redirects() -> None:
    """Even an injected httpx client that follows redirects does not follow one away."""
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = request.headers.get("Token")
        if request.url.host == "api.qase.io":
            return httpx.Response(301, headers={"Location": "https://evil.example/"})
        return httpx.Response(200, json=PROJECT)

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(handler), follow_redirects=True
    ) as http:
        async with QaseClient(TOKEN, http_client=http) as qase:
            with pytest.raises(RedirectError, match=r"evil\.example"):
                await qase.projects.get("DEMO")
        assert not http.is_closed, "an injected client is the caller's to close"
    assert seen == {"api.qase.io": TOKEN}


async def test_token_never_appears_in_reprs_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Reprs, exception messages and log lines never hold the token."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/RETRY"):
            return httpx.Response(503) if "x" not in request.url.params else httpx.Response(200)
        return httpx.Response(404, json={"errorMessage": "Project not found"})

    caplog.set_level(logging.DEBUG)
    async with client(handler) as qase:
        with pytest.raises(NotFoundError) as info:
            await qase.projects.get("NOPE")
        with pytest.raises(ServiceUnavailableError):
            await qase.projects.get("RETRY")
        texts = [
            repr(qase),
            str(qase),
            repr(qase._transport._auth),
            str(info.value),
            repr(info.value),
            caplog.text,
            repr(qase.limiter),
        ]
    assert all(TOKEN not in text for text in texts)
    assert "Project not found" in str(info.value)


def test_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without token=, QASE_API_TOKEN is used; with neither, a clear error."""
    with pytest.raises(ConfigurationError, match="QASE_API_TOKEN"):
        QaseClient()
    monkeypatch.setenv("QASE_API_TOKEN", "from-env")
    qase = QaseClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert qase._transport._auth._token == "from-env"


async def test_env_token_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment's token is the one on the wire."""
    monkeypatch.setenv("QASE_API_TOKEN", "from-env")
    tokens: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        tokens.append(request.headers.get("Token"))
        return httpx.Response(200, json=PROJECT)

    async with QaseClient(transport=httpx.MockTransport(handler)) as qase:
        await qase.projects.get("DEMO")
    assert tokens == ["from-env"]


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://api.qase.io", "https://api.qase.io"),
        ("https://api-acme.qase.io/v1/", "https://api-acme.qase.io"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:9/v2", "http://localhost:9"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_base_url_is_normalised(base_url: str, expected: str) -> None:
    """Trailing slashes and a /v1 or /v2 suffix are dropped; the client adds the version."""
    assert QaseClient(TOKEN, base_url=base_url).base_url == expected


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.qase.io",
        "http://10.0.0.5",
        "ftp://api.qase.io",
        "api.qase.io",
        "https://user:pw@api.qase.io",
    ],
)
def test_unsafe_base_urls_are_refused(base_url: str) -> None:
    """Plain http to a remote host (the token in clear), odd schemes and credentials."""
    with pytest.raises(ConfigurationError):
        QaseClient(TOKEN, base_url=base_url)


def test_plain_http_can_be_allowed_explicitly() -> None:
    """A caller behind a TLS-terminating proxy can opt in to http://."""
    qase = QaseClient(TOKEN, base_url="http://qase.internal", allow_insecure_http=True)
    assert qase.base_url == "http://qase.internal"


async def test_requests_go_to_versioned_paths_with_a_timeout() -> None:
    """v1 and v2 are added by the client; every request has a timeout by default."""
    seen: list[tuple[str, dict[str, float | None]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.extensions["timeout"]))
        return httpx.Response(200, json={"status": True, "result": {"id": 1}})

    async with client(handler, base_url="https://api-acme.qase.io") as qase:
        await qase.runs.create("DEMO", __import__("qase_async").models.RunCreate(title="r"))
        await qase.v2.results.create(
            "DEMO", 1, ResultCreateV2(title="t", execution=ResultExecution(status="passed"))
        )
    assert [url for url, _ in seen] == [
        "https://api-acme.qase.io/v1/run/DEMO",
        "https://api-acme.qase.io/v2/DEMO/run/1/result",
    ]
    assert all(t["read"] == 30.0 and t["connect"] == 10.0 for _, t in seen)


async def test_aclose_is_idempotent_and_closes_what_it_owns() -> None:
    """aclose() may be called twice; the owned httpx client is closed."""
    qase = client(lambda r: httpx.Response(200))
    await qase.aclose()
    await qase.aclose()
    assert qase._http.is_closed


def test_http_client_and_transport_are_exclusive() -> None:
    """Passing both is a mistake, reported at construction."""
    with pytest.raises(ConfigurationError):
        QaseClient(
            TOKEN,
            http_client=httpx.AsyncClient(),
            transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        )


async def test_a_429_that_is_given_up_on_still_closes_the_gate() -> None:
    """Even when a caller gives up on a 429, the rest of the client waits out the lock-out."""
    arrivals: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        arrivals.append(time.monotonic())
        if len(arrivals) == 1:
            return httpx.Response(429, headers={"Retry-After": "0.5"})
        return httpx.Response(200, json=PROJECT)

    async with client(handler, retry=RetryPolicy(attempts=1)) as qase:
        with pytest.raises(RateLimitedError):
            await qase.projects.get("DEMO")
        await qase.projects.get("DEMO")
    assert arrivals[1] - arrivals[0] >= 0.5 - 0.02


async def test_stats_count_requests_retries_429s_and_waits() -> None:
    """client.stats tells what the client sent and how long the rate limit held it."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(429, headers={"Retry-After": "0.2"})
        if calls == 2:
            return httpx.Response(503)
        return httpx.Response(200, json=PROJECT)

    async with client(handler) as qase:
        await qase.projects.get("DEMO")
        stats = qase.stats
        assert (stats.requests, stats.retries, stats.rate_limited) == (3, 2, 1)
        assert 0.2 - 0.02 <= stats.rate_limit_wait < 2
        assert "requests=3" in repr(stats)


async def test_calls_on_a_closed_client_raise_a_clear_error() -> None:
    """After aclose(), a call raises ClientClosedError instead of an httpx RuntimeError."""
    qase = client(lambda r: httpx.Response(200, json=PROJECT))
    await qase.aclose()
    with pytest.raises(ClientClosedError):
        await qase.projects.get("DEMO")


async def test_calls_waiting_for_the_rate_limit_end_when_the_client_closes() -> None:
    """A call queued behind the rate limit is not left hanging by aclose()."""
    qase = client(lambda r: httpx.Response(200, json=PROJECT), rate_limit=RateLimit(1, per=60))
    await qase.projects.get("DEMO")
    waiting = asyncio.ensure_future(qase.projects.get("DEMO"))
    await asyncio.sleep(0.01)
    await qase.aclose()
    with pytest.raises(ClientClosedError):
        await asyncio.wait_for(waiting, 2)


async def test_a_limiter_that_was_given_is_not_closed() -> None:
    """A limiter shared between clients outlives the client that is closed first."""
    shared = SlidingWindowLimiter(RateLimit(2, per=60))
    first = client(lambda r: httpx.Response(200, json=PROJECT), limiter=shared)
    second = client(lambda r: httpx.Response(200, json=PROJECT), limiter=shared)
    await first.projects.get("DEMO")
    await first.aclose()
    waiting = asyncio.ensure_future(second.projects.get("DEMO"))
    assert (await asyncio.wait_for(waiting, 2)).code == "DEMO"
    await second.aclose()
