"""MkDocs hook: Sphinx roles in docstrings (``:class:`X```) become links or code.

Also the reST ``::`` that introduces a docstring's code block is shown as one colon.

The package's docstrings name other objects the Sphinx way, which mkdocstrings renders as
text (``:class:QaseClient``). This hook rewrites each role into an optional cross-reference
for mkdocs-autorefs: a link when the name is a documented public object, plain code when it
is not (a relative name such as ``aclose``). Loaded from ``mkdocs.yml`` (``hooks:``).
"""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any

ROLE = re.compile(r":(?:class|meth|mod|func|attr|exc|data|obj):<code>(~?)([\w.]+)</code>")
PUBLIC_MODULES = (
    "qase_async.testing",
    "qase_async.redis",
    "qase_async.models",
    "qase_async.exceptions",
    "qase_async",  # last: the top-level path wins for names exported twice
)


@functools.cache
def _public_paths() -> dict[str, str]:
    """Short public name -> the path it is documented under."""
    paths: dict[str, str] = {module: module for module in PUBLIC_MODULES}
    for module in PUBLIC_MODULES:
        for name in importlib.import_module(module).__all__:
            paths[name] = f"{module}.{name}"
    return paths


def _qualify(name: str) -> str:
    """``Uploader.upload`` -> ``qase_async.Uploader.upload``; unknown names stay as they are."""
    if name.startswith("qase_async"):
        return name
    head, _, rest = name.partition(".")
    full = _public_paths().get(head)
    if full is None:
        return name
    return f"{full}.{rest}" if rest else full


def _replace(match: re.Match[str]) -> str:
    tilde, name = match.groups()
    shown = name.rsplit(".", 1)[-1] if tilde else name
    return f'<autoref identifier="{_qualify(name)}" optional><code>{shown}</code></autoref>'


def on_page_content(html: str, **_: Any) -> str:
    """Rewrite the roles of one rendered page, and the reST ``::`` before code blocks."""
    return ROLE.sub(_replace, html).replace("::</p>", ":</p>")
