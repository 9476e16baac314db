"""The README's main example runs as written, against the in-process fake."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

import qase_async
from qase_async.models import ProjectCreate, TestCaseCreate
from qase_async.testing import FakeQase

README = Path(__file__).resolve().parents[1] / "README.md"


def _block_after(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python block after {heading!r}"
    return match.group(1)


def test_the_client_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first example under "The client" works with nothing but a token in the env."""
    fake = FakeQase()
    real = qase_async.QaseClient

    class FakeBacked(real):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("transport", fake.transport())
            super().__init__(*args, **kwargs)

    async def seed() -> None:
        async with FakeBacked("t") as qase:
            await qase.projects.create(ProjectCreate(title="Demo", code="DEMO"))
            await qase.cases.create("DEMO", TestCaseCreate(title="Log in", severity=2))

    asyncio.run(seed())
    monkeypatch.setenv("QASE_API_TOKEN", "from-the-environment")
    monkeypatch.setattr(qase_async, "QaseClient", FakeBacked)
    exec(compile(_block_after("## The client"), str(README), "exec"), {"__name__": "readme"})
    runs = fake.state.runs["DEMO"]
    assert [run["title"] for run in runs.values()] == ["nightly"]
    assert fake.stats.results_stored == 1


def test_every_method_the_readme_calls_exists() -> None:
    """Each ``qase.<namespace>.<method>(`` in the README's and the docs' examples is a real
    method."""
    pages = [README, *sorted((README.parent / "docs").rglob("*.md"))]
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    calls = set(re.findall(r"\bqase\.((?:v2\.)?[a-z_]+)\.([a-z_]+)\(", text))
    assert len(calls) > 20
    client = qase_async.QaseClient("t")
    missing = []
    for namespace, method in sorted(calls):
        target: Any = client
        for part in namespace.split("."):
            target = getattr(target, part, None)
        if not callable(getattr(target, method, None)):
            missing.append(f"{namespace}.{method}")
    assert missing == []
