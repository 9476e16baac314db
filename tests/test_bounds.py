"""Every wait bounded, every resource bounded: cool-downs, timeouts, deadlines, sizes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from qase_async import (
    QaseClient,
    RateLimit,
    RateLimitedError,
    RequestTimeoutError,
    ResponseTooLargeError,
    RetryPolicy,
    TransportError,
)

from ._loopback import read_request, serve

PROJECT = {"status": True, "result": {"title": "Demo", "code": "DEMO"}}
OK = json.dumps(PROJECT).encode()
TOKEN = "loopback-token"


def _head(status: str = "200 OK", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k.replace('_', '-')}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize("retry_after", ["1e12", "inf", "nan", "soon", "-inf9"])
async def test_a_retry_after_beyond_max_wait_refuses_every_call_at_once(retry_after: str) -> None:
    """The 429's call and every call after it raise RateLimitedError; none hangs or is sent."""
    seen = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        seen += 1
        return httpx.Response(429, headers={"Retry-After": retry_after})

    retry = RetryPolicy(max_wait=5.0)
    async with QaseClient(TOKEN, transport=httpx.MockTransport(handler), retry=retry) as qase:
        with pytest.raises(RateLimitedError):
            await asyncio.wait_for(qase.projects.get("DEMO"), 2)
        others = [qase.projects.get("DEMO") for _ in range(5)]
        results = await asyncio.wait_for(asyncio.gather(*others, return_exceptions=True), 2)
    assert all(isinstance(r, RateLimitedError) for r in results)
    assert all(r.retry_after <= 5.0 for r in results if isinstance(r, RateLimitedError))
    assert seen == 1


async def test_calls_already_waiting_are_refused_when_the_lock_out_is_too_long() -> None:
    """A call queued in the limiter raises at once when a 429 asks for more than max_wait."""
    seen = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        seen += 1
        await asyncio.sleep(0.05)  # the second call is queued behind the only slot by now
        return httpx.Response(429, headers={"Retry-After": "1e12"})

    async with QaseClient(
        TOKEN,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_wait=5.0),
        rate_limit=RateLimit(1, per=30.0),
    ) as qase:
        first = asyncio.ensure_future(qase.projects.get("DEMO"))
        queued = asyncio.ensure_future(qase.projects.get("DEMO"))
        results = await asyncio.wait_for(asyncio.gather(first, queued, return_exceptions=True), 2)
    assert [type(r) for r in results] == [RateLimitedError, RateLimitedError]
    assert seen == 1


async def test_no_cool_down_outlives_max_wait() -> None:
    """After a refused lock-out of 1e12 s, calls go through again once max_wait has passed."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(429, headers={"Retry-After": "1e12"})
        return httpx.Response(200, json=PROJECT)

    retry = RetryPolicy(max_wait=0.2)
    async with QaseClient(TOKEN, transport=httpx.MockTransport(handler), retry=retry) as qase:
        with pytest.raises(RateLimitedError):
            await asyncio.wait_for(qase.projects.get("DEMO"), 2)
        with pytest.raises(RateLimitedError):
            await asyncio.wait_for(qase.projects.get("DEMO"), 2)
        await asyncio.sleep(0.3)
        project = await asyncio.wait_for(qase.projects.get("DEMO"), 2)
    assert project.code == "DEMO"
    assert calls == 2


async def test_a_server_trickling_the_body_fails_at_the_timeout() -> None:
    """A body sent a byte at a time, each within httpx's read timeout, is cut at timeout."""

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(_head(content_length=str(len(OK) + 400), content_type="application/json"))
        for byte in OK + b" " * 400:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.02)

    async with serve(trickle) as url:
        retry = RetryPolicy(attempts=1)
        async with QaseClient(TOKEN, base_url=url, timeout=0.5, retry=retry) as qase:
            with pytest.raises(RequestTimeoutError, match=r"timeout of 0\.5s"):
                await asyncio.wait_for(qase.projects.get("DEMO"), 5)


