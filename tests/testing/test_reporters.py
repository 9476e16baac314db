"""The official reporters report a real test suite into ``qase-async fake-server --tls``.

qase-pytest runs wherever the dev extra is installed; jest-qase-reporter and
playwright-qase-reporter run when node is there and ``QASE_FIDELITY_NODE_MODULES`` names a
``node_modules`` holding them (``.ci/node-reporters.sh`` prepares one).

Each test runs the reporter as a user would (its own process, testops mode, HTTPS with the
documented set-up for trusting the throwaway CA), then reads everything back through
``QaseClient`` and compares it with the request bodies the server recorded.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ._reporting import TOKEN, Tally, assert_kept, create_project, fake_server

pytest.importorskip("uvicorn", reason="serving the fake needs qase-async[testing]")
pytest.importorskip("trustme", reason="--tls needs qase-async[testing]")

# The set-up docs/fake-fidelity.md gives for qase-pytest: qase-python-commons trusts only
# certifi's bundle, so the suite's conftest.py adds the fake's CA to a copy of it.
PYTEST_CONFTEST = """
import os
import pathlib
import tempfile

import certifi

_ca = os.environ.get("QASE_FAKE_CA")
if _ca:
    _bundle = pathlib.Path(tempfile.mkdtemp()) / "bundle.pem"
    _bundle.write_text(pathlib.Path(certifi.where()).read_text() + pathlib.Path(_ca).read_text())
    certifi.where = lambda: str(_bundle)
"""

PYTEST_SUITE = """
import pytest
from qase.pytest import qase


class TestCart:
    @qase.severity("critical")
    @qase.priority("high")
    @qase.layer("unit")
    @qase.description("adds an item")
    @qase.tags("smoke", "cart")
    def test_add(self):
        with qase.step("open cart", "cart shown"):
            with qase.step("add item"):
                qase.attach((b"item log", "text/plain", "item.log"))
            with qase.step("check badge", "badge says 1"):
                pass
        qase.attach((b"fake png", "image/png", "cart.png"))

    def test_total_fails(self):
        with qase.step("compute total"):
            qase.attach((b"1 + 1", "text/plain", "sum.txt"))
            assert 1 + 1 == 3

    @pytest.mark.skip(reason="not today")
    def test_skipped(self):
        pass


@pytest.mark.parametrize("n", range(6))
def test_price(n):
    assert n % 3 != 0


@qase.suite("Outer\\tInner")
def test_in_a_custom_suite():
    pass
"""


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QASE_")}
    env.update(extra)
    return env


@pytest.mark.skipif(
    importlib.util.find_spec("qase.pytest") is None, reason="qase-pytest is not installed"
)
async def test_qase_pytest_reports_whole_over_tls(tmp_path: Path) -> None:
    """qase-pytest (testops mode, HTTPS) reports 10 results; every datum reads back."""
    suite = tmp_path / "suite"
    (suite / "shop").mkdir(parents=True)
    (suite / "pytest.ini").write_text("[pytest]\n")
    (suite / "conftest.py").write_text(PYTEST_CONFTEST)
    (suite / "shop" / "test_cart.py").write_text(textwrap.dedent(PYTEST_SUITE))
    with fake_server(tmp_path) as server:
        create_project(server, "PYT")
        env = _clean_env(
            QASE_MODE="testops",
            QASE_TESTOPS_API_TOKEN=TOKEN,
            QASE_TESTOPS_PROJECT="PYT",
            # qase-python-commons builds https://api-<host>/v1: the "fake@" prefix turns
            # "api-" into a user name, so the request goes to 127.0.0.1 with no DNS entry.
            QASE_TESTOPS_API_HOST=f"fake@127.0.0.1:{server.port}",
            QASE_TESTOPS_RUN_TITLE="fidelity",
            QASE_TESTOPS_DEFECT="true",
            QASE_FAKE_CA=server.ca_bundle,
        )
        proc = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
            cwd=suite,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        output = proc.stdout + proc.stderr
        assert proc.returncode == 1, output  # the suite has failures, nothing else went wrong
        assert "3 failed, 6 passed, 1 skipped" in output, output
        assert "][error]" not in output, output
        posted = server.sent("POST", r"/v2/PYT/run/\d+/results")
        assert posted, output
        run_id = int(re.findall(r"\d+", posted[0]["path"])[-1])
        assert all(r["status"] == 202 for r in posted)
        sent = [item for r in posted for item in r["body"]["results"]]
        assert len(sent) == 10
        async with server.client() as client:
            tally = await assert_kept(client, "PYT", run_id, sent)
            assert tally.statuses == {"passed": 6, "failed": 3, "skipped": 1}
            assert (tally.steps, tally.attachments) == (4, 3)
            run = await client.runs.get("PYT", run_id)
            assert run.status == 1  # completed by the reporter
            defects = [d async for d in client.defects.iter("PYT")]
            assert sorted(d.title or "" for d in defects) == [
                "test_price",
                "test_price",
                "test_total_fails",
            ]


JEST_TEST = """
const { qase } = require('jest-qase-reporter/jest');

