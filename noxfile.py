"""Sessions: tests, lint, typing, docs; bench (opt-in: `nox -s bench`)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typing", "docs"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = ["3.11"]
LINTED = ("qase_async", "tests", "benchmarks", "examples", "scripts", "noxfile.py")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite (what CI runs)."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)


@nox.session(python=PYTHON)
def typing(session: nox.Session) -> None:
    """mypy --strict over the package, tests/typing and the examples."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """The documentation site, built with --strict: any warning fails (output in site/)."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session(python=PYTHON, default=False)
def figures(session: nox.Session) -> None:
    """Measure again and redraw the docs' figures (docs/img/)."""
    session.install("-e", ".[dev,docs]")
    session.run("python", "scripts/plot_burst.py", *session.posargs)


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks: ratios against baselines measured in the same run."""
    # The official client is the baseline of the decode benchmarks; measured as a default
    # install gets it (orjson and sniffio are dependencies).
    session.install("-e", ".[dev]", "qase-api-client")
    session.run("python", "benchmarks/run_all.py", *session.posargs)
