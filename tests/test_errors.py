"""Error mapping: a pure function from (status, headers, body) to an exception."""

from __future__ import annotations

import json

import httpx
import pytest

from qase_async import QaseClient, RetryPolicy
from qase_async import exceptions as exc
from qase_async._errors import error_for, parse_retry_after

TABLE = {
    400: exc.BadRequestError,
    401: exc.AuthenticationError,
    403: exc.PermissionDeniedError,
    404: exc.NotFoundError,
    405: exc.MethodNotAllowedError,
    410: exc.GoneError,
    413: exc.PayloadTooLargeError,
    422: exc.UnprocessableEntityError,
    429: exc.RateLimitedError,
    500: exc.InternalServerError,
    503: exc.ServiceUnavailableError,
    507: exc.InsufficientStorageError,
    418: exc.ClientError,
    409: exc.ClientError,
    502: exc.ServerError,
    599: exc.ServerError,
}


@pytest.mark.parametrize(("status", "cls"), TABLE.items())
def test_each_status_has_its_class(status: int, cls: type[exc.APIError]) -> None:
    """One class per status of the service's table, then the 4xx/5xx fallbacks."""
    body = json.dumps({"status": False, "errorMessage": f"boom {status}"}).encode()
    error = error_for(status, {}, body, method="GET", url="https://api.qase.io/v1/x")
    assert type(error) is cls
    assert error.status_code == status
    assert error.message == f"boom {status}"
    assert f"boom {status}" in str(error)
    assert isinstance(error, exc.ClientError if status < 500 else exc.ServerError)
    assert isinstance(error, exc.QaseError)


@pytest.mark.parametrize("status", sorted(TABLE))
async def test_each_status_raises_through_the_client(status: int) -> None:
    """The client raises the mapped class for every code (after retries where they apply)."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status, headers={"Retry-After": "0"}, json={"status": False, "errorMessage": "nope"}
        )

    retry = RetryPolicy(attempts=2, backoff=0, backoff_max=0)
    async with QaseClient("t", transport=httpx.MockTransport(handler), retry=retry) as qase:
        with pytest.raises(TABLE[status]) as info:
            await qase.projects.get("DEMO")
    assert info.value.method == "GET"
    assert info.value.url == "https://api.qase.io/v1/project/DEMO"


def test_422_field_errors_in_both_body_shapes() -> None:
    """Both error bodies the service sends yield the field errors."""
    qase_shape = {
        "status": False,
        "errorMessage": "Data is invalid.",
        "errorFields": [{"field": "title", "error": "Title is required."}],
    }
    laravel_shape = {
        "message": "The given data was invalid.",
        "errors": {"code": ["The code must be 2-10 letters.", "taken"]},
    }
    first = error_for(422, {}, json.dumps(qase_shape).encode())
    second = error_for(422, {}, json.dumps(laravel_shape).encode())
    assert isinstance(first, exc.UnprocessableEntityError)
    assert first.field_errors == {"title": ["Title is required."]}
    assert "title: Title is required." in str(first)
    assert second.message == "The given data was invalid."
    assert second.field_errors == {"code": ["The code must be 2-10 letters.", "taken"]}


@pytest.mark.parametrize("body", [b"", b"<html>Bad Gateway</html>", b"[1,2]", b"\xff\xfe"])
def test_bodies_that_are_not_error_json_fall_back_to_the_reason(body: bytes) -> None:
    """Any body parses leniently; the message falls back to the reason phrase."""
    error = error_for(502, {}, body, reason="Bad Gateway")
    assert error.message == "Bad Gateway"


def test_long_messages_are_cut() -> None:
    """A huge error body never turns into a huge exception message."""
    error = error_for(400, {}, json.dumps({"errorMessage": "x" * 10_000}).encode())
    assert len(str(error)) < 700


def test_429_carries_retry_after() -> None:
    """RateLimitedError says how long the service asked to wait."""
    error = error_for(429, {"retry-after": "17"}, b"")
    assert isinstance(error, exc.RateLimitedError)
    assert error.retry_after == 17


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 60.0),
        ("5", 5.0),
        ("2.5", 2.5),
        ("-3", 0.0),
        ("soon", 60.0),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
    ],
)
def test_retry_after_forms(value: str | None, expected: float) -> None:
    """Delta-seconds, HTTP-dates (relative to now), garbage and absence."""
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(value, now=now) == pytest.approx(expected)


async def test_a_success_that_is_not_json_is_a_decode_error() -> None:
    """A 200 with an HTML body raises DecodeError, not a raw ValueError."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>maintenance</html>")

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        with pytest.raises(exc.DecodeError, match="not JSON"):
            await qase.projects.get("DEMO")


