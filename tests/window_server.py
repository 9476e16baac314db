"""A strict sliding-window server on loopback, for rate-limit conformance tests.

It allows at most ``limit`` requests in ANY window of ``per`` seconds, measured at
arrival; the first request over gets 429 with ``Retry-After`` and starts a lock-out during
which every request gets 429 -- as the service does.
"""

from __future__ import annotations

import asyncio
import collections
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

_BODY = json.dumps({"status": True, "result": {"title": "Demo", "code": "DEMO"}}).encode()


class WindowServer:
    """A raw ASGI app with a strict sliding window; counters for the tests."""

    def __init__(
        self,
        limit: int,
        per: float,
        *,
        lockout: float | None = None,
        headers: bool = True,
        latency: float = 0.0,
    ) -> None:
        self.limit = limit
        self.per = per
        self.lockout = per if lockout is None else lockout
        self.headers = headers
        self.latency = latency
        self.accepted: collections.deque[float] = collections.deque()
        self.locked_until = 0.0
        self.ok = 0
        self.rejected = 0
        self.arrivals: list[float] = []
        self.foreign = 0  # requests to count as spent by someone else
        self._lock = threading.Lock()

    def spend(self, n: int) -> None:
        """Count ``n`` requests from another client, now."""
        now = time.monotonic()
        with self._lock:
            self.accepted.extend([now] * n)

    def _admit(self) -> tuple[bool, int]:
        now = time.monotonic()
        with self._lock:
            self.arrivals.append(now)
            while self.accepted and self.accepted[0] <= now - self.per:
                self.accepted.popleft()
            if now < self.locked_until:
                self.rejected += 1
                return False, 0
            if len(self.accepted) >= self.limit:
                self.locked_until = now + self.lockout
                self.rejected += 1
                return False, 0
            self.accepted.append(now)
            self.ok += 1
            return True, self.limit - len(self.accepted)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        admitted, remaining = self._admit()
        if self.latency:
            await asyncio.sleep(self.latency)
        headers = [(b"content-type", b"application/json")]
        if self.headers:
            headers += [
                (b"x-ratelimit-limit", str(self.limit).encode()),
                (b"x-ratelimit-remaining", str(remaining).encode()),
            ]
        if admitted:
            status, body = 200, _BODY
        else:
            status = 429
            body = b'{"status": false, "errorMessage": "Too Many Requests"}'
            headers.append((b"retry-after", str(int(self.lockout + 0.999)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread; yields the base URL; stops on exit."""
    port = _free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        backlog=2048,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
