"""Fixtures for the fake server's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from qase_async.testing import FakeQase

from ._helpers import FakeClock, checked_client
from ._speccheck import SPEC_DIR


@pytest.fixture(scope="session", autouse=True)
def _spec_present() -> None:
    """The fidelity tests need the spec files beside the repository."""
    if not (SPEC_DIR / "bundled" / "qase-v1.openapi.json").is_file():
        pytest.fail(f"Qase spec not found at {SPEC_DIR.resolve()}")


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
