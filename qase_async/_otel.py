"""Traces and metrics on the OpenTelemetry API (the ``otel`` extra).

Imported only when ``opentelemetry-api`` is installed; without it the client's request
path costs one ``None`` check. With it, every call of a client method is a span
``qase <operation id>`` (method, operation id, lane, final status, tries, seconds waited
on the rate limit and on 429 cool-downs), and every HTTP request is counted:

* ``qase.client.requests`` (counter): by method, status code and lane;
* ``qase.client.rate_limited`` (counter): 429 answers;
* ``qase.client.rate_limit.wait`` (histogram, seconds): the wait for each permit, by lane;
* ``qase.client.limiter.slots_in_use`` (gauge): slots of the window in use, per limiter.

Clients made before the application installs an SDK (``opentelemetry-sdk``) or a distro
observe nothing and pay nothing; nothing here configures exporters.
"""

from __future__ import annotations

import contextvars
import json
import re
import weakref
from collections.abc import Awaitable, Callable, Iterable
from importlib.resources import files
from typing import Any, Final, TypeVar

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.trace import Status, StatusCode

from ._ratelimit import Limiter, Permit, Priority

T = TypeVar("T")

SCOPE: Final = "qase_async"
_Route = tuple[re.Pattern[str], str]


class _Record:
    """What one call's tries add up to (kept in a context variable while it runs)."""

    __slots__ = ("cooldown", "cooldown_wait", "rate_limit_wait", "status", "tries")

    def __init__(self) -> None:
        self.tries = 0
        self.status: int | None = None
        self.rate_limit_wait = 0.0
        self.cooldown_wait = 0.0
        self.cooldown = False  # the last try drew a 429: the next permit's wait is cool-down


_CURRENT: Final[contextvars.ContextVar[_Record | None]] = contextvars.ContextVar(
    "qase_async_otel_record", default=None
)


def _routes() -> dict[tuple[str, str, str], list[_Route]]:
    """The spec's operations by (method, version, first path segment or ``*``)."""
    text = files("qase_async").joinpath("testing", "_spec_data.json").read_text("utf-8")
    table: dict[tuple[str, str, str], list[_Route]] = {}
    for op in json.loads(text)["operations"]:
        template: str = op["path"]
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        first = template.split("/")[1]
        key = (op["method"], op["version"], "*" if first.startswith("{") else first)
        table.setdefault(key, []).append((re.compile(pattern + "$"), op["operation_id"]))
    for routes in table.values():  # literal segments win over placeholders
        routes.sort(key=lambda route: route[0].pattern.count("[^/]+"))
    return table


class _Instruments:
    """The meter's instruments, made once per process (the SDK refuses duplicates)."""

    def __init__(self) -> None:
        meter = metrics.get_meter(SCOPE)
        self.requests = meter.create_counter(
            "qase.client.requests", unit="{request}", description="HTTP requests sent"
        )
        self.rate_limited = meter.create_counter(
            "qase.client.rate_limited", unit="{response}", description="429 answers received"
        )
        self.wait = meter.create_histogram(
            "qase.client.rate_limit.wait",
            unit="s",
            description="Seconds each request waited for a rate-limit permit",
        )
        self.limiters: weakref.WeakSet[Any] = weakref.WeakSet()
        meter.create_observable_gauge(
            "qase.client.limiter.slots_in_use",
            callbacks=[self._slots],
            unit="{slot}",
            description="Slots of the rate-limit window in flight or cooling down",
        )

    def _slots(self, options: CallbackOptions) -> Iterable[Observation]:
        for limiter in list(self.limiters):
            yield Observation(
                limiter.in_use,
                {"qase.limiter": type(limiter).__name__, "qase.limiter.id": id(limiter)},
            )


_INSTRUMENTS: _Instruments | None = None


class Observer:
    """Turns a client's calls into spans and its HTTP requests into metrics."""

    def __init__(self, limiter: Limiter) -> None:
        global _INSTRUMENTS
        if _INSTRUMENTS is None:
            _INSTRUMENTS = _Instruments()
        self._metrics = _INSTRUMENTS
        if isinstance(getattr(limiter, "in_use", None), int):
            self._metrics.limiters.add(limiter)
        self._tracer = trace.get_tracer(SCOPE)
        self._routes = _routes()

    def operation(self, method: str, path: str, version: int) -> str:
        """The spec's operation id for a request (``"unknown"`` if none matches)."""
        first = path.split("/")[1] if path.count("/") else ""
        for key in ((method, f"v{version}", first), (method, f"v{version}", "*")):
            for pattern, operation in self._routes.get(key, ()):
                if pattern.match(path):
                    return operation
        return "unknown"

    async def observe(
        self,
        call: Callable[[], Awaitable[T]],
        method: str,
        path: str,
        version: int,
        priority: Priority,
    ) -> T:
        """Run one client call (all its tries) inside a span."""
        operation = self.operation(method, path, version)
        record = _Record()
        token = _CURRENT.set(record)
        with self._tracer.start_as_current_span(
            f"qase {operation}",
            kind=trace.SpanKind.CLIENT,
            attributes={
                "http.request.method": method,
                "qase.operation.id": operation,
                "qase.lane": priority,
            },
            record_exception=True,
            set_status_on_exception=True,
        ) as span:
            try:
                return await call()
            finally:
                _CURRENT.reset(token)
                if record.status is not None:
                    span.set_attribute("http.response.status_code", record.status)
                span.set_attribute("qase.tries", record.tries)
                span.set_attribute("qase.wait.rate_limit", record.rate_limit_wait)
                span.set_attribute("qase.wait.cooldown", record.cooldown_wait)
                if record.status is not None and record.status >= 400:
                    span.set_status(Status(StatusCode.ERROR))

    def on_try(self, permit: Permit, status: int | None, method: str) -> None:
        """Count one HTTP request; ``status`` is ``None`` when no answer came."""
        lane = permit.priority
        instruments = self._metrics
        instruments.wait.record(permit.waited, {"qase.lane": lane})
        instruments.requests.add(
            1,
            {
                "http.request.method": method,
                "http.response.status_code": status if status is not None else 0,
                "qase.lane": lane,
            },
        )
        if status == 429:
            instruments.rate_limited.add(1, {"qase.lane": lane})
        record = _CURRENT.get()
        if record is None:
            return
        record.tries += 1
        record.status = status
        if record.cooldown:
            record.cooldown_wait += permit.waited
        else:
            record.rate_limit_wait += permit.waited
        record.cooldown = status == 429


def _configured() -> bool:
    """Whether the application installed a tracer or meter provider (an SDK, a distro)."""
    tracing = not isinstance(
        trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider
    )
    provider = metrics.get_meter_provider()
    metering = type(provider).__name__ not in ("_ProxyMeterProvider", "NoOpMeterProvider")
    return tracing or metering


def make_observer(limiter: Limiter) -> Observer | None:
    """An observer for a client's transport; ``None`` while OpenTelemetry is not set up,
    so that a client made before the SDK (or without one) pays nothing per request."""
    return Observer(limiter) if _configured() else None
