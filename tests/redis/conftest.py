"""A real Redis server for the shared-limiter tests.

``QASE_TEST_REDIS_URL`` (set by ``.ci/redis.sh``) names a running server; otherwise the
tests start ``redis-server`` themselves on a free loopback port, with no persistence, in a
temporary directory. Without either they skip and say why. The fault tests always start a
private server, since they stop and restart it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

TEST_REDIS_ENV = "QASE_TEST_REDIS_URL"
_CANDIDATES = ("/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server")


def redis_binary() -> str | None:
    """The ``redis-server`` executable, if this machine has one."""
    return shutil.which("redis-server") or next(
        (path for path in _CANDIDATES if os.access(path, os.X_OK)), None
    )


def free_port() -> int:
    """A TCP port on loopback that nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ping(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether a Redis server answers PING at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisProcess:
    """A ``redis-server`` child process on a fixed loopback port, stoppable and restartable."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The ``redis://`` URL of the server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and wait until it answers (at most 10 s)."""
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.workdir),
                "--daemonize", "no",
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not ping("127.0.0.1", self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Kill the server (as a crash would) and wait for it to be gone."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server for the whole session: ``QASE_TEST_REDIS_URL`` or one started here."""
    url = os.environ.get(TEST_REDIS_ENV, "").strip()
    if url:
        parts = urlsplit(url)
        if not ping(parts.hostname or "127.0.0.1", parts.port or 6379):
            pytest.fail(f"{TEST_REDIS_ENV} is set but no Redis answers there")
        yield url
        return
    binary = redis_binary()
    if binary is None:
        pytest.skip(f"no Redis server: set {TEST_REDIS_ENV} or install redis-server")
    server = RedisProcess(binary, tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A Redis server of the test's own, which it may stop and restart."""
    binary = redis_binary()
    if binary is None:
        pytest.skip("no redis-server executable to stop and restart (install redis-server)")
    server = RedisProcess(binary, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
