"""Per-call options (with_options), the environment (trust_env) and honest figures (stats)."""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest

from qase_async import (
    ClientClosedError,
    ConfigurationError,
    Permit,
    Priority,
    QaseClient,
    RateLimitedError,
    RetryPolicy,
    ServiceUnavailableError,
    SlidingWindowLimiter,
)
from qase_async.redis import REDIS_URL_ENV, RedisLimiter

PROJECT = {"status": True, "result": {"title": "Demo", "code": "DEMO"}}
FAST = RetryPolicy(attempts=4, backoff=0.001, backoff_max=0.01)


class Recording(SlidingWindowLimiter):
    """The default limiter, noting the priority and max_wait of each acquire."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, float]] = []

    async def acquire(self, *, priority: Priority = "normal", max_wait: float = math.inf) -> Permit:
        self.asked.append((priority, max_wait))
        return await super().acquire(priority=priority, max_wait=max_wait)


async def test_a_view_shares_limiter_pool_and_stats_with_its_own_options() -> None:
    """with_options changes retries, timeout and priority for calls made through the view."""
    timeouts: list[dict[str, float | None]] = []
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        timeouts.append(request.extensions["timeout"])
        return httpx.Response(503)

    limiter = Recording()
    async with QaseClient(
        "t", transport=httpx.MockTransport(handler), retry=FAST, limiter=limiter
    ) as qase:
        view = qase.with_options(retry=RetryPolicy(attempts=1), timeout=3.0, priority="bulk")
        assert view.limiter is qase.limiter
        assert view._http is qase._http
        with pytest.raises(ServiceUnavailableError):
            await view.projects.get("DEMO")
        assert calls == 1  # the view's policy: one try
        with pytest.raises(ServiceUnavailableError):
            await qase.projects.get("DEMO")
        assert calls == 1 + FAST.attempts  # the parent's policy is untouched
        assert qase.stats is view.stats
        assert qase.stats.requests == calls
    assert timeouts[0]["read"] == 3.0
    assert timeouts[1]["read"] == 30.0
    assert [p for p, _ in limiter.asked] == ["bulk"] + ["normal"] * FAST.attempts


async def test_closing_a_view_leaves_the_parent_open_and_not_the_reverse() -> None:
    """A view's aclose() stops only the view; the parent's stops both."""
    qase = QaseClient(
        "t", transport=httpx.MockTransport(lambda r: httpx.Response(200, json=PROJECT))
    )
    view = qase.with_options(timeout=5.0)
    await view.aclose()
    with pytest.raises(ClientClosedError):
        await view.projects.get("DEMO")
    assert (await qase.projects.get("DEMO")).code == "DEMO"
    assert not qase._http.is_closed
    other = qase.with_options(deadline=10)
    await qase.aclose()
    with pytest.raises(ClientClosedError):
        await other.projects.get("DEMO")
    assert qase._http.is_closed


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": -1},
        {"timeout": math.nan},
        {"timeout": "5"},
        {"deadline": 0},
        {"deadline": math.inf},
        {"priority": "urgent"},
        {"retry": 3},
    ],
)
def test_bad_options_are_refused(options: dict[str, object]) -> None:
    """Option values are checked when the view is made."""
    qase = QaseClient("t", transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    with pytest.raises(ConfigurationError):
        qase.with_options(**options)  # type: ignore[arg-type]


async def test_the_cool_down_gate_is_bounded_by_the_views_max_wait() -> None:
    """A caller that accepts 0.1 s of waiting is refused a 10 s cool-down at once."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(429, headers={"Retry-After": "10"})
        return httpx.Response(200, json=PROJECT)

    async with QaseClient(
        "t", transport=httpx.MockTransport(handler), retry=RetryPolicy(attempts=1)
    ) as qase:
        with pytest.raises(RateLimitedError):
            await qase.projects.get("DEMO")
        hasty = qase.with_options(retry=RetryPolicy(max_wait=0.1))
        with pytest.raises(RateLimitedError, match="cool-down"):
            await asyncio.wait_for(hasty.projects.get("DEMO"), 2)
    assert calls == 1


def test_the_environment_is_read_only_when_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """trust_env=False reads neither QASE_API_TOKEN nor QASE_RATE_LIMIT_REDIS_URL."""
    monkeypatch.setenv("QASE_API_TOKEN", "from-env")
    monkeypatch.setenv(REDIS_URL_ENV, "redis://127.0.0.1:1/0")
    with pytest.raises(ConfigurationError, match="no API token"):
        QaseClient(trust_env=False)
    untrusting = QaseClient("t", trust_env=False)
    assert isinstance(untrusting.limiter, SlidingWindowLimiter)
    assert not untrusting._http.trust_env
    trusting = QaseClient()
    assert isinstance(trusting.limiter, RedisLimiter)
    assert trusting._transport._auth._token == "from-env"


async def test_stats_count_every_request_and_every_wait_by_cause() -> None:
    """A 429, a 503 and a redirect: the server's count is the client's, waits split by cause."""
    seen = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        seen += 1
        if seen == 1:
            return httpx.Response(429, headers={"Retry-After": "0.3"})
        if seen == 2:
            return httpx.Response(503)
        if seen == 3:
            return httpx.Response(302, headers={"Location": "/v1/project/DEMO2"})
        return httpx.Response(200, json=PROJECT)

    retry = RetryPolicy(attempts=4, backoff=0.2, backoff_max=0.2)
    async with QaseClient("t", transport=httpx.MockTransport(handler), retry=retry) as qase:
        await qase.projects.get("DEMO")
        stats = qase.stats
    assert stats.requests == seen == 4
    assert (stats.retries, stats.rate_limited) == (2, 1)
    assert stats.cooldown_wait >= 0.25
    assert stats.rate_limit_wait >= stats.cooldown_wait
    assert stats.backoff_wait >= 0.1
    assert stats.waited == pytest.approx(stats.rate_limit_wait + stats.backoff_wait)
    assert "cooldown_wait=" in repr(stats)
