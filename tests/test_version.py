"""One version: the package, its installed metadata, the User-Agent and the CLI agree."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx

import qase_async
from qase_async._version import __version__ as written

ROOT = Path(__file__).resolve().parents[1]


def test_the_version_is_written_once_and_read_by_the_build() -> None:
    """pyproject.toml has no version of its own: hatch reads ``qase_async/_version.py``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "qase_async/_version.py"
    assert qase_async.__version__ == written


def test_installed_metadata_matches_the_package() -> None:
    """``pip show qase-async`` reports the version ``qase_async.__version__`` says."""
    assert importlib.metadata.version("qase-async") == qase_async.__version__


async def test_the_user_agent_carries_the_version() -> None:
    """Every request says ``qase-async/<version>`` in its User-Agent."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["User-Agent"])
        return httpx.Response(200, json={"status": True, "result": {"title": "D", "code": "D"}})

    async with qase_async.QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        await qase.projects.get("D")
    assert seen == [f"qase-async/{qase_async.__version__}"]


def test_the_command_line_prints_the_version() -> None:
    """``qase-async --version`` prints the package's version and exits 0."""
    done = subprocess.run(
        [sys.executable, "-m", "qase_async", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"qase-async {qase_async.__version__}"
