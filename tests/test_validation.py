"""Input that would change a request's meaning is refused before anything is sent."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from qase_async import (
    ConfigurationError,
    InvalidArgumentError,
    QaseClient,
    RedirectError,
    RetryPolicy,
)
from qase_async.models import RunCreate

from ._loopback import read_request, serve

PROJECT = {"status": True, "result": {"title": "Demo", "code": "DEMO"}}
Call = Callable[[QaseClient], Awaitable[Any]]

BAD_CALLS: dict[str, Call] = {
    "dotdot code": lambda q: q.runs.delete("..", 5),
    "dot code": lambda q: q.runs.delete(".", 5),
    "empty code": lambda q: q.projects.get(""),
    "blank code": lambda q: q.projects.get("  "),
    "float id": lambda q: q.cases.delete("DEMO", 1.9),  # type: ignore[arg-type]
    "bool id": lambda q: q.cases.delete("DEMO", True),
    "str id": lambda q: q.runs.get("DEMO", "5"),  # type: ignore[arg-type]
    "negative id": lambda q: q.runs.get("DEMO", -1),
    "None code": lambda q: q.projects.get(None),  # type: ignore[arg-type]
    "dotdot hash": lambda q: q.results.get("DEMO", ".."),
    "limit 0": lambda q: q.cases.list("DEMO", limit=0),
    "limit 101": lambda q: q.cases.list("DEMO", limit=101),
    "limit float": lambda q: q.runs.list("DEMO", limit=1.5),  # type: ignore[arg-type]
    "limit bool": lambda q: q.runs.list("DEMO", limit=True),
    "offset -1": lambda q: q.cases.list("DEMO", offset=-1),
    "offset past the ceiling": lambda q: q.cases.list("DEMO", offset=100_001),
}


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
async def test_bad_arguments_are_refused_before_sending(call: Call) -> None:
    """`runs.delete("..", 5)` must not become DELETE /v1/5, nor 1.9 become case 1."""
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json={"status": True, "result": {}})

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        with pytest.raises(InvalidArgumentError):
            await call(qase)
    assert sent == []


async def test_edge_values_in_range_are_sent() -> None:
    """The limits themselves are fine: limit 1 and 100, offset 0 and 100,000, id 0."""
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url.query, "ascii"))
        return httpx.Response(200, json={"status": True, "result": {"entities": []}})

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        await qase.cases.list("DEMO", limit=1, offset=0)
        await qase.cases.list("DEMO", limit=100, offset=100_000)
    assert sent == ["limit=1&offset=0", "limit=100&offset=100000"]


@pytest.mark.parametrize(
    "token", ["abc\x01def", "abc def", "abc\tdef", "tök-en", "abc\x7fdef", "line\nbreak"]
)
async def test_tokens_that_cannot_be_a_header_are_refused_without_echo(
    token: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A token with a control character or a space inside is refused, and never repeated."""
    caplog.set_level(logging.DEBUG)

    async def ok(reader: Any, writer: Any) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")

    async with serve(ok) as url:
        with pytest.raises(ConfigurationError) as info:
            async with QaseClient(token, base_url=url) as qase:
                await qase.projects.get("DEMO")
    texts = [str(info.value), repr(info.value), caplog.text]
    assert not any(part in text for text in texts for part in token.split())


async def test_the_token_stays_out_of_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    """With every logger at DEBUG (httpx and httpcore included), the token never shows."""
    token = "a-valid-token-0123456789"
    caplog.set_level(logging.DEBUG)

    async def answer(reader: Any, writer: Any) -> None:
        await read_request(reader)
        body = b'{"status": true, "result": {"title": "Demo", "code": "DEMO"}}'
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))

    async with serve(answer) as url, QaseClient(token, base_url=url) as qase:
        assert (await qase.projects.get("DEMO")).code == "DEMO"
    assert any(record.name.startswith("httpcore") for record in caplog.records)
    assert token not in caplog.text


def test_surrounding_whitespace_is_stripped_from_a_token() -> None:
    """A token read from a file with its newline still works."""
    qase = QaseClient("  tok-en\n", transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert qase._transport._auth._token == "tok-en"


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.qase.io:99999",
        "https://[::1",
        "https://exa mple.com",
        "https://\x00host",
        "https://api.qase.io:0",
        "https://api.qase.io:port",
        "",
        None,
        42,
        b"https://api.qase.io",
    ],
)
def test_bad_base_urls_raise_a_configuration_error(base_url: object) -> None:
    """Garbage base URLs raise ConfigurationError, never a raw InvalidURL or ValueError."""
    with pytest.raises(ConfigurationError):
        QaseClient("t", base_url=base_url)  # type: ignore[arg-type]


def test_a_half_built_client_has_a_repr() -> None:
    """A client whose __init__ failed half-way still prints (debuggers, tracebacks)."""

    class Broken(QaseClient):
        def __init__(self) -> None:
            raise RuntimeError("before anything was set")

    broken = QaseClient.__new__(Broken)
    assert "QaseClient" in repr(broken)


async def test_redirects_from_https_down_to_http_are_refused() -> None:
    """Even on the same host, https -> http would send the token in clear: refused."""
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(str(request.url))
        return httpx.Response(301, headers={"Location": "http://api.qase.io/v1/project/DEMO"})

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        with pytest.raises(RedirectError, match=r"https down to http.*api\.qase\.io"):
            await qase.projects.get("DEMO")
    assert hosts == ["https://api.qase.io/v1/project/DEMO"]


@pytest.mark.parametrize("status", [307, 308])
async def test_a_body_is_never_sent_again_to_a_redirect_target(status: int) -> None:
    """A 307/308 to a POST would re-send its body: the client raises instead."""
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(status, headers={"Location": "/v1/run/OTHER"})

    async with QaseClient(
        "t", transport=httpx.MockTransport(handler), retry=RetryPolicy(attempts=1)
    ) as qase:
        with pytest.raises(RedirectError, match="body"):
            await qase.runs.create("DEMO", RunCreate(title="r"))
    assert paths == ["/v1/run/DEMO"]


async def test_a_see_other_after_a_post_is_followed_as_a_get() -> None:
    """303 after a POST: the answer is fetched with a GET, without the body."""
    seen: list[tuple[str, str, bytes]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, request.content))
        if request.method == "POST":
            return httpx.Response(303, headers={"Location": "/v1/run/DEMO/7"})
        return httpx.Response(200, json={"status": True, "result": {"id": 7}})

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        assert await qase.runs.create("DEMO", RunCreate(title="r")) == 7
    assert [(m, p) for m, p, _ in seen] == [("POST", "/v1/run/DEMO"), ("GET", "/v1/run/DEMO/7")]
    assert seen[1][2] == b""


async def test_endless_redirects_end() -> None:
    """A redirect loop on the same origin stops after a few hops with a typed error."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(302, headers={"Location": f"/v1/project/X{calls}"})

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        with pytest.raises(RedirectError, match="redirects"):
            await qase.projects.get("DEMO")
    assert calls == 6
    assert qase.stats.requests == 6  # every hop is a request