async def test_a_server_trickling_the_headers_fails_at_the_timeout() -> None:
    """Headers sent a byte at a time are cut at the timeout too."""

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        for byte in _head(x_padding="." * 400, content_length="0"):
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.02)

    async with serve(trickle) as url:
        retry = RetryPolicy(attempts=1)
        async with QaseClient(TOKEN, base_url=url, timeout=0.5, retry=retry) as qase:
            with pytest.raises(RequestTimeoutError) as info:
                await asyncio.wait_for(qase.projects.get("DEMO"), 5)
    assert isinstance(info.value, TimeoutError)  # the builtin, for `except TimeoutError`


async def test_a_call_deadline_covers_every_retry() -> None:
    """With deadline=, retries of a hanging server stop when the call's time is up."""
    tries = 0

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal tries
        await read_request(reader)
        tries += 1
        await asyncio.sleep(30)

    async with serve(hang) as url:
        retry = RetryPolicy(attempts=10, backoff=0.01, backoff_max=0.01)
        async with QaseClient(TOKEN, base_url=url, timeout=0.2, retry=retry) as qase:
            with pytest.raises(RequestTimeoutError, match=r"deadline of 0\.5s"):
                await asyncio.wait_for(qase.with_options(deadline=0.5).projects.get("DEMO"), 5)
    assert 1 <= tries < 10


async def test_a_large_answer_is_not_read_past_the_cap() -> None:
    """A 32 MB streamed answer with a 1 MiB cap raises after reading about the cap."""
    written = 0
    chunk = b"[" + b"0," * 32_767 + b"0]\n"  # 64 KiB

    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal written
        await read_request(reader)
        writer.write(_head(transfer_encoding="chunked", content_type="application/json"))
        for _ in range(512):
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await writer.drain()
            written += len(chunk)
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    async with (
        serve(huge) as url,
        QaseClient(TOKEN, base_url=url, max_response_size=2**20) as qase,
    ):
        with pytest.raises(ResponseTooLargeError, match="max_response_size") as info:
            await qase.projects.get("DEMO")
        await asyncio.sleep(0.1)  # let the server notice the hang-up
    assert info.value.limit == 2**20
    assert written < 16 * 2**20, "the client read on past its cap"


async def test_a_declared_length_over_the_cap_is_refused_unread() -> None:
    """A Content-Length over the cap raises before the body is read."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 2048)

    async with QaseClient(
        TOKEN, transport=httpx.MockTransport(handler), max_response_size=1024
    ) as qase:
        with pytest.raises(ResponseTooLargeError):
            await qase.projects.get("DEMO")


async def test_cookies_are_never_kept() -> None:
    """A server setting a new cookie on every answer does not grow a jar, nor get any back."""
    sent_cookies: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent_cookies.append(request.headers.get("cookie"))
        n = len(sent_cookies)
        return httpx.Response(200, json=PROJECT, headers={"Set-Cookie": f"c{n}=v; Path=/"})

    async with QaseClient(TOKEN, transport=httpx.MockTransport(handler)) as qase:
        for _ in range(50):
            await qase.projects.get("DEMO")
        assert len(qase._http.cookies.jar) == 0
    assert sent_cookies == [None] * 50


async def test_a_file_that_grows_while_it_is_sent_gives_a_transport_error(tmp_path: Path) -> None:
    """h11 refuses more bytes than the Content-Length announced: a typed error, not a raw one."""
    report = tmp_path / "trace.log"
    report.write_bytes(b"x" * (4 * 2**20))

    async def grow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        with report.open("ab") as more:
            more.write(b"y" * (4 * 2**20))
        while await reader.read(2**16):
            pass

    async with serve(grow) as url, QaseClient(TOKEN, base_url=url) as qase:
        with pytest.raises(TransportError) as info:
            await asyncio.wait_for(qase.attachments.upload("DEMO", report), 10)
    assert "LocalProtocolError" in str(info.value)
    assert "\n" not in str(info.value)
