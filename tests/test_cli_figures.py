"""The upload command's summary tells the truth: every request and every second waited."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import httpx
import pytest

import qase_async._cli_upload as cli_upload
from qase_async import QaseClient
from qase_async._cli import main
from qase_async.testing import FakeQase

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "junit-report.xml"


class Counting(httpx.AsyncBaseTransport):
    """The fake behind a door that counts every request and turns the first two bulks away."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen = 0
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if request.url.path.endswith("/results") and self.refused < 2:
            self.refused += 1
            return httpx.Response(429, headers={"Retry-After": "0.3"})
        return await self.inner.handle_async_request(request)


def test_the_summary_counts_what_the_server_saw_and_the_cool_downs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """N requests at the server print as N; 429 cool-downs print as waiting."""
    door = Counting(FakeQase().transport())

    async def client(args: argparse.Namespace) -> QaseClient:
        return QaseClient("fake-token", transport=door)

    monkeypatch.setattr(cli_upload, "_client", client)
    status = main(["upload", str(EXAMPLE), "--project", "DEMO", "--fake"])
    out, _ = capsys.readouterr()
    assert status == 0
    assert door.refused == 2
    figures = re.search(r"(\d+) requests in [\d.]+s \(([\d.]+)s waiting: .*?([\d.]+)s 429", out)
    assert figures is not None, out
    assert int(figures.group(1)) == door.seen
    assert float(figures.group(2)) >= 0.25  # not the "0.0s" of a cool-down left uncounted
    assert float(figures.group(3)) >= 0.25
