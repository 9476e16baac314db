"""What every resource namespace shares."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from .._converter import structure, unstructure
from .._http import Transport
from .._pagination import DEFAULT_PREFETCH, MAX_OFFSET, PAGE_SIZE, Page, paginate
from ..exceptions import InvalidArgumentError
from ..models import Created

T = TypeVar("T")


def seg(value: str | int) -> str:
    """A path segment, escaped (a code or hash never changes the path's shape).

    Raises:
        InvalidArgumentError: Empty, ``.`` or ``..`` (the path would change meaning), or
            neither a ``str`` nor an ``int``.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return ident(value)
    if not isinstance(value, str):
        raise InvalidArgumentError(
            f"a path segment must be a str or an int, not {type(value).__name__}"
        )
    if value.strip() in ("", ".", ".."):
        raise InvalidArgumentError(f"{value!r} is not a valid code, hash or id")
    return quote(value, safe="")


def ident(value: int) -> str:
    """An id as a path segment: an ``int`` (a float, a bool or a string is refused).

    Raises:
        InvalidArgumentError: Not an ``int``, or below 0.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"an id must be an int, not {type(value).__name__}")
    if value < 0:
        raise InvalidArgumentError(f"an id cannot be negative ({value})")
    return str(value)


def check_page(limit: int | None, offset: int | None) -> None:
    """``limit`` 1..100 and ``offset`` 0..100,000, as the service takes them.

    Raises:
        InvalidArgumentError: Out of range, or not an ``int``.
    """
    for name, value, low, high in (
        ("limit", limit, 1, PAGE_SIZE),
        ("offset", offset, 0, MAX_OFFSET),
    ):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgumentError(f"{name} must be an int, not {type(value).__name__}")
        if not low <= value <= high:
            raise InvalidArgumentError(f"{name} must be from {low} to {high}, got {value}")


def wire_params(
    params: Mapping[str, Any], *, time_format: Literal["epoch", "sql"] = "epoch"
) -> dict[str, Any]:
    """Filters as the service takes them: the one place Python values become query values.

    ``datetime`` becomes Unix seconds (``"epoch"``) or ``Y-m-d H:i:s`` in UTC (``"sql"``);
    a sequence becomes a comma-separated list, except under a key ending in ``[]``, which
    is sent as repeated keys; ``None`` is left out.
    """
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, dt.datetime):
            value = _wire_time(value, time_format)
        elif isinstance(value, list | tuple | set | frozenset):
            if not value:
                continue
            items = [str(v) for v in value]
            value = items if key.endswith("[]") else ",".join(items)
        out[key] = value
    return out


def _wire_time(value: dt.datetime, time_format: str) -> int | str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if time_format == "epoch":
        return int(value.timestamp())
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


class Resource:
    """A namespace of operations sharing the client's transport."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _get(
        self,
        path: str,
        into: type[T],
        *,
        params: Mapping[str, Any] | None = None,
        version: int = 1,
    ) -> T:
        return structure(await self._t.request("GET", path, params=params, version=version), into)

    async def _send(
        self,
        method: str,
        path: str,
        body: Any,
        into: Any,
        *,
        version: int = 1,
        idempotent: bool | None = None,
    ) -> Any:
        result = await self._t.request(
            method, path, json_body=unstructure(body), version=version, idempotent=idempotent
        )
        return result if into is None else structure(result, into)

    async def _create(self, path: str, body: Any) -> int:
        """POST a body, answer the ``id`` it created."""
        created: Created = await self._send("POST", path, body, Created)
        return created.id

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        """Send a request whose answer carries nothing to decode; returns the raw result."""
        return await self._t.request(method, path, json_body=unstructure(body))

    async def _page(
        self,
        path: str,
        item: type[T],
        *,
        limit: int | None,
        offset: int | None,
        params: Mapping[str, Any],
        version: int = 1,
    ) -> Page[T]:
        check_page(limit, offset)
        query = {**params, "limit": limit, "offset": offset}
        return await self._get(path, Page[item], params=query, version=version)  # type: ignore[valid-type]

    def _iter(
        self,
        path: str,
        item: type[T],
        params: Mapping[str, Any],
        *,
        prefetch: int = DEFAULT_PREFETCH,
        version: int = 1,
    ) -> AsyncGenerator[T, None]:
        async def fetch(limit: int, offset: int) -> Page[T]:
            return await self._page(
                path, item, limit=limit, offset=offset, params=params, version=version
            )

        return paginate(fetch, page_size=PAGE_SIZE, prefetch=prefetch)
