"""pytest plugin (entry point ``pytest11``): the ``qase_fake`` and ``qase_client`` fixtures.

Both are function-scoped: every test gets a fresh, empty fake::

    @pytest.mark.asyncio
    async def test_upload(qase_client, qase_fake):
        await qase_client.projects.create(ProjectCreate(title="Demo", code="DEMO"))
        assert "DEMO" in qase_fake.state.projects

``qase_client`` needs pytest-asyncio (the ``testing`` extra installs it). In its default
(strict) mode an ``async def`` test needs the ``@pytest.mark.asyncio`` marker; with
``asyncio_mode = "auto"`` in the project's pytest configuration it needs none.
To configure the fake, override ``qase_fake`` in a ``conftest.py``::

    @pytest.fixture
    def qase_fake():
        return FakeQase(rate_limit=(60, 2.0), lockout=2.0)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from ._fake import FakeQase

if TYPE_CHECKING:
    from qase_async import QaseClient

if TYPE_CHECKING:
    _async_fixture = pytest.fixture
else:
    try:
        import pytest_asyncio

        _async_fixture = pytest_asyncio.fixture
    except ImportError:  # pragma: no cover - depends on the environment
        _async_fixture = pytest.fixture

__all__ = ["qase_client", "qase_fake"]

TEST_TOKEN = "test-token"


@pytest.fixture
def qase_fake() -> FakeQase:
    """A fresh in-memory fake Qase workspace with the service's default limits."""
    return FakeQase()


@_async_fixture
async def qase_client(qase_fake: FakeQase) -> AsyncIterator[QaseClient]:
    """A ``QaseClient`` wired to ``qase_fake`` through an in-process transport."""
    from qase_async import QaseClient

    async with QaseClient(token=TEST_TOKEN, transport=qase_fake.transport()) as client:
        yield client