def _parsers() -> list[object]:
    parsers: list[object] = [json.loads]
    try:
        import orjson
    except ImportError:
        return parsers
    return [*parsers, orjson.loads]


@pytest.mark.parametrize("parser", _parsers())
async def test_both_json_parsers_behave_alike(
    parser: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """orjson (used on CPython) and json alike: bodies decode, empty ones are None, junk refused."""
    import qase_async._http as http_module

    monkeypatch.setattr(http_module, "json_loads", parser)
    bodies = iter([b'{"status": true, "result": {"code": "DEMO"}}', b"  ", b"<html>"])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=next(bodies))

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        assert (await qase.projects.get("DEMO")).code == "DEMO"
        assert await qase._transport.request("GET", "/x") is None
        with pytest.raises(exc.DecodeError, match="not JSON"):
            await qase.projects.get("DEMO")


def _instances() -> list[exc.QaseError]:
    """One instance of every public exception class, with its attributes set."""
    from qase_async._upload import UploadReport

    special: dict[type[exc.QaseError], exc.QaseError] = {
        exc.TransportError: exc.TransportError("reset", method="GET", url="https://h/v1/x"),
        exc.RequestTimeoutError: exc.RequestTimeoutError("slow", method="GET", url="u"),
        exc.DecodeError: exc.DecodeError("bad", path="result.id", model="Run"),
        exc.RateLimitedError: exc.RateLimitedError("slow down", retry_after=7.0, url="u"),
        exc.RedirectError: exc.RedirectError("away", target="evil.example"),
        exc.ResponseTooLargeError: exc.ResponseTooLargeError("big", limit=10),
        exc.UploadError: exc.UploadError(
            "stopped", report=UploadReport(run_id=1, sent=2, spool_path="/tmp/s.jsonl")
        ),
    }
    made: list[exc.QaseError] = []
    for name in exc.__all__:
        cls = getattr(exc, name)
        if cls in special:
            made.append(special[cls])
        elif issubclass(cls, exc.APIError):
            made.append(
                cls("nope", status_code=418, method="GET", url="u", field_errors={"f": ["e"]})
            )
        else:
            made.append(cls("a message"))
    return made


@pytest.mark.parametrize("error", _instances(), ids=lambda e: type(e).__name__)
def test_every_exception_pickles_with_its_attributes(error: exc.QaseError) -> None:
    """Exceptions cross process boundaries (multiprocessing, xdist) intact."""
    import pickle

    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


def test_every_exception_class_lives_in_exceptions() -> None:
    """The classes moved from the uploader, the JUnit reader and the Redis limiter."""
    from qase_async import _upload, redis
    from qase_async.reports import junit

    assert _upload.UploadError is exc.UploadError
    assert junit.JUnitError is exc.JUnitError
    assert redis.RedisUnavailableError is exc.RedisUnavailableError


def test_the_timeout_error_does_not_shadow_the_builtin() -> None:
    """RequestTimeoutError is a TransportError and a builtins.TimeoutError."""
    import builtins

    assert not hasattr(exc, "TimeoutError")
    error = exc.RequestTimeoutError("slow", method="GET", url="u")
    assert isinstance(error, builtins.TimeoutError)
    assert isinstance(error, exc.TransportError)


