"""Shared pieces of the benchmarks: a loopback HTTP server in its own process, CPU timing, tables.

The server runs in a separate process so that its CPU never counts against the client
being measured; it binds 127.0.0.1 only, answers a fixed body per path, can enforce a strict
sliding-window rate limit, and stops by itself (parent gone, or a hard lifetime cap).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import os
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from qase_async._http import json_loads, unwrap

SERVER_LIFETIME = 15 * 60.0
"""Seconds after which a server process exits whatever happens."""


def page_result(raw: bytes) -> Any:
    """The ``result`` of a page answer, parsed as the client's request path does."""
    return unwrap(json_loads(raw), status=200, method="GET", url="https://api.qase.io/v1/case")


@dataclass
class RateLimitConfig:
    """A strict sliding window: at most ``requests`` arrivals in any ``per`` seconds.

    The first request over gets 429 with ``Retry-After`` and locks the client out for
    ``lockout`` seconds, during which every request gets 429 (as the service does).
    """

    requests: int
    per: float
    lockout: float
    headers: bool = True


@dataclass
class ServerConfig:
    """What the server answers: ``routes`` maps a path (query ignored) to a JSON body."""

    routes: dict[str, bytes]
    rate_limit: RateLimitConfig | None = None
    latency: float = 0.0
    extra_headers: dict[str, str] = field(default_factory=dict)


class _State:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        self.arrivals: deque[float] = deque()
        self.locked_until = 0.0
        self.accepted = 0
        self.rejected = 0
        self.max_in_window = 0

    def stats(self) -> bytes:
        return json.dumps(
            {
                "accepted": self.accepted,
                "rejected": self.rejected,
                "max_in_window": self.max_in_window,
            }
        ).encode()

    def admit(self, now: float) -> tuple[bool, list[tuple[str, str]]]:
        """Apply the sliding window at arrival time ``now``."""
        rl = self.config.rate_limit
        if rl is None:
            self.accepted += 1
            return True, []
        while self.arrivals and self.arrivals[0] <= now - rl.per:
            self.arrivals.popleft()
        headers: list[tuple[str, str]] = []
        if now < self.locked_until:
            ok = False
        elif len(self.arrivals) >= rl.requests:
            ok = False
            self.locked_until = now + rl.lockout
        else:
            ok = True
            self.arrivals.append(now)
            self.max_in_window = max(self.max_in_window, len(self.arrivals))
        if ok:
            self.accepted += 1
        else:
            self.rejected += 1
            wait = max(self.locked_until - now, 0.0)
            headers.append(("Retry-After", str(max(1, math.ceil(wait)))))
        if rl.headers:
            headers.append(("X-RateLimit-Limit", str(rl.requests)))
            headers.append(("X-RateLimit-Remaining", str(max(0, rl.requests - len(self.arrivals)))))
        return ok, headers


_REASONS = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}


def _response(status: int, body: bytes, headers: Sequence[tuple[str, str]]) -> bytes:
    head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}"]
    head.append("Content-Type: application/json")
    head.append(f"Content-Length: {len(body)}")
    head.extend(f"{k}: {v}" for k, v in headers)
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class _Protocol(asyncio.Protocol):
    """A minimal HTTP/1.1 keep-alive server: enough for GETs from httpx and urllib3."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            lines = head.split("\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            parts = lines[0].split(" ")
            path = parts[1].split("?", 1)[0] if len(parts) > 1 else "/"
            self.handle(path)

    def handle(self, path: str) -> None:
        assert self.transport is not None
        state = self.state
        config = state.config
        if path == "/__stats":
            self.transport.write(_response(200, state.stats(), []))
            return
        if path == "/__reset":
            state.reset()
            self.transport.write(_response(200, b"{}", []))
            return
        ok, headers = state.admit(time.monotonic())
        headers.extend(config.extra_headers.items())
        if not ok:
            body = b'{"status": false, "errorMessage": "Too Many Requests"}'
            data = _response(429, body, headers)
        elif path in config.routes:
            data = _response(200, config.routes[path], headers)
        else:
            data = _response(404, b'{"status": false, "errorMessage": "Not found"}', headers)
        if config.latency > 0:
            asyncio.get_running_loop().call_later(config.latency, self._write, data)
        else:
            self.transport.write(data)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


async def _serve(config: ServerConfig, conn: Any, parent: int) -> None:
    state = _State(config)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(state), "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    conn.send(port)
    deadline = time.monotonic() + SERVER_LIFETIME
    async with server:
        # Stop when told, when the parent is gone, or at the lifetime cap.
        while time.monotonic() < deadline and os.getppid() == parent:
            if conn.poll():
                break
            await asyncio.sleep(0.05)


def _server_main(config: ServerConfig, conn: Any, parent: int) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config, conn, parent))


@contextlib.contextmanager
def serve(config: ServerConfig) -> Iterator[int]:
    """Run a server in a child process for the duration of the block; yields its port."""
    ctx = mp.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe()
    proc = ctx.Process(target=_server_main, args=(config, child_conn, os.getpid()), daemon=True)
    proc.start()
    try:
        if not parent_conn.poll(30):
            raise RuntimeError("benchmark server did not start")
        yield int(parent_conn.recv())
    finally:
        with contextlib.suppress(OSError):
            parent_conn.send("stop")
        proc.join(5)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)


def cpu() -> float:
    """CPU seconds (user + system) used by this process so far."""
    return time.process_time()


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    return statistics.median(values)


def interleaved(subjects: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run each subject once per round, alternating the order, and collect its figures."""
    names = list(subjects)
    results: dict[str, list[float]] = {name: [] for name in names}
    for i in range(rounds):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            results[name].append(subjects[name]())
    return results


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, right-aligned numbers."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [title]
    rule = "  ".join("-" * w for w in widths)
    for n, row in enumerate(cells):
        pairs = enumerate(zip(row, widths, strict=True))
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs))
        if n == 0:
            lines.append(rule)
    return "\n".join(lines)


def summary(name: str, figure: str, value: float, goal: str, ok: bool) -> None:
    """Print one machine-readable line that run_all.py collects into its summary table."""
    line = {"bench": name, "figure": figure, "value": value, "goal": goal, "ok": ok}
    print("SUMMARY " + json.dumps(line))
    sys.stdout.flush()
