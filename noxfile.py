"""Sessions: tests, lint, typing, bench (opt-in: `nox -s bench`)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typing"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = ["3.11"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite (what CI runs)."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", "qase_async", "tests", "benchmarks", "examples", "noxfile.py")
    session.run("ruff", "format", "--check", "qase_async", "tests", "benchmarks", "examples", "noxfile.py")


@nox.session(python=PYTHON)
def typing(session: nox.Session) -> None:
    """mypy --strict over the package and tests/typing."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks: ratios against baselines measured in the same run."""
    # The official client is the baseline of the decode benchmarks; the speedups extra is
    # measured as users who install it get it (raw httpx gains from sniffio just as much).
    session.install("-e", ".[dev,speedups]", "qase-api-client")
    session.run("python", "benchmarks/run_all.py", *session.posargs)