describe('Cart', () => {
  describe('Checkout', () => {
    test('adds an item', async () => {
      await qase.step('open cart', async () => {
        await qase.step('add item', async () => {
          qase.attach({ name: 'item.log', content: 'item log', type: 'text/plain' });
        });
      });
      qase.attach({ name: 'cart.txt', content: 'cart', type: 'text/plain' });
    });

    test('total fails', () => {
      expect(1 + 1).toBe(3);
    });

    test.skip('skipped', () => {});

    test.each([1, 2, 3, 4])('price %i', (n) => {
      expect(n % 4).not.toBe(0);
    });
  });
});
"""

JEST_CONFIG = """
module.exports = {
  testEnvironment: 'node',
  reporters: ['default', ['jest-qase-reporter', {}]],
};
"""


def _node_modules(*packages: str) -> Path | None:
    """A prepared ``node_modules`` holding ``packages``, or None (see the skip reasons).

    The test suite never reaches beyond loopback, so it does not install them itself:
    ``eval "$(bash .ci/node-reporters.sh)"`` prepares one and names it.
    """
    prepared = os.environ.get("QASE_FIDELITY_NODE_MODULES")
    if prepared and all((Path(prepared) / p).is_dir() for p in packages):
        return Path(prepared)
    return None


def _needs_node(*packages: str) -> pytest.MarkDecorator:
    if shutil.which("node") is None:
        return pytest.mark.skip(reason="node is not installed")
    return pytest.mark.skipif(
        _node_modules(*packages) is None,
        reason=f"QASE_FIDELITY_NODE_MODULES names no node_modules with {', '.join(packages)} "
        '(eval "$(bash .ci/node-reporters.sh)" prepares one)',
    )


def _run_node(
    suite: Path, modules: Path, origin: str, ca: str, code: str, *argv: str
) -> subprocess.CompletedProcess[str]:
    (suite / "node_modules").symlink_to(modules)
    env = _clean_env(
        QASE_MODE="testops",
        QASE_TESTOPS_API_TOKEN=TOKEN,
        QASE_TESTOPS_PROJECT=code,
        # qase-javascript-commons takes a full base URL as the host.
        QASE_TESTOPS_API_HOST=origin,
        QASE_TESTOPS_RUN_TITLE="fidelity",
        NODE_EXTRA_CA_CERTS=ca,
    )
    return subprocess.run(
        ["node", *argv],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _report_with_node(
    tmp_path: Path, packages: tuple[str, ...], files: dict[str, str], code: str, *argv: str
) -> Tally:
    """Run ``node argv`` on a suite of ``files``; check the run's 7 results all read back."""
    modules = _node_modules(*packages)
    assert modules is not None
    suite = tmp_path / "suite"
    suite.mkdir()
    for name, text in files.items():
        (suite / name).write_text(text)
    with fake_server(tmp_path) as server:
        create_project(server, code)
        proc = await asyncio.to_thread(
            _run_node, suite, modules, server.origin, server.ca_bundle, code, *argv
        )
        output = proc.stdout + proc.stderr
        assert proc.returncode == 1, output
        posted = server.sent("POST", rf"/v2/{code}/run/\d+/results")
        assert posted, output
        run_id = int(re.findall(r"\d+", posted[0]["path"])[-1])
        sent = [item for r in posted for item in r["body"]["results"]]
        assert len(sent) == 7
        async with server.client() as client:
            return await assert_kept(client, code, run_id, sent)


@_needs_node("jest", "jest-qase-reporter")
async def test_jest_qase_reporter_reports_whole_over_tls(tmp_path: Path) -> None:
    """jest-qase-reporter (testops mode, HTTPS) reports 7 results; every datum reads back."""
    tally = await _report_with_node(
        tmp_path,
        ("jest", "jest-qase-reporter"),
        {"cart.test.js": JEST_TEST, "jest.config.js": JEST_CONFIG},
        "JST",
        *("node_modules/jest/bin/jest.js", "--ci"),
    )
    assert tally.statuses == {"passed": 4, "failed": 2, "skipped": 1}
    # jest-qase-reporter sends the two nested steps flat, and the step's attachment
    # with the result's: what it sends is what is compared.
    assert (tally.steps, tally.attachments) == (2, 2)


PLAYWRIGHT_TEST = """
const { test, expect } = require('@playwright/test');
const { qase } = require('playwright-qase-reporter');

test.describe('Cart', () => {
  test.describe('Checkout', () => {
    test('adds an item', async () => {
      await test.step('open cart', async () => {
        await test.step('add item', async () => {
          qase.attach({ name: 'item.log', content: 'item log', type: 'text/plain' });
        });
      });
      qase.attach({ name: 'cart.txt', content: 'cart', type: 'text/plain' });
    });

    test('total fails', async () => {
      expect(1 + 1).toBe(3);
    });

    test.skip('skipped', async () => {});

    for (const n of [1, 2, 3, 4]) {
      test(`price ${n}`, async () => {
        qase.parameters({ n: String(n) });
        expect(n % 4).not.toBe(0);
      });
    }
  });
});
"""

PLAYWRIGHT_CONFIG = """
module.exports = {
  testDir: '.',
  workers: 1,
  reporter: [['list'], ['playwright-qase-reporter', {}]],
};
"""


@_needs_node("@playwright/test", "playwright-qase-reporter")
async def test_playwright_qase_reporter_reports_whole_over_tls(tmp_path: Path) -> None:
    """playwright-qase-reporter (no browser needed) reports 7 results; every datum reads back."""
    tally = await _report_with_node(
        tmp_path,
        ("@playwright/test", "playwright-qase-reporter"),
        {"cart.spec.js": PLAYWRIGHT_TEST, "playwright.config.js": PLAYWRIGHT_CONFIG},
        "PWT",
        *("node_modules/@playwright/test/cli.js", "test"),
    )
    assert tally.statuses == {"passed": 4, "failed": 2, "skipped": 1}
    # Nested steps stay nested; each failure also carries Playwright's
    # error-context.md as an attachment.
    assert (tally.steps, tally.attachments) == (2, 4)
