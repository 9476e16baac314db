"""Shared fixtures for the core tests."""

from __future__ import annotations

import pytest

# The package's plugin, loaded here rather than by its entry point (see pyproject.toml).
pytest_plugins = ("qase_async.testing._pytest_plugin",)


@pytest.fixture(autouse=True)
def _no_token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a real token (or a shared limiter) from the environment."""
    monkeypatch.delenv("QASE_API_TOKEN", raising=False)
    monkeypatch.delenv("QASE_RATE_LIMIT_REDIS_URL", raising=False)
