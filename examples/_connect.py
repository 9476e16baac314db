"""What the examples share: a client for your Qase workspace, or for a fake one.

With ``--fake`` (or with no ``QASE_API_TOKEN`` set), an example talks to
:class:`qase_async.testing.FakeQase` in the same process: no account, no network. The fake
starts empty, so :func:`seed` gives it a project with a few test cases first.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from qase_async import QaseClient
from qase_async.models import ProjectCreate, TestCaseCreate
from qase_async.testing import FakeQase


def arguments(description: str) -> argparse.ArgumentParser:
    """A parser with the options every example takes: ``--project`` and ``--fake``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--project", default="DEMO", help="the project code (default DEMO)")
    parser.add_argument(
        "--fake",
        action="store_true",
        help="use an in-process fake Qase service (the default when QASE_API_TOKEN is unset)",
    )
    return parser


def uses_fake(args: argparse.Namespace) -> bool:
    """Whether the example talks to a fresh fake (which then needs :func:`seed`)."""
    return bool(args.fake or not os.environ.get("QASE_API_TOKEN"))


def connect(args: argparse.Namespace, **options: Any) -> QaseClient:
    """The client to use; ``options`` go to :class:`QaseClient` (``retry=``, ...)."""
    if uses_fake(args):
        return QaseClient(token="demo-token", transport=FakeQase().transport(), **options)
    return QaseClient(**options)  # the token comes from QASE_API_TOKEN


async def seed(qase: QaseClient, code: str) -> None:
    """Give a fresh fake what a real workspace already has: a project and some cases."""
    await qase.projects.create(ProjectCreate(title="Demo", code=code))
    for title in ("Log in", "Log out", "Reset the password", "Search", "Checkout"):
        await qase.cases.create(code, TestCaseCreate(title=title))
