"""Text files the readers write for attaching go to each test's own temporary folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _text_files_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the readers' text files out of the shared temporary folder."""
    scratch = tmp_path / "texts"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
