"""Shared fixtures for the core tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a real token (or a shared limiter) from the environment."""
    monkeypatch.delenv("QASE_API_TOKEN", raising=False)
    monkeypatch.delenv("QASE_RATE_LIMIT_REDIS_URL", raising=False)
