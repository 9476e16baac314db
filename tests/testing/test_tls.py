"""The fake over HTTPS: a throwaway CA or the caller's certificate, from Python and the CLI."""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from qase_async._cli import main
from qase_async.testing import FakeQase, FakeTLS

from ._helpers import checked_client, cli_process, first_answer, ok

pytest.importorskip("uvicorn", reason="serving the fake needs qase-async[testing]")
x509 = pytest.importorskip("cryptography.x509", reason="trustme brings cryptography")


def _removed(path: str) -> bool:
    return not Path(path).exists()


async def test_serve_https_with_a_throwaway_ca() -> None:
    """``serve(tls=True)`` serves HTTPS trusted through ``fake.tls``; made-up URLs are https."""
    fake = FakeQase()
    async with fake.serve(tls=True) as origin:
        assert re.fullmatch(r"https://127\.0\.0\.1:\d+", origin)
        assert fake.tls is not None
        assert fake.tls.ca_bundle is not None
        ca = fake.tls.ca_bundle
        async with checked_client(base_url=origin, verify=fake.tls.client_context()) as api:
            await ok(api.post("/v1/project", json={"title": "TLS", "code": "TLS"}))
            files = [("file[]", ("a.txt", b"a", "text/plain"))]
            (att,) = await ok(api.post("/v1/attachment/TLS", files=files))
            assert att["url"].startswith(origin + "/")
            run = await ok(api.post("/v1/run/TLS", json={"title": "r"}))
            public = await ok(api.patch(f"/v1/run/TLS/{run['id']}/public", json={"status": True}))
            assert public["url"].startswith(origin + "/")
        async with httpx.AsyncClient(base_url=origin) as untrusting:
            with pytest.raises(httpx.ConnectError):
                await untrusting.get("/v1/project", headers={"Token": "t"})
    assert fake.tls is None
    assert _removed(ca)


def test_throwaway_certificate_names_the_asked_hosts(tmp_path: Path) -> None:
    """The certificate is valid for 127.0.0.1, localhost and every extra name asked for."""
    tls = FakeTLS.throwaway(tmp_path, ["api-fake.test", " "])
    cert = x509.load_pem_x509_certificate(Path(tls.certfile).read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = {str(n.value) for n in sans}
    assert names == {"127.0.0.1", "localhost", "api-fake.test"}
    assert tls.hosts == ("127.0.0.1", "localhost", "api-fake.test")


def test_serve_in_thread_with_the_callers_certificate(tmp_path: Path) -> None:
    """``serve_in_thread(tls=FakeTLS(...))`` serves the caller's files, left in place after."""
    made = FakeTLS.throwaway(tmp_path)
    own = FakeTLS(certfile=made.certfile, keyfile=made.keyfile)
    fake = FakeQase()
    with (
        fake.serve_in_thread(tls=own) as origin,
        httpx.Client(base_url=origin, verify=made.client_context()) as api,
    ):
        assert origin.startswith("https://")
        assert api.get("/v1/project", headers={"Token": "t"}).status_code == 200
    assert Path(own.certfile).exists()
    with pytest.raises(ValueError, match="CA bundle"):
        own.client_context()


@contextmanager
def _cli(*args: str) -> Iterator[tuple[str, list[str]]]:
    """Run ``qase-async fake-server`` on a free port; yield its origin and its first lines."""
    argv = ("qase_async", "fake-server", "--port", "0", *args)
    with cli_process(*argv, lines=2 if "--tls" in args else 1) as (_, lines):
        match = re.search(r"(https?://127\.0\.0\.1:\d+)/v1", lines[0])
        assert match, lines
        yield match.group(1), lines


def _get_projects(origin: str, verify: str) -> int:
    trust = ssl.create_default_context(cafile=verify)
    with httpx.Client(base_url=origin, verify=trust, timeout=5) as api:
        return first_answer(api, "t").status_code


def test_cli_tls_prints_the_ca_bundle_and_removes_it_on_exit() -> None:
    """``fake-server --tls --tls-host N`` serves HTTPS and prints the CA bundle to trust."""
    with _cli("--tls", "--tls-host", "api-fake.test") as (origin, lines):
        assert origin.startswith("https://")
        found = re.search(r"CA bundle to trust: (\S+)", lines[1])
        assert found, lines
        ca = found.group(1)
        assert "api-fake.test" in lines[1]
        assert _get_projects(origin, ca) == 200
    assert not Path(ca).exists()


def test_cli_serves_https_with_given_files(tmp_path: Path) -> None:
    """``--ssl-certfile``/``--ssl-keyfile`` serve HTTPS with the caller's certificate."""
    made = FakeTLS.throwaway(tmp_path)
    with _cli("--ssl-certfile", made.certfile, "--ssl-keyfile", made.keyfile) as (origin, _):
        assert origin.startswith("https://")
        assert made.ca_bundle is not None
        assert _get_projects(origin, made.ca_bundle) == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--ssl-certfile", "c.pem"], "--ssl-certfile and --ssl-keyfile go together"),
        (["--tls-host", "x"], "add --tls"),
        (["--tls", "--ssl-certfile", "c", "--ssl-keyfile", "k"], "drop --ssl-certfile"),
    ],
)
def test_cli_usage_errors_show_the_subcommands_usage(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad ``fake-server`` option fails with status 2 and ``fake-server``'s own usage."""
    with pytest.raises(SystemExit) as exc:
        main(["fake-server", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage: qase-async fake-server" in err
    assert message in err


def test_cli_reports_an_unreadable_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A certificate uvicorn cannot load is a one-line error, not a traceback."""
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    status = main(
        ["fake-server", "--port", "0", "--ssl-certfile", str(bad), "--ssl-keyfile", str(bad)]
    )
    assert status == 2
    assert capsys.readouterr().err.startswith("qase-async: ")


def test_cli_record_writes_what_was_sent_and_never_the_token(tmp_path: Path) -> None:
    """``--record FILE`` writes each request's method, path, status and JSON body only."""
    record = tmp_path / "requests.jsonl"
    with _cli("--tls", "--record", str(record), "--token", "secret-token") as (origin, lines):
        found = re.search(r"CA bundle to trust: (\S+)", lines[1])
        assert found, lines
        trust = ssl.create_default_context(cafile=found.group(1))
        _get_projects(origin, found.group(1))
        with httpx.Client(base_url=origin, verify=trust, timeout=5) as api:
            body = {"title": "Rec", "code": "REC"}
            resp = api.post("/v1/project", json=body, headers={"Token": "secret-token"})
            assert resp.status_code == 200
    text = record.read_text("utf-8")
    assert "secret-token" not in text
    rows = [json.loads(line) for line in text.splitlines()]
    assert rows[-1] == {
        "method": "POST",
        "path": "/v1/project",
        "query": "",
        "status": 200,
        "body": {"title": "Rec", "code": "REC"},
    }
