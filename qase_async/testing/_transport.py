"""The in-process ``httpx`` transport over :class:`FakeQase` (no socket)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from ._config import DroppedConnection
from ._fake import FakeRequest

if TYPE_CHECKING:
    from ._fake import FakeQase

__all__ = ["FakeTransport"]


class FakeTransport(httpx.AsyncBaseTransport):
    """Hands each request to :meth:`FakeQase.handle`.

    A dropped connection raises :class:`httpx.RemoteProtocolError`, as httpx does when a
    server closes the connection without answering.

    Args:
        fake: The fake to serve from.
    """

    def __init__(self, fake: FakeQase) -> None:
        self.fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Serve one request from the fake."""
        body = await request.aread()
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in request.headers.raw}
        fake_request = FakeRequest(
            method=request.method,
            path=request.url.path,
            query=request.url.query.decode("ascii"),
            headers=headers,
            body=body,
            scheme=request.url.scheme,
        )
        try:
            response = await self.fake.handle(fake_request)
        except DroppedConnection:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        return httpx.Response(
            response.status,
            headers=list(response.headers.items()),
            content=response.body,
            request=request,
        )
