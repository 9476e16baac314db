"""Fixtures for the fake server's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from qase_async.testing import FakeQase

from ._helpers import FakeClock, checked_client


@pytest.fixture
def clock() -> FakeClock:
    """A manual clock."""
    return FakeClock()


@pytest.fixture
def fake() -> FakeQase:
    """A fresh fake with the default limits."""
    return FakeQase()


@pytest.fixture
async def api(fake: FakeQase) -> AsyncIterator[httpx.AsyncClient]:
    """A raw httpx client on the in-process fake, checking answers against the spec."""
    async with checked_client(fake.transport()) as client:
        yield client
