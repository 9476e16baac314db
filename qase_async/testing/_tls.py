"""HTTPS for the fake: a certificate the caller brings, or a throwaway CA made on the spot.

The official reporters speak HTTPS only (qase-python-commons always builds
``https://api-<host>/v1``), so the fake must too. A throwaway CA (made with ``trustme``, in
the ``testing`` extra) signs one server certificate for ``127.0.0.1``, ``localhost`` and any
extra names; the files live in a fresh temporary folder that is removed when the server
stops, and nothing is ever added to a system trust store: the caller trusts
:attr:`FakeTLS.ca_bundle` explicitly.
"""

from __future__ import annotations

import contextlib
import shutil
import ssl
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import attrs

__all__ = ["DEFAULT_TLS_HOSTS", "FakeTLS", "throwaway_tls", "tls_files"]

DEFAULT_TLS_HOSTS = ("127.0.0.1", "localhost")


@attrs.frozen(kw_only=True)
class FakeTLS:
    """The files the fake serves HTTPS with.

    Attributes:
        certfile: PEM file with the server certificate (and its chain).
        keyfile: PEM file with the server's private key.
        ca_bundle: PEM file of the CA that signed ``certfile``, for clients to trust;
            ``None`` when the caller brought its own certificate.
        hosts: Names and addresses the certificate is valid for, when known.
    """

    certfile: str
    keyfile: str
    ca_bundle: str | None = None
    hosts: tuple[str, ...] = ()

    @classmethod
    def throwaway(cls, directory: str | Path, hosts: Iterable[str] = ()) -> FakeTLS:
        """A throwaway CA and server certificate written to ``directory`` (kept there).

        Args:
            directory: Existing folder for ``ca.pem``, ``server.pem`` and ``server.key``.
            hosts: Names or addresses the certificate must also be valid for, beside
                ``127.0.0.1`` and ``localhost``.
        """
        return throwaway_tls(directory, hosts)

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts only :attr:`ca_bundle` (for ``httpx``, ``verify=``).

        Raises:
            ValueError: When there is no CA bundle (a certificate brought by the caller).
        """
        if self.ca_bundle is None:
            raise ValueError("no CA bundle: trust the issuer of your own certificate instead")
        return ssl.create_default_context(cafile=self.ca_bundle)


def throwaway_tls(directory: str | Path, hosts: Iterable[str] = ()) -> FakeTLS:
    """Make a throwaway CA and a server certificate for the default hosts plus ``hosts``.

    Args:
        directory: Existing folder to write ``ca.pem``, ``server.pem`` and ``server.key`` in.
        hosts: Extra DNS names or IP addresses the certificate must be valid for.

    Returns:
        The files; :attr:`FakeTLS.ca_bundle` is the CA to trust.

    Raises:
        RuntimeError: When ``trustme`` is not installed.
    """
    try:
        import trustme
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise RuntimeError(
            "A throwaway certificate needs trustme: pip install 'qase-async[testing]'"
        ) from exc
    names = tuple(dict.fromkeys([*DEFAULT_TLS_HOSTS, *(h.strip() for h in hosts if h.strip())]))
    folder = Path(directory)
    ca = trustme.CA(organization_name="qase-async fake server")
    cert = ca.issue_cert(*names)
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca.cert_pem.write_to_path(str(ca_path))
    cert.private_key_pem.write_to_path(str(key_path))
    with cert_path.open("wb") as out:
        for blob in cert.cert_chain_pems:
            out.write(blob.bytes())
    return FakeTLS(
        certfile=str(cert_path), keyfile=str(key_path), ca_bundle=str(ca_path), hosts=names
    )


@contextlib.contextmanager
def tls_files(tls: FakeTLS | bool | None, hosts: Iterable[str] = ()) -> Iterator[FakeTLS | None]:
    """The TLS files to serve with: ``tls`` itself, a throwaway set for ``True``, or none.

    A throwaway set lives in a temporary folder removed on exit.
    """
    if tls is None or tls is False:
        yield None
        return
    if isinstance(tls, FakeTLS):
        yield tls
        return
    folder = tempfile.mkdtemp(prefix="qase-fake-tls-")
    try:
        yield throwaway_tls(folder, hosts)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
