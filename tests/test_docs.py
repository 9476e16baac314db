"""The docs site: its reference names every public name, its nav is whole, its pytest
example passes in a project with no pytest configuration."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PUBLIC_MODULES = (
    "qase_async",
    "qase_async.models",
    "qase_async.exceptions",
    "qase_async.testing",
    "qase_async.redis",
)


def python_blocks(page: Path) -> list[str]:
    """The ```python blocks of a Markdown page, in order."""
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_the_reference_names_every_public_name(module: str) -> None:
    """Each name in the module's ``__all__`` is rendered (``::: path``) or linked."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("*.md"))
    named = set(re.findall(r"^::: ([\w.]+)$", text, re.M))
    named |= set(re.findall(r"\[`([\w.]+)`\]\[", text))
    names = importlib.import_module(module).__all__
    missing = [name for name in names if f"{module}.{name}" not in named]
    assert missing == [], "run: python scripts/gen_reference.py"


def test_the_nav_and_the_pages_agree() -> None:
    """Every page in mkdocs.yml's nav exists, and every page under docs/ is in the nav."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = config[config.index("\nnav:") :]
    listed = set(re.findall(r":\s*([\w/.-]+\.md)\s*$", nav, re.M))
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert sorted(listed - pages) == []
    assert sorted(pages - listed) == []


def test_the_rate_limiting_page_shows_the_measured_figure() -> None:
    """The figure drawn by scripts/plot_burst.py is committed and embedded."""
    assert (DOCS / "img" / "burst.png").stat().st_size > 10_000
    assert "](img/burst.png)" in (DOCS / "rate-limiting.md").read_text(encoding="utf-8")


def test_the_pytest_example_passes_without_any_pytest_configuration(tmp_path: Path) -> None:
    """The testing page's first example, verbatim, passes under pytest-asyncio's default
    (strict) mode: a project that sets nothing, as a new user's does."""
    (tmp_path / "test_example.py").write_text(python_blocks(DOCS / "testing.md")[0])
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # no asyncio_mode: the default
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_the_getting_started_program_prints_what_the_page_says() -> None:
    """The first program of Getting started runs as written and prints the shown output."""
    page = DOCS / "getting-started.md"
    program = python_blocks(page)[0]
    shown = re.search(r"It prints:\n\n```text\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert shown
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == shown.group(1)


@pytest.mark.parametrize(
    "page", sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")), ids=str
)
def test_every_python_block_of_the_docs_is_valid_python(page: str) -> None:
    """No example on the site has rotted into a syntax error (top-level ``await`` allowed,
    as in an asyncio REPL)."""
    for number, block in enumerate(python_blocks(DOCS / page)):
        compile(block, f"{page}, block {number + 1}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_the_figure_script_measures_no_429_for_the_sliding_window(tmp_path: Path) -> None:
    """``scripts/plot_burst.py`` still runs (at a tiny scale), draws its figure, and, as the
    figure says, our limiter draws no 429 from the strict server."""
    out = tmp_path / "burst.png"
    script = ROOT / "scripts" / "plot_burst.py"
    done = subprocess.run(
        [sys.executable, str(script), "--requests", "5", "--per", "0.5", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    assert lines["ours"].startswith("15 requests in")
    assert lines["ours"].endswith(", 0 x 429")
    assert lines["bucket"].startswith("15 requests in")
    assert out.stat().st_size > 10_000


def test_the_readme_shows_what_its_first_command_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """The output the README shows is what ``qase-async upload ... --fake`` prints today
    (timings aside)."""
    from qase_async._cli import main

    shown = re.search(
        r"The upload prints its report:\n\n```text\n(.*?)```",
        (ROOT / "README.md").read_text(encoding="utf-8"),
        re.S,
    )
    assert shown
    report = str(ROOT / "examples" / "junit-report.xml")
    assert main(["upload", report, "--project", "DEMO", "--fake"]) == 0
    printed = capsys.readouterr().out

    def timeless(text: str) -> str:
        return re.sub(r"\d+\.\d+s", "N.Ns", text)

    assert timeless(printed) == timeless(shown.group(1))
