"""Write the API reference pages (``docs/reference/*.md``) from the public names.

One ``::: path`` directive per public name of ``qase_async``, ``qase_async.models``,
``qase_async.exceptions``, ``qase_async.testing`` and ``qase_async.redis`` (mkdocstrings
renders each from its docstring), grouped by the module that defines it. A name exported
from two places is rendered once and linked from the other. ``tests/test_docs.py`` fails
when a public name is missing from the pages: run this script again after adding one.

Usage (needs the ``docs`` extra, for griffe)::

    python scripts/gen_reference.py
"""

from __future__ import annotations

import collections
import importlib
from pathlib import Path

import griffe

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "reference"

# Titles for the defining modules, in the order the sections appear on their page.
SECTIONS = {
    "qase_async._client": "The client",
    "qase_async._http": "Connection and retries",
    "qase_async._ratelimit": "Rate limiting",
    "qase_async._pagination": "Pages",
    "qase_async._resources": "Limits of the service",
    "qase_async._upload": "Uploading results",
    "qase_async._operations": "Operations",
    "qase_async._converter": "Decoding",
    "qase_async._version": "Version",
}

PAGES = {
    "qase_async": ("client.md", "The client, uploads and limits"),
    "qase_async.models": ("models.md", "Models"),
    "qase_async.exceptions": ("exceptions.md", "Exceptions"),
    "qase_async.testing": ("testing.md", "The fake service"),
    "qase_async.redis": ("redis.md", "Redis limiter"),
}


def public(module: str) -> list[str]:
    """The names a module exports (its ``__all__``)."""
    return list(importlib.import_module(module).__all__)


def home(package: griffe.Object | griffe.Alias, name: str) -> str:
    """Where a public name is defined (``qase_async.models.cases`` for ``TestCase``)."""
    member = package[name]
    path = member.target_path if member.is_alias else member.path
    return path.rsplit(".", 1)[0]


def section_of(module: str, defining: str) -> str:
    """The section title of a name of ``module`` defined in ``defining``."""
    for prefix, title in SECTIONS.items():
        if defining == prefix or defining.startswith(prefix + "."):
            return title
    tail = defining.removeprefix(module + ".").split(".")[-1]
    if tail in ("common", "typing", "types") or defining == module:
        return "Common"
    return tail.replace("_", " ").capitalize()


def page(module: str, package: griffe.Object | griffe.Alias, rendered: dict[str, str]) -> str:
    """The Markdown of one module's page; ``rendered`` maps exception names to pages."""
    _, title = PAGES[module]
    lines = [
        f"# {title}",
        "",
        "<!-- Written by scripts/gen_reference.py: edit the docstrings, then run it again. -->",
        "",
        f"::: {module}",
        "    options:",
        "      members: false",
        "      show_root_heading: false",
        "      show_root_toc_entry: false",
        "",
    ]
    groups: dict[str, list[str]] = collections.defaultdict(list)
    links: list[str] = []
    for name in public(module):
        if module != "qase_async.exceptions" and name in rendered:
            links.append(name)
            continue
        groups[section_of(module, home(package, name))].append(name)
    order = list(SECTIONS.values())
    for section in sorted(groups, key=lambda s: (order.index(s) if s in order else 99, s)):
        lines += [f"## {section}", ""]
        for name in groups[section]:
            lines += [f"::: {module}.{name}", ""]
    if links:
        lines += ["## Exceptions", "", "Also exported here; documented with the others:", ""]
        for name in links:
            lines.append(f"- [`{module}.{name}`][{rendered[name]}]")
        lines.append("")
    if module == "qase_async.testing":
        lines += [
            "## pytest fixtures",
            "",
            "::: qase_async.testing._pytest_plugin.qase_fake",
            "",
            "::: qase_async.testing._pytest_plugin.qase_client",
            "",
        ]
    return "\n".join(lines)


def resources_page() -> str:
    """Every namespace of ``QaseClient`` (``client.cases``, ``client.v2.results``, ...)."""
    from qase_async import QaseClient

    client = QaseClient("t")
    lines = [
        "# Resources",
        "",
        "<!-- Written by scripts/gen_reference.py: edit the docstrings, then run it again. -->",
        "",
        "Every API operation is a method of a namespace of [`QaseClient`][qase_async.QaseClient],",
        "named after the API's tag: `client.cases.create(...)`, `client.v2.results.create_bulk",
        "(...)`. Path parameters are positional, everything else keyword-only.",
        "",
    ]
    namespaces = [(name, getattr(client, name)) for name in sorted(vars(client))]
    namespaces += [(f"v2.{name}", getattr(client.v2, name)) for name in sorted(vars(client.v2))]
    for attribute, namespace in namespaces:
        cls = type(namespace)
        if not cls.__module__.startswith("qase_async._resources") or attribute == "v2":
            continue
        lines += [
            f"## `client.{attribute}`",
            "",
            f"::: {cls.__module__}.{cls.__qualname__}",
            "    options:",
            "      show_root_heading: false",
            "      show_root_toc_entry: false",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    package = griffe.load("qase_async")
    exceptions = set(public("qase_async.exceptions"))
    rendered = {name: f"qase_async.exceptions.{name}" for name in exceptions}
    OUT.mkdir(parents=True, exist_ok=True)
    for module, (filename, _) in PAGES.items():
        target = package if module == "qase_async" else package[module.split(".", 1)[1]]
        (OUT / filename).write_text(page(module, target, rendered), encoding="utf-8")
    (OUT / "resources.md").write_text(resources_page(), encoding="utf-8")
    print(f"wrote {len(PAGES) + 1} pages in {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
