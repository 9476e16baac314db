"""The fake over real HTTP: a raw ASGI app and uvicorn runners (extra ``testing``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    MutableMapping,
)
from typing import TYPE_CHECKING, Any

from ._config import DroppedConnection
from ._fake import FakeRequest
from ._tls import FakeTLS, tls_files

if TYPE_CHECKING:
    import uvicorn

    from ._fake import FakeQase

__all__ = ["ASGIApp", "bind", "make_server", "origin", "serve", "serve_in_thread"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class _ConnectionDropped(Exception):
    """Raised inside the ASGI app so that the server closes the connection."""


class _QuietDrops(logging.Filter):
    """Keep deliberate connection drops out of the server's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, _ConnectionDropped)


class ASGIApp:
    """A raw ASGI 3 application serving a :class:`FakeQase`.

    A dropped connection is simulated by failing after the response has been marked as
    started, which makes the server close the connection without an answer.

    Args:
        fake: The fake to serve.
    """

    def __init__(self, fake: FakeQase) -> None:
        self.fake = fake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request = FakeRequest(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=b"".join(chunks),
            scheme=scope.get("scheme", "http"),
        )
        try:
            response = await self.fake.handle(request)
        except DroppedConnection:
            # An informational status is refused by the server's HTTP layer before a byte
            # is written, and the failure then makes it close the connection: the client
            # sees the connection drop with no answer at all.
            with contextlib.suppress(Exception):
                await send({"type": "http.response.start", "status": 100, "headers": []})
            raise _ConnectionDropped from None
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.body})


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def make_server(
    fake: FakeQase, log_level: str = "warning", tls: FakeTLS | None = None
) -> uvicorn.Server:
    """A uvicorn server for the fake (not started), serving HTTPS when ``tls`` is given."""
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise RuntimeError(
            "Serving the fake over HTTP needs uvicorn: pip install 'qase-async[testing]'"
        ) from exc
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in logger.filters):
        logger.addFilter(_QuietDrops())
    config = uvicorn.Config(
        fake.asgi_app(),
        http="h11",
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=2,
        ssl_certfile=tls.certfile if tls else None,
        ssl_keyfile=tls.keyfile if tls else None,
    )
    return uvicorn.Server(config)


def origin(sock: socket.socket, tls: bool = False) -> str:
    """The origin a listening socket serves, e.g. ``https://127.0.0.1:51234``."""
    host, port = sock.getsockname()[:2]
    scheme = "https" if tls else "http"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


@contextlib.asynccontextmanager
async def serve(
    fake: FakeQase,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: FakeTLS | bool | None = None,
    tls_hosts: Iterable[str] = (),
) -> AsyncIterator[str]:
    """Run the fake on the current event loop; yield its origin; stop on exit."""
    with tls_files(tls, tls_hosts) as files:
        server = make_server(fake, tls=files)
        sock = bind(host, port)
        url = origin(sock, files is not None)
        fake.tls = files
        try:
            async with _running(server, sock):
                yield url
        finally:
            fake.tls = None


@contextlib.asynccontextmanager
async def _running(server: uvicorn.Server, sock: socket.socket) -> AsyncIterator[None]:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                await task
                raise RuntimeError("the fake server did not start")
            await asyncio.sleep(0.005)
        yield
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.contextmanager
def serve_in_thread(
    fake: FakeQase,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: FakeTLS | bool | None = None,
    tls_hosts: Iterable[str] = (),
) -> Iterator[str]:
    """Run the fake in a background thread with its own loop; yield its origin."""
    with tls_files(tls, tls_hosts) as files:
        server = make_server(fake, tls=files)
        sock = bind(host, port)
        fake.tls = files
        try:
            with _running_in_thread(server, sock):
                yield origin(sock, files is not None)
        finally:
            fake.tls = None


@contextlib.contextmanager
def _running_in_thread(server: uvicorn.Server, sock: socket.socket) -> Iterator[None]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=run, name="qase-fake-server", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the fake server did not start: {errors!r}")
            thread.join(0.005)
        yield
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
