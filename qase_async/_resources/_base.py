"""What every resource namespace shares."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from .._converter import structure, unstructure
from .._http import Transport
from .._pagination import DEFAULT_PREFETCH, PAGE_SIZE, Page, paginate

T = TypeVar("T")


def seg(value: str | int) -> str:
    """A path segment, escaped (a code or hash never changes the path's shape)."""
    return quote(str(value), safe="")


class Resource:
    """A namespace of operations sharing the client's transport."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _get(self, path: str, into: Any, *, params: Mapping[str, Any] | None = None,
                   version: int = 1) -> Any:
        return structure(await self._t.request("GET", path, params=params, version=version), into)

    async def _send(self, method: str, path: str, body: Any, into: Any, *, version: int = 1,
                    idempotent: bool | None = None) -> Any:
        result = await self._t.request(method, path, json_body=unstructure(body),
                                       version=version, idempotent=idempotent)
        return result if into is None else structure(result, into)

    async def _page(self, path: str, item: type[T], *, limit: int | None, offset: int | None,
                    params: Mapping[str, Any]) -> Page[T]:
        query = {**params, "limit": limit, "offset": offset}
        return await self._get(path, Page[item], params=query)  # type: ignore[valid-type]

    def _iter(self, path: str, item: type[T], params: Mapping[str, Any], *,
              prefetch: int = DEFAULT_PREFETCH) -> AsyncIterator[T]:
        async def fetch(limit: int, offset: int) -> Page[T]:
            return await self._page(path, item, limit=limit, offset=offset, params=params)

        return paginate(fetch, page_size=PAGE_SIZE, prefetch=prefetch)
