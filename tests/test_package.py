"""The built wheel works in a fresh virtual environment, as a new user would install it.

The wheel is built from this checkout and installed with the ``testing`` extra into an
empty virtual environment (dependencies come from the package index, or pip's cache); then
the docs' pytest example runs in a new project with no pytest configuration, and the
command line runs from the same environment. This takes 30-60 s, so it carries the
``package`` mark: ``python -m pytest -m 'not package'`` leaves it out while iterating.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from qase_async import __version__

from .test_docs import python_blocks

pytestmark = pytest.mark.package

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QASE_", "PYTHON", "VIRTUAL"))}
    done = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh venv holding the wheel with its ``testing`` extra."""
    work = tmp_path_factory.mktemp("package")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", work, ROOT, cwd=work)
    (wheel,) = work.glob("qase_async-*.whl")
    assert wheel.name.startswith(f"qase_async-{__version__}-")
    venv.create(work / "venv", with_pip=True)
    bin_dir = work / "venv" / ("Scripts" if os.name == "nt" else "bin")
    _run(bin_dir / "python", "-m", "pip", "install", "-q", f"{wheel}[testing]", cwd=work)
    return bin_dir


def test_the_docs_pytest_example_passes_in_a_fresh_project(installed: Path) -> None:
    """A project that only installed ``qase-async[testing]`` runs the example: 1 passed."""
    project = installed.parent.parent / "project"
    project.mkdir()
    (project / "test_reporter.py").write_text(python_blocks(ROOT / "docs" / "testing.md")[0])
    done = _run(installed / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    assert "1 passed" in done.stdout


def test_the_installed_command_prints_its_version(installed: Path) -> None:
    """``qase-async --version`` from the wheel prints the package version."""
    done = _run(installed / "qase-async", "--version", cwd=installed)
    assert done.stdout.strip() == f"qase-async {__version__}"


def test_the_installed_command_uploads_the_example_report_to_the_fake(installed: Path) -> None:
    """The README's first command works from the wheel: the fake needs nothing else."""
    report = ROOT / "examples" / "junit-report.xml"
    done = _run(
        installed / "qase-async", "upload", report, "--project", "DEMO", "--fake", cwd=installed
    )
    assert done.stdout.startswith("Read 50 test cases from 1 report")
    assert "Sent 50 results to run 1 of DEMO on the built-in fake server" in done.stdout