TOKEN = "tok-en-0123456789abcdef"


def _chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


@pytest.mark.parametrize(
    "raised",
    [
        __import__("h11").LocalProtocolError("Too much data for declared Content-Length"),
        __import__("httpcore").RemoteProtocolError("peer closed"),
        RuntimeError("a custom transport's bug"),
        httpx.LocalProtocolError(f"Illegal header value b'{TOKEN}'"),
        ValueError(f"echoing Token: {TOKEN}"),
    ],
    ids=type,
)
async def test_anything_a_send_raises_becomes_a_transport_error(raised: Exception) -> None:
    """h11, httpcore or a transport's own exceptions leave as TransportError, token-free."""
    import pickle

    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    transport = httpx.MockTransport(handler)
    async with QaseClient(TOKEN, transport=transport, retry=RetryPolicy(attempts=1)) as qase:
        with pytest.raises(exc.TransportError) as info:
            await qase.runs.complete("DEMO", 1)
    assert "\n" not in str(info.value)
    for link in _chain(info.value):
        assert TOKEN not in repr(link)
        assert TOKEN not in str(link)
        assert TOKEN not in repr(link.args)
        assert TOKEN not in repr(vars(link))
    assert TOKEN.encode() not in pickle.dumps(info.value)


async def test_a_success_that_says_status_false_is_an_api_error() -> None:
    """`200 {"status": false}` is a refusal, not an empty model."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": False, "errorMessage": "Project is archived"})

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        with pytest.raises(exc.APIError, match="Project is archived") as info:
            await qase.projects.get("DEMO")
    assert info.value.status_code == 200


@pytest.mark.parametrize("status", [200, 400])
async def test_deeply_nested_json_is_a_decode_error(
    status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100,000 nested lists raise DecodeError (or the status's error), not RecursionError."""
    import qase_async._http as http_module

    monkeypatch.setattr(http_module, "json_loads", json.loads)
    body = b"[" * 100_000 + b"]" * 100_000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body)

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        with pytest.raises(exc.DecodeError if status == 200 else exc.BadRequestError):
            await qase.projects.get("DEMO")


@pytest.mark.parametrize("value", ["inf", "1e12", "nan", "NaN", "-inf"])
def test_retry_after_extremes(value: str) -> None:
    """inf stays inf (the client refuses it), NaN is unparsable (the 60 s default)."""
    parsed = parse_retry_after(value)
    assert parsed == {"inf": float("inf"), "1e12": 1e12, "-inf": 0.0}.get(value, 60.0)


async def test_error_messages_are_one_line_and_never_quote_the_token() -> None:
    """A server echoing the token in a multi-line errorMessage: one line, token masked."""

    def handler(request: httpx.Request) -> httpx.Response:
        message = f"bad token\n{request.headers['Token']}\r\n  try again"
        fields = [{"field": "title\nx", "error": f"echo {request.headers['Token']}"}]
        return httpx.Response(422, json={"errorMessage": message, "errorFields": fields})

    async with QaseClient(TOKEN, transport=httpx.MockTransport(handler)) as qase:
        with pytest.raises(exc.UnprocessableEntityError) as info:
            await qase.projects.get("DEMO")
    text = str(info.value)
    assert "\n" not in text
    assert "\r" not in text
    assert TOKEN not in text
    assert "bad token *** try again" in text


async def test_a_request_httpx_cannot_build_is_an_invalid_argument() -> None:
    """A body httpx cannot encode raises InvalidArgumentError, once, nothing sent."""
    sent = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal sent
        sent += 1
        return httpx.Response(200, json={"status": True, "result": {}})

    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        with pytest.raises(exc.InvalidArgumentError, match="cannot build GET"):
            await qase._transport.request("GET", "/x", json_body={"filter": object()})
    assert sent == 0
    assert qase.stats.requests == 0
