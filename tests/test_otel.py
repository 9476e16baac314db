"""Spans and metrics through the OpenTelemetry API, read back with the SDK's in-memory readers."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from qase_async import QaseClient, RateLimit, SlidingWindowLimiter
from qase_async._client import _observer
from qase_async.exceptions import NotFoundError

_EXPORTER = InMemorySpanExporter()
_READER = InMemoryMetricReader()


@pytest.fixture(scope="module", autouse=True)
def _sdk() -> None:
    """Install the SDK once per process (the API allows one provider of each kind)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[_READER]))


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """The span exporter, emptied before the test."""
    _EXPORTER.clear()
    return _EXPORTER


def _points(name: str) -> list[Any]:
    """Every data point of the metric ``name`` collected so far."""
    data = _READER.get_metrics_data()
    assert data is not None
    return [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
    ]


def _server(answers: list[httpx.Response]) -> httpx.MockTransport:
    """A transport answering the given responses in order, then 200 forever."""

    def handle(request: httpx.Request) -> httpx.Response:
        if answers:
            return answers.pop(0)
        return httpx.Response(200, json={"status": True, "result": {"title": "D", "code": "D"}})

    return httpx.MockTransport(handle)


def _only(spans: InMemorySpanExporter) -> ReadableSpan:
    finished = spans.get_finished_spans()
    assert len(finished) == 1
    return finished[0]


async def test_a_span_per_call_with_operation_lane_status_and_waits(
    spans: InMemorySpanExporter,
) -> None:
    """One call is one span named after the spec's operation id, with the method, lane,
    final status, tries and the seconds waited on the rate limit and the cool-down."""
    transport = _server([])
    async with QaseClient(token="t", base_url="http://127.0.0.1:1", transport=transport) as qase:
        await qase.with_options(priority="interactive").projects.get("DEMO")
    span = _only(spans)
    assert span.name == "qase get-project"
    attributes = dict(span.attributes or {})
    assert attributes["http.request.method"] == "GET"
    assert attributes["qase.operation.id"] == "get-project"
    assert attributes["qase.lane"] == "interactive"
    assert attributes["http.response.status_code"] == 200
    assert attributes["qase.tries"] == 1
    assert attributes["qase.wait.rate_limit"] >= 0.0  # type: ignore[operator]
    assert attributes["qase.wait.cooldown"] == 0.0
    assert span.kind == trace.SpanKind.CLIENT


async def test_a_429_counts_as_a_try_and_its_cooldown_as_cooldown(
    spans: InMemorySpanExporter,
) -> None:
    """A 429 then a 200: two tries, status 200, the wait after the 429 reported as
    cool-down, and the 429 counted in the metrics with its lane."""
    before = sum(p.value for p in _points("qase.client.rate_limited"))
    transport = _server([httpx.Response(429, headers={"Retry-After": "0.3"})])
    async with QaseClient(token="t", base_url="http://127.0.0.1:1", transport=transport) as qase:
        await qase.with_options(priority="bulk").cases.get("DEMO", 7)
    span = _only(spans)
    attributes = dict(span.attributes or {})
    assert span.name == "qase get-case"
    assert attributes["qase.tries"] == 2
    assert attributes["http.response.status_code"] == 200
    assert attributes["qase.wait.cooldown"] >= 0.25  # type: ignore[operator]
    assert sum(p.value for p in _points("qase.client.rate_limited")) == before + 1
    bulk_429 = [
        p for p in _points("qase.client.rate_limited") if p.attributes["qase.lane"] == "bulk"
    ]
    assert bulk_429


async def test_a_failed_call_is_an_error_span(spans: InMemorySpanExporter) -> None:
    """A 404 ends the span in error with the status and the exception recorded."""
    transport = _server([httpx.Response(404, json={"status": False, "errorMessage": "nope"})])
    async with QaseClient(token="t", base_url="http://127.0.0.1:1", transport=transport) as qase:
        with pytest.raises(NotFoundError):
            await qase.projects.get("NOPE")
    span = _only(spans)
    assert span.status.status_code == trace.StatusCode.ERROR
    assert dict(span.attributes or {})["http.response.status_code"] == 404
    assert any(event.name == "exception" for event in span.events)


async def test_metrics_count_requests_by_status_and_wait_by_lane() -> None:
    """Requests are counted by status and lane; the permit waits land in a histogram per
    lane; the limiter's slots in use are observed."""
    transport = _server([])
    async with QaseClient(
        token="t",
        base_url="http://127.0.0.1:1",
        transport=transport,
        rate_limit=RateLimit(50, per=30.0),
    ) as qase:
        for lane in ("interactive", "normal", "bulk"):
            await qase.with_options(priority=lane).projects.get("DEMO")  # type: ignore[arg-type]
        slots = [
            p.value
            for p in _points("qase.client.limiter.slots_in_use")
            if p.attributes["qase.limiter.id"] == id(qase.limiter)
        ]
    assert slots == [3]
    ok = {
        p.attributes["qase.lane"]: p.value
        for p in _points("qase.client.requests")
        if p.attributes["http.response.status_code"] == 200
    }
    assert set(ok) >= {"interactive", "normal", "bulk"}
    waits = {p.attributes["qase.lane"]: p.count for p in _points("qase.client.rate_limit.wait")}
    assert all(waits[lane] >= 1 for lane in ("interactive", "normal", "bulk"))


async def test_operation_ids_follow_the_spec_templates() -> None:
    """Literal path segments win over placeholders, and v2 paths are recognised."""
    observer = _observer(SlidingWindowLimiter())
    assert observer is not None
    assert observer.operation("POST", "/case/DEMO/bulk", 1) == "bulk"
    assert observer.operation("GET", "/case/DEMO/12", 1) == "get-case"
    assert observer.operation("POST", "/DEMO/run/3/results", 2) == "create-results-v2"
    assert observer.operation("GET", "/nothing/here", 1) == "unknown"


def test_without_the_extra_there_is_no_observer(monkeypatch: pytest.MonkeyPatch) -> None:
    """When ``opentelemetry`` cannot be imported the client runs with no observer."""
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    monkeypatch.delitem(sys.modules, "qase_async._otel")
    assert _observer(SlidingWindowLimiter()) is None
    client = QaseClient(token="t")
    assert client._transport.observer is None


def test_a_client_made_before_any_sdk_observes_nothing() -> None:
    """With the API installed but no SDK set up (a fresh interpreter), the client has no
    observer, so the request path pays nothing for the extra."""
    code = "from qase_async import QaseClient; print(QaseClient(token='t')._transport.observer)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "None"
